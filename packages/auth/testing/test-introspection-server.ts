/**
 * A real RFC 7662 introspection endpoint for tests, on 127.0.0.1, with OpenID discovery naming it.
 * Each test says what it answers for a token, and reads what it was sent; knobs hold requests (to
 * fill the introspector's concurrency cap) or take it down. Not a mock: the introspector calls it
 * over the network exactly as it would an identity provider.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the endpoint answers: a JSON body with status 200, or any status and raw body. */
export type IntrospectionReply = Record<string, unknown> | { status: number; body: string };

export interface TestIntrospectionServer {
  /** `http://127.0.0.1:<port>/`, the issuer its discovery document names. */
  readonly issuer: string;
  /** `<issuer>introspect` */
  readonly endpoint: string;
  /** Introspection requests received (counted on arrival), and discovery requests. */
  readonly requests: { introspection: number; discovery: number };
  /** What the last introspection request carried. */
  readonly last: { authorization?: string | undefined; body?: URLSearchParams | undefined };
  /** Decides each answer; default `{ active: false }`. */
  answer: (token: string) => IntrospectionReply;
  /** The discovery document; default names `issuer` and `endpoint`. */
  discoveryDocument: Record<string, unknown>;
  /** While set, introspection requests wait for this promise before answering. */
  hold: Promise<void> | undefined;
  close(): Promise<void>;
}

/**
 * Starts the server.
 *
 * @example
 * const server = await startTestIntrospectionServer();
 * server.answer = (token) => (token === "good" ? { active: true, aud: "https://api", exp } : { active: false });
 */
export async function startTestIntrospectionServer(): Promise<TestIntrospectionServer> {
  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const state: TestIntrospectionServer = {
    issuer,
    endpoint: `${issuer}introspect`,
    requests: { introspection: 0, discovery: 0 },
    last: {},
    answer: () => ({ active: false }),
    discoveryDocument: { issuer, introspection_endpoint: `${issuer}introspect` },
    hold: undefined,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === "GET" && request.url === "/.well-known/openid-configuration") {
      state.requests.discovery += 1;
      return send(response, 200, JSON.stringify(state.discoveryDocument));
    }
    if (request.method !== "POST" || request.url !== "/introspect") return send(response, 404, "{}");
    state.requests.introspection += 1;
    let text = "";
    for await (const chunk of request) text += chunk;
    const body = new URLSearchParams(text);
    state.last.authorization = request.headers.authorization;
    state.last.body = body;
    await state.hold;
    const reply = state.answer(body.get("token") ?? "");
    if ("status" in reply && typeof reply.status === "number" && typeof reply.body === "string") {
      return send(response, reply.status, reply.body);
    }
    send(response, 200, JSON.stringify(reply));
  }

  return state;
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "application/json" }).end(body);
}
