/** The pino fields of a JSON log line that our one-line request summary reads or hides. */
interface LogEntry {
  level: number;
  time: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  code?: string;
  [field: string]: unknown;
}

/** Fields every refusal line has; any other field (what was expected, what was found) is shown. */
const REFUSAL_FIELDS = new Set(["level", "time", "pid", "hostname", "reqId", "msg", "code", "status"]);

/**
 * The API's log destination under `npm start` and `pnpm dev` (`LOG_FORMAT=pretty`). Fastify logs
 * three JSON lines per request ("incoming request", "request refused", "request completed"); this
 * turns them into one, `GET /api/private 401 3 ms authorization_header_missing`, and passes every
 * other line through pino-pretty.
 *
 * @example
 * buildApp({ verifier, logger: { level: "info", stream: await createPrettyLogStream() } });
 */
export async function createPrettyLogStream(
  output: (text: string) => void = (text) => process.stdout.write(text),
) {
  // Loaded only here: JSON logging (`pnpm start:api`, containers) does not pay for it at start-up.
  const { prettyFactory } = await import("pino-pretty");
  const prettify = prettyFactory({
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname,reqId",
    singleLine: true,
  });
  /** Requests seen but not completed yet, by request id. */
  const pending = new Map<string, { method: string; url: string; refusal?: string }>();

  return {
    write(line: string) {
      const entry = JSON.parse(line) as LogEntry;
      const request = entry.reqId === undefined ? undefined : pending.get(entry.reqId);
      if (entry.msg === "incoming request" && entry.reqId !== undefined) {
        pending.set(entry.reqId, { method: entry.req?.method ?? "?", url: entry.req?.url ?? "?" });
      } else if (entry.msg === "request refused" && request) {
        // What was expected and found (`detail`), and any other field, after the code.
        const details = Object.entries(entry)
          .filter(([field]) => !REFUSAL_FIELDS.has(field))
          .map(([field, value]) =>
            field === "detail" && typeof value === "string"
              ? `(${value})`
              : `${field}=${typeof value === "string" ? value : JSON.stringify(value)}`,
          );
        request.refusal = [entry.code, ...details].filter(Boolean).join(" ");
      } else if (entry.msg === "request completed" && request && entry.reqId !== undefined) {
        pending.delete(entry.reqId);
        const ms = entry.responseTime === undefined ? "?" : Math.round(entry.responseTime);
        const summary = [request.method, request.url, entry.res?.statusCode, `${ms} ms`, request.refusal];
        output(prettify({ level: entry.level, time: entry.time, msg: summary.filter(Boolean).join(" ") }));
      } else {
        output(prettify(entry));
      }
    },
  };
}
