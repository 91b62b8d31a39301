// `pnpm --silent get-token`: prints a fresh access token for the API, and nothing else, to stdout.
//   curl -H "Authorization: Bearer $(pnpm --silent get-token)" http://localhost:3010/api/private
import { getMachineToken } from "./lib/machine-token";
import { loadRootEnv } from "./lib/root-env";

loadRootEnv();

try {
  process.stdout.write(`${await getMachineToken()}\n`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
