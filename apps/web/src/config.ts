import type { WebConfig } from "./env";

// Inlined by vite.config.ts's `define` after src/env.ts validated it at build time.
declare const __WEB_CONFIG__: WebConfig;

/** The build-time configuration: issuer, audience, client id and API URL (see env.ts). */
export const config: WebConfig = __WEB_CONFIG__;
