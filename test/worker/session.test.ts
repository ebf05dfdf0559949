import { env } from "cloudflare:workers";
import { base64url, CompactEncrypt, EncryptJWT, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { seal } from "../../src/crypto/seal";
import { browse, call, Jar, LOCAL, NOT_SIGNED_IN, sessionOf, signIn } from "./helpers";

const json = { Accept: "application/json" };
const sessionCookie = (jar: Jar) => jar.get("auth.session")!;
const withCookie = (value: string) => ({ headers: { ...json, Cookie: `auth.session=${value}` } });

/** A compact `dir`/`A256GCM` JWE built by hand, for headers jose refuses to produce. */
async function rawJWE(header: object, payload: object, key: CryptoKey): Promise<string> {
  const protectedHeader = base64url.encode(JSON.stringify(header));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(protectedHeader) }, key, new TextEncoder().encode(JSON.stringify(payload))),
  );
  const ciphertext = sealed.slice(0, -16);
  const tag = sealed.slice(-16);
  return `${protectedHeader}..${base64url.encode(iv)}.${base64url.encode(ciphertext)}.${base64url.encode(tag)}`;
}

async function signedIn() {
  const { jar } = await signIn("dev", { as: "Session Tester" });
  return jar;
}

describe("GET /auth/session", () => {
  it("answers 401 with the documented body when signed out", async () => {
    const response = await call("/auth/session");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(NOT_SIGNED_IN);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("accepts the sealed session as a bearer token", async () => {
    const jar = await signedIn();
    const response = await call("/auth/session", { headers: { Authorization: `Bearer ${sessionCookie(jar)}` } });
    expect(response.status).toBe(200);
    expect((await response.json<{ user: { name: string } }>()).user.name).toBe("Session Tester");
    const bad = await call("/auth/session", { headers: { Authorization: "Bearer not-a-session" } });
    expect(bad.status).toBe(401);
  });
});

describe("hostile session cookies are treated as absent", async () => {
  const jar = await signedIn();
  const valid = sessionCookie(jar);
  const [header, , iv, ciphertext, tag] = valid.split(".");
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sid: "forged", sub: "dev:admin", prv: "dev", usr: { id: "admin", login: "admin", name: null, email: null, avatarUrl: null }, pat: "x", pax: null, rem: false };
  const foreign = await seal(await getKeyring(["another-secret-of-sufficient-length-000"]), "session", claims, 900);
  const sessionKey = (await (await getKeyring([env.AUTH_SECRET])).current("session"));
  const flowKeyed = await seal(await getKeyring([env.AUTH_SECRET]), "flow", claims, 900);
  const a128 = await new EncryptJWT(claims).setProtectedHeader({ alg: "dir", enc: "A128GCM", kid: sessionKey.kid }).setExpirationTime(now + 900).encrypt(crypto.getRandomValues(new Uint8Array(16)));
  const noKid = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...claims, exp: now + 900 })))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .encrypt(sessionKey.key);
  const unknownKid = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...claims, exp: now + 900 })))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: "nope" })
    .encrypt(sessionKey.key);
  const zip = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...claims, exp: now + 900 })))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: sessionKey.kid, zip: "DEF" })
    .encrypt(sessionKey.key);
  const crit = await rawJWE({ alg: "dir", enc: "A256GCM", kid: sessionKey.kid, crit: ["x-must"], "x-must": true }, { ...claims, exp: now + 900 }, sessionKey.key);
  const algNone = `${base64url.encode(JSON.stringify({ alg: "none" }))}.${base64url.encode(JSON.stringify({ ...claims, exp: now + 900 }))}.`;
  const jws = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now + 900).sign(new TextEncoder().encode(env.AUTH_SECRET));
  const expired = await seal(await getKeyring([env.AUTH_SECRET]), "session", claims, -10);

  it.each([
    ["tampered ciphertext", `${header}..${iv}.${flip(ciphertext!, 5)}.${tag}`],
    ["tampered tag", `${header}..${iv}.${ciphertext}.${flip(tag!, 3)}`],
    ["tampered header", `${flip(header!, 10)}..${iv}.${ciphertext}.${tag}`],
    ["truncated", valid.slice(0, valid.length - 20)],
    ["missing segments", `${header}..${iv}`],
    ["swapped segments", `${header}..${ciphertext}.${iv}.${tag}`],
    ["sealed under a foreign secret", foreign],
    ["sealed under the flow key", flowKeyed],
    ["A128GCM instead of A256GCM", a128],
    ["without a kid", noKid],
    ["with an unknown kid", unknownKid],
    ["correctly sealed but compressed (zip)", zip],
    ["correctly sealed but with an unknown crit", crit],
    ["alg: none", algNone],
    ["a JWS where a JWE belongs", jws],
    ["expired", expired],
    ["garbage", "%%%not-base64%%%"],
    ["non-ASCII", "ünïcödé.☃.x.y.z"],
    ["oversized", "A".repeat(5000)],
    ["empty", ""],
  ])("%s → 401", async (_, value) => {
    const response = await call("/auth/session", withCookie(value));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(NOT_SIGNED_IN);
  });

  it("the untouched cookie and a hand-built one without the extras still work (the cases above really differ)", async () => {
    expect((await call("/auth/session", withCookie(valid))).status).toBe(200);
    const plain = await rawJWE({ alg: "dir", enc: "A256GCM", kid: sessionKey.kid }, { ...claims, exp: now + 900 }, sessionKey.key);
    expect((await call("/auth/session", withCookie(plain))).status).toBe(200);
  });
});

describe("POST /auth/signout", () => {
  it("clears cookies, revokes the session id, and refuses the replayed cookie", async () => {
    const jar = await signedIn();
    const stolen = sessionCookie(jar);
    const { body } = await sessionOf(jar);
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect(out.status).toBe(303);
    expect(out.headers.get("Location")).toBe("/auth/signin?out");
    expect(out.headers.getSetCookie()).toEqual(expect.arrayContaining([expect.stringMatching(/^auth\.session=; Max-Age=0/)]));
    expect(jar.get("auth.session")).toBeUndefined();
    expect(await env.REVOCATIONS.get(`revoked:${body.sessionId}`)).toBe("1");
    const replay = await call("/auth/session", withCookie(stolen));
    expect(replay.status).toBe(401);
    const bearer = await call("/auth/session", { headers: { Authorization: `Bearer ${stolen}` } });
    expect(bearer.status).toBe(401);
  });

  it("keeps the revocation entry at least as long as a session cookie lives (and never under KV's 60 s)", async () => {
    const jar = await signedIn();
    const { body } = await sessionOf(jar);
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const { keys } = await env.REVOCATIONS.list({ prefix: `revoked:${body.sessionId}` });
    const ttl = keys[0]!.expiration! - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThanOrEqual(900);
    expect(ttl).toBeLessThanOrEqual(900 + 120);
  });

  it("answers JSON callers with JSON", async () => {
    const jar = await signedIn();
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ signedOut: true });
  });

  it.each([
    ["a foreign Origin", { Origin: "https://evil.example" }],
    ["Origin: null", { Origin: "null" }],
    ["cross-site fetch metadata", { "Sec-Fetch-Site": "cross-site" }],
  ])("refuses a cross-site POST (%s) with 403 and leaves the session alone", async (_, headers) => {
    const jar = await signedIn();
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { ...headers, ...json } });
    expect(out.status).toBe(403);
    expect(await out.json()).toMatchObject({ error: "cross_site_request" });
    expect((await sessionOf(jar)).status).toBe(200);
  });

  it("trusts the browser's same-origin fetch metadata even when Origin is null", async () => {
    const jar = await signedIn();
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: "null", "Sec-Fetch-Site": "same-origin", ...json } });
    expect(out.status).toBe(200);
  });

  it("accepts an allowed origin, and a non-browser client that sends no Origin", async () => {
    const jar = await signedIn();
    expect((await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: "https://app.example.com", ...json } })).status).toBe(200);
    const other = await signedIn();
    expect((await browse(other, "/auth/signout", { method: "POST", headers: json })).status).toBe(200);
  });

  it("sends browsers only to safe places afterwards", async () => {
    const jar = await signedIn();
    const out = await browse(jar, "/auth/signout?redirect_to=//evil.example", { method: "POST", headers: { Origin: LOCAL } });
    expect(out.headers.get("Location")).toBe("/");
  });

  it("fails closed when the revocation list cannot be read", async () => {
    const jar = await signedIn();
    const broken = { get: () => Promise.reject(new Error("KV down")), put: () => Promise.reject(new Error("KV down")) };
    const response = await browse(jar, "/auth/session", { headers: json }, { REVOCATIONS: broken });
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toMatchObject({ error: "revocation_list_unavailable" });
  });

  it("fails closed when the revocation list does not answer within 5 s", async () => {
    const jar = await signedIn();
    const hanging = { get: () => new Promise(() => {}), put: () => new Promise(() => {}) };
    // Without a timeout of its own this would wait forever (the test would time out).
    const response = await browse(jar, "/auth/session", { headers: json }, { REVOCATIONS: hanging });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "revocation_list_unavailable" });
  }, 15_000);
});
