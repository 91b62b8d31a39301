import { lookup } from "node:dns/promises";
import { EventEmitter } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authorizationAudience, tokenRequestAudience } from "./audience-param";
import { type ClientCredentials, loadOrCreateIntrospectionClient, loadOrCreateSecrets } from "./data-dir";
import { loopbackRegistrationCors } from "./dynamic-registration";
import type { AccessTokenFormat } from "./env";
import { interactionRoutes } from "./interactions";
import { LoginLimiter } from "./login-limiter";
import { alwaysOpenid } from "./openid-sign-in";
import { API_SCOPES, createProvider, ROUTES } from "./provider";

/** Where the issuer reports problems; secrets are never passed to it. */
export type IssuerLogger = Pick<Console, "info" | "warn" | "error">;

/** Options of {@link startIssuer}. */
export interface StartIssuerOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /**
   * Interface to listen on. Default `127.0.0.1`. `localhost` listens on every loopback address
   * `localhost` resolves to (127.0.0.1 and ::1), for browsers that try ::1 first.
   */
  host?: string;
  /**
   * The API's identifier (`aud` of access tokens), or its several identifiers (such as its MCP
   * endpoint's URL): each is a valid `resource`, the first the default. Default `https://quickstarts/api`.
   */
  audience?: string | readonly string[];
  /** Origins of the web app. Default `["http://localhost:3000"]`. */
  webOrigins?: string[];
  /**
   * Origins of the API's docs page, from which the machine client may get a token in a browser.
   * Default none.
   */
  apiOrigins?: string[];
  /** Where keys and secrets are kept across restarts (created if missing, files mode 0600). */
  dataDir: string;
  /**
   * `jwt` (default) or `opaque`: opaque access tokens, with the introspection endpoint turned on for
   * the API's client (its secret kept in `dataDir` like the machine client's).
   */
  accessTokenFormat?: AccessTokenFormat;
  /** Default `console`. */
  logger?: IssuerLogger;
}

/** A running issuer. */
export interface RunningIssuer {
  /** Issuer identifier, with a trailing slash: `http://localhost:<port>/`. */
  url: string;
  port: number;
  /** The demo machine-to-machine client (`quickstart-m2m`), granted `read:messages`. */
  machineClient: ClientCredentials;
  /** In opaque mode, what the API introspects tokens as (`quickstart-api`); otherwise undefined. */
  introspectionClient: ClientCredentials | undefined;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the development OpenID Connect issuer (oidc-provider) on `host:port`.
 *
 * @example
 * const issuer = await startIssuer({ port: 0, dataDir: ".data/issuer" });
 * // fetch(`${issuer.url}oauth/token`, ...)
 * await issuer.close();
 */
export async function startIssuer({
  port = 0,
  host = "127.0.0.1",
  audience = "https://quickstarts/api",
  webOrigins = ["http://localhost:3000"],
  apiOrigins = [],
  dataDir,
  accessTokenFormat = "jwt",
  logger = console,
}: StartIssuerOptions): Promise<RunningIssuer> {
  const secrets = await loadOrCreateSecrets(dataDir);
  const introspectionClient =
    accessTokenFormat === "opaque" ? await loadOrCreateIntrospectionClient(dataDir) : undefined;

  // The issuer identifier contains the port, so listen first and build the provider after.
  let handle: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const addresses = host === "localhost" ? await loopbackAddresses() : [host];
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map(closeServer));
  };
  let actualPort = port;
  try {
    for (const [index, address] of addresses.entries()) {
      const server = createServer((req, res) => handle(req, res));
      const bound = await listen(server, address, actualPort, index > 0);
      if (bound) {
        servers.push(server);
        actualPort = (server.address() as AddressInfo).port;
      }
    }
  } catch (error) {
    await close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw Object.assign(
        new Error(`Port ${port} (issuer) is already in use; set ISSUER_PORT=... or stop the other process`, {
          cause: error,
        }),
        { code: "EADDRINUSE" },
      );
    }
    throw error;
  }

  const url = `http://localhost:${actualPort}/`;
  const audiences = typeof audience === "string" ? [audience] : audience;
  const provider = createProvider({
    issuer: url,
    audiences,
    webOrigins,
    apiOrigins,
    secrets,
    accessTokenFormat,
    introspectionClient,
  });
  provider.use(tokenRequestAudience(ROUTES.token, { defaultScope: API_SCOPES.join(" ") }));
  provider.use(authorizationAudience(ROUTES.authorization));
  provider.use(alwaysOpenid(ROUTES.authorization));
  provider.use(loopbackRegistrationCors(ROUTES.registration));
  provider.use(interactionRoutes({ provider, webOrigins, limiter: new LoginLimiter(), logger }));
  // Log one line, never a stack or a request body; oidc-provider still answers with its JSON error.
  provider.on("server_error", (_ctx, error: Error) => logger.error(`issuer: server error: ${error.message}`));
  // A listener replaces Koa's default handler, which prints stacks. (The typings only list
  // oidc-provider's own events, hence the EventEmitter call.)
  EventEmitter.prototype.on.call(provider, "error", (error: Error) =>
    logger.error(`issuer: ${error.message}`),
  );
  handle = provider.callback();
  logger.info(
    "Sign-in sessions live in memory: restarting the issuer signs everyone out of it. Tokens already issued stay valid until they expire.",
  );

  return { url, port: actualPort, machineClient: secrets.machineClient, introspectionClient, close };
}

async function loopbackAddresses(): Promise<string[]> {
  const found = await lookup("localhost", { all: true });
  const addresses = [...new Set(found.map((entry) => entry.address))];
  return addresses.length ? addresses : ["127.0.0.1"];
}

/** Resolves `false` when an extra address is not available (e.g. IPv6 disabled). */
function listen(server: Server, host: string, port: number, optional: boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (optional && (error.code === "EADDRNOTAVAIL" || error.code === "EAFNOSUPPORT")) resolve(false);
      else reject(error);
    });
    server.listen(port, host, () => resolve(true));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
