import { SignJWT, type JWK } from "jose";
import { expect } from "vitest";
import { browse, Jar, LOCAL, sessionOf, signIn } from "./helpers";
import { APPS, Browser } from "./origins-browser";

/**
 * A browser's side of device-bound sessions (DBSC) as Chromium speaks them
 * (docs/dbsc-chromium-150.md), with the key made here: ES256 JWTs of type
 * dbsc+jwt, made with jose.
 */

/** A device key, as the browser keeps it: the public JWK goes in the registration's header only. */
export class DeviceKey {
  private constructor(
    readonly privateKey: CryptoKey,
    readonly jwk: JWK,
  ) {}

  static async create(): Promise<DeviceKey> {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const { kty, crv, x, y } = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JWK;
    return new DeviceKey(pair.privateKey, { kty, crv, x, y });
  }

  sign(jti: unknown, { withKey = false, header = {} as Record<string, unknown> } = {}): Promise<string> {
    return new SignJWT({ jti } as Record<string, unknown>).setProtectedHeader({ alg: "ES256", typ: "dbsc+jwt", ...(withKey && { jwk: this.jwk }), ...header }).sign(this.privateKey);
  }
}

/** The `Secure-Session-Registration` a response offers, or null. */
export function offeredOrNull(response: Response) {
  const match = /^\(ES256\);path="([^"]+)";challenge="([^"]+)"$/.exec(response.headers.get("Secure-Session-Registration") ?? "");
  return match ? { path: match[1]!, challenge: match[2]! } : null;
}

export function offered(response: Response) {
  const found = offeredOrNull(response);
  if (!found) throw new Error(`no registration offered: ${response.headers.get("Secure-Session-Registration")}`);
  return found;
}

/** `Secure-Session-Challenge: "<challenge>";id="<session>"`. */
export function challengeOf(response: Response, sid: string) {
  const match = /^"([^"]+)";id="([^"]+)"$/.exec(response.headers.get("Secure-Session-Challenge") ?? "");
  expect(match?.[2], `challenge for ${sid}`).toBe(sid);
  return match![1]!;
}

export const register = (jar: Jar, proof: string | null, origin = "", vars: Record<string, unknown> = {}) =>
  browse(jar, `${origin}/auth/dbsc/register`, { method: "POST", headers: proof === null ? {} : { "Secure-Session-Response": proof } }, vars);

export const refresh = (jar: Jar, sid: string, proof?: string, origin = "", vars: Record<string, unknown> = {}) =>
  browse(jar, `${origin}/auth/dbsc/refresh`, { method: "POST", headers: { "Sec-Secure-Session-Id": sid, ...(proof && { "Secure-Session-Response": proof }) } }, vars);

export const copyJar = (jar: Jar) => {
  const copy = new Jar();
  for (const [name, value] of jar.cookies) copy.cookies.set(name, value);
  return copy;
};

/** Signs in and registers a key (LOCAL, default config). */
export async function boundSession(name: string, vars: Record<string, unknown> = {}) {
  const { jar, response } = await signIn("dev", { as: name, vars });
  const { challenge } = offered(response);
  const sid = (await sessionOf(jar)).body.sessionId as string;
  const key = await DeviceKey.create();
  const registered = await register(jar, await key.sign(challenge, { withKey: true }), "", vars);
  expect(registered.status).toBe(200);
  return { jar, sid, key, next: challengeOf(registered, sid), registered };
}

/** What a browser does when the bound cookie expires: it drops it. */
export const expire = (jar: Jar) => jar.cookies.delete("auth.session");

/** A browser across origins (APP_ORIGINS configured) signed in at AUTH_URL and bound to its key, as Chromium does right after the sign-in's answer. */
export async function boundBrowser(name: string) {
  const browser = new Browser(APPS);
  const { response: page } = await browser.go(`${LOCAL}/auth/signin/dev?redirect_to=%2F`);
  const posted = await browser.submit(page, name);
  const callback = await browser.send(new URL(posted.headers.get("Location")!, LOCAL).href);
  const { challenge } = offered(callback);
  const key = await DeviceKey.create();
  const registered = await register(browser.jar(LOCAL), await key.sign(challenge, { withKey: true }), LOCAL, APPS);
  expect(registered.status).toBe(200);
  const sid = (await browser.session(LOCAL)).body.sessionId as string;
  expect((await browser.session(LOCAL)).body.deviceBound).toBe(true);
  return { browser, key, sid, next: challengeOf(registered, sid) };
}
