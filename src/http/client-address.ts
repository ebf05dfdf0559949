/**
 * Who the client is: reading addresses and CIDRs, believing
 * `X-Forwarded-For` from trusted proxies only, and the key a rate limit
 * counts an address under. Pure functions, no request context.
 *
 * ```ts
 * const proxy = parseCidr("10.0.0.0/8");             // { ok: true, cidr }
 * clientAddress("10.0.0.2", "198.51.100.7, 10.0.0.3", [proxy.cidr]); // "198.51.100.7"
 * addressKey("2001:db8:1:2::5");                      // "ip6-64:2001:db8:1:2"
 * ```
 */

/**
 * An address as 16 bytes. An IPv4 address is held in its IPv4-mapped IPv6
 * form (`::ffff:a.b.c.d`), so both spellings are one address and an IPv4
 * CIDR is the mapped /96 plus its prefix.
 */
type Bytes = Uint8Array;

export interface Cidr {
  readonly network: Bytes;
  /** Leading bits that must match, counted over the 16-byte form. */
  readonly bits: number;
  /** The prefix as written (/8 for 10.0.0.0/8). */
  readonly prefix: number;
}

/** Why an entry is not a CIDR: a closed set, for the caller's message. */
export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: "not_cidr" } | { ok: false; reason: "host_bits"; network: string };

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** IPv4 (dotted quad) or IPv6 (RFC 4291 §2.2, no zone, no brackets) text as 16 bytes. */
export function parseAddress(text: string): Bytes | undefined {
  const v4 = ipv4(text);
  if (v4) return Uint8Array.from([...MAPPED_PREFIX, ...v4]);
  const groups = ipv6(text);
  return groups && Uint8Array.from(groups.flatMap((group) => [group >> 8, group & 0xff]));
}

const isMapped = (bytes: Bytes) => MAPPED_PREFIX.every((byte, i) => bytes[i] === byte);

/**
 * `10.0.0.0/8`, `fd00::/8`, `::ffff:10.0.0.0/104`, or one address alone
 * (/32 or /128). An address with bits set past its prefix (`10.0.0.1/8`) is
 * refused rather than rounded down: in a list of whom to believe, what was
 * meant must be what is written.
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const network = parseAddress(address);
  if (!network) return { ok: false, reason: "not_cidr" };
  const v4 = ipv4(address) !== undefined;
  const max = v4 ? 32 : 128;
  const written = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(written) || Number(written) > max) return { ok: false, reason: "not_cidr" };
  const prefix = Number(written);
  const bits = v4 ? 96 + prefix : prefix;
  const masked = mask(network, bits);
  if (!masked.every((byte, i) => byte === network[i])) {
    const spelled = v4 ? Array.from(masked.subarray(12)).join(".") : groupsOf(masked).join(":");
    return { ok: false, reason: "host_bits", network: `${spelled}/${prefix}` };
  }
  return { ok: true, cidr: { network, bits, prefix } };
}

function mask(bytes: Bytes, bits: number): Bytes {
  return bytes.map((byte, i) => {
    const kept = Math.min(8, Math.max(0, bits - i * 8));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
}

const contains = (cidr: Cidr, address: Bytes) => mask(address, cidr.bits).every((byte, i) => byte === cidr.network[i]);

/** Whether an address (already parsed) is inside any of the CIDRs. */
export const isTrusted = (address: Bytes, trusted: readonly Cidr[]) => trusted.some((cidr) => contains(cidr, address));

/**
 * The client's address. `peer` is the address that connected (Cloudflare's
 * `CF-Connecting-IP`); only when it is a trusted proxy is `X-Forwarded-For`
 * read, right to left, past the addresses of further trusted proxies, to
 * the first one that is not trusted: everything left of it was written by
 * the client itself and may be forged. When every hop is trusted, the
 * left-most is the client (as nginx's `real_ip_recursive` does). An entry
 * that is not an address on the way means the header cannot be read: the
 * peer is the client.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: readonly Cidr[]): string | undefined {
  if (!peer || !forwardedFor || trusted.length === 0) return peer;
  const peerBytes = parseAddress(peer);
  if (!peerBytes || !isTrusted(peerBytes, trusted)) return peer;
  const hops = forwardedFor.split(",").map((hop) => hop.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddress(hops[i]!);
    if (!hop) return peer;
    if (!isTrusted(hop, trusted)) return hops[i];
  }
  return hops[0];
}

/** The client address of a request, by `clientAddress`. */
export const requestAddress = (request: Request, trusted: readonly Cidr[]) =>
  clientAddress(request.headers.get("CF-Connecting-IP") ?? undefined, request.headers.get("X-Forwarded-For") ?? undefined, trusted);

/** Longer than any address; what Cloudflare would never send is still one key, not an unbounded one. */
const MAX_UNREADABLE = 64;

/**
 * The key a client address counts under. An IPv6 client is usually given a
 * whole /64 and can move between its addresses at will, so the /64 is the
 * client; an IPv4-mapped address is the IPv4 client it maps.
 */
export function addressKey(address: string): string {
  const bytes = parseAddress(address);
  if (!bytes) return `ip:${address.slice(0, MAX_UNREADABLE)}`;
  if (isMapped(bytes)) return `ip:${Array.from(bytes.subarray(12)).join(".")}`;
  return `ip6-64:${groupsOf(bytes).slice(0, 4).join(":")}`;
}

/** The eight groups of 16 bytes, in lower-case hex without leading zeros. */
const groupsOf = (bytes: Bytes) => Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));

function ipv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.map(Number);
}

/** The eight 16-bit groups of an IPv6 address in text form (RFC 4291 §2.2). */
function ipv6(text: string): number[] | undefined {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) spells the last two groups.
  const tailAt = text.lastIndexOf(":") + 1;
  if (tailAt > 0 && text.includes(".", tailAt)) {
    const v4 = ipv4(text.slice(tailAt));
    if (!v4) return undefined;
    text = `${text.slice(0, tailAt)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [head, tail] = halves.map((half) => (half === "" ? [] : half.split(":")));
  const zeros = 8 - head!.length - (tail?.length ?? 0);
  if (tail ? zeros < 1 : zeros !== 0) return undefined;
  const groups = [...head!, ...Array<string>(zeros).fill("0"), ...(tail ?? [])];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}
