import { AuthError, type AuthErrorCode } from "../src/errors";

/**
 * What a verification came to: `"accepted"`, or the quickstart's error code. Anything thrown that
 * is not an AuthError escaped the error mapping, which is a bug: it is rethrown.
 *
 * @example
 * expect(await authOutcome(verifier.verify(token))).toBe("token_expired");
 */
export async function authOutcome(verification: Promise<unknown>): Promise<"accepted" | AuthErrorCode> {
  try {
    await verification;
    return "accepted";
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw new Error(`escaped the error mapping: ${String(error)}`, { cause: error });
  }
}
