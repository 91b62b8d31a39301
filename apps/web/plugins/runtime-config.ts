import type { ServerResponse } from "node:http";
import type { Connect, Plugin } from "vite";
import { CONFIG_PATH, type WebConfig } from "../src/env.ts";

/** Answers `GET /config.json` with the configuration; anything else goes on to the next handler. */
export function configJsonHandler(config: WebConfig): Connect.NextHandleFunction {
  const body = JSON.stringify(config);
  return (request, response: ServerResponse, next) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname !== CONFIG_PATH) return next();
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    // Read at every start-up of the SPA: a restart with other settings must not meet a cached copy.
    response
      .writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
      .end(request.method === "HEAD" ? undefined : body);
  };
}

/**
 * Serves the run-time `/config.json` from `vite` (dev) and `vite preview`, ahead of the static
 * files, with the configuration the server was started with. `vite build` emits no such file.
 */
export function runtimeConfig(config: WebConfig): Plugin {
  return {
    name: "runtime-config",
    configureServer: (server) => void server.middlewares.use(configJsonHandler(config)),
    configurePreviewServer: (server) => void server.middlewares.use(configJsonHandler(config)),
  };
}
