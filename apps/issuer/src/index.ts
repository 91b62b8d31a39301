export { type ClientCredentials, readMachineClient } from "./data-dir";
export {
  ACCESS_TOKEN_FORMATS,
  type AccessTokenFormat,
  DEFAULT_DATA_DIR,
  devIssuerRefusal,
  type IssuerEnv,
  IssuerEnvError,
  parseIssuerEnv,
} from "./env";
export { WEB_CLIENT_ID } from "./provider";
export { type IssuerLogger, type RunningIssuer, type StartIssuerOptions, startIssuer } from "./start-issuer";
