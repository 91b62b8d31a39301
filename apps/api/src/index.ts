export { type AppOptions, buildApp } from "./app";
export { MESSAGES } from "./messages";
export type { AppRouter, RouterInputs, RouterOutputs } from "./root";
export { SCOPES, type Scope } from "./scopes";
