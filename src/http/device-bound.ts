import type { Context } from "hono";
import { authCookie, cookieName } from "./cookies";
import type { AppEnv } from "../env";
import { newChallenge } from "../session/device-binding";

/**
 * DBSC's headers and the session configuration, as Chromium reads them
 * (docs/dbsc-chromium-150.md): structured-field strings, the refresh path
 * on this origin, the session cookie named with its exact attributes.
 */

const paths = (c: Context<AppEnv>) => ({ register: `${c.var.config.basePath}/dbsc/register`, refresh: `${c.var.config.basePath}/dbsc/refresh` });

/**
 * Offers the browser to bind session `sid` to a key of its own, on the
 * response that starts the session (DEVICE_BOUND_SESSIONS). Browsers that
 * do not speak DBSC ignore the header; those that do register in the
 * background, and the session works unbound until they have.
 */
export async function offerDeviceBinding(c: Context<AppEnv>, sid: string): Promise<void> {
  if (!c.var.config.deviceBound) return;
  const challenge = await newChallenge(c.var.keys, sid, "register");
  c.header("Secure-Session-Registration", `(ES256);path="${paths(c).register}";challenge="${challenge}"`);
}

/** A refresh challenge for `sid`: asked for with a 403, or handed ahead on a 200 (after the one, `after`, just answered) for the next refresh. */
export async function setChallenge(c: Context<AppEnv>, sid: string, after?: number): Promise<void> {
  c.header("Secure-Session-Challenge", `"${await newChallenge(c.var.keys, sid, "refresh", after)}";id="${sid}"`);
}

/**
 * The session configuration a registration (and a refresh) answers: the
 * session id, the refresh path, the scope — this origin, all of it — and
 * the session cookie as the bound credential. Its attributes must be the
 * `Set-Cookie` ones exactly (Max-Age aside), or the browser would refresh
 * on every request.
 */
export function sessionConfig(c: Context<AppEnv>, sid: string) {
  const attributes = authCookie(c, "session", "").split("; ").slice(1).join("; ");
  return {
    session_identifier: sid,
    refresh_url: paths(c).refresh,
    scope: { include_site: false },
    credentials: [{ type: "cookie", name: cookieName(c, "session"), attributes }],
    allowed_refresh_initiators: [],
  };
}

/** A header's value as DBSC sends it: bare, though a structured-field string's quotes are allowed. */
export const bareHeader = (c: Context<AppEnv>, name: string) => c.req.header(name)?.replace(/^"(.*)"$/, "$1");
