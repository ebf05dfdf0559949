import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { internalRequest } from "../../src/internal";
import { addressKey } from "../../src/rate-limit";
import { browse, call, Jar, LOCAL, PUBLIC, signIn } from "./helpers";

/**
 * The suite runs with generous limits; here a binding of 3 requests per
 * 10 s takes the place of one of them. Every test uses its own client IP.
 */
const strict = { RATE_LIMITER_STRICT: env.LOW_RATE_LIMIT };
const general = { RATE_LIMITER: env.LOW_RATE_LIMIT };
let ipCounter = 0;
const newIP = () => `203.0.113.${++ipCounter + Math.floor(Math.random() * 200)}`;
/** A /64 of its own for each test; `host` picks an address inside it. */
const newIPv6Net = () => {
  const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${(++ipCounter).toString(16)}`;
  return (host: string) => `${net}:${host}`;
};

afterEach(() => vi.restoreAllMocks());

const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

describe("rate limiting", () => {
  it("limits sign-in starts per IP: 429 with Retry-After, JSON or a page, and an audit line", async () => {
    const ip = newIP();
    for (let i = 0; i < 3; i++) expect((await call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip } }, strict)).status).toBe(302);
    const log = vi.spyOn(console, "log");
    const json = await call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip, Accept: "application/json" } }, strict);
    expect(json.status).toBe(429);
    expect(json.headers.get("Retry-After")).toBe("10");
    expect(await json.json()).toMatchObject({ error: "rate_limited" });
    const page = await call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip } }, strict);
    expect(page.status).toBe(429);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("Too many attempts");
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "rate_limited", reason: "signin", ip, key: "ip" })]));
    // Someone else is not affected.
    expect((await call("/auth/signin/github", { headers: { "CF-Connecting-IP": newIP() } }, strict)).status).toBe(302);
  });

  it("limits callbacks per IP, before the flow cookie is spent", async () => {
    const ip = newIP();
    const jar = new Jar();
    const headers = { "CF-Connecting-IP": ip };
    for (let i = 0; i < 3; i++) await call("/auth/callback/github?code=x&state=y", { headers }, strict);
    await browse(jar, "/auth/signin/dev", { headers: { "CF-Connecting-IP": newIP() } }, strict);
    const limited = await browse(jar, "/auth/callback/dev?code=x&state=y", { headers }, strict);
    expect(limited.status).toBe(429);
    expect(jar.get("auth.flow")).toBeDefined();
  });

  it("limits second-factor attempts per user, whatever the IP", async () => {
    const { jar } = await signIn("dev", { as: "Limited Guesser" });
    expect((await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await browse(jar, "/auth/2fa/enable", {
        method: "POST",
        body: new URLSearchParams({ code: "000000" }),
        headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", "CF-Connecting-IP": newIP() },
      }, strict);
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it("limits state-changing requests per IP with the general limit", async () => {
    const ip = newIP();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call("/auth/signout", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json", "CF-Connecting-IP": ip } }, general)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Reads are not limited: they grant nothing new.
    for (let i = 0; i < 5; i++) expect((await call("/auth/session", { headers: { "CF-Connecting-IP": ip } }, general)).status).toBe(401);
  });

  it("limits renewals per user", async () => {
    // The limiter keeps real time, so the sessions expire for real: one-second cookies.
    const short = { ACCESS_TTL: "1" };
    const jars = [];
    for (let i = 0; i < 4; i++) jars.push((await signIn("dev", { as: "Renewal Storm", vars: short })).jar);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const statuses: number[] = [];
    for (const jar of jars) statuses.push((await browse(jar, "/auth/session", { headers: { "CF-Connecting-IP": newIP() } }, { ...short, ...general })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("counts an IPv6 client by its /64, whichever of its addresses it uses", async () => {
    const inNet = newIPv6Net();
    const start = (ip: string) => call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip } }, strict);
    for (const host of ["0:0:0:1", "0:0:0:2", "abcd:ef01:2345:6789"]) expect((await start(inNet(host))).status).toBe(302);
    const log = vi.spyOn(console, "log");
    const rotated = inNet("0:0:0:4").toUpperCase();
    expect((await start(rotated)).status).toBe(429);
    // The line names the kind of key; the address is the one already logged, the prefix is not added.
    expect(events(log)).toEqual([expect.objectContaining({ event: "rate_limited", reason: "signin", key: "ip6-64", ip: rotated })]);
    // Another /64 is another client.
    expect((await start(newIPv6Net()("0:0:0:4"))).status).toBe(302);
  });

  it("counts a production request that does not say who sent it against the strict limit, whatever the kind", async () => {
    const signOut = (origin: string) =>
      call(`${origin}/auth/signout`, { method: "POST", headers: { Origin: origin, Accept: "application/json" } }, strict);
    const log = vi.spyOn(console, "log");
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signOut(PUBLIC)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = events(log).filter((line) => line.event === "rate_limited");
    expect(limited).toEqual([expect.objectContaining({ reason: "general", key: "missing-ip" })]);
    expect(limited[0]).not.toHaveProperty("ip");
    // wrangler dev need not send the header: there, the usual limit applies.
    for (let i = 0; i < 4; i++) expect((await signOut(LOCAL)).status).toBe(200);
  });

  it("counts AuthService's own requests apart from unnamed clients, under the usual limit", async () => {
    // What AuthService.revoke sends, with AUTH_URL set: a production host and no client address.
    const revoke = () => call(internalRequest(`${PUBLIC}/auth/internal/sessions/none`, { method: "DELETE" }), {}, strict);
    for (let i = 0; i < 4; i++) expect(await (await revoke()).json()).toEqual({ revoked: false });
  });
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
