import { base64url } from "jose";

/** `bytes` random bytes as base64url: ids (16 bytes) and secrets (32 bytes). */
export const randomToken = (bytes: number) => base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
