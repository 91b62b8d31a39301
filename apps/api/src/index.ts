export { type AppOptions, buildApp } from "./app";
export { MESSAGES } from "./messages";
export { type AppRouter, appRouter, type RouterInputs, type RouterOutputs } from "./root";
export { SCOPES, type Scope } from "./scopes";
export { type ContextInner, createCallerFactory, createContextInner } from "./trpc";
