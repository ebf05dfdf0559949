import { checkAllowed } from "../signin/allowlist";
import type { Config } from "../config/config";
import { AuthError } from "../errors";
import type { Keyring } from "../crypto/keys";
import type { Profile } from "../signin/profile";
import type { Provider } from "../providers/types";
import { hashSecret, nextSecrets, type RefreshCookie } from "./refresh-secret";
import { endSession } from "./revocations";
import { open, seal } from "../crypto/seal";
import { cookieMaxAge, sealClaims, toSession, type ProviderToken, type Session, type SessionClaims } from "./session";
import type { SessionDeps } from "./deps";
import { findSession, isLive, rotateSecret, storeProviderRefreshToken, type Rotated, type SessionRecord } from "./store";
import { nowSeconds } from "../platform/time";

/**
 * How long a just-replaced refresh secret is still honoured. Two tabs (or
 * two parallel requests) that renew at once both present the same secret;
 * the loser must not be taken for a thief.
 */
export const GRACE_SECONDS = 30;

/**
 * Whether the refresh cookie's secret is the one D1 holds for its live
 * session (or the one it replaced, within the grace window) — proof that
 * this is the browser the session was given to, not someone holding only
 * the sealed session. Null when there is no live session to ask about.
 * One D1 read: for routes that act, never on the hot path.
 */
export async function holdsRefreshSecret(db: D1Database, keys: Keyring, refresh: RefreshCookie, now = nowSeconds()): Promise<boolean | null> {
  const record = await findSession(db, refresh.sid);
  return isLive(record, now) ? holdsSecret(record, await hashSecret(keys, refresh.secret), now) : null;
}

/** Whether `presented` (a refresh secret's hashes) is the record's secret, or the one it replaced within the grace window. */
export const holdsSecret = (record: SessionRecord, presented: string[], now: number) =>
  presented.includes(record.secret_hash) ||
  (record.previous_secret_hash !== null && presented.includes(record.previous_secret_hash) && record.rotated_at !== null && now - record.rotated_at <= GRACE_SECONDS);

/** Renew the provider's access token this long before it expires. */
const PROVIDER_TOKEN_MARGIN = 60;

/**
 * Whether a live session cookie's provider token must be renewed before it
 * is handed out (see `getProviderToken`): it is within the margin of
 * expiring, and the cookie was sealed before that. A cookie sealed later
 * comes from a renewal that already asked the provider (which was down, or
 * holds no refresh token for it), and its next regular renewal asks again:
 * so this costs at most one early renewal per provider token.
 */
export function providerTokenStale({ pax, iat = 0 }: SessionClaims & { iat?: number }, now = nowSeconds()): boolean {
  return pax !== null && iat < pax - PROVIDER_TOKEN_MARGIN && pax - PROVIDER_TOKEN_MARGIN <= now;
}

/** Claims for a new session cookie, without the old token's iat/exp, ending when the record says the session ends. */
const carryOver = (claims: SessionClaims, record: { expires_at: number; idle_expires_at: number }, token?: { pat: string; pax: number | null }): SessionClaims & { end: number } => ({
  sid: claims.sid,
  sub: claims.sub,
  prv: claims.prv,
  usr: claims.usr,
  pat: token?.pat ?? claims.pat,
  pax: token ? token.pax : claims.pax,
  rem: claims.rem,
  ath: claims.ath,
  org: claims.org,
  amr: claims.amr,
  sfa: claims.sfa,
  cnf: claims.cnf,
  end: Math.min(record.expires_at, record.idle_expires_at),
});

/**
 * What a renewal comes to. Renewed: the session, and what the browser must
 * be given — a new session token (null: keep the one it has) and refresh
 * secret (null: keep its own) for cookies living `maxAge`. Ended: the
 * browser is signed out.
 */
export type Renewal =
  | { status: "renewed"; session: Session; token: string | null; secret: string | null; maxAge: number | undefined }
  | { status: "ended" };

const ENDED: Renewal = { status: "ended" };

/**
 * Renews the provider's access token when it has expired and a refresh
 * token is stored. "ended" when the provider refused (the session is over);
 * null when there was nothing to do or the provider could not be reached
 * (the old token is kept and renewal is tried again next time).
 */
async function renewProviderToken(deps: SessionDeps, claims: SessionClaims, row: Rotated, secretHash: string, now: number) {
  if (claims.pax === null || claims.pax > now + PROVIDER_TOKEN_MARGIN || !row.provider_refresh_token) return null;
  const { config, keys } = deps;
  const provider = config.providers.get(row.provider);
  const stored = await open<{ rt: string }>(keys, "provider-token", row.provider_refresh_token);
  if (!provider?.refresh || stored.status !== "valid") return null;
  const fields = { sessionId: claims.sid, user: claims.sub, provider: row.provider };
  try {
    const tokens = await provider.refresh(stored.claims.rt);
    let kept = true;
    if (tokens.refreshToken) {
      const sealed = await seal(keys, "provider-token", { rt: tokens.refreshToken }, Math.max(60, row.expires_at - now));
      // The provider has spent the old refresh token: whatever happens to
      // the new one, the new access token is the only good one left.
      kept = await storeProviderRefreshToken(deps.db, claims.sid, secretHash, sealed).then(() => true, () => false);
    }
    deps.audit("provider_refresh", { ...fields, kept });
    return { pat: tokens.accessToken, pax: tokens.accessTokenExpiresAt };
  } catch (error) {
    const refused = error instanceof AuthError && error.code === "provider_rejected_grant";
    deps.audit("provider_refresh_failed", { ...fields, reason: error instanceof AuthError ? error.code : "unknown", refused });
    if (!refused) return null;
    await endSession(deps, claims.sid, { kind: "provider_refresh_failed", by: "system" });
    return "ended" as const;
  }
}

/** Whether someone is still allowed, asked again at renewal; "unknown" when the provider could not say. */
type Recheck = { status: "allowed" } | { status: "refused"; reason: string } | { status: "unknown"; reason: string };

const admitted = (config: Config, provider: Provider, profile: Profile) => {
  try {
    checkAllowed(config, provider, profile);
    return true;
  } catch (error) {
    if (error instanceof AuthError && error.code === "not_allowed") return false;
    throw error;
  }
};

/**
 * Re-applies the allow-lists when they hang on something that can change
 * at the provider while a session lives (GitHub organisation membership).
 * Someone another list admits costs no call. A provider that cannot answer
 * leaves the session be until the next renewal asks again; one that no
 * longer accepts the token is a refusal, or revoking the app would dodge
 * the check.
 */
async function recheckAllowed(config: Config, provider: Provider | undefined, profile: Profile, token: ProviderToken, now: number): Promise<Recheck> {
  if (!provider?.orgs || admitted(config, provider, profile)) return { status: "allowed" };
  // Its renewal just failed (logged as such): the provider's 401 would say nothing about membership.
  if (token.expiresAt !== null && token.expiresAt <= now) return { status: "unknown", reason: "provider_token_expired" };
  let orgs: string[];
  try {
    orgs = await provider.orgs(token.accessToken);
  } catch (error) {
    const reason = error instanceof AuthError ? error.code : "unknown";
    return reason === "provider_token_rejected" ? { status: "refused", reason } : { status: "unknown", reason };
  }
  return admitted(config, provider, { ...profile, orgs }) ? { status: "allowed" } : { status: "refused", reason: "not_allowed" };
}

/**
 * Silent renewal: rotates the refresh secret with one conditional D1
 * statement and seals a new session token. When the statement changes
 * nothing, the record says why: a secret replaced within the grace window
 * (another tab won the race, or this browser lost the answer) is handed its
 * successor again; one replaced earlier is reuse — the session is revoked.
 * Rate limiting is the caller's: this never refuses for load.
 */
export async function renewSession(deps: SessionDeps, claims: SessionClaims & { exp?: number }, refresh: RefreshCookie): Promise<Renewal> {
  const { config, keys } = deps;
  const now = deps.now();
  const presented = await hashSecret(keys, refresh.secret);
  const next = (await nextSecrets(keys, claims.sid, refresh.secret))[0]!;
  const nextHash = (await hashSecret(keys, next))[0]!;
  const row = await rotateSecret(deps.db, { id: claims.sid, presented, next: nextHash, now, idleTtl: config.idleTtl });
  if (!row) return afterLostRotation(deps, claims, refresh, presented, now);
  const carried = await carryOn(deps, claims, row, nextHash, now);
  if (!carried) return ENDED;
  const sealed = await sealClaims(deps, carried);
  deps.audit("session_renewed", { sessionId: claims.sid, user: claims.sub });
  return { status: "renewed", ...sealed, secret: next, maxAge: cookieMaxAge(row.remember === 1, row.expires_at, now) };
}

/**
 * What a renewal (or a device-bound refresh) does once its statement
 * allowed it: the provider's access token renewed when due, the
 * allow-lists asked again. The claims the new cookie carries, or null when
 * the session is over. `secretHash`: the refresh secret the row holds now.
 */
export async function carryOn(deps: SessionDeps, claims: SessionClaims, row: Rotated, secretHash: string, now: number): Promise<(SessionClaims & { end: number }) | null> {
  const { config } = deps;
  const token = await renewProviderToken(deps, claims, row, secretHash, now);
  if (token === "ended") return null;
  const current = { accessToken: token?.pat ?? claims.pat, expiresAt: token ? token.pax : claims.pax };
  const fields = { sessionId: claims.sid, user: claims.sub, provider: claims.prv };
  const allowed = await recheckAllowed(config, config.providers.get(claims.prv), claims.usr, current, now);
  if (allowed.status === "unknown") deps.audit("allowlist_recheck_failed", { ...fields, reason: allowed.reason });
  // An app origin's session holds a copy of the provider token it cannot
  // refresh: past it, only AUTH_URL's session can ask again, and hand off anew.
  if (allowed.status === "unknown" && claims.org) return null;
  if (allowed.status === "refused") {
    deps.audit("signin_refused", { ...fields, reason: allowed.reason });
    await endSession(deps, claims.sid, { kind: "not_allowed", by: "system", accessToken: current.accessToken });
    return null;
  }
  return carryOver(claims, row, token ?? undefined);
}

/** How many rotations back a presented secret is still recognised as this session's own. */
const ANCESTRY = 8;

/**
 * Whether `secret` is an earlier secret of this session than the previous
 * one: following its successors reaches the record's. Someone renewing
 * with a copy more than once leaves the owner holding such a secret, which
 * is reuse, not a stranger's guess.
 */
async function isAncestor(keys: Keyring, sid: string, secret: string, known: (string | null)[]): Promise<boolean> {
  const chains = await nextSecrets(keys, sid, secret);
  for (let step = 0; step < ANCESTRY; step++) {
    for (let i = 0; i < chains.length; i++) {
      if ((await hashSecret(keys, chains[i]!)).some((hash) => known.includes(hash))) return true;
      chains[i] = (await nextSecrets(keys, sid, chains[i]!))[i]!;
    }
  }
  return false;
}

async function afterLostRotation(deps: SessionDeps, claims: SessionClaims & { exp?: number }, refresh: RefreshCookie, presented: string[], now: number): Promise<Renewal> {
  const { keys } = deps;
  const record = await findSession(deps.db, claims.sid);
  if (!isLive(record, now)) return ENDED;
  if (record.bound) {
    // Bound itself, its cookie renews by the device's proof alone: a
    // refresh cookie presented for it comes from a copied cookie jar (or a
    // browser whose registration answer was lost). Of a bound family only —
    // an app origin's session handed off before its sign-in was bound — it
    // is simply over here, and handed off anew. Signed out here either way;
    // the session lives on.
    if (record.device_key) deps.audit("device_bound_refused", { sessionId: claims.sid, user: claims.sub, reason: "refresh_cookie" });
    return ENDED;
  }
  const previous = record.previous_secret_hash !== null && presented.includes(record.previous_secret_hash);
  if (previous && record.rotated_at !== null && now - record.rotated_at <= GRACE_SECONDS) {
    // Another request rotated moments ago: a tab that won the race, or this
    // browser's own renewal whose response never arrived. Either way the
    // secret that replaced this one is its successor (under whichever key
    // was newest then); handing it over again keeps a browser that lost the
    // response from being taken for a thief at its next renewal, and the
    // racing tab already holds the same value.
    let secret: string | null = null;
    for (const next of await nextSecrets(keys, claims.sid, refresh.secret)) {
      if ((await hashSecret(keys, next)).includes(record.secret_hash)) secret = next;
    }
    const maxAge = cookieMaxAge(record.remember === 1, record.expires_at, now);
    // A session token still good stays as it is: a new one sealed from it
    // would look fresher than the winner's and could replace it, bringing
    // back a provider token the winner renewed.
    if (claims.exp !== undefined && claims.exp > now) return { status: "renewed", session: toSession(claims, claims.exp), token: null, secret, maxAge };
    return { status: "renewed", ...(await sealClaims(deps, carryOver(claims, record))), secret, maxAge };
  }
  if (!previous && !(await isAncestor(keys, claims.sid, refresh.secret, [record.previous_secret_hash, record.secret_hash]))) return ENDED;
  deps.audit("refresh_reuse", { sessionId: claims.sid, user: claims.sub, reason: previous ? "previous refresh secret presented after the grace window" : "an older refresh secret presented" });
  await endSession(deps, claims.sid, { kind: "refresh_reuse", by: "system" });
  return ENDED;
}
