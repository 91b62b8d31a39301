export { authOutcome } from "./auth-outcome";
export * from "./test-certificates";
export * from "./test-issuer";
