import { isPortInUse } from "./wait-for";

/** A port one service of `npm start` wants. */
export interface PortRequest {
  /** For messages: "API", "web app", "issuer". */
  service: string;
  wanted: number;
  /** Whether it may move to the next free port when `wanted` is taken. */
  movable: boolean;
  /** What to change when it cannot move, e.g. "set PORT to a free port". */
  fix: string;
}

/** How many ports after the wanted one are tried before giving up. */
const SEARCH_SPAN = 20;

/**
 * One port per request, in order, never the same twice: the wanted one when it is free, else the
 * next free one for a movable service. A taken port of a service that cannot move is a problem
 * naming what to change; all of them are reported together.
 */
export async function choosePorts(
  requests: readonly PortRequest[],
  inUse: (port: number) => Promise<boolean> = isPortInUse,
): Promise<{ ports: number[]; notes: string[] } | { problems: string[] }> {
  const ports: number[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  const isFree = async (port: number) => !ports.includes(port) && !(await inUse(port));
  for (const { service, wanted, movable, fix } of requests) {
    if (await isFree(wanted)) {
      ports.push(wanted);
      continue;
    }
    let found: number | undefined;
    for (let port = wanted + 1; movable && port <= Math.min(wanted + SEARCH_SPAN, 65535); port++) {
      if (await isFree(port)) {
        found = port;
        break;
      }
    }
    if (found === undefined) {
      problems.push(
        movable
          ? `Ports ${wanted}-${wanted + SEARCH_SPAN} (${service}) are all in use: ${fix}, or stop the other process.`
          : `Port ${wanted} (${service}) is already in use: ${fix}, or stop the other process.`,
      );
      ports.push(wanted);
    } else {
      notes.push(`Port ${wanted} (${service}) is in use: using ${found} instead.`);
      ports.push(found);
    }
  }
  return problems.length > 0 ? { problems } : { ports, notes };
}
