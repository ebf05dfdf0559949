import { run } from "../platform/d1";
import { AuthError } from "../errors";
import { getKeyring, Keyring, type KeyPurpose } from "../crypto/keys";
import { audit } from "../platform/log";
import { randomToken } from "../crypto/random";
import { open, seal } from "../crypto/seal";
import { legacySecondFactors, resealSecondFactor } from "./store";

/**
 * The second factor's data key (migrations/0004_data_key.sql): TOTP keys and
 * recovery codes are stored for as long as the user keeps them, longer than
 * any one AUTH_SECRET. So they are sealed and hashed under a random key kept
 * in D1, itself sealed under AUTH_SECRET's `data-key` key; a rotation
 * re-wraps that one row. A leak of D1 alone still reveals nothing.
 *
 * ```ts
 * const keys = await dataKeyring(env.DB, config.secrets);
 * const sealed = await seal(keys, "totp", { k }, LONG_LIVED); // under the data key
 * const [stored] = await keys.hash("recovery", code);         // matched later against every key
 * ```
 */

/** For data that lives as long as its row: its `exp` is never what ends it. */
export const LONG_LIVED = 100 * 365 * 86_400;

const keyrings = new Map<string, Promise<Keyring>>();

/**
 * A keyring whose newest key is the data key, followed by AUTH_SECRET's
 * own: data sealed or hashed before the data key existed still opens and
 * matches. One D1 read per isolate and AUTH_SECRET, not per request; a
 * failure is not remembered.
 */
export function dataKeyring(db: D1Database, secrets: string[]): Promise<Keyring> {
  const id = secrets.join("\n");
  let keys = keyrings.get(id);
  if (!keys) {
    keys = load(db, secrets);
    keyrings.set(id, keys);
    keys.catch(() => keyrings.delete(id));
  }
  return keys;
}

/** What `seal` writes before the first dot under the newest key: sealed data that starts otherwise is under an older one. */
async function header(keys: Keyring, purpose: KeyPurpose): Promise<string> {
  const token = await seal(keys, purpose, {}, 0);
  return token.slice(0, token.indexOf(".") + 1);
}

async function load(db: D1Database, secrets: string[]): Promise<Keyring> {
  const keys = await getKeyring(secrets);
  const read = () => run(() => db.prepare("SELECT sealed FROM data_keys").first<string>("sealed"));
  let sealed = await read();
  if (sealed === null) {
    const fresh = await seal(keys, "data-key", { k: randomToken(32) }, LONG_LIVED);
    // Isolates may race to create it: the first insert wins, and all use what it wrote.
    await run(() => db.prepare("INSERT INTO data_keys (id, sealed) VALUES (1, ?1) ON CONFLICT DO NOTHING").bind(fresh).run());
    sealed = (await read()) ?? "";
  }
  const opened = await open<{ k: string }>(keys, "data-key", sealed);
  if (opened.status === "invalid") {
    audit("key_not_found", { reason: "data_key" });
    throw new AuthError(
      503,
      "data_key_unavailable",
      "Two-step verification is unavailable: the AUTH_SECRET that sealed its data key was removed too early. Put it back, after the new one.",
    );
  }
  const { k } = opened.claims;
  // Under an older secret that is still listed: re-wrap under the newest, so the older one can go.
  if (!sealed.startsWith(await header(keys, "data-key"))) {
    const old = sealed;
    const rewrapped = await seal(keys, "data-key", { k }, LONG_LIVED);
    await run(() => db.prepare("UPDATE data_keys SET sealed = ?1 WHERE sealed = ?2").bind(rewrapped, old).run());
  }
  return Keyring.create([k, ...secrets]);
}

const BATCH = 100;
const MAX_BATCHES = 20;

/**
 * For the Cron Trigger: loads the data key (re-wrapping it after a
 * rotation), and re-seals under it the TOTP keys sealed before it existed,
 * under AUTH_SECRET itself, while that secret is still listed. Recovery
 * codes from then cannot be moved: only their hashes are stored.
 */
export async function resealLegacyTOTPKeys(db: D1Database, secrets: string[]): Promise<number> {
  const keys = await dataKeyring(db, secrets);
  const current = await header(keys, "totp");
  let resealed = 0;
  let after = "";
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await legacySecondFactors(db, current, after, BATCH);
    for (const row of rows) {
      const opened = await open<{ k: string }>(keys, "totp", row.secret);
      if (opened.status !== "invalid") resealed += await resealSecondFactor(db, row.user_key, row.secret, await seal(keys, "totp", opened.claims, LONG_LIVED));
    }
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.user_key;
  }
  return resealed;
}
