/**
 * The MCP endpoint (`/mcp`, Streamable HTTP, stateless): every procedure whose meta has `mcp` is a
 * tool. Each request gets its own SDK server and transport, so any replica answers any request and
 * no session is kept. Every request needs a valid access token; a tool call runs the procedure
 * through tRPC's server-side caller like the REST mirrors, and an authentication or scope refusal
 * from it becomes the HTTP answer (401 or 403 with its challenge), as the MCP authorization spec
 * wants, through the same AuthError mapping as REST and tRPC.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type AuthError,
  authErrorResponse,
  type ChallengeOptions,
  isLoopback,
  toAuthError,
} from "@quickstart/auth";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { describeInvalidInput, findAuthError, logRefusal } from "./http-errors";
import {
  abortWhenClientLeaves,
  createProcedureCall,
  jsonSchemaOf,
  listProcedures,
  type ProcedureCall,
  type ProceduresOptions,
} from "./procedures";
import type { ContextInner, Meta } from "./trpc";

export const MCP_PATH = "/mcp";

/** The procedures served are those with `meta.mcp`. */
export interface McpOptions extends ProceduresOptions {
  /** The challenges of `/mcp`'s refusals: `resource_metadata` names its own metadata document. */
  challenges: () => ChallengeOptions;
  /** Whether a browser request from this `Origin` may use the endpoint (see {@link createOriginCheck}). */
  isAllowedOrigin: (origin: string) => boolean;
}

/** JSON-RPC 2.0 error codes: the spec's, and the server-defined one the SDK uses for HTTP refusals. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const SERVER_ERROR = -32000;

/** A tool: a procedure with `meta.mcp`, its MCP definition and where to call it. */
interface McpTool {
  path: string;
  meta: Meta;
  definition: Tool;
  call: ProcedureCall;
}

/** What each tool's description says about its scopes, so that an agent knows what to ask for. */
function describeScopes(scopes: Meta["scopes"]): string {
  if (scopes === undefined) return "Needs no scope.";
  if (scopes.length === 0) return "Needs a valid access token and no scope.";
  return `Needs the scope${scopes.length > 1 ? "s" : ""} ${scopes.join(" ")}.`;
}

/** The app's tools, from the procedures that opt in. Their JSON Schemas come from the procedures' zod schemas. */
function listTools(procedures: TRPCRouterRecord, callAt: (path: string) => ProcedureCall): McpTool[] {
  return listProcedures(procedures).flatMap(({ path, meta }) => {
    if (!meta.mcp) return [];
    const inputSchema = meta.input ? jsonSchemaOf(meta.input, "input") : { type: "object" };
    if (inputSchema.type !== "object") {
      throw new Error(
        `${path}: an MCP tool takes its arguments as an object, so its input must be a z.object`,
      );
    }
    // MCP's structured results are objects; any other output is given as text only.
    const outputSchema = meta.output ? jsonSchemaOf(meta.output, "output") : undefined;
    const definition: Tool = {
      name: path,
      ...(meta.summary ? { title: meta.summary } : {}),
      description: `${meta.mcp.description} ${describeScopes(meta.scopes)}`,
      inputSchema: inputSchema as Tool["inputSchema"],
      ...(outputSchema?.type === "object" ? { outputSchema: outputSchema as Tool["outputSchema"] } : {}),
    };
    return [{ path, meta, definition, call: callAt(path) }];
  });
}

/** A tool's answer: its output as structured content (when it is an object) and as JSON text. */
function toolResult(tool: McpTool, output: unknown): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(output) }],
    ...(tool.definition.outputSchema ? { structuredContent: output as Record<string, unknown> } : {}),
  };
}

/** A failed call as a tool error the agent can read and correct (MCP tool errors are results, not protocol errors). */
function toolError(error: unknown, onInternalError: (error: unknown) => void): CallToolResult {
  if (!(error instanceof TRPCError) || error.code === "INTERNAL_SERVER_ERROR") {
    onInternalError(error);
    return { isError: true, content: [{ type: "text", text: "Internal server error" }] };
  }
  const text = describeInvalidInput(error) ?? error.message;
  return { isError: true, content: [{ type: "text", text }] };
}

/**
 * One request's MCP server: lists the tools and calls one with the request's context. An AuthError
 * from the procedure goes to `onRefused` (the route answers it over HTTP) instead of into the result.
 */
function createMcpServer(
  tools: Map<string, McpTool>,
  definitions: Tool[],
  call: (tool: McpTool, input: unknown) => Promise<unknown>,
  onRefused: (error: AuthError) => void,
  onInternalError: (error: unknown) => void,
): Server {
  // The low-level Server rather than McpServer: the procedures validate their own input, after
  // authentication and the scope check, and their JSON Schemas come from their zod schemas.
  const server = new Server({ name: "quickstart-api", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: definitions }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
    const tool = tools.get(params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    try {
      // A missing arguments object is an empty one, so the input error names each missing field.
      const output = await call(tool, tool.meta.input ? (params.arguments ?? {}) : undefined);
      return toolResult(tool, output);
    } catch (error) {
      const authError = findAuthError(error);
      if (!authError) return toolError(error, onInternalError);
      onRefused(authError);
      throw new McpError(SERVER_ERROR, authError.description);
    }
  });
  return server;
}

/** The request headers the SDK's transport reads; never Authorization, DPoP or cookies. */
const TRANSPORT_HEADERS = ["accept", "content-type", "mcp-protocol-version", "mcp-session-id"] as const;

/**
 * The request as the SDK's web-standard transport takes it, its body already parsed. Its URL only
 * fills the handlers' request info, which the tools do not read.
 */
function toWebRequest(headers: IncomingHttpHeaders): Request {
  const forwarded = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = headers[name];
    if (typeof value === "string") forwarded.set(name, value);
  }
  return new Request(`http://localhost${MCP_PATH}`, { method: "POST", headers: forwarded });
}

function sendJsonRpcError(
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
  { id = null, data }: { id?: string | number | null; data?: unknown } = {},
) {
  return reply
    .status(status)
    .type("application/json")
    .send({ jsonrpc: "2.0", id, error: { code, message, ...(data === undefined ? {} : { data }) } });
}

/** The JSON-RPC id of a request body, when it has a usable one. */
function requestId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

export const mcpEndpoint: FastifyPluginAsync<McpOptions> = async (app, options) => {
  const callAt = createProcedureCall(options.router);
  const tools = new Map(listTools(options.procedures, callAt).map((tool) => [tool.definition.name, tool]));
  // The same for every request: listed once, not per tools/list.
  const definitions = [...tools.values()].map((tool) => tool.definition);
  // Each request's context, made (and its token verified) once, before its body is read.
  const contexts = new WeakMap<FastifyRequest, ContextInner>();

  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: AuthError,
    id: string | number | null,
  ) => {
    logRefusal(request.log, error);
    const { status, headers, body } = authErrorResponse(error, options.challenges());
    return sendJsonRpcError(reply.headers(headers), status, SERVER_ERROR, body.description, {
      id,
      data: body,
    });
  };

  // Bodies Fastify cannot read (not JSON, too large, of another media type) get JSON-RPC errors.
  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, "MCP request failed");
      return sendJsonRpcError(reply, 500, ErrorCode.InternalError, "Internal error");
    }
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
      return sendJsonRpcError(reply, 400, PARSE_ERROR, "Parse error: the body is not JSON");
    }
    // As the SDK's transport answers what it refuses over HTTP (media type, size): -32000.
    return sendJsonRpcError(reply, status, SERVER_ERROR, (error as Error).message);
  });

  // The transport spec's guard against DNS rebinding, then authentication, before the body is read.
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !options.isAllowedOrigin(origin)) {
      request.log.info({ origin }, "MCP request refused: Origin not allowed");
      return sendJsonRpcError(reply, 403, SERVER_ERROR, "Forbidden: Origin not allowed");
    }
    const context = options.createContext({ req: request.raw });
    try {
      await context.authenticate();
    } catch (error) {
      // Counted here, as no procedure will run; a tool call's own decision is counted by its procedure.
      const authError = toAuthError(error);
      context.decisions?.refused(authError.code);
      return refuse(request, reply, authError, null);
    }
    contexts.set(request, context);
  });

  // Stateless: there is no session to resume (GET) or end (DELETE).
  app.route({
    method: ["GET", "DELETE"],
    url: MCP_PATH,
    handler: (_request, reply) =>
      sendJsonRpcError(reply.header("allow", "POST"), 405, SERVER_ERROR, "Method not allowed: POST only"),
  });

  app.post(MCP_PATH, async (request, reply) => {
    const body = request.body;
    // Batches were removed from MCP in its 2025-06-18 revision.
    if (Array.isArray(body)) {
      return sendJsonRpcError(reply, 400, INVALID_REQUEST, "Invalid Request: batches are not supported");
    }
    const context = contexts.get(request) as ContextInner;
    const signal = abortWhenClientLeaves(reply.raw);
    let refusal: AuthError | undefined;
    const server = createMcpServer(
      tools,
      definitions,
      (tool, input) => tool.call(context, input, signal),
      (error) => {
        refusal = error;
      },
      (error) => request.log.error({ err: error }, "MCP tool failed"),
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(toWebRequest(request.headers), {
        parsedBody: body,
      });
      if (refusal) return refuse(request, reply, refusal, requestId(body));
      const contentType = response.headers.get("content-type");
      if (contentType) reply.type(contentType);
      return reply.status(response.status).send(response.status === 202 ? undefined : await response.text());
    } finally {
      await server.close();
    }
  });
};

/**
 * Which browser origins may use `/mcp` (the transport spec's guard against DNS rebinding; requests
 * without an Origin header, from programs rather than pages, always may): the API's own origin, and
 * CORS_ORIGINS when it lists origins, or any loopback origin when it is `*`.
 */
export function createOriginCheck(corsOrigins: "*" | string[], publicUrl: () => string) {
  return (origin: string): boolean => {
    if (origin === new URL(publicUrl()).origin) return true;
    if (corsOrigins !== "*") return corsOrigins.includes(origin);
    const url = URL.parse(origin);
    return url !== null && /^https?:$/.test(url.protocol) && isLoopback(url.hostname);
  };
}
