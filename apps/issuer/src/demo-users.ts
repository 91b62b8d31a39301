import { createHash, timingSafeEqual } from "node:crypto";

/** A user of the development issuer. */
export interface DemoUser {
  username: string;
  /** Public on purpose: the login page shows it. This issuer is for local development only. */
  password: string;
  name: string;
  /** API permissions this user may be granted (scopes on the API resource). */
  permissions: readonly string[];
}

/** `alice` may read messages; `bob` may sign in but is never granted `read:messages`. */
const DEMO_USERS: readonly DemoUser[] = [
  { username: "alice", password: "wonderland", name: "Alice Liddell", permissions: ["read:messages"] },
  { username: "bob", password: "builder", name: "Bob the Builder", permissions: [] },
];

/** The user with this username, if any. */
export function findDemoUser(username: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.username === username);
}

/** The user whose username and password match, or `undefined`. Compares in constant time. */
export function authenticateDemoUser(username: string, password: string): DemoUser | undefined {
  const user = findDemoUser(username);
  // Hash first so both sides have the same length, and compare even for unknown users.
  const ok = timingSafeEqual(sha256(password), sha256(user?.password ?? "\u0000unknown user"));
  return ok && user ? user : undefined;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The demo users as the login page lists them. */
export const DEMO_USER_HINTS = DEMO_USERS.map((user) => ({
  username: user.username,
  password: user.password,
  note: user.permissions.length ? `granted ${user.permissions.join(", ")}` : "no API permissions",
}));
