export { type AppOptions, buildApp } from "./app";
export { MESSAGES, READ_MESSAGES } from "./messages";
export type { AppRouter, RouterInputs, RouterOutputs } from "./root";
