import { base64url } from "jose";

/**
 * A software authenticator for the tests: a real key pair (ES256 on P-256,
 * or Ed25519), and WebAuthn's byte layouts — CBOR attestation objects, COSE
 * keys, authenticator data, DER signatures — built here, so that the worker
 * checks exactly what a browser would send (`PublicKeyCredential.toJSON()`).
 */

/** CBOR (RFC 8949) for what WebAuthn uses: integers, byte and text strings, maps. */
export function cbor(value: unknown): Uint8Array {
  const head = (major: number, n: number): number[] =>
    n < 24 ? [(major << 5) | n] : n < 256 ? [(major << 5) | 24, n] : n < 65536 ? [(major << 5) | 25, n >> 8, n & 255] : [(major << 5) | 26, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  const parts: number[] = [];
  const put = (item: unknown): void => {
    if (typeof item === "number") parts.push(...(item >= 0 ? head(0, item) : head(1, -1 - item)));
    else if (item instanceof Uint8Array) parts.push(...head(2, item.length), ...item);
    else if (typeof item === "string") {
      const bytes = new TextEncoder().encode(item);
      parts.push(...head(3, bytes.length), ...bytes);
    } else if (item instanceof Map) {
      parts.push(...head(5, item.size));
      for (const [key, entry] of item) put(key), put(entry);
    } else if (typeof item === "object" && item !== null) put(new Map(Object.entries(item)));
    else throw new Error(`no CBOR for ${String(item)}`);
  };
  put(value);
  return new Uint8Array(parts);
}

const concat = (...chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) out.set(chunk, (at += chunk.length) - chunk.length);
  return out;
};
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const utf8 = (text: string) => new TextEncoder().encode(text);

/** r‖s as DER: what WebAuthn's ES256 signatures are. */
function der(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let at = 0;
    while (at < bytes.length - 1 && bytes[at] === 0) at++;
    const trimmed = bytes.subarray(at);
    const body = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const body = concat(integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

export interface Ceremony {
  /** The page's origin as the browser reports it. */
  origin?: string;
  /** The relying party id whose hash goes into the authenticator data. */
  rpId?: string;
  /** The challenge to sign, when not the one from the options. */
  challenge?: string;
  type?: string;
  /** Flags byte: user present (0x01) unless told otherwise. */
  flags?: number;
}

export class Authenticator {
  readonly id = crypto.getRandomValues(new Uint8Array(16));
  counter: number;

  private constructor(
    readonly algorithm: "ES256" | "Ed25519",
    private readonly keys: CryptoKeyPair,
    counter: number,
  ) {
    this.counter = counter;
  }

  /** A new authenticator; `counter` its signature counter (0: one that keeps none). */
  static async create(algorithm: "ES256" | "Ed25519", counter = 1): Promise<Authenticator> {
    const params = algorithm === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" };
    const keys = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
    return new Authenticator(algorithm, keys, counter);
  }

  get credentialId() {
    return base64url.encode(this.id);
  }

  private async coseKey(): Promise<Uint8Array> {
    const jwk = (await crypto.subtle.exportKey("jwk", this.keys.publicKey)) as JsonWebKey;
    if (this.algorithm === "ES256") return cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, base64url.decode(jwk.x!)], [-3, base64url.decode(jwk.y!)]]));
    return cbor(new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, base64url.decode(jwk.x!)]]));
  }

  private async authenticatorData(rpId: string, flags: number, attested?: Uint8Array): Promise<Uint8Array> {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, this.counter);
    return concat(await sha256(utf8(rpId)), new Uint8Array([flags | (attested ? 0x40 : 0)]), counter, attested ?? new Uint8Array());
  }

  private clientData(type: string, challenge: string, origin: string) {
    return utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** A `PublicKeyCredential`'s `toJSON()` around its response. */
  private credential(response: Record<string, unknown>) {
    return { id: this.credentialId, rawId: this.credentialId, type: "public-key", response };
  }

  /** What `navigator.credentials.create()` then `toJSON()` gives for these creation options. */
  async register(options: { challenge: string; rp: { id: string } }, ceremony: Ceremony = {}) {
    const rpId = ceremony.rpId ?? options.rp.id;
    const idLength = new Uint8Array([this.id.length >> 8, this.id.length & 255]);
    const attested = concat(new Uint8Array(16), idLength, this.id, await this.coseKey());
    const authData = await this.authenticatorData(rpId, ceremony.flags ?? 0x01, attested);
    const clientDataJSON = this.clientData(ceremony.type ?? "webauthn.create", ceremony.challenge ?? options.challenge, ceremony.origin ?? `http://${rpId}:8787`);
    return this.credential({
      clientDataJSON: base64url.encode(clientDataJSON),
      attestationObject: base64url.encode(cbor({ fmt: "none", attStmt: {}, authData })),
      transports: ["internal"],
    });
  }

  /** What `navigator.credentials.get()` then `toJSON()` gives for these request options; the counter goes up first (unless it is 0). */
  async assert(options: { challenge: string; rpId: string }, ceremony: Ceremony = {}) {
    if (this.counter > 0) this.counter++;
    const authData = await this.authenticatorData(ceremony.rpId ?? options.rpId, ceremony.flags ?? 0x01);
    const clientDataJSON = this.clientData(ceremony.type ?? "webauthn.get", ceremony.challenge ?? options.challenge, ceremony.origin ?? `http://${options.rpId}:8787`);
    const message = concat(authData, await sha256(clientDataJSON));
    const signed = new Uint8Array(
      this.algorithm === "ES256"
        ? await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.keys.privateKey, message)
        : await crypto.subtle.sign({ name: "Ed25519" }, this.keys.privateKey, message),
    );
    return this.credential({
      clientDataJSON: base64url.encode(clientDataJSON),
      authenticatorData: base64url.encode(authData),
      signature: base64url.encode(this.algorithm === "ES256" ? der(signed) : signed),
      userHandle: null,
    });
  }
}
