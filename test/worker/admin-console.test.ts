import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { browse, call, fakeClock, formPost, LOCAL, sessionOf, signIn } from "./helpers";

const admin = { ADMIN_USERS: "dev:console-root" };
const html = { Accept: "text/html" };

const events = (user: string) =>
  env.DB.prepare("SELECT event, user_key AS user, detail, by_user AS by FROM security_events WHERE user_key = ?1 ORDER BY rowid").bind(user).all<Record<string, string | null>>();
const eventCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM security_events").first<number>("n"))!;

let later = () => {};

async function rootConsole(path = "/auth/admin", vars: Record<string, unknown> = admin) {
  const root = await signIn("dev", { as: "Console Root", vars: admin });
  later();
  const page = await browse(root.jar, path, { headers: html }, vars);
  return { root, page, text: await page.text() };
}

describe("GET /auth/admin", () => {
  // The window ends before the current second: the tests look a second after signing in.
  const clock = fakeClock();
  beforeEach(() => {
    later = () => clock.advance(1);
  });
  it("is for a signed-in admin's browser only: sign-in first, 403 for others and for bearer tokens", async () => {
    const nobody = await call("/auth/admin", { headers: html }, admin);
    expect(nobody.status).toBe(302);
    expect(nobody.headers.get("Location")).toBe("/auth/signin?redirect_to=%2Fauth%2Fadmin");

    const other = await signIn("dev", { as: "Console Visitor", vars: admin });
    const refused = await browse(other.jar, "/auth/admin", { headers: html }, admin);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("Admin console");

    const root = await signIn("dev", { as: "Console Root", vars: admin });
    const token = await browse(root.jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } }, admin);
    const { access_token: bearer } = await token.json<{ access_token: string }>();
    const withBearer = await call("/auth/admin", { headers: { Authorization: `Bearer ${bearer}`, ...html } }, admin);
    expect(withBearer.status).toBe(403);
    expect(await withBearer.text()).not.toContain("Admin console");
  });

  it("shows the metrics in the charts' accessible names and lists, with the window asked for", async () => {
    const { page, text } = await rootConsole();
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const live = (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > unixepoch() AND idle_expires_at > unixepoch() AND provider = 'dev'").first<number>("n"))!;
    const signIns = (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE family IS NULL AND created_at >= ?1").bind(clock.seconds() - 86_400).first<number>("n"))!;
    expect(signIns).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`<svg role="img" aria-label="Sign-ins and failures, the last 24 hours: ${signIns} sign-ins?, \\d+ failures?`));
    expect(text).toContain(`<li><span>dev</span><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect class="bar" width="`);
    expect(text).toMatch(new RegExp(`<li><span>dev</span><svg[^]*?</svg><span>${live}</span></li>`));
    expect(text).toContain("Per hour, as a table");

    const week = await rootConsole("/auth/admin?window=7d");
    expect(week.text).toContain('aria-label="Sign-ins and failures, the last 7 days: ');
    expect(week.text).toContain("Per day, as a table");
    const odd = await rootConsole("/auth/admin?window=1y");
    expect(odd.page.status).toBe(400);
  });

  it("lists security events, with what a visitor controls escaped", async () => {
    await env.DB.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (unixepoch() - 1, 'signin_refused', NULL, ?1, NULL, ?2)")
      .bind("github: <script>alert(1)</script>", "<img src=x>")
      .run();
    const { text } = await rootConsole();
    expect(text).toContain("Sign-in refused");
    expect(text).toContain("github: &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(text).toContain("from &lt;img src=x&gt;");
    expect(text).not.toContain("<script>alert");
  });

  it("finds a user's sessions; one form ends one of them, another all; each comes back to the console saying so", async () => {
    const first = await signIn("dev", { as: "Console Target" });
    const second = await signIn("dev", { as: "Console Target" });
    const third = await signIn("dev", { as: "Console Target" });
    const firstId = (await sessionOf(first.jar)).body.sessionId as string;

    const { root, text } = await rootConsole("/auth/admin?user=dev:console-target");
    expect(text).toContain("Sessions of dev:console-target");
    expect(text.match(/>End this session</g)).toHaveLength(3);
    expect(text).toContain(`<input type="hidden" name="session" value="${firstId}"/>`);

    const endOne = await browse(root.jar, "/auth/admin/sessions?user=dev:console-target", formPost({ _method: "DELETE", session: firstId }, { Origin: LOCAL }), admin);
    expect(endOne.status).toBe(303);
    expect(endOne.headers.get("Location")).toBe("/auth/admin?user=dev%3Aconsole-target&ended=1");
    expect((await sessionOf(first.jar)).status).toBe(401);
    expect((await sessionOf(second.jar)).status).toBe(200);
    const after = await (await browse(root.jar, endOne.headers.get("Location")!, { headers: html }, admin)).text();
    expect(after).toContain('<p role="status">Ended 1 session of dev:console-target.</p>');
    expect(after.match(/>End this session</g)).toHaveLength(2);
    expect(after).not.toContain(firstId);

    // The same form again: nothing left to end.
    const again = await browse(root.jar, "/auth/admin/sessions?user=dev:console-target", formPost({ _method: "DELETE", session: firstId }, { Origin: LOCAL }), admin);
    expect(again.headers.get("Location")).toBe("/auth/admin?user=dev%3Aconsole-target&ended=0");

    const endAll = await browse(root.jar, "/auth/admin/sessions?user=dev:console-target", formPost({ _method: "DELETE" }, { Origin: LOCAL }), admin);
    expect(endAll.headers.get("Location")).toBe("/auth/admin?user=dev%3Aconsole-target&ended=2");
    expect((await sessionOf(second.jar)).status).toBe(401);
    expect((await sessionOf(third.jar)).status).toBe(401);
    const none = await (await browse(root.jar, endAll.headers.get("Location")!, { headers: html }, admin)).text();
    expect(none).toContain("dev:console-target has no live sessions.");

    // Each ending is a security event naming the admin.
    const recorded = (await events("dev:console-target")).results.filter((row) => row.event === "revoked");
    expect(recorded).toHaveLength(3);
    expect(recorded.every((row) => row.by === "dev:console-root" && row.detail === "admin")).toBe(true);
  });

  it("ends only the named user's session: another user's session id in the form ends nothing", async () => {
    const victim = await signIn("dev", { as: "Console Bystander" });
    const victimId = (await sessionOf(victim.jar)).body.sessionId as string;
    const { root } = await rootConsole();
    const mismatched = await browse(root.jar, "/auth/admin/sessions?user=dev:console-someone-else", formPost({ _method: "DELETE", session: victimId }, { Origin: LOCAL }), admin);
    expect(mismatched.headers.get("Location")).toMatch(/ended=0$/);
    expect((await sessionOf(victim.jar)).status).toBe(200);
  });

  it("refuses the forms cross-site, from a non-admin, and without _method=DELETE", async () => {
    const target = await signIn("dev", { as: "Console Kept" });
    const { root } = await rootConsole();
    const crossSite = await browse(root.jar, "/auth/admin/sessions?user=dev:console-kept", formPost({ _method: "DELETE" }, { Origin: "https://evil.example" }), admin);
    expect(crossSite.status).toBe(403);
    const other = await signIn("dev", { as: "Console Visitor", vars: admin });
    expect((await browse(other.jar, "/auth/admin/sessions?user=dev:console-kept", formPost({ _method: "DELETE" }, { Origin: LOCAL }), admin)).status).toBe(403);
    expect((await browse(root.jar, "/auth/admin/sessions?user=dev:console-kept", formPost({ _method: "PUT" }, { Origin: LOCAL }), admin)).status).toBe(405);
    expect((await sessionOf(target.jar)).status).toBe(200);
  });

  it("says what is wrong with a search that is not a user key, beside the field", async () => {
    const { page, text } = await rootConsole("/auth/admin?user=%3Cb%3Enobody");
    expect(page.status).toBe(200);
    expect(text).toContain('aria-invalid="true" aria-describedby="user-error"');
    expect(text).toContain('<p id="user-error" class="error">Name the user as provider:id, for example github:583231.</p>');
    expect(text).toContain('value="&lt;b&gt;nobody"');
  });

  it("is a clean 503 that names the pages Worker when it is not bound or fails", async () => {
    const unbound = await rootConsole("/auth/admin", { ...admin, PAGES: undefined });
    expect(unbound.page.status).toBe(503);
    expect(unbound.text).toContain("pages/");
    const failing = await rootConsole("/auth/admin", { ...admin, PAGES: { render: () => Promise.reject(new Error("internal detail")) } });
    expect(failing.page.status).toBe(503);
    expect(failing.text).not.toContain("internal detail");
  });
});

describe("security events", () => {
  it("records a refused sign-in of someone the provider named and an admin's reset, and nothing for normal requests, a sign-in or anonymous refusals", async () => {
    const before = await eventCount();
    const { jar } = await signIn("dev", { as: "Console Quiet" });
    for (let i = 0; i < 3; i++) expect((await sessionOf(jar)).status).toBe(200);
    // Anyone can send these: a bare callback, a forged state. The log has them; D1 does not.
    expect((await call("/auth/callback/dev?code=x&state=forged")).status).toBe(400);
    expect((await call("/auth/callback/github")).status).toBe(400);
    expect(await eventCount()).toBe(before);

    const refused = await signIn("dev", { as: "Console Refused", vars: { ALLOWED_USERS: "dev:someone-else" }, headers: { "CF-Connecting-IP": "198.51.100.7" } });
    expect(refused.response.status).toBe(403);
    expect((await events("dev:console-refused")).results).toEqual([{ event: "signin_refused", user: "dev:console-refused", detail: "dev: not_allowed", by: null }]);
    expect(await env.DB.prepare("SELECT ip FROM security_events WHERE user_key = 'dev:console-refused'").first("ip")).toBe("198.51.100.7");

    const { root } = await rootConsole();
    const reset = await browse(root.jar, "/auth/admin/second-factor?user=dev:console-quiet", { method: "DELETE", headers: { Origin: LOCAL, Accept: "application/json" } }, admin);
    expect(reset.status).toBe(200);
    expect((await events("dev:console-quiet")).results.map((event) => event.event)).toContain("second_factor_reset");
  });
});

describe("the pages Worker", () => {
  it("answers nothing over HTTP: it only renders for the session worker", async () => {
    const answer = await (env as unknown as { PAGES: Fetcher }).PAGES.fetch("http://pages/auth/admin");
    expect(answer.status).toBe(404);
  });
});
