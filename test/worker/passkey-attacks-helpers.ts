/** Shared by the passkey attack tests: a user with the second factor on, and passkey ceremonies. */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { expect } from "vitest";
import type { Authenticator } from "./authenticator";
import { browse, formPost, Jar, LOCAL, signIn } from "./helpers";

export const json = { Accept: "application/json", Origin: LOCAL, "Content-Type": "application/json" };
export const post = (jar: Jar, path: string, body: unknown = {}, headers: Record<string, string> = json) =>
  browse(jar, path, { method: "POST", headers, body: JSON.stringify(body) });
export const codeFor = (secret: string) => generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), BigInt(Math.floor(Date.now() / 30_000)), 6);

/** Signs in and turns the second factor on; the jar and the authenticator-app key. */
export async function enrolled(name: string): Promise<{ jar: Jar; secret: string }> {
  const { jar } = await signIn("dev", { as: name });
  const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } });
  const { secret } = await setup.json<{ secret: string }>();
  const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }, { Accept: "application/json" }));
  expect(enabled.status).toBe(200);
  return { jar, secret };
}

export async function register(jar: Jar, authenticator: Authenticator, name = "key") {
  const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string; rp: { id: string } }>();
  return post(jar, "/auth/passkeys", { name, credential: await authenticator.register(options) });
}

/** A new sign-in stopped at the second factor. */
export async function pendingSignIn(name: string) {
  const jar = new Jar();
  const { response } = await signIn("dev", { as: name, jar, redirectTo: "/auth" });
  expect(response.headers.get("Location")).toBe("/auth/2fa");
  return jar;
}
