export { type ClientCredentials, MACHINE_CLIENT_ID, readMachineClient } from "./data-dir";
export { DEMO_USERS, type DemoUser } from "./demo-users";
export {
  DEFAULT_DATA_DIR,
  devIssuerRefusal,
  type IssuerEnv,
  IssuerEnvError,
  parseIssuerEnv,
} from "./env";
export { API_SCOPES, ROUTES, WEB_CLIENT_ID } from "./provider";
export { type IssuerLogger, type RunningIssuer, type StartIssuerOptions, startIssuer } from "./start-issuer";
