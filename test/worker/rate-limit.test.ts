import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, call, Jar, LOCAL, signIn } from "./helpers";

/**
 * The suite runs with generous limits; here a binding of 3 requests per
 * 10 s takes the place of one of them. Every test uses its own client IP.
 */
const strict = { RATE_LIMITER_STRICT: env.LOW_RATE_LIMIT };
const general = { RATE_LIMITER: env.LOW_RATE_LIMIT };
let ipCounter = 0;
const newIP = () => `203.0.113.${++ipCounter + Math.floor(Math.random() * 200)}`;

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
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "rate_limited", reason: "signin", ip })]));
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
});
