import { base64url } from "jose";

/** SHA-256 of a string's UTF-8 bytes, base64url: handoff codes and secrets at rest, key thumbprints. */
export const sha256 = async (text: string) => base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
