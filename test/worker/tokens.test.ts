import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { browse, call, LOCAL, signIn } from "./helpers";

const json = { Accept: "application/json" };

async function tokenFor(name: string) {
  const { jar } = await signIn("dev", { as: name });
  const response = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } });
  return { jar, response, body: await response.json<{ access_token: string; token_type: string; expires_in: number }>() };
}

describe("POST /auth/token", () => {
  it("issues a 15-minute EdDSA bearer JWT verifiable with the JWKS", async () => {
    const { response, body } = await tokenFor("Token Holder");
    expect(response.status).toBe(200);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(900);
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    const jwks = createLocalJWKSet(await (await call("/auth/jwks.json")).json());
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer: LOCAL, audience: `${LOCAL}/auth`, typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: "dev:token-holder", login: "token-holder", provider: "dev" });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(JSON.stringify(payload)).not.toMatch(/dev\.ey/); // never the provider's token
  });

  it("is accepted as Authorization: Bearer by /auth/session", async () => {
    const { body } = await tokenFor("Bearer User");
    const response = await call("/auth/session", { headers: { Authorization: `Bearer ${body.access_token}` } });
    expect(response.status).toBe(200);
    expect((await response.json<{ user: { login: string } }>()).user.login).toBe("bearer-user");
  });

  it("is refused once its session is signed out", async () => {
    const { jar, body } = await tokenFor("Signed Out Bearer");
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect((await call("/auth/session", { headers: { Authorization: `Bearer ${body.access_token}` } })).status).toBe(401);
  });

  it("cannot sign its session out: bearer credentials identify, they never act", async () => {
    const { jar, body } = await tokenFor("Bearer Signout");
    const out = await call("/auth/signout", { method: "POST", headers: { Authorization: `Bearer ${body.access_token}`, ...json } });
    expect(out.status).toBe(403);
    expect(out.headers.get("WWW-Authenticate")).toBe(`Bearer realm="${LOCAL}", error="insufficient_scope"`);
    expect((await browse(jar, "/auth/session")).status).toBe(200);
  });

  it("needs a session, and will not trade a token for a token", async () => {
    expect((await call("/auth/token", { method: "POST", headers: { Origin: LOCAL, ...json } })).status).toBe(401);
    const { body } = await tokenFor("No Chains");
    const chained = await call("/auth/token", { method: "POST", headers: { Authorization: `Bearer ${body.access_token}`, ...json } });
    expect(chained.status).toBe(403);
  });

  it("refuses a cross-site request", async () => {
    const { jar } = await signIn("dev", { as: "Cross Token" });
    expect((await browse(jar, "/auth/token", { method: "POST", headers: { Origin: "https://evil.example" } })).status).toBe(403);
  });

  it("refuses tampered tokens and upstream assertions presented as bearer tokens", async () => {
    const { jar, body } = await tokenFor("Tamper");
    const [h, p, s] = body.access_token.split(".");
    const tampered = `${h}.${p}x.${s}`;
    expect((await call("/auth/session", { headers: { Authorization: `Bearer ${tampered}` } })).status).toBe(401);
    const verify = await browse(jar, "/auth/verify");
    const assertion = verify.headers.get("X-Auth-Assertion")!;
    expect((await call("/auth/session", { headers: { Authorization: `Bearer ${assertion}` } })).status).toBe(401);
  });

  it("a bearer token never passes the upstream's assertion check, even in same-origin forward auth", async () => {
    const { jar, body } = await tokenFor("Confused Deputy");
    const jwks = createLocalJWKSet(await (await call("/auth/jwks.json")).json());
    // The assertion for an app served on the worker's own origin: audience = that origin.
    const assertion = (await browse(jar, "/auth/verify")).headers.get("X-Auth-Assertion")!;
    const check = { issuer: LOCAL, audience: LOCAL, typ: "assertion+jwt", algorithms: ["EdDSA"], maxTokenAge: "60s" };
    expect((await jwtVerify(assertion, jwks, check)).payload.sub).toBe("dev:confused-deputy");
    await expect(jwtVerify(body.access_token, jwks, check)).rejects.toThrow();
    // Neither check alone is what keeps them apart: the audiences differ too.
    await expect(jwtVerify(body.access_token, jwks, { issuer: LOCAL, audience: LOCAL })).rejects.toThrow(/aud/);
    expect(decodeProtectedHeader(assertion).typ).toBe("assertion+jwt");
  });
});
