import { describe, expect, it } from "vitest";
import {
  explainOutcome,
  formatStatus,
  outcomeFromRestResponse,
  outcomeFromTrpcData,
  outcomeFromTrpcError,
} from "./call-outcome";

const API = "http://localhost:3010";

describe("outcomeFromRestResponse", () => {
  it("reads the message of a success", () => {
    expect(outcomeFromRestResponse(200, { message: "hello" })).toEqual({
      kind: "success",
      status: 200,
      message: "hello",
    });
  });

  it("reads the quickstart's code and description of a refusal", () => {
    expect(
      outcomeFromRestResponse(403, { code: "Unauthorized", description: "您没有权限访问当前资源" }),
    ).toEqual({ kind: "refused", status: 403, code: "Unauthorized", description: "您没有权限访问当前资源" });
  });

  it("does not trust a body that is neither", () => {
    expect(outcomeFromRestResponse(502, "<html>Bad gateway</html>")).toMatchObject({
      kind: "refused",
      status: 502,
      code: "unexpected_response",
    });
    expect(outcomeFromRestResponse(200, { msg: "no" })).toMatchObject({ kind: "refused", status: 200 });
  });
});

describe("outcomeFromTrpcError", () => {
  it("takes status from data.httpStatus and code from data.auth", () => {
    const error = {
      message: "Authorization header is expected",
      data: {
        httpStatus: 401,
        code: "UNAUTHORIZED",
        auth: { code: "authorization_header_missing", description: "Authorization header is expected" },
      },
    };
    expect(outcomeFromTrpcError(error, API)).toEqual({
      kind: "refused",
      status: 401,
      code: "authorization_header_missing",
      description: "Authorization header is expected",
    });
  });

  it("falls back to tRPC's code when the error is not an auth error", () => {
    const error = {
      message: "Internal server error",
      data: { httpStatus: 500, code: "INTERNAL_SERVER_ERROR", auth: null },
    };
    expect(outcomeFromTrpcError(error, API)).toMatchObject({ status: 500, code: "INTERNAL_SERVER_ERROR" });
  });

  it("reports a request that got no response as unreachable", () => {
    const outcome = outcomeFromTrpcError({ message: "Failed to fetch" }, API);
    expect(outcome.kind).toBe("unreachable");
    expect(outcome.kind === "unreachable" && outcome.description).toContain("http://localhost:3010");
  });
});

describe("explainOutcome", () => {
  it("explains each of the quickstart's codes", () => {
    const refused = (status: number, code: string) => ({
      kind: "refused" as const,
      status,
      code,
      description: "",
    });
    expect(explainOutcome(refused(401, "authorization_header_missing"))).toMatch(/log in/);
    expect(explainOutcome(refused(403, "Unauthorized"))).toMatch(/read:messages/);
    expect(explainOutcome(refused(401, "token_expired"))).toMatch(/expired/);
    expect(explainOutcome(refused(418, "teapot"))).toMatch(/HTTP 418/);
    expect(explainOutcome(outcomeFromTrpcData({ message: "hi" }))).toMatch(/accepted/);
  });
});

describe("formatStatus", () => {
  it("adds the reason phrase when known", () => {
    expect(formatStatus(401)).toBe("401 Unauthorized");
    expect(formatStatus(207)).toBe("207");
  });
});
