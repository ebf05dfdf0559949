import { describe, expect, it } from "vitest";
import { addressKey, clientAddress, isTrusted, parseAddress, parseCidr, type Cidr } from "../../src/http/client-address";

const cidrs = (...entries: string[]): Cidr[] =>
  entries.map((entry) => {
    const parsed = parseCidr(entry);
    if (!parsed.ok) throw new Error(`not a CIDR: ${entry}`);
    return parsed.cidr;
  });

describe("the address a rate limit counts by", () => {
  it.each([
    ["203.0.113.7", "ip:203.0.113.7"],
    ["2001:DB8:0:1::5", "ip6-64:2001:db8:0:1"],
    ["2001:0db8:0000:0001:ffff:0000:0000:0005", "ip6-64:2001:db8:0:1"],
    ["2001:db8::1", "ip6-64:2001:db8:0:0"],
    ["2001:db8:1:2:3:4:5::", "ip6-64:2001:db8:1:2"],
    ["::1", "ip6-64:0:0:0:0"],
    ["::", "ip6-64:0:0:0:0"],
    ["64:ff9b::192.0.2.1", "ip6-64:64:ff9b:0:0"],
    // An IPv4 client reaching us over IPv6 is that IPv4 client.
    ["::ffff:198.51.100.9", "ip:198.51.100.9"],
    ["::FFFF:c633:6409", "ip:198.51.100.9"],
    ["0:0:0:0:0:ffff:198.51.100.9", "ip:198.51.100.9"],
  ])("%s counts as %s", (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it.each(["not an address", "1.2.3.256", "1.2.3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":1::2", "12345::", "2001:db8::1%eth0", "[::1]", "::ffff:1.2.3.4.5", "g::"])(
    "%j is its own key",
    (address) => {
      expect(addressKey(address)).toBe(`ip:${address}`);
    },
  );

  it("bounds the length of an address it cannot read", () => {
    expect(addressKey("x".repeat(500))).toBe(`ip:${"x".repeat(64)}`);
  });
});

describe("CIDRs", () => {
  it.each([
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["192.168.1.5/32", "192.168.1.5", true],
    ["192.168.1.5/32", "192.168.1.6", false],
    ["192.168.1.5", "192.168.1.5", true],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["2001:db8::/32", "2001:DB8:FFFF::1", true],
    ["2001:db8::1", "2001:db8::1", true],
    ["2001:db8::1", "2001:db8::2", false],
    ["::/0", "2001:db8::1", true],
    // An IPv4-mapped address is the IPv4 address, on either side.
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["10.0.0.0/8", "::ffff:a01:203", true],
    ["::ffff:10.0.0.0/104", "10.1.2.3", true],
    ["::ffff:10.0.0.0/104", "11.1.2.3", false],
    ["::ffff:0:0/96", "198.51.100.1", true],
  ])("%s contains %s: %s", (cidr, address, inside) => {
    expect(isTrusted(parseAddress(address)!, cidrs(cidr))).toBe(inside);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.256/32", "fd00::/0x8", "fe80::1%eth0/128", "[fd00::]/8", "localhost", "10.0.0.0/ 8", ""])(
    "%j is not a CIDR",
    (entry) => {
      expect(parseCidr(entry)).toEqual({ ok: false, reason: "not_cidr" });
    },
  );

  it.each([
    ["10.0.0.1/8", "10.0.0.0/8"],
    ["192.168.1.5/24", "192.168.1.0/24"],
    ["fd00::1/8", "fd00:0:0:0:0:0:0:0/8"],
    ["2001:db8:1:2::/48", "2001:db8:1:0:0:0:0:0/48"],
  ])("%s has bits set past its prefix; its network is %s", (entry, network) => {
    expect(parseCidr(entry)).toEqual({ ok: false, reason: "host_bits", network });
  });

  it("keeps the prefix as written", () => {
    expect(cidrs("10.0.0.0/8", "fd00::/8", "192.0.2.1", "::1").map((cidr) => cidr.prefix)).toEqual([8, 8, 32, 128]);
  });

  it("reads an IPv4 address as its IPv4-mapped IPv6 form", () => {
    expect(parseAddress("10.1.2.3")).toEqual(parseAddress("::ffff:10.1.2.3"));
    expect(parseAddress("10.1.2.3")).toEqual(parseAddress("0:0:0:0:0:ffff:a01:203"));
  });
});

describe("the client behind trusted proxies", () => {
  const trusted = cidrs("10.0.0.0/8", "fd00::/8");

  it("believes X-Forwarded-For from a trusted peer: the right-most address that is not a trusted proxy", () => {
    expect(clientAddress("10.0.0.2", "198.51.100.7", trusted)).toBe("198.51.100.7");
    // Two proxies: the client, then the first proxy's address, appended by the second.
    expect(clientAddress("10.0.0.2", "198.51.100.7, 10.0.0.3", trusted)).toBe("198.51.100.7");
    expect(clientAddress("fd00::2", "2001:db8::7,fd00::3", trusted)).toBe("2001:db8::7");
    expect(clientAddress("::ffff:10.0.0.2", "198.51.100.7, ::ffff:10.0.0.3", trusted)).toBe("198.51.100.7");
  });

  it("does not believe what the client wrote left of that address", () => {
    expect(clientAddress("10.0.0.2", "192.0.2.66, 198.51.100.7", trusted)).toBe("198.51.100.7");
    expect(clientAddress("10.0.0.2", "10.0.0.9, 198.51.100.7, 10.0.0.3", trusted)).toBe("198.51.100.7");
    // Garbage the client sent, left of what the proxy appended, is never read.
    expect(clientAddress("10.0.0.2", "not an address, 198.51.100.7", trusted)).toBe("198.51.100.7");
  });

  it("takes the left-most address when every hop is a trusted proxy", () => {
    expect(clientAddress("10.0.0.2", "10.0.0.9, 10.0.0.3", trusted)).toBe("10.0.0.9");
  });

  it("ignores X-Forwarded-For from a peer that is not trusted", () => {
    expect(clientAddress("203.0.113.5", "198.51.100.7", trusted)).toBe("203.0.113.5");
    expect(clientAddress("203.0.113.5", "198.51.100.7", [])).toBe("203.0.113.5");
    expect(clientAddress("not an address", "198.51.100.7", trusted)).toBe("not an address");
  });

  it.each(["", " ", "198.51.100.7,", "198.51.100.7, not an address", "198.51.100.7:4431", "[2001:db8::7]", "198.51.100.7,,10.0.0.3"])(
    "falls back to the peer for a header it cannot read: %j",
    (forwarded) => {
      expect(clientAddress("10.0.0.2", forwarded, trusted)).toBe("10.0.0.2");
    },
  );

  it("is the peer when there is no header, and nobody when there is no peer", () => {
    expect(clientAddress("10.0.0.2", undefined, trusted)).toBe("10.0.0.2");
    expect(clientAddress(undefined, "198.51.100.7", trusted)).toBeUndefined();
  });
});
