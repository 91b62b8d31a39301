export { authOutcome } from "./auth-outcome";
export * from "./test-issuer";
