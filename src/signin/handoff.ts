/**
 * One sign-in across app origins (APP_ORIGINS). Providers only ever send
 * people back to AUTH_URL, so an app origin's sign-in goes there and comes
 * back with a one-time code:
 *
 *   app:  /auth/signin → a secret in the app's `auth.handoff` cookie, and on
 *         to AUTH_URL with `app` and `h` (the secret's SHA-256)
 *   AUTH_URL: a session there (a provider trip, or the one it already has),
 *         then a code bound to `app`, `h` and that session → app /auth/handoff
 *   app:  /auth/handoff?code= — with the secret from its cookie — redeems the
 *         code once, within 60 s, into a session of the app origin's own.
 *
 * A code injected into someone else's browser, or read off a log, is
 * useless without the secret that browser's own start put in its cookie.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { servesApp } from "../config/app-origins";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "../http/cookies";
import { startSession } from "../http/current-session";
import { safeRedirect } from "../http/redirects";
import { randomToken } from "../crypto/random";
import { sha256 } from "../crypto/digest";
import { open, seal } from "../crypto/seal";
import { run } from "../platform/d1";
import { audit } from "../platform/log";
import { nowSeconds } from "../platform/time";
import type { Profile } from "./profile";
import type { Session } from "../session/session";
import { CHALLENGE_TTL as REGISTRATION_WINDOW } from "../session/device-binding";

/** The app a sign-in at AUTH_URL is for: its origin, and the hash of the secret its browser holds. */
export interface AppSignIn {
  origin: string;
  hash: string;
}

/** A code is good this long: one redirect's worth. */
const CODE_TTL = 60;
/** The browser's secret waits this long for its code: a sign-in with a provider and a second factor, as the flow cookie. */
const SECRET_TTL = 600;

const invalidApp = () => new AuthError(400, "invalid_app", "This sign-in is for an app this worker does not serve.");
const invalidCode = () =>
  new AuthError(400, "handoff_invalid", "This sign-in link was already used, has expired, or was started in another browser. Please sign in again.");

/**
 * On an app origin, instead of a sign-in page or a provider: a secret for
 * this browser, and the same request at AUTH_URL naming this app.
 */
export async function signInAtAuthOrigin(c: Context<AppEnv>, path: string, redirectTo: string | undefined): Promise<Response> {
  const { config } = c.var;
  const secret = randomToken(32);
  setAuthCookie(c, "handoff", secret, SECRET_TTL);
  const url = new URL(`${config.authOrigin}${config.basePath}${path}`);
  url.searchParams.set("app", c.var.origin);
  url.searchParams.set("h", await sha256(secret));
  url.searchParams.set("redirect_to", safeRedirect(redirectTo, c.var.origin, config.allowedOrigins));
  if (c.req.query("remember") === "1") url.searchParams.set("remember", "1");
  return c.redirect(url.toString(), 302);
}

/** At AUTH_URL: the app a sign-in start names (`app`, `h`), or null for the worker's own; one that is not an app origin is refused. */
export function appSignIn(c: Context<AppEnv>): AppSignIn | null {
  const origin = c.req.query("app");
  if (origin === undefined) return null;
  const hash = c.req.query("h") ?? "";
  if (c.var.onApp || !servesApp(c.var.config, origin) || !/^[\w-]{43}$/.test(hash)) throw invalidApp();
  return { origin, hash };
}

/** What the app origin's session is made of: the session at AUTH_URL's, sealed in the code's row. */
interface Handed {
  prv: string;
  usr: Profile;
  pat: string;
  pax: number | null;
  rem: boolean;
  ath: number;
  rt: string;
  /** When the cookie it was handed off with expires (not `exp`: that is the seal's own). */
  until: number;
  /**
   * Handed off while the sign-in's binding may still come (within its
   * registration challenge's lifetime): Chromium registers moments after the
   * sign-in's answer, often after it has followed the redirect here.
   */
  young?: boolean;
}

/**
 * At AUTH_URL, with the session someone has there: a one-time code for the
 * app, and where to take it. Nothing from this session's cookies travels
 * but the identity, the provider's access token and `redirectTo` (a path
 * on the app), sealed in D1, never in the URL.
 */
export async function handOff(c: Context<AppEnv>, session: Session, app: AppSignIn, redirectTo: string): Promise<string> {
  const code = randomToken(32);
  const now = nowSeconds();
  const token = session.providerToken ?? { accessToken: "", expiresAt: 0 };
  const handed: Handed = { prv: session.provider, usr: session.user, pat: token.accessToken, pax: token.expiresAt, rem: session.remember, ath: session.signedInAt, rt: redirectTo, until: session.expiresAt };
  if (!session.boundKey && c.var.config.deviceBound && now - session.signedInAt < REGISTRATION_WINDOW) handed.young = true;
  const payload = await seal(c.var.keys, "handoff", { ...handed }, CODE_TTL);
  const codeHash = await sha256(code);
  await run(() =>
    c.env.DB.prepare("INSERT INTO handoffs (code_hash, session_id, app_origin, browser_hash, payload, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(codeHash, session.id, app.origin, app.hash, payload, now + CODE_TTL)
      .run(),
  );
  audit("handoff", { sessionId: session.id, user: session.userKey, reason: app.origin }, c);
  return `${app.origin}${c.var.config.basePath}/handoff?code=${code}`;
}

/** Deletes up to `batch` codes past their minute (used or not), for the cleanup run. */
export async function deleteExpiredHandoffs(db: D1Database, now: number, batch: number): Promise<number> {
  const result = await run(() => db.prepare("DELETE FROM handoffs WHERE rowid IN (SELECT rowid FROM handoffs WHERE expires_at <= ?1 LIMIT ?2)").bind(now, batch).run());
  return result.meta.changes;
}

/**
 * On the app origin: the code — once, within its 60 s, for this origin,
 * with this browser's secret, while the session that handed it off lives;
 * all in one conditional statement — becomes a session of this origin's
 * own, in that session's family and never outliving it. Answers where to
 * go next. A code is spent the first time it is shown on its origin, right
 * or wrong: one minted for a victim's session on an attacker's secret is
 * dead once the victim's browser, lacking that secret, has shown it.
 */
export async function redeemHandoff(c: Context<AppEnv>, code: string | undefined): Promise<string> {
  const secret = readAuthCookie(c, "handoff");
  if (!c.var.onApp || !code || code.length > 64) throw invalidCode();
  const now = nowSeconds();
  // No secret matches nothing, and still spends the code.
  const [codeHash, secretHash] = await Promise.all([sha256(code), secret ? sha256(secret) : ""]);
  const row = await run(() =>
    c.env.DB.prepare(
      `UPDATE handoffs SET used_at = ?1 WHERE code_hash = ?2 AND used_at IS NULL AND app_origin = ?3
        RETURNING payload, browser_hash = ?4 AND ?1 < expires_at AS ok,
          (SELECT coalesce(s.family, s.id) FROM sessions s WHERE s.id = handoffs.session_id AND s.revoked_at IS NULL AND ?1 < s.expires_at AND ?1 < s.idle_expires_at) AS family,
          (SELECT s.expires_at FROM sessions s WHERE s.id = handoffs.session_id) AS ends_at,
          (SELECT s.device_key_thumbprint FROM sessions s WHERE s.id = handoffs.session_id) AS bound_key`,
    )
      .bind(now, codeHash, c.var.origin, secretHash)
      .first<{ payload: string; ok: number; family: string | null; ends_at: number; bound_key: string | null }>(),
  );
  const opened = row?.ok ? await open<Handed>(c.var.keys, "handoff", row.payload) : null;
  if (!row?.family || opened?.status !== "valid") {
    audit("handoff_refused", { reason: c.var.origin }, c);
    throw invalidCode();
  }
  const handed = opened.claims;
  // Bound as D1 has it now, whatever the cookie it was handed off with said (one from before its binding, copied).
  const boundKey = row.bound_key;
  clearAuthCookie(c, "handoff");
  const session = await startSession(c, {
    provider: handed.prv,
    profile: handed.usr,
    // The provider's refresh token stays with the session at AUTH_URL: two holders would spend it twice.
    tokens: { accessToken: handed.pat, accessTokenExpiresAt: handed.pax, refreshToken: null },
    remember: handed.rem,
    signedInAt: handed.ath,
    family: row.family,
    // From a bound session, no later than the cookie it was handed off with: a copied one in its last seconds buys no more.
    endsBy: boundKey ? Math.min(row.ends_at, handed.until) : row.ends_at,
    boundKey,
    short: handed.young,
  });
  audit("signin", { sessionId: session.id, user: session.userKey, provider: session.provider, reason: "handoff" }, c);
  return safeRedirect(handed.rt, c.var.origin, c.var.config.allowedOrigins);
}
