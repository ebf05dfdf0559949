/**
 * Found by the adversarial pass on passkeys (fixed, kept as a regression test): registration never imports the public key it stores. An Ed25519
 * key that is a small-order point (here the identity, 01 00…00) is
 * accepted, and workerd's WebCrypto verifies the "signature" R = identity,
 * S = 0 under it for every message: a passkey that anyone can answer for,
 * with no secret at all. Keys that can never verify are stored too: P-256
 * points off the curve, Ed25519 keys of any length; and credential ids of
 * thousands of bytes (WebAuthn caps them at 1023), which every later
 * options answer and Security page repeats.
 */
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { cbor } from "./authenticator";
import { LOCAL, sessionOf } from "./helpers";
import { enrolled, pendingSignIn, post } from "./passkey-attacks-helpers";

const utf8 = (text: string) => new TextEncoder().encode(text);
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const concat = (...chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) out.set(chunk, (at += chunk.length) - chunk.length);
  return out;
};

/** A registration as a script can write it: any COSE key, any credential id. */
async function registration(challenge: string, coseKey: Uint8Array, id = crypto.getRandomValues(new Uint8Array(16))) {
  const attested = concat(new Uint8Array(16), new Uint8Array([id.length >> 8, id.length & 255]), id, coseKey);
  const authData = concat(await sha256(utf8("localhost")), new Uint8Array([0x41]), new Uint8Array([0, 0, 0, 0]), attested);
  const clientDataJSON = utf8(JSON.stringify({ type: "webauthn.create", challenge, origin: LOCAL, crossOrigin: false }));
  return { id: base64url.encode(id), response: { clientDataJSON: base64url.encode(clientDataJSON), attestationObject: base64url.encode(cbor({ fmt: "none", attStmt: {}, authData })) } };
}

const identity = new Uint8Array(32);
identity[0] = 1;
const okp = (x: Uint8Array) => cbor(new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, x]]));
const ec2 = (x: Uint8Array, y: Uint8Array) => cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]));

describe("the public key of a registration", () => {
  it("is refused when it is a small-order Ed25519 point, for which any message 'verifies'", async () => {
    const { jar } = await enrolled("Adv17 Identity Key");
    const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string }>();
    const credential = await registration(options.challenge, okp(identity));
    const added = await post(jar, "/auth/passkeys", { credential });

    // What it allows, had it been added: a sign-in's second factor with a signature that needs no key.
    const later = await pendingSignIn("Adv17 Identity Key");
    const request = await (await post(later, "/auth/2fa/passkey/options")).json<{ challenge: string }>();
    const clientDataJSON = utf8(JSON.stringify({ type: "webauthn.get", challenge: request.challenge, origin: LOCAL, crossOrigin: false }));
    const authenticatorData = concat(await sha256(utf8("localhost")), new Uint8Array([0x01, 0, 0, 0, 0]));
    const signature = concat(identity, new Uint8Array(32)); // R = identity, S = 0
    const assertion = { id: credential.id, response: { clientDataJSON: base64url.encode(clientDataJSON), authenticatorData: base64url.encode(authenticatorData), signature: base64url.encode(signature) } };
    const done = await post(later, "/auth/2fa/passkey", { credential: assertion });
    expect({ added: added.status, forged: done.status, session: (await sessionOf(later)).status }).toEqual({ added: 400, forged: 400, session: 401 });
  });

  it("is refused when WebCrypto could never verify with it, and so is a credential id over 1023 bytes", async () => {
    const { jar } = await enrolled("Adv17 Dead Keys");
    const statuses: Record<string, number> = {};
    const attempt = async (label: string, coseKey: Uint8Array, id?: Uint8Array<ArrayBuffer>) => {
      const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string }>();
      statuses[label] = (await post(jar, "/auth/passkeys", { credential: await registration(options.challenge, coseKey, id) })).status;
    };
    await attempt("P-256 point off the curve", ec2(new Uint8Array(32).fill(7), new Uint8Array(32).fill(7)));
    await attempt("Ed25519 key of 0 bytes", okp(new Uint8Array(0)));
    const p256 = (await crypto.subtle.exportKey("jwk", ((await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])) as CryptoKeyPair).publicKey)) as JsonWebKey;
    await attempt("a 5000-byte credential id", ec2(base64url.decode(p256.x!), base64url.decode(p256.y!)), crypto.getRandomValues(new Uint8Array(5000)));
    expect(statuses).toEqual({ "P-256 point off the curve": 400, "Ed25519 key of 0 bytes": 400, "a 5000-byte credential id": 400 });
  });
});
