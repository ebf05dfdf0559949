import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { open } from "../../src/crypto/seal";
import type { SessionClaims } from "../../src/session/session";
import { relativeTime } from "../../pages/src/relative-time";
import { browse, call, countingD1, countingKV, fakeClock, Jar, LOCAL, revokeStoredVercelRefreshToken, sessionOf, sessionRow, signIn } from "./helpers";

const json = { Accept: "application/json" };
/** A D1 binding whose every statement fails, as during an outage. */
const failing = () => Promise.reject(new Error("D1 down"));
const brokenD1 = { prepare: () => ({ bind: () => ({ run: failing, first: failing, all: failing }) }) };
const { advance, seconds } = fakeClock();

const setCookies = (response: Response) => response.headers.getSetCookie().map((h) => h.split("=")[0]);
const refreshValue = (jar: Jar) => jar.get("auth.refresh")!;

async function signedIn(name = "Life Cycle", remember = false) {
  const { jar } = await signIn("dev", { as: name, remember });
  const { body } = await sessionOf(jar);
  return { jar, id: body.sessionId as string };
}

async function claimsOf(jar: Jar): Promise<SessionClaims> {
  const opened = await open<SessionClaims>(await getKeyring([env.AUTH_SECRET]), "session", jar.get("auth.session")!);
  if (opened.status === "invalid") throw new Error("no session cookie");
  return opened.claims;
}

describe("refresh records", () => {
  it("are created at sign-in with hashes only, the device and the lifetimes", async () => {
    const { jar, id } = await signIn("dev", { as: "Row Maker" }).then(async ({ jar }) => ({ jar, id: (await sessionOf(jar)).body.sessionId }));
    const row = (await sessionRow(id))!;
    const secret = refreshValue(jar).split(".")[1]!;
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row).toMatchObject({ user_key: "dev:row-maker", provider: "dev", remember: 0, revoked_at: null, previous_secret_hash: null });
    expect(row.secret_hash).toMatch(/^[\w-]{43}$/);
    expect(row.expires_at - row.created_at).toBe(604_800);
    expect(row.idle_expires_at - row.created_at).toBe(86_400);
  });

  it("describe the device from the user agent", async () => {
    const jar = new Jar();
    const ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
    const start = await browse(jar, "/auth/signin/dev", { headers: { "User-Agent": ua } });
    const authorize = new URL(start.headers.get("Location")!);
    const form = new URLSearchParams({ name: "Agent", state: authorize.searchParams.get("state")!, redirect_uri: authorize.searchParams.get("redirect_uri")!, code_challenge: authorize.searchParams.get("code_challenge")! });
    const approved = await call("/auth/dev/authorize", { method: "POST", body: form, headers: { Origin: LOCAL } });
    await browse(jar, approved.headers.get("Location")!, { headers: { "User-Agent": ua } });
    const { body } = await sessionOf(jar);
    expect((await sessionRow(body.sessionId))!.device).toBe("Chrome on Linux");
  });

  it("a D1 failure at sign-in is a 503 and sets no cookie", async () => {
    const { response, jar } = await signIn("dev", { as: "No Store", vars: { DB: brokenD1 }, headers: json });
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toMatchObject({ error: "session_store_unavailable" });
    expect(jar.get("auth.session")).toBeUndefined();
    expect(jar.get("auth.refresh")).toBeUndefined();
  });
});

describe("silent renewal", () => {
  it("does nothing while the session cookie is fresh", async () => {
    const { jar } = await signedIn();
    advance(600);
    const response = await browse(jar, "/auth/session");
    expect(response.status).toBe(200);
    expect(setCookies(response)).toEqual([]);
  });

  it("renews an expired session cookie, keeping the session id and rotating the secret", async () => {
    const { jar, id } = await signedIn();
    const before = (await sessionRow(id))!;
    const oldRefresh = refreshValue(jar);
    advance(901);
    const response = await browse(jar, "/auth/session");
    expect(response.status).toBe(200);
    expect((await response.json<{ sessionId: string }>()).sessionId).toBe(id);
    expect(setCookies(response)).toEqual(["auth.refresh", "auth.session"]);
    expect(refreshValue(jar)).not.toBe(oldRefresh);
    const after = (await sessionRow(id))!;
    expect(after.previous_secret_hash).toBe(before.secret_hash);
    expect(after.secret_hash).not.toBe(before.secret_hash);
    expect(after.last_used_at).toBe(seconds());
    expect((await sessionOf(jar)).status).toBe(200);
  });

  it("renews within the last 20 % of the cookie's life", async () => {
    const { jar } = await signedIn();
    advance(730);
    expect(setCookies(await browse(jar, "/auth/session"))).toEqual(["auth.refresh", "auth.session"]);
  });

  it("renews on any authenticated route, not just /auth/session", async () => {
    const { jar } = await signedIn();
    advance(1000);
    const page = await browse(jar, "/auth");
    expect(page.status).toBe(200);
    expect(setCookies(page)).toEqual(["auth.refresh", "auth.session"]);
  });

  it("keeps two tabs renewing at once both signed in, holding the same new refresh cookie", async () => {
    const { jar } = await signedIn();
    advance(901);
    const stale = jar.header;
    const [a, b] = await Promise.all([
      call("/auth/session", { headers: { Cookie: stale } }),
      call("/auth/session", { headers: { Cookie: stale } }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // One rotated the secret; the other was handed the same successor, so
    // whichever response the browser keeps last, its refresh cookie renews.
    const values = [a, b].map((r) => new Jar().take(r).get("auth.refresh"));
    expect(values[0]).toBeDefined();
    expect(values[1]).toBe(values[0]);
    jar.take(b);
    advance(901);
    const renewed = await browse(jar, "/auth/session");
    expect(renewed.status).toBe(200);
    expect(setCookies(renewed)).toEqual(["auth.refresh", "auth.session"]);
  });

  it("puts a browser whose renewal response was lost back in sync within the grace window", async () => {
    const log = vi.spyOn(console, "log");
    const { jar, id } = await signedIn();
    advance(901);
    // The rotation commits, but its response never reaches the browser.
    expect((await call("/auth/session", { headers: { Cookie: jar.header } })).status).toBe(200);
    advance(20);
    const retry = await browse(jar, "/auth/session");
    expect(retry.status).toBe(200);
    expect(setCookies(retry)).toEqual(["auth.refresh", "auth.session"]);
    advance(901);
    const next = await browse(jar, "/auth/session");
    expect(next.status).toBe(200);
    expect(setCookies(next)).toEqual(["auth.refresh", "auth.session"]);
    expect((await sessionRow(id))!.revoked_at).toBeNull();
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)).event)).not.toContain("refresh_reuse");
  });

  it("treats the previous secret after the grace window as reuse: the whole session is revoked", async () => {
    const log = vi.spyOn(console, "log");
    const { jar, id } = await signedIn();
    advance(901);
    const stolen = jar.header;
    await browse(jar, "/auth/session");
    advance(31);
    const thief = await call("/auth/session", { headers: { Cookie: stolen } });
    expect(thief.status).toBe(401);
    expect((await sessionRow(id))!.revoked_at).not.toBeNull();
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "refresh_reuse", sessionId: id })]),
    );
    // The legitimate holder is out too: the family is gone.
    expect((await sessionOf(jar)).status).toBe(401);
    advance(901);
    expect((await sessionOf(jar)).status).toBe(401);
  });

  it("refuses a refresh cookie for another session id", async () => {
    const a = await signedIn("Alpha");
    const b = await signedIn("Beta");
    advance(901);
    const mixed = `auth.session=${a.jar.get("auth.session")}; auth.refresh=${refreshValue(b.jar)}`;
    expect((await call("/auth/session", { headers: { Cookie: mixed } })).status).toBe(401);
  });

  it("fails closed with 503 when D1 is down, and loses nothing", async () => {
    const { jar, id } = await signedIn();
    const before = (await sessionRow(id))!;
    advance(901);
    const down = await browse(jar, "/auth/session", { headers: json }, { DB: brokenD1 });
    expect(down.status).toBe(503);
    expect(down.headers.get("Retry-After")).toBe("5");
    expect(setCookies(down)).toEqual([]);
    expect((await sessionRow(id))!.secret_hash).toBe(before.secret_hash);
    expect((await sessionOf(jar)).status).toBe(200);
  });

  it("keeps serving a still-valid cookie when renewal cannot reach D1", async () => {
    const { jar } = await signedIn();
    advance(800);
    const response = await browse(jar, "/auth/session", {}, { DB: brokenD1 });
    expect(response.status).toBe(200);
  });
});

describe("timeouts", () => {
  it("ends a session idle for longer than SESSION_IDLE_TTL", async () => {
    const { jar } = await signedIn();
    advance(86_401);
    const response = await browse(jar, "/auth/session");
    expect(response.status).toBe(401);
    expect(jar.get("auth.refresh")).toBeUndefined();
  });

  it("never renews past SESSION_MAX_TTL, however active", async () => {
    const { jar } = await signedIn();
    let lastOk = 0;
    for (let hours = 12; hours <= 24 * 8; hours += 12) {
      advance(12 * 3600);
      if ((await sessionOf(jar)).status === 200) lastOk = hours;
    }
    expect(lastOk).toBe(24 * 7 - 12);
  });

  it("a renewal just before the absolute limit issues a cookie and a token that end with the session", async () => {
    const vars = { SESSION_IDLE_TTL: "1000", SESSION_MAX_TTL: "1000" };
    const { jar } = await signIn("dev", { as: "Last Minutes", vars });
    const session = jar.get("auth.session")!;
    advance(850);
    // Near its end the cookie renews; the new one may only live to the session's end (150 s), not ACCESS_TTL.
    expect((await browse(jar, "/auth/session", {}, vars)).status).toBe(200);
    expect(jar.get("auth.session")).not.toBe(session);
    const minted = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } }, vars);
    const { access_token: token, expires_in: expiresIn } = await minted.json<{ access_token: string; expires_in: number }>();
    expect(expiresIn).toBe(150);
    advance(151);
    // Neither the cookie alone (no refresh cookie: no renewal) nor the token outlives the session.
    expect((await call("/auth/session", { headers: { Cookie: `auth.session=${jar.get("auth.session")}` } }, vars)).status).toBe(401);
    expect((await call("/auth/session", { headers: { Authorization: `Bearer ${token}` } }, vars)).status).toBe(401);
  });

  it("without remember-me: browser-session cookies; with it: persistent ones that survive idle days", async () => {
    const plain = await signIn("dev", { as: "Forgetful" });
    for (const header of plain.response.headers.getSetCookie().filter((h) => /^auth\.(session|refresh)=/.test(h))) {
      expect(header).not.toMatch(/Max-Age/);
    }
    const remembered = await signIn("dev", { as: "Remembered", remember: true });
    for (const header of remembered.response.headers.getSetCookie().filter((h) => /^auth\.(session|refresh)=/.test(h))) {
      expect(header).toMatch(/Max-Age=2592000/);
    }
    advance(3 * 86_400);
    expect((await sessionOf(remembered.jar)).status).toBe(200);
    advance(28 * 86_400);
    expect((await sessionOf(remembered.jar)).status).toBe(401);
  });
});

describe("revocation", () => {
  it("sign-out marks the record revoked; the replayed cookies never work again, not even by renewal", async () => {
    const { jar, id } = await signedIn();
    const stolen = jar.header;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect((await sessionRow(id))!.revoked_at).not.toBeNull();
    expect((await call("/auth/session", { headers: { Cookie: stolen } })).status).toBe(401);
    advance(901);
    expect((await call("/auth/session", { headers: { Cookie: stolen } })).status).toBe(401);
  });

  it("sign-out everywhere ends every session of the user, and cookies handed out die at once", async () => {
    const laptop = await signedIn("Every Where");
    const phone = await signedIn("Every Where");
    const other = await signedIn("Somebody Else");
    const out = await browse(laptop.jar, "/auth/signout?all=1", { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(out.status).toBe(200);
    expect((await sessionOf(phone.jar)).status).toBe(401);
    expect((await sessionRow(phone.id))!.revoked_at).not.toBeNull();
    expect(await env.REVOCATIONS.get(`revoked:${phone.id}`)).toBe("1");
    expect((await sessionOf(other.jar)).status).toBe(200);
  });

  it("sign-out everywhere needs a live session", async () => {
    const { jar } = await signedIn();
    const stale = jar.header;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const response = await call("/auth/signout?all=1", { method: "POST", headers: { Origin: LOCAL, Cookie: stale, ...json } });
    expect(response.status).toBe(401);
  });

  it("DELETE /auth/sessions/:id ends one of your sessions; someone else's id is 404", async () => {
    const laptop = await signedIn("Device Owner");
    const phone = await signedIn("Device Owner");
    const stranger = await signedIn("Stranger");
    const foreign = await browse(laptop.jar, `/auth/sessions/${stranger.id}`, { method: "DELETE", headers: { Origin: LOCAL, ...json } });
    expect(foreign.status).toBe(404);
    expect((await sessionOf(stranger.jar)).status).toBe(200);
    const own = await browse(laptop.jar, `/auth/sessions/${phone.id}`, { method: "DELETE", headers: { Origin: LOCAL, ...json } });
    expect(own.status).toBe(200);
    expect((await sessionOf(phone.jar)).status).toBe(401);
    expect((await sessionOf(laptop.jar)).status).toBe(200);
    const again = await browse(laptop.jar, `/auth/sessions/${phone.id}`, { method: "DELETE", headers: { Origin: LOCAL, ...json } });
    expect(again.status).toBe(404);
  });

  it("the devices page's form (POST with _method=DELETE) ends a session", async () => {
    const laptop = await signedIn("Form User");
    const phone = await signedIn("Form User");
    const response = await browse(laptop.jar, `/auth/sessions/${phone.id}`, {
      method: "POST",
      headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded" },
      body: "_method=DELETE",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth/sessions");
    expect((await sessionOf(phone.jar)).status).toBe(401);
  });

  it("a cross-site DELETE is refused", async () => {
    const laptop = await signedIn("Cross Site");
    const phone = await signedIn("Cross Site");
    const response = await browse(laptop.jar, `/auth/sessions/${phone.id}`, { method: "DELETE", headers: { Origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect((await sessionOf(phone.jar)).status).toBe(200);
  });
});

describe("devices", () => {
  it("lists the user's live sessions as JSON, the current one marked", async () => {
    const laptop = await signedIn("Many Devices");
    const phone = await signedIn("Many Devices");
    advance(5);
    const response = await browse(laptop.jar, "/auth/sessions", { headers: json });
    const { sessions } = await response.json<{ sessions: Record<string, unknown>[] }>();
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.id === laptop.id)).toMatchObject({ current: true, device: expect.any(String) });
    expect(sessions.find((s) => s.id === phone.id)).toMatchObject({ current: false });
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(["country", "createdAt", "current", "device", "deviceBound", "expiresAt", "id", "lastUsedAt", "origins"]);
      expect(new Date(session.expiresAt as string).getTime()).toBeGreaterThan(seconds() * 1000);
    }
  });

  it("shows browsers a page with a sign-out button per device and one for everywhere", async () => {
    const laptop = await signedIn("Page Devices");
    const phone = await signedIn("Page Devices");
    const html = await (await browse(laptop.jar, "/auth/sessions")).text();
    expect(html).toContain(`action="/auth/sessions/${phone.id}"`);
    expect(html).toContain(`action="/auth/sessions/${laptop.id}"`);
    expect(html).toContain('name="_method" value="DELETE"');
    expect(html).toContain('action="/auth/signout?all=1"');
    expect(html).toContain("This device");
  });

  it("is 401 for JSON callers and a trip to sign in for browsers when signed out", async () => {
    expect((await call("/auth/sessions", { headers: json })).status).toBe(401);
    expect((await call("/auth/sessions", { headers: { Accept: "text/html" } })).headers.get("Location")).toBe("/auth/signin?redirect_to=%2Fauth%2Fsessions");
  });
});

describe("admin", () => {
  const admin = { ADMIN_USERS: "dev:root" };

  it("refuses people who are not in ADMIN_USERS", async () => {
    const { jar } = await signIn("dev", { as: "Not Root", vars: admin });
    const response = await browse(jar, "/auth/admin/sessions?user=dev:someone", { headers: json }, admin);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: "not_admin" });
    const del = await browse(jar, "/auth/admin/sessions?user=dev:someone", { method: "DELETE", headers: { Origin: LOCAL, ...json } }, admin);
    expect(del.status).toBe(403);
  });

  it("lets an admin list and end every session of a user", async () => {
    const root = await signIn("dev", { as: "Root", vars: admin });
    const victim1 = await signIn("dev", { as: "Target User", vars: admin });
    const victim2 = await signIn("dev", { as: "Target User", vars: admin });
    const listed = await browse(root.jar, "/auth/admin/sessions?user=dev:target-user", { headers: json }, admin);
    expect(listed.status).toBe(200);
    expect((await listed.json<{ sessions: unknown[] }>()).sessions).toHaveLength(2);
    const log = vi.spyOn(console, "log");
    const ended = await browse(root.jar, "/auth/admin/sessions?user=dev:target-user", { method: "DELETE", headers: { Origin: LOCAL, ...json } }, admin);
    expect(ended.status).toBe(200);
    expect((await ended.json<{ revoked: string[] }>()).revoked).toHaveLength(2);
    for (const victim of [victim1, victim2]) expect((await browse(victim.jar, "/auth/session", {}, admin)).status).toBe(401);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "revoked", kind: "admin", by: "dev:root", user: "dev:target-user" })]),
    );
    expect((await browse(root.jar, "/auth/session", {}, admin)).status).toBe(200);
  });

  it("asks for the user as provider:id", async () => {
    const root = await signIn("dev", { as: "Root", vars: admin });
    expect((await browse(root.jar, "/auth/admin/sessions?user=nobody", { headers: json }, admin)).status).toBe(400);
  });
});

describe("provider tokens", () => {
  it("renews an expired Vercel access token during silent renewal and stores the new refresh token", async () => {
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("vercel", { as: "renewer" });
    const before = await claimsOf(jar);
    const row = (await sessionRow(before.sid))!;
    expect(before.pax).toBe(seconds() + 3600);
    advance(3601);
    expect((await sessionOf(jar)).status).toBe(200);
    const after = await claimsOf(jar);
    expect(after.sid).toBe(before.sid);
    expect(after.pat).not.toBe(before.pat);
    expect(after.pax).toBe(seconds() + 3600);
    expect((await sessionRow(before.sid))!.provider_refresh_token).not.toBe(row.provider_refresh_token);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "provider_refresh", sessionId: before.sid, provider: "vercel" })]),
    );
    // The new access token is the one the provider knows.
    const userinfo = await fetch(`${env.VERCEL_API_URL}/login/oauth/userinfo`, { headers: { Authorization: `Bearer ${after.pat}` } });
    expect(userinfo.status).toBe(200);
  });

  it("ends the session cleanly when the provider refuses the refresh", async () => {
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("vercel", { as: "refused" });
    const { sid } = await claimsOf(jar);
    await revokeStoredVercelRefreshToken(sid);
    advance(3601);
    const response = await browse(jar, "/auth/session");
    expect(response.status).toBe(401);
    expect((await sessionRow(sid))!.revoked_at).not.toBeNull();
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "provider_refresh_failed", sessionId: sid, refused: true })]),
    );
  });

  it("renews GitHub App tokens and keeps OAuth App tokens as they are", async () => {
    const app = await signIn("github", { as: "appuser", behave: "app_tokens" });
    const appBefore = await claimsOf(app.jar);
    expect(appBefore.pax).toBe(seconds() + 28_800);
    const oauth = await signIn("github", { as: "oauthuser" });
    const oauthBefore = await claimsOf(oauth.jar);
    expect(oauthBefore.pax).toBeNull();
    for (let i = 0; i < 9; i++) {
      advance(3600);
      expect((await sessionOf(app.jar)).status).toBe(200);
      expect((await sessionOf(oauth.jar)).status).toBe(200);
    }
    expect((await claimsOf(app.jar)).pat).not.toBe(appBefore.pat);
    expect((await claimsOf(oauth.jar)).pat).toBe(oauthBefore.pat);
  });

  it.each(["refresh_padded", "refresh_chunked"])("refuses a refresh answer over 256 KiB (%s) and keeps the session on its old token", async (behave) => {
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("github", { as: `big-${behave}`, behave: `app_tokens,${behave}` });
    const before = await claimsOf(jar);
    advance(28_800);
    expect((await sessionOf(jar)).status).toBe(200);
    expect((await claimsOf(jar)).pat).toBe(before.pat);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "provider_refresh_failed", sessionId: before.sid, reason: "provider_bad_response", refused: false })]),
    );
  });

  it.each([
    ["sign-out", "/auth/signout"],
    ["sign-out everywhere", "/auth/signout?all=1"],
  ])("revokes the GitHub token at GitHub on %s", async (_, path) => {
    const { jar } = await signIn("github", { as: `gh-leaver-${path.length}` });
    const { pat } = await claimsOf(jar);
    const out = await browse(jar, path, { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(out.status).toBe(200);
    const revocations = await (await fetch(`${env.STANDIN_URL}/control/github/revocations`)).json<{ token: string }[]>();
    expect(revocations.filter((r) => r.token === pat)).toEqual([
      { token: pat, userAgent: "edge-session-worker", accept: "application/vnd.github+json", apiVersion: "2022-11-28" },
    ]);
    const user = await fetch(`${env.GITHUB_API_URL}/user`, { headers: { Authorization: `Bearer ${pat}`, "User-Agent": "test" } });
    expect(user.status).toBe(401);
  });

  it.each(["revoke_500", "revoke_slow"])("signs out all the same when GitHub's revocation fails (%s)", async (behave) => {
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("github", { as: `gh-stuck-${behave}`, behave });
    const { sid, pat } = await claimsOf(jar);
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(out.status).toBe(200);
    expect(jar.get("auth.session")).toBeUndefined();
    expect(jar.get("auth.refresh")).toBeUndefined();
    expect((await sessionRow(sid))!.revoked_at).not.toBeNull();
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "provider_revoke_failed", provider: "github", reason: behave === "revoke_slow" ? "provider_timeout" : "provider_unavailable" }),
      ]),
    );
    // GitHub never revoked it: the token still works there.
    const user = await fetch(`${env.GITHUB_API_URL}/user`, { headers: { Authorization: `Bearer ${pat}`, "User-Agent": "test" } });
    expect(user.status).toBe(200);
  });

  it("revokes the Vercel tokens at the provider on sign-out", async () => {
    const { jar } = await signIn("vercel", { as: "leaver" });
    const { pat } = await claimsOf(jar);
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const userinfo = await fetch(`${env.VERCEL_API_URL}/login/oauth/userinfo`, { headers: { Authorization: `Bearer ${pat}` } });
    expect(userinfo.status).toBe(401);
  });
});

describe("what a request costs", () => {
  it("fresh: one KV read, no D1; renewal: one D1 statement; revoked: one KV read", async () => {
    const kv = countingKV(env.REVOCATIONS);
    const db = countingD1(env.DB);
    const vars = { REVOCATIONS: kv.binding, DB: db.binding };
    const { jar } = await signIn("dev", { as: "Counted", vars });
    kv.calls.get = 0;
    db.calls.statements = 0;
    db.calls.sql = [];

    expect((await browse(jar, "/auth/session", {}, vars)).status).toBe(200);
    expect([kv.calls.get, db.calls.statements]).toEqual([1, 0]);

    advance(901);
    kv.calls.get = 0;
    expect((await browse(jar, "/auth/session", {}, vars)).status).toBe(200);
    expect([kv.calls.get, db.calls.statements, db.calls.sql]).toEqual([0, 1, ["UPDATE"]]);

    const stale = jar.header;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } }, vars);
    kv.calls.get = 0;
    db.calls.statements = 0;
    expect((await call("/auth/session", { headers: { Cookie: stale } }, vars)).status).toBe(401);
    expect([kv.calls.get, db.calls.statements]).toEqual([1, 0]);
  });
});

describe("device names and times", () => {
  const clock = fakeClock();

  it("names each device from its User-Agent, says when in words with the exact time on hover, and loads devices.js to refine both", async () => {
    const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const signedInAt = new Date(clock.seconds() * 1000).toISOString();
    const { jar } = await signIn("dev", { as: "Page Names", headers: { "User-Agent": firefox } });
    const id = (await sessionOf(jar)).body.sessionId as string;
    clock.advance(3 * 60);
    const html = await (await browse(jar, "/auth/sessions")).text();
    expect(html).toContain(`<strong id="d-${id}" data-ua="${firefox}">Firefox on Linux</strong>`);
    expect(html).toContain(`<span class="badge" id="c-${id}">This device</span>`);
    // The button's name is "Sign out", the device's name and "This device", read from those elements.
    expect(html).toContain(`aria-labelledby="s-${id} d-${id} c-${id}"`);
    expect(html).toContain(`<time datetime="${signedInAt}" title="${signedInAt.slice(0, 16).replace("T", " ")} UTC">3 minutes ago</time>`);
    expect(html).toContain('<script src="/auth/devices.js" defer=""></script>');
  });

  it("says times in the largest unit that fits, past and future", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(relativeTime("2026-11-30T12:00:00Z", now)).toBe("now");
    expect(relativeTime("2026-11-30T11:59:01Z", now)).toBe("now");
    expect(relativeTime("2026-11-30T11:59:00Z", now)).toBe("1 minute ago");
    expect(relativeTime("2026-11-30T09:00:00Z", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-29T12:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-12-30T12:00:00Z", now)).toBe("next month");
    expect(relativeTime("2026-11-30T11:00:00Z", now, "de")).toBe("vor 1 Stunde");
  });
});
