import { env } from "cloudflare:workers";
import { base64url, CompactEncrypt, EncryptJWT, exportJWK, generateKeyPair, generateSecret, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { seal } from "../../src/crypto/seal";
import { browse, call, LOCAL, signIn } from "./helpers";

/**
 * What the JOSE layer accepts: for cookies only `dir` + `A256GCM` under one
 * of our kids; for bearer JWTs only EdDSA under one of our published keys.
 * Each case here is refused.
 */
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({
  sid: "forged-session-00000000",
  sub: "dev:admin",
  prv: "dev",
  usr: { id: "admin", login: "admin", name: null, email: null, avatarUrl: null },
  pat: "x",
  pax: null,
  rem: false,
  exp: now() + 600,
});
const identity = () => ({ sub: "dev:admin", sid: "forged-session-00000000", provider: "dev", login: "admin", name: null, email: null, picture: null });

const asCookie = (token: string) => call("/auth/session", { headers: { Cookie: `auth.session=${token}` } });
const asBearer = (token: string) => call("/auth/session", { headers: { Authorization: `Bearer ${token}` } });

describe("JOSE hardening: session cookies (JWE)", () => {
  it.each(["A128KW", "A256KW", "A256GCMKW", "ECDH-ES", "RSA-OAEP-256", "PBES2-HS256+A128KW"])("refuses key management %s", async (alg) => {
    const keys = alg.startsWith("RSA") ? await generateKeyPair(alg, { extractable: true }) : null;
    const key =
      alg === "ECDH-ES"
        ? (await generateKeyPair("ECDH-ES", { crv: "P-256" })).publicKey
        : keys
          ? keys.publicKey
          : alg.startsWith("PBES2")
            ? new TextEncoder().encode(env.AUTH_SECRET)
            : await generateSecret(alg);
    const kid = (await (await getKeyring([env.AUTH_SECRET])).current("session")).kid;
    const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader({ alg, enc: "A256GCM", kid })
      .encrypt(key);
    expect((await asCookie(token)).status).toBe(401);
  });

  it.each(["A128GCM", "A192GCM", "A128CBC-HS256", "A256CBC-HS512"])("refuses content encryption %s", async (enc) => {
    const kid = (await (await getKeyring([env.AUTH_SECRET])).current("session")).kid;
    const bits = { A128GCM: 128, A192GCM: 192, "A128CBC-HS256": 256, "A256CBC-HS512": 512 }[enc]!;
    const token = await new EncryptJWT(claims()).setProtectedHeader({ alg: "dir", enc, kid }).encrypt(crypto.getRandomValues(new Uint8Array(bits / 8)));
    expect((await asCookie(token)).status).toBe(401);
  });

  it.each(["jwk", "jku", "x5u"])("ignores an embedded key (%s) and refuses what it encrypted", async (param) => {
    const attackerKey = crypto.getRandomValues(new Uint8Array(32));
    const header: Record<string, unknown> = { alg: "dir", enc: "A256GCM" };
    if (param === "jwk") header.jwk = { kty: "oct", k: base64url.encode(attackerKey) };
    else header[param] = "https://evil.example/keys";
    const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims()))).setProtectedHeader(header as never).encrypt(attackerKey);
    expect((await asCookie(token)).status).toBe(401);
  });

  it("refuses alg: none and a JWS where the JWE belongs", async () => {
    const none = `${base64url.encode(JSON.stringify({ alg: "none" }))}.${base64url.encode(JSON.stringify(claims()))}.`;
    expect((await asCookie(none)).status).toBe(401);
    const { jar } = await signIn("dev", { as: "Jws In Cookie" });
    const { access_token } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } })).json<{ access_token: string }>();
    expect((await asCookie(access_token)).status).toBe(401);
  });

  it("refuses a JWE sealed with another purpose's key, as a cookie or as a bearer", async () => {
    const keys = await getKeyring([env.AUTH_SECRET]);
    for (const purpose of ["flow", "verify", "provider-token"] as const) {
      const token = await seal(keys, purpose, claims(), 600);
      expect((await asCookie(token)).status).toBe(401);
      expect((await asBearer(token)).status).toBe(401);
    }
  });
});

describe("JOSE hardening: bearer tokens (JWS)", () => {
  const ourKey = async () => (await (await getKeyring([env.AUTH_SECRET])).signingKeys())[0]!;

  it("refuses HS256 keyed with our public key (algorithm confusion)", async () => {
    const { jwk, kid } = await ourKey();
    const token = await new SignJWT(identity())
      .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" })
      .setIssuer(LOCAL)
      .setAudience(LOCAL)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(jwk.x));
    expect((await asBearer(token)).status).toBe(401);
  });

  it("refuses a token signed by another key, even one it embeds itself", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const token = await new SignJWT(identity())
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", jwk: await exportJWK(publicKey) })
      .setIssuer(LOCAL)
      .setAudience(LOCAL)
      .setExpirationTime("5m")
      .sign(privateKey);
    expect((await asBearer(token)).status).toBe(401);
  });

  it("accepts only our EdDSA key, the access-token type, our issuer and audience, unexpired", async () => {
    const { privateKey, kid } = await ourKey();
    const build = (edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt, typ = "at+jwt") =>
      edit(new SignJWT(identity()).setProtectedHeader({ alg: "EdDSA", kid, typ }).setIssuer(LOCAL).setAudience(`${LOCAL}/auth`).setIssuedAt().setExpirationTime("5m")).sign(privateKey);
    // The control: everything right is accepted, so each refusal below is about its one change.
    expect((await asBearer(await build())).status).toBe(200);
    expect((await asBearer(await build(undefined, "JWT"))).status).toBe(401);
    expect((await asBearer(await build((jwt) => jwt.setIssuer("https://evil.example")))).status).toBe(401);
    expect((await asBearer(await build((jwt) => jwt.setAudience("https://evil.example")))).status).toBe(401);
    // An assertion's audience (an origin, the worker's own in same-origin forward auth) is not a bearer token's.
    expect((await asBearer(await build((jwt) => jwt.setAudience(LOCAL)))).status).toBe(401);
    expect((await asBearer(await build((jwt) => jwt.setExpirationTime(now() - 10)))).status).toBe(401);
  });

  it("refuses ES256 and alg: none", async () => {
    const { kid } = await ourKey();
    const es = await generateKeyPair("ES256");
    const es256 = await new SignJWT(identity()).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).setIssuer(LOCAL).setAudience(`${LOCAL}/auth`).setExpirationTime("5m").sign(es.privateKey);
    expect((await asBearer(es256)).status).toBe(401);
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt" }))}.${base64url.encode(JSON.stringify({ ...identity(), iss: LOCAL, aud: `${LOCAL}/auth`, exp: now() + 300 }))}.`;
    expect((await asBearer(none)).status).toBe(401);
  });
});
