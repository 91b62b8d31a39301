/**
 * An MCP client built on the official SDK, calling a tool over and over through the load balancer.
 * The API's /mcp is stateless, so each of its requests (initialize, the initialized notification,
 * every tools/call) may land on any replica; each carries an X-Request-Id starting `requestIdPrefix`,
 * so the replicas' logs show which one answered it.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface ToolCallsResult {
  /** HTTP requests the client sent to /mcp. */
  requests: number;
  /** The structured results of the calls, in order. */
  results: unknown[];
}

export async function callToolRepeatedly(options: {
  mcpUrl: string;
  authorization: string;
  tool: string;
  calls: number;
  requestIdPrefix: string;
}): Promise<ToolCallsResult> {
  let requests = 0;
  const transport = new StreamableHTTPClientTransport(new URL(options.mcpUrl), {
    fetch: (input, init) => {
      requests += 1;
      const headers = new Headers(init?.headers);
      headers.set("authorization", options.authorization);
      headers.set("x-request-id", `${options.requestIdPrefix}${requests}`);
      return fetch(input, { ...init, headers });
    },
  });
  const client = new Client({ name: "cluster-test", version: "1.0.0" });
  await client.connect(transport);
  const results: unknown[] = [];
  try {
    for (let call = 0; call < options.calls; call += 1) {
      const result = await client.callTool({ name: options.tool });
      results.push(result.isError ? result : result.structuredContent);
    }
  } finally {
    await client.close();
  }
  return { requests, results };
}
