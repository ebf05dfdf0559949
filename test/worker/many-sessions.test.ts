import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { seal } from "../../src/crypto/seal";
import { MAX_SESSIONS } from "../../src/session/session";
import { browse, call, countingKV, fakeClock, Jar, LOCAL, sessionOf, signIn } from "./helpers";

// One account with more sessions than anyone should have: the cap, "sign
// out everywhere" (and an admin's "end all") however many there are, and
// lists that page through all of them.

const json = { Accept: "application/json" };
const out = { method: "POST", headers: { Origin: LOCAL, ...json } };
const admin = { ADMIN_USERS: "dev:root" };
const { advance, seconds } = fakeClock();

async function signedIn(name: string, vars?: Record<string, unknown>) {
  const { jar } = await signIn("dev", { as: name, vars });
  return { jar, id: (await sessionOf(jar)).body.sessionId as string };
}

interface Seeded {
  id: string;
  /** A session cookie for it, when one was issued recently enough to be live. */
  cookie?: string;
}

/**
 * Sessions put straight into D1, as a flood of sign-ins (or the time
 * before the cap) would leave them: `recent` with a cookie issued five
 * minutes ago (still live), `stale` last renewed two hours ago (their
 * cookies long expired; D1 alone stops them).
 */
async function seed(userKey: string, { recent, stale, createdAt = seconds() - 3600 }: { recent: number; stale: number; createdAt?: number }) {
  const keys = await getKeyring([env.AUTH_SECRET]);
  const login = userKey.slice(4);
  const seeded: Seeded[] = [];
  const insert = env.DB.prepare(
    `INSERT INTO sessions (id, user_key, provider, secret_hash, remember, created_at, last_used_at, idle_expires_at, expires_at)
     VALUES (?1, ?2, 'dev', 'unused', 0, ?3, ?4, ?5, ?6)`,
  );
  const rows: D1PreparedStatement[] = [];
  for (let i = 0; i < recent + stale; i++) {
    const id = `${login}-${String(i).padStart(3, "0")}`;
    // A few share a second, so the lists' order needs its tie-break.
    const created = createdAt + Math.floor(i / 3);
    const used = i < recent ? seconds() - 300 : seconds() - 7200;
    rows.push(insert.bind(id, userKey, created, used, used + 86_400, created + 604_800));
    const claims = { sid: id, sub: userKey, prv: "dev", usr: { id: login, login, name: null, email: null, avatarUrl: null }, pat: "x", pax: null, rem: false, end: used + 86_400 };
    seeded.push(i < recent ? { id, cookie: await seal(keys, "session", claims, 600) } : { id });
  }
  await env.DB.batch(rows);
  return seeded;
}

const status = async (cookie: string) => (await call("/auth/session", { headers: { Cookie: `auth.session=${cookie}` } })).status;
const statuses = async (seeded: Seeded[]) => Promise.all(seeded.filter((s) => s.cookie).map((s) => status(s.cookie!)));
const liveRows = async (userKey: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = ?1 AND revoked_at IS NULL").bind(userKey).first<{ n: number }>())!.n;
const auditLines = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

describe("the cap on live sessions per user", () => {
  it(`a sign-in beyond ${MAX_SESSIONS} ends the oldest session: its cookie stops working, audited; the rest work`, async () => {
    const oldest = await signedIn("Cap Tester");
    advance(1);
    await seed("dev:cap-tester", { recent: 0, stale: MAX_SESSIONS - 2, createdAt: seconds() });
    advance(60);
    const full = await signedIn("Cap Tester");
    expect(await liveRows("dev:cap-tester")).toBe(MAX_SESSIONS);
    expect((await sessionOf(oldest.jar)).status).toBe(200);

    advance(1);
    const log = vi.spyOn(console, "log");
    const newest = await signedIn("Cap Tester");
    expect((await sessionOf(oldest.jar)).status).toBe(401);
    expect(auditLines(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "revoked", sessionId: oldest.id, user: "dev:cap-tester", kind: "session_limit", by: "system" })]));
    expect(auditLines(log).filter((line) => line.event === "revoked")).toHaveLength(1);
    expect((await sessionOf(full.jar)).status).toBe(200);
    expect((await sessionOf(newest.jar)).status).toBe(200);
    expect(await liveRows("dev:cap-tester")).toBe(MAX_SESSIONS);
  });
});

describe("sign out everywhere, however many sessions", () => {
  it("with 120 sessions leaves every live cookie refused and every record ended, writing entries only for cookies that may be live", async () => {
    const own = await signedIn("Very Many");
    const seeded = await seed("dev:very-many", { recent: 95, stale: 25 });
    expect(new Set(await statuses(seeded))).toEqual(new Set([200]));

    const kv = countingKV(env.REVOCATIONS);
    const response = await browse(own.jar, "/auth/signout?all=1", out, { REVOCATIONS: kv.binding });
    expect(response.status).toBe(200);
    expect(new Set(await statuses(seeded))).toEqual(new Set([401]));
    expect((await sessionOf(own.jar)).status).toBe(401);
    expect(await liveRows("dev:very-many")).toBe(0);
    // The 95 recent ones and the asking session; the stale 25 need none.
    expect(kv.calls.put).toBe(96);
    expect(await env.REVOCATIONS.get(`revoked:${seeded[119]!.id}`)).toBeNull();
  });

  it.each([
    ["sign out everywhere", "Flaky Everywhere", "/auth/signout?all=1"],
    ["an admin's end all", "Flaky Admin", "/auth/admin/sessions?user=dev:flaky-admin"],
  ])("%s that fails partway through (KV refusing writes) is finished by a retry", async (_, name, path) => {
    const userKey = `dev:${name.toLowerCase().replace(" ", "-")}`;
    const asking = path.includes("admin") ? await signedIn("Root", admin) : await signedIn(name);
    const victim = await signedIn(name);
    const seeded = await seed(userKey, { recent: 30, stale: 10 });
    let puts = 0;
    const flaky = {
      get: (...args: Parameters<KVNamespace["get"]>) => env.REVOCATIONS.get(...args),
      put: (...args: Parameters<KVNamespace["put"]>) => (++puts % 3 === 0 ? Promise.reject(new Error("KV down")) : env.REVOCATIONS.put(...args)),
    };
    const method = path.includes("admin") ? "DELETE" : "POST";
    const failed = await browse(asking.jar, path, { method, headers: { Origin: LOCAL, ...json } }, { ...admin, REVOCATIONS: flaky });
    expect(failed.status).toBe(503);
    expect(puts).toBeGreaterThan(0);
    // The one asking can still ask again.
    expect((await sessionOf(asking.jar)).status).toBe(200);

    const retried = await browse(asking.jar, path, { method, headers: { Origin: LOCAL, ...json } }, admin);
    expect(retried.status).toBe(200);
    expect(new Set(await statuses(seeded))).toEqual(new Set([401]));
    expect((await sessionOf(victim.jar)).status).toBe(401);
    expect(await liveRows(userKey)).toBe(0);
  });

  it("also ends, with an entry, a session renewed while it runs", async () => {
    const own = await signedIn("Racing Renewal");
    const [stale] = await seed("dev:racing-renewal", { recent: 0, stale: 1 });
    const keys = await getKeyring([env.AUTH_SECRET]);
    const renewedCookie = await seal(keys, "session", { sid: stale!.id, sub: "dev:racing-renewal", prv: "dev", usr: { id: "racing-renewal", login: "racing-renewal", name: null, email: null, avatarUrl: null }, pat: "x", pax: null, rem: false, end: seconds() + 86_400 }, 900);
    // The stale session renews (another request, elsewhere) just after the
    // worker has looked for sessions with a live cookie, and before it ends them.
    let renewed = false;
    const db = {
      prepare: (sql: string) => {
        const statement = env.DB.prepare(sql);
        if (!sql.startsWith("SELECT id FROM sessions WHERE id IN")) return statement;
        return {
          bind: (...values: unknown[]) => ({
            all: async () => {
              const result = await statement.bind(...values).all();
              if (!renewed) {
                renewed = true;
                await env.DB.prepare("UPDATE sessions SET last_used_at = ?1 WHERE id = ?2").bind(seconds(), stale!.id).run();
              }
              return result;
            },
          }),
        };
      },
    };
    expect(await status(renewedCookie)).toBe(200);
    const response = await browse(own.jar, "/auth/signout?all=1", out, { DB: db });
    expect(response.status).toBe(200);
    expect(renewed).toBe(true);
    expect(await status(renewedCookie)).toBe(401);
    expect(await liveRows("dev:racing-renewal")).toBe(0);
  });
});

describe("session lists page through every session", () => {
  async function pages(jar: Jar, path: string, vars?: Record<string, unknown>) {
    const ids: string[] = [];
    const sizes: number[] = [];
    for (let url = path, n = 0; n < 10; n++) {
      const response = await browse(jar, url, { headers: json }, vars);
      expect(response.status).toBe(200);
      const body = await response.json<{ sessions: { id: string }[]; next?: string }>();
      ids.push(...body.sessions.map((s) => s.id));
      sizes.push(body.sessions.length);
      if (!body.next) break;
      url = `${path}${path.includes("?") ? "&" : "?"}after=${encodeURIComponent(body.next)}`;
    }
    return { ids, sizes };
  }

  it("GET /auth/sessions: every session exactly once, newest first, with next until the last page", async () => {
    const own = await signedIn("Paged User");
    const seeded = await seed("dev:paged-user", { recent: 60, stale: 60 });
    const { ids, sizes } = await pages(own.jar, "/auth/sessions");
    expect(ids).toHaveLength(121);
    expect(new Set(ids)).toEqual(new Set([own.id, ...seeded.map((s) => s.id)]));
    expect(sizes.every((size) => size <= 100)).toBe(true);
    expect(sizes.length).toBeGreaterThan(1);
    expect(ids[0]).toBe(own.id);
  });

  it("GET /auth/admin/sessions?user=: the same, for an admin", async () => {
    const root = await signedIn("Root", admin);
    const seeded = await seed("dev:admin-paged", { recent: 10, stale: 110 });
    const { ids } = await pages(root.jar, "/auth/admin/sessions?user=dev:admin-paged", admin);
    expect(ids).toHaveLength(120);
    expect(new Set(ids)).toEqual(new Set(seeded.map((s) => s.id)));
  });

  it("the devices page links to the next page; a cursor that is not one starts from the top", async () => {
    const own = await signedIn("Paged Page");
    await seed("dev:paged-page", { recent: 0, stale: 80 });
    const html = await (await browse(own.jar, "/auth/sessions")).text();
    const more = /href="(\/auth\/sessions\?after=[^"]+)"/.exec(html);
    expect(more).not.toBeNull();
    const next = await (await browse(own.jar, more![1]!.replaceAll("&amp;", "&"))).text();
    expect(next).toContain('action="/auth/signout?all=1"');
    expect(next).not.toContain("?after=");
    const top = await (await browse(own.jar, "/auth/sessions?after=nonsense", { headers: json })).json<{ sessions: { id: string }[]; next?: string }>();
    expect(top.sessions[0]!.id).toBe(own.id);
    expect(top.next).toEqual(expect.any(String));
  });
});
