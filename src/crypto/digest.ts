import { base64url } from "jose";

/** SHA-256 of bytes, or of a string's UTF-8 bytes. */
export const sha256Bytes = async (data: Uint8Array | string) => new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? new TextEncoder().encode(data) : data));

/** SHA-256 of a string's UTF-8 bytes, base64url: handoff codes and secrets at rest, key thumbprints. */
export const sha256 = async (text: string) => base64url.encode(await sha256Bytes(text));
