// `pnpm --silent get-token`: prints a fresh access token for the API, and nothing else, to stdout.
//   curl -H "Authorization: Bearer $(pnpm --silent get-token)" http://localhost:3010/api/private
// `pnpm --silent get-token --dpop [--method GET] [--url <API URL>]`: a token bound to a new key (RFC 9449)
// and one proof for that request, as shell assignments; the key stays in this process, so the token
// is useless without a proof, and each proof works once.
//   eval "$(pnpm --silent get-token --dpop)"
//   curl -H "Authorization: DPoP $ACCESS_TOKEN" -H "DPoP: $DPOP_PROOF" http://localhost:3010/api/private
import { parseArgs } from "node:util";
import { apiUrlFromEnv } from "./lib/api-url";
import { createDpopKeyPair, dpopProof, dpopThumbprint } from "./lib/dpop";
import { getMachineToken } from "./lib/machine-token";
import { loadRootEnv } from "./lib/root-env";

loadRootEnv();

try {
  const { values } = parseArgs({
    options: {
      dpop: { type: "boolean", default: false },
      method: { type: "string", default: "GET" },
      url: { type: "string", default: `${apiUrlFromEnv(process.env)}/api/private` },
    },
  });
  if (!values.dpop) {
    process.stdout.write(`${await getMachineToken()}\n`);
  } else {
    if (!URL.canParse(values.url)) throw new Error(`--url must be an absolute URL, not ${values.url}`);
    const key = await createDpopKeyPair();
    const accessToken = await getMachineToken(process.env, { dpop: key });
    const proof = await dpopProof(key, values.method.toUpperCase(), values.url, { accessToken });
    process.stdout.write(
      `ACCESS_TOKEN=${accessToken}\nDPOP_PROOF=${proof}\nDPOP_JKT=${await dpopThumbprint(key)}\n`,
    );
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
