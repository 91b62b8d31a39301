// autocannon ships no types; this declares the part of its programmatic API the load worker uses.
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    headers?: Record<string, string>;
  }
  export interface AutocannonResult {
    /** Seconds. */
    duration: number;
    /** Connection errors, timeouts included. */
    errors: number;
    non2xx: number;
    requests: { total: number };
  }
  export interface AutocannonInstance extends EventEmitter {
    on(
      event: "response",
      listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void,
    ): this;
    stop(): void;
  }
  function autocannon(
    options: AutocannonOptions,
    callback: (error: Error | null, result: AutocannonResult) => void,
  ): AutocannonInstance;
  export default autocannon;
}
