import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { browse, call, fakeClock, Jar, sessionRow, signIn } from "./helpers";

/**
 * Adversarial review of issue 12's changes. Each test asserts the secure (or
 * documented) behaviour and fails while the weakness exists.
 */
const { advance } = fakeClock();

const json = { Accept: "application/json" };
const copy = (jar: Jar) => {
  const other = new Jar();
  for (const [name, value] of jar.cookies) other.cookies.set(name, value);
  return other;
};
const events = (log: { mock: { calls: unknown[][] } }) =>
  log.mock.calls.flatMap(([line]) => {
    try {
      return [JSON.parse(String(line))];
    } catch {
      return [];
    }
  });
const setCookieNames = (response: Response) => response.headers.getSetCookie().map((header) => header.split("=")[0]!);

describe("refresh rotation: a thief that rotates twice", () => {
  it("is exposed when the owner comes back with the secret the thief's first renewal replaced", async () => {
    const log = vi.spyOn(console, "log");
    const { jar: owner } = await signIn("dev", { as: "victim-double-rotation" });
    const thief = copy(owner); // a copied cookie pair (malware, a copied profile)
    const sid = (await (await browse(owner, "/auth/session", { headers: json })).json<{ sessionId: string }>()).sessionId;

    // The thief renews twice, well apart (no grace window involved).
    advance(901);
    expect((await browse(thief, "/auth/session", { headers: json })).status).toBe(200);
    advance(901);
    expect((await browse(thief, "/auth/session", { headers: json })).status).toBe(200);

    // The owner's browser renews with the secret it was given: an authentic
    // ancestor of the current one (the successor is derived from it), so the
    // copy must show — as README's threat model says it does.
    advance(120);
    const back = await browse(owner, "/auth/session", { headers: json });
    expect(back.status).toBe(401);
    expect(events(log).map((line) => line.event)).toContain("refresh_reuse");
    expect((await sessionRow(sid))!.revoked_at).not.toBeNull();
    expect((await browse(thief, "/auth/session", { headers: json })).status).toBe(401);
  });
});

const A = "adversarial-secret-A-0123456789abcdef0123";
const B = "adversarial-secret-B-0123456789abcdef0123";
const onlyA = { AUTH_SECRET: A };
const rotated = { AUTH_SECRET: `${B},${A}` };

describe("lost-renewal resync across an AUTH_SECRET rotation (A → B,A)", () => {
  it("hands the browser its successor when the lost renewal ran before the rotation and the retry after", async () => {
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("dev", { as: "victim-rotation-resync", vars: onlyA });
    advance(901);
    // Renewal on an isolate still configured with A alone; its answer is lost.
    const headers = new Headers(json);
    headers.set("Cookie", jar.header);
    expect((await call("/auth/session", { headers }, onlyA)).status).toBe(200);
    // The browser retries within the grace window, on an isolate already running B,A.
    advance(5);
    const retry = await browse(jar, "/auth/session", { headers: json }, rotated);
    expect(retry.status).toBe(200);
    expect(setCookieNames(retry)).toContain("auth.refresh");
    // …so its next renewal, long after, is not taken for theft.
    advance(901);
    expect((await browse(jar, "/auth/session", { headers: json }, rotated)).status).toBe(200);
    expect(events(log).map((line) => line.event)).not.toContain("refresh_reuse");
  });
});

/** A D1 binding whose statements matching `pattern` fail (a timeout, an outage), the rest going through. */
function failingOn(pattern: RegExp) {
  const failing = () => Promise.reject(new Error("D1 statement failed"));
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (pattern.test(sql) && (property === "first" || property === "run" || property === "all" || property === "raw")) return failing;
        return (target as any)[property];
      },
    });
  return { prepare: (sql: string) => wrap(env.DB.prepare(sql), sql), batch: (s: D1PreparedStatement[]) => env.DB.batch(s) };
}

const proxyVars = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream` };
const withToken = { ...proxyVars, PASS_ACCESS_TOKEN: "true" };
const forwarded = async (response: Response) => (await response.json<{ headers: Record<string, string> }>()).headers["x-forwarded-access-token"];

describe("storing the provider's rotated refresh token fails once (a D1 hiccup)", () => {
  it("neither throws away the new grant nor ends the session at the next renewal", async () => {
    const log = vi.spyOn(console, "log");
    const login = `post-commit-${Math.floor(Math.random() * 1e6)}`;
    const { jar } = await signIn("vercel", { as: login });
    const sid = (await (await browse(jar, "/auth/session", { headers: json })).json<{ sessionId: string }>()).sessionId;
    // The session cookie and Vercel's 1-hour token have both expired.
    advance(3601);
    // Vercel answers the refresh (spending the old refresh token and issuing a
    // new one), but the statement storing the new one fails.
    const flaky = { DB: failingOn(/SET provider_refresh_token/) };
    expect((await browse(jar, "/auth/session", { headers: json }, flaky)).status).toBe(200);
    // D1 is fine again. At the next renewal the session must go on.
    advance(901);
    const again = await browse(jar, "/auth/session", { headers: json });
    expect(again.status).toBe(200);
    expect((await sessionRow(sid))!.revoked_at).toBeNull();
    expect(events(log).filter((line) => line.event === "revoked").map((line) => line.kind)).not.toContain("provider_refresh_failed");
  });
});

describe("provider token renewed on demand: the request that lost the race", () => {
  it("does not leave the browser holding the expired token once the winner's cookies are in", async () => {
    const login = `race-order-${Math.floor(Math.random() * 1e6)}`;
    const { jar } = await signIn("vercel", { as: login, vars: withToken });
    advance(3000);
    expect(setCookieNames(await browse(jar, "/auth/session", {}, withToken))).toEqual(["auth.refresh", "auth.session"]);
    advance(601); // session cookie good for 5 more minutes, Vercel token expired
    const before = jar.header;
    // Two tabs send the same cookies; the first renews, the second lost the race.
    const winner = await call("/t", { headers: { Cookie: before } }, withToken);
    const fresh = await forwarded(winner.clone());
    const loser = await call("/t", { headers: { Cookie: before } }, withToken);
    const stale = await forwarded(loser.clone());
    expect(fresh).not.toBe(stale);
    jar.take(winner).take(loser); // the loser's answer arrives last
    const next = await browse(jar, "/t", {}, withToken);
    expect(next.status).toBe(200);
    // The upstream must not be handed the expired token for the rest of the cookie's life.
    expect(await forwarded(next)).not.toBe(stale);
  });
});
