import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PERIODS } from "../../src/http/rate-limit";
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

/** Addresses that are not in a test's TRUSTED_PROXIES, and the trusted proxies' own: distinct in each run. */
const run = Math.floor(Math.random() * 200);
let hostCounter = 0;
const newClient = () => `198.51.${run}.${++hostCounter}`;
const newProxy = () => `10.${run}.0.${++hostCounter}`;

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

describe("rate limiting", () => {
  it("limits sign-in starts per IP: 429 with Retry-After, JSON or a page, and an audit line", async () => {
    const ip = newIP();
    for (let i = 0; i < 3; i++) expect((await call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip } }, strict)).status).toBe(302);
    const log = vi.spyOn(console, "log");
    const json = await call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip, Accept: "application/json" } }, strict);
    expect(json.status).toBe(429);
    expect(json.headers.get("Retry-After")).toBe(String(PERIODS.RATE_LIMITER_STRICT));
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
    await browse(jar, "/auth/signin/dev", { headers: { "CF-Connecting-IP": newIP() } }, strict);
    // Three per 10-second window: of seven in a row one is refused, whichever window boundary they straddle.
    const statuses: number[] = [];
    for (let i = 0; i < 7 && !statuses.includes(429); i++) statuses.push((await browse(jar, "/auth/callback/dev?code=x&state=y", { headers }, strict)).status);
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses.at(-1)).toBe(429);
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
    const answers: Response[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await call("/auth/signout", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json", "CF-Connecting-IP": ip } }, general));
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.headers.get("Retry-After")).toBe(String(PERIODS.RATE_LIMITER));
    // Reads are not limited: they grant nothing new.
    for (let i = 0; i < 5; i++) expect((await call("/auth/session", { headers: { "CF-Connecting-IP": ip } }, general)).status).toBe(401);
  });

  it("does not let an old cookie of the user's spend the renewals of their live sessions", async () => {
    // The limiter keeps real time, so the sessions expire for real: one-second cookies.
    const short = { ACCESS_TTL: "1" };
    const live = (await signIn("dev", { as: "Renewal Victim", vars: short })).jar;
    const old = (await signIn("dev", { as: "Renewal Victim", vars: short })).jar;
    const oldId = (await (await browse(old, "/auth/session", {}, short)).json<{ sessionId: string }>()).sessionId;
    const oldCookie = old.get("auth.session")!;
    await browse(old, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } }, short);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Someone holding the signed-out session's cookie (still authentic), and a made-up refresh secret.
    const forged = `auth.session=${oldCookie}; auth.refresh=${oldId}.${"A".repeat(43)}`;
    for (let i = 0; i < 5; i++) {
      expect((await call("/auth/session", { headers: { Cookie: forged, "CF-Connecting-IP": newIP() } }, { ...short, ...general })).status).not.toBe(200);
    }
    expect((await browse(live, "/auth/session", { headers: { "CF-Connecting-IP": newIP() } }, { ...short, ...general })).status).toBe(200);
  });

  it("tells a refused client to retry after the period of the limit that refused it", async () => {
    const ip = newIP();
    const signOut = () => call("/auth/signout", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json", "CF-Connecting-IP": ip } }, general);
    const start = () => call("/auth/signin/github", { headers: { "CF-Connecting-IP": ip, Accept: "application/json" } }, strict);
    for (let i = 0; i < 3; i++) await Promise.all([signOut(), start()]);
    // As if wrangler.toml declared a 60-second period for one of them.
    const declared = { ...PERIODS };
    PERIODS.RATE_LIMITER = 60;
    try {
      expect((await signOut()).headers.get("Retry-After")).toBe("60");
      expect((await start()).headers.get("Retry-After")).toBe(String(declared.RATE_LIMITER_STRICT));
    } finally {
      Object.assign(PERIODS, declared);
    }
  });

  it("knows the period wrangler.toml declares for each binding", async () => {
    const toml: string = (await import("../../wrangler.toml?raw")).default;
    const declared = [...toml.matchAll(/\[\[ratelimits\]\]\s*name = "(\w+)"[^[]*?simple = \{ limit = \d+, period = (\d+) \}/g)];
    expect(Object.fromEntries(declared.map(([, name, period]) => [name, Number(period)]))).toEqual(PERIODS);
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
});

describe("renewals", () => {
  // Sessions expire by the worker's clock, and the test limiter's windows
  // follow the same clock (once it is set, everything here is one window).
  const pastAccessTtl = () => vi.setSystemTime(Date.now() + 901_000);
  const setCookies = (response: Response) => response.headers.getSetCookie().map((header) => header.split("=")[0]);

  it("keep a hundred people behind one proxy address signed in: counted per session, not per address", async () => {
    const jars: Jar[] = [];
    for (let i = 0; i < 100; i++) jars.push((await signIn("dev", { as: `Behind Proxy ${run} ${i}` })).jar);
    vi.useFakeTimers({ toFake: ["Date"] });
    pastAccessTtl();
    const proxy = newIP();
    const log = vi.spyOn(console, "log");
    const answers = [];
    for (const [i, jar] of jars.entries()) {
      // An SPA's server reading the session, or a forward-auth proxy that hands our cookies on: one address for all.
      const path = i % 2 === 0 ? "/auth/session" : "/auth/verify";
      const response = await browse(jar, path, { headers: { "CF-Connecting-IP": proxy, "X-Auth-Deliver-Cookies": "true" } }, general);
      answers.push({ path, status: response.status, cookies: setCookies(response) });
    }
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(answers.every((answer) => answer.cookies.join() === "auth.refresh,auth.session")).toBe(true);
    const lines = events(log);
    expect(lines.filter((line) => line.event === "session_renewed")).toHaveLength(100);
    expect(lines.filter((line) => line.event === "rate_limited")).toEqual([]);
  }, 30_000);

  it("still limit one session that renews more often than the limit, by the session's own key", async () => {
    const { jar } = await signIn("dev", { as: `Restless ${run}` });
    vi.useFakeTimers({ toFake: ["Date"] });
    pastAccessTtl();
    const log = vi.spyOn(console, "log");
    // Tabs racing with the same expired cookies: one rotates, the others
    // are handed the same successor within the grace window, and every one
    // of them counts.
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const response = await call("/auth/session", { headers: { Cookie: jar.header, "CF-Connecting-IP": newIP() } }, general);
      answers.push({ status: response.status, cookies: setCookies(response).join() });
    }
    expect(answers).toEqual([
      { status: 200, cookies: "auth.refresh,auth.session" },
      { status: 200, cookies: "auth.refresh,auth.session" },
      { status: 200, cookies: "auth.refresh,auth.session" },
      { status: 429, cookies: "" },
    ]);
    const limited = events(log).filter((line) => line.event === "rate_limited");
    // The key's kind, as for addresses: not the session id.
    expect(limited).toEqual([expect.objectContaining({ reason: "renewal", key: "session" })]);
  });
});

describe("behind TRUSTED_PROXIES", () => {
  const vars = { ...strict, TRUSTED_PROXIES: "10.0.0.0/8, fd00::/8" };
  const start = (peer: string, forwardedFor: string) =>
    call("/auth/signin/github", { headers: { "CF-Connecting-IP": peer, "X-Forwarded-For": forwardedFor } }, vars);
  const limitedLines = (log: { mock: { calls: unknown[][] } }) => events(log).filter((line) => line.event === "rate_limited");

  it("counts each client behind a trusted proxy by its own address, and logs that address", async () => {
    const proxy = newProxy();
    const [alice, bob] = [newClient(), newClient()];
    // Through two trusted proxies: the first appended Alice, the second the first.
    for (let i = 0; i < 3; i++) expect((await start(proxy, `${alice}, ${newProxy()}`)).status).toBe(302);
    const log = vi.spyOn(console, "log");
    expect((await start(proxy, alice)).status).toBe(429);
    expect(limitedLines(log)).toEqual([expect.objectContaining({ reason: "signin", key: "ip", ip: alice })]);
    // Bob, behind the same proxy (or its IPv6 side), has a bucket of his own.
    expect((await start(proxy, bob)).status).toBe(302);
    expect((await start(`fd00::${hostCounter}`, bob)).status).toBe(302);
  });

  it("believes only what trusted proxies wrote: not a forged left-most entry, an untrusted peer's header or one it cannot read", async () => {
    const client = newClient();
    // The client makes up a new address each time; the proxy appends the real one.
    // Whichever of the proxies it comes through, it is counted as itself.
    for (let i = 0; i < 3; i++) expect((await start(newProxy(), `${newClient()}, ${client}`)).status).toBe(302);
    const log = vi.spyOn(console, "log");
    expect((await start(newProxy(), `${newClient()}, ${client}`)).status).toBe(429);
    expect(limitedLines(log)).toEqual([expect.objectContaining({ key: "ip", ip: client })]);

    // A peer that is not one of the proxies is the client, whatever it says it forwards.
    const outsider = newIP();
    for (let i = 0; i < 3; i++) expect((await start(outsider, newClient())).status).toBe(302);
    expect((await start(outsider, newClient())).status).toBe(429);
    expect(limitedLines(log)[1]).toMatchObject({ key: "ip", ip: outsider });

    // A header that cannot be read names nobody: the proxy is the client.
    const proxy = newProxy();
    for (const forwarded of [`${newClient()}:443`, "unknown", `${newClient()},,`]) expect((await start(proxy, forwarded)).status).toBe(302);
    expect((await start(proxy, `[${newClient()}]`)).status).toBe(429);
    expect(limitedLines(log)[2]).toMatchObject({ key: "ip", ip: proxy });
  });
});
