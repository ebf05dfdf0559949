import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { base64url } from "jose";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { requireSession } from "../http/current-session";
import { requireSteppedUp } from "../http/scope";
import { readLimited } from "../http/body";
import { readForm } from "../http/forms";
import { prefersJSON } from "../http/respond";
import { audit } from "../platform/log";
import { nowSeconds } from "../platform/time";
import { enabledSecondFactor } from "../second-factor/second-factor";
import { newChallenge, PasskeyRefused, relyingParty, verifyRegistration } from "../second-factor/passkeys";
import { authenticatorReader } from "../http/page";
import { deletePasskey, insertPasskey, listPasskeys, type PasskeyRecord } from "../second-factor/store";

/** A ceremony's JSON is a few KiB; nothing bigger is one. */
const MAX_JSON_BYTES = 16 * 1024;

/** The JSON body of a ceremony, bounded like a form. */
export async function readJSON(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const bytes = await readLimited(c.req.raw.body, MAX_JSON_BYTES);
  if (!bytes) throw new AuthError(413, "form_too_large", "The request is too large.");
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof body === "object" && body !== null) return body as Record<string, unknown>;
  } catch {
    // below
  }
  throw new AuthError(400, "bad_request", "The request could not be read.");
}

/** How a browser is told which credentials it may use or must not register again. */
export const descriptors = (passkeys: PasskeyRecord[]) =>
  passkeys.map((passkey) => ({ type: "public-key", id: passkey.id, transports: passkey.transports ? passkey.transports.split(",") : [] }));

/**
 * Passkeys belong to the second factor: registering one needs it on (the
 * authenticator app and recovery codes stay), and any change needs it shown
 * lately (a step-up).
 */
async function requireFactorOn(c: Context<AppEnv>) {
  const session = await requireSession(c);
  if (!(await enabledSecondFactor(c, session.userKey))) {
    throw new AuthError(409, "second_factor_off", "Turn on two-step verification with an authenticator app first: passkeys come on top of it.");
  }
  requireSteppedUp(session);
  return session;
}

async function remove(c: Context<AppEnv>) {
  const session = await requireFactorOn(c);
  const id = c.req.param("id") ?? "";
  if (!(await deletePasskey(c.env.DB, id, session.userKey))) throw new AuthError(404, "passkey_not_found", "There is no such passkey among yours.");
  audit("passkey_removed", { user: session.userKey }, c);
  if (prefersJSON(c.req.raw)) return c.json({ removed: id });
  return c.redirect(`${c.var.config.basePath}/security`, 303);
}

/**
 * The Security page's passkeys (src/second-factor/passkeys.ts): options for
 * a new one, registering it, removing one. The browser's cookie pair only
 * (src/app.ts), within 10 minutes of the second factor.
 */
export const passkeyRoutes = new Hono<AppEnv>()
  .post("/passkeys/options", async (c) => {
    const session = await requireFactorOn(c);
    const rp = relyingParty(c.var.origin);
    const challenge = await newChallenge(c.env.DB, "register", session.userKey, nowSeconds());
    return c.json({
      challenge,
      rp: { id: rp.id, name: rp.id },
      user: { id: base64url.encode(session.userKey), name: session.user.login, displayName: session.user.name ?? session.user.login },
      // ES256 first, as most authenticators expect; no RSA.
      pubKeyCredParams: [
        { type: "public-key", alg: -7 },
        { type: "public-key", alg: -8 },
      ],
      timeout: 120_000,
      attestation: "none",
      excludeCredentials: descriptors(await listPasskeys(c.env.DB, session.userKey)),
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    });
  })
  .post("/passkeys", async (c) => {
    const session = await requireFactorOn(c);
    const body = await readJSON(c);
    // 64 characters, not UTF-16 units: a cut never splits one.
    const name = Array.from(typeof body.name === "string" ? body.name.trim() : "").slice(0, 64).join("") || "Passkey";
    let record: Omit<PasskeyRecord, "name">;
    try {
      record = await verifyRegistration(c.env.DB, authenticatorReader(c.env), (body.credential ?? {}) as object, relyingParty(c.var.origin), session.userKey, nowSeconds());
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      audit("passkey_refused", { user: session.userKey, reason: error.message }, c);
      throw new AuthError(400, "passkey_refused", "That passkey could not be checked. Please try again.");
    }
    if (!(await insertPasskey(c.env.DB, { ...record, name }))) throw new AuthError(409, "passkey_exists", "That passkey is registered already.");
    audit("passkey_registered", { user: session.userKey, algorithm: record.algorithm }, c);
    return c.json({ id: record.id, name }, 201);
  })
  .delete("/passkeys/:id", remove)
  // The Security page's forms: `_method=DELETE`, read once the origin check has passed.
  .post("/passkeys/:id", async (c) => {
    const { _method: method } = await readForm(c);
    if (method?.toUpperCase() !== "DELETE") throw new AuthError(405, "method_not_allowed", "To remove a passkey, send DELETE (or a form with _method=DELETE).");
    return remove(c);
  });
