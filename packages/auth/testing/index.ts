export { authOutcome } from "./auth-outcome";
export * from "./dpop-key";
export * from "./redis-server";
export * from "./test-certificates";
export * from "./test-introspection-server";
export * from "./test-issuer";
