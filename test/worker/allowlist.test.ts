import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { open } from "../../src/crypto/seal";
import type { SessionClaims } from "../../src/session/session";
import { browse, call, type Jar, sessionOf, sessionRow, signIn } from "./helpers";

afterEach(() => vi.restoreAllMocks());

const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));
const json = { Accept: "application/json" };

// The stand-in gives octocat its real GitHub id, 583231, and vera the Vercel id vc_user_4242;
// `behave: "new_owner"` signs in as another account that has since claimed the same login.

describe("allow-lists", () => {
  it("ALLOWED_USERS admits a GitHub user by id, and not whoever claims their login later", async () => {
    const vars = { ALLOWED_USERS: "GitHub:583231" };
    const owner = await signIn("github", { as: "octocat", vars });
    expect(owner.response.status).toBe(302);
    expect((await sessionOf(owner.jar)).body.user).toMatchObject({ id: "583231", login: "octocat" });
    const claimant = await signIn("github", { as: "octocat", behave: "new_owner", vars });
    expect(claimant.response.status).toBe(403);
    expect(claimant.jar.get("auth.session")).toBeUndefined();
  });

  it("ALLOWED_USERS still admits a GitHub login for one release, warning once at startup and at every match", async () => {
    const vars = { ALLOWED_USERS: "github:alice, vercel:vera@example.dev" };
    const log = vi.spyOn(console, "log");
    const alice = await signIn("github", { as: "alice", vars });
    expect(alice.response.status).toBe(302);
    const key = `github:${(await sessionOf(alice.jar)).body.user.id}`;
    expect((await signIn("github", { as: "alice", vars })).response.status).toBe(302);
    const warnings = events(log).filter((line) => line.event === "config_warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0].reason).toMatch(/^ALLOWED_USERS lists github:alice by login/);
    const matches = events(log).filter((line) => line.event === "allowlist_login_match");
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ list: "ALLOWED_USERS", entry: "github:alice", user: key });

    const { response, jar } = await signIn("github", { as: "mallory", vars });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("not allowed to use this site");
    expect(jar.get("auth.session")).toBeUndefined();
    expect((await sessionOf(jar)).status).toBe(401);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "signin_refused", reason: "not_allowed", provider: "github" })]));
  });

  it("ALLOWED_USERS matches Vercel ids exactly, and never a Vercel login in their place", async () => {
    expect((await signIn("vercel", { as: "vera", vars: { ALLOWED_USERS: "vercel:vc_user_4242" } })).response.status).toBe(302);
    expect((await signIn("vercel", { as: "vera", vars: { ALLOWED_USERS: "vercel:VC_USER_4242" } })).response.status).toBe(403);
    const log = vi.spyOn(console, "log");
    expect((await signIn("vercel", { as: "vera", vars: { ALLOWED_USERS: "vercel:Vera" } })).response.status).toBe(403);
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "allowlist_login_ignored", list: "ALLOWED_USERS", entry: "vercel:Vera", user: "vercel:vc_user_4242" })]),
    );
  });

  it("ALLOWED_USERS admits Vercel users by verified email, in any case", async () => {
    const vars = { ALLOWED_USERS: "vercel:Vera@Example.dev" };
    expect((await signIn("vercel", { as: "vera", vars })).response.status).toBe(302);
    expect((await signIn("vercel", { as: "vera", behave: "no_verified_email", vars })).response.status).toBe(403);
  });

  it("ALLOWED_EMAIL_DOMAINS admits verified addresses in the domain only", async () => {
    const vars = { ALLOWED_EMAIL_DOMAINS: "example.com" };
    expect((await signIn("github", { as: "insider", vars })).response.status).toBe(302);
    expect((await signIn("github", { as: "insider", behave: "no_verified_email", vars })).response.status).toBe(403);
    expect((await signIn("vercel", { as: "outsider", vars })).response.status).toBe(403);
  });

  it("ALLOWED_GITHUB_ORGS asks for read:org and admits members only", async () => {
    const vars = { ALLOWED_GITHUB_ORGS: "acme" };
    const start = await call("/auth/signin/github", {}, vars);
    expect(new URL(start.headers.get("Location")!).searchParams.get("scope")).toBe("read:user user:email read:org");
    const plain = await call("/auth/signin/github");
    expect(new URL(plain.headers.get("Location")!).searchParams.get("scope")).toBe("read:user user:email");
    expect((await signIn("github", { as: "member", behave: "member_acme", vars })).response.status).toBe(302);
    expect((await signIn("github", { as: "stranger", vars })).response.status).toBe(403);
  });

  it("admits anyone on any one list", async () => {
    const vars = { ALLOWED_GITHUB_ORGS: "acme", ALLOWED_USERS: "dev:guest" };
    expect((await signIn("dev", { as: "Guest", vars })).response.status).toBe(302);
    expect((await signIn("dev", { as: "Nobody", vars })).response.status).toBe(403);
  });
});

describe("ADMIN_USERS", () => {
  const someone = "/auth/admin/sessions?user=github:1";

  it("lets an admin named by GitHub id administer, and not whoever claims their login later", async () => {
    const vars = { ADMIN_USERS: "github:583231" };
    const admin = await signIn("github", { as: "octocat", vars });
    const listed = await browse(admin.jar, someone, { headers: json }, vars);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ user: "github:1", sessions: [] });
    const claimant = await signIn("github", { as: "octocat", behave: "new_owner", vars });
    const refused = await browse(claimant.jar, someone, { headers: json }, vars);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "not_admin" });
  });

  it("still honours a GitHub login for one release, warning once at startup and at every match", async () => {
    const vars = { ADMIN_USERS: "github:octocat" };
    const log = vi.spyOn(console, "log");
    const admin = await signIn("github", { as: "octocat", vars });
    expect((await browse(admin.jar, someone, { headers: json }, vars)).status).toBe(200);
    expect((await browse(admin.jar, someone, { headers: json }, vars)).status).toBe(200);
    const warnings = events(log).filter((line) => line.event === "config_warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0].reason).toMatch(/^ADMIN_USERS lists github:octocat by login/);
    const matches = events(log).filter((line) => line.event === "allowlist_login_match");
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ list: "ADMIN_USERS", entry: "github:octocat", user: "github:583231" });
  });
});

describe("organisation membership at renewal", () => {
  const orgs = { ALLOWED_GITHUB_ORGS: "acme" };
  let now = Date.now();
  beforeEach(() => {
    now = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(now);
  });
  afterEach(() => vi.useRealTimers());
  const expireSessionCookie = (seconds = 901) => vi.setSystemTime((now += seconds * 1000));
  const standIn = (path: string, method: string) => fetch(`${env.STANDIN_URL}/control/github${path}`, { method });
  const claimsOf = async (jar: Jar) => {
    const opened = await open<SessionClaims>(await getKeyring([env.AUTH_SECRET]), "session", jar.get("auth.session")!);
    if (opened.status === "invalid") throw new Error("no session cookie");
    return opened.claims;
  };
  const sessionWith = async (jar: Jar, vars: Record<string, unknown>) => {
    const response = await browse(jar, "/auth/session", { headers: json }, vars);
    return { response, body: await response.json<{ sessionId: string }>() };
  };

  it("signs out a member removed from the organisation: session revoked, cookies cleared, 401 and an audit line", async () => {
    const { jar } = await signIn("github", { as: "org-leaver", behave: "member_acme", vars: orgs });
    const { body } = await sessionWith(jar, orgs);
    await standIn("/orgs/acme/members/org-leaver", "DELETE");
    const log = vi.spyOn(console, "log");
    expireSessionCookie();
    const { response } = await sessionWith(jar, orgs);
    expect(response.status).toBe(401);
    expect(jar.get("auth.session")).toBeUndefined();
    expect(jar.get("auth.refresh")).toBeUndefined();
    expect((await sessionRow(body.sessionId))!.revoked_at).not.toBeNull();
    expect(await env.REVOCATIONS.get(`revoked:${body.sessionId}`)).toBe("1");
    expect(events(log)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "signin_refused", reason: "not_allowed", provider: "github", sessionId: body.sessionId }),
        expect.objectContaining({ event: "revoked", kind: "not_allowed", by: "system", sessionId: body.sessionId }),
      ]),
    );
  });

  it("checks with the renewed GitHub App token when the old one has expired", async () => {
    const { jar } = await signIn("github", { as: "app-leaver", behave: "member_acme,app_tokens", vars: orgs });
    expireSessionCookie();
    expect((await sessionWith(jar, orgs)).response.status).toBe(200);
    await standIn("/orgs/acme/members/app-leaver", "DELETE");
    const log = vi.spyOn(console, "log");
    expireSessionCookie(28_800);
    expect((await sessionWith(jar, orgs)).response.status).toBe(401);
    expect(events(log).map((e) => e.event)).toEqual(expect.arrayContaining(["provider_refresh", "signin_refused"]));
  });

  it("renews a member who is still in the organisation", async () => {
    const { jar } = await signIn("github", { as: "org-stayer", behave: "member_acme", vars: orgs });
    const log = vi.spyOn(console, "log");
    expireSessionCookie();
    const { response } = await sessionWith(jar, orgs);
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().map((h) => h.split("=")[0])).toEqual(["auth.refresh", "auth.session"]);
    expect(events(log).map((e) => e.event)).not.toContain("allowlist_recheck_failed");
  });

  it.each([
    ["orgs_500", "provider_unavailable"],
    ["orgs_slow", "provider_timeout"],
  ])("keeps the session when GitHub cannot answer (%s)", async (behave, reason) => {
    const login = `org-outage-${behave.replace("_", "-")}`;
    const { jar } = await signIn("github", { as: login, behave: "member_acme", vars: orgs });
    const { body } = await sessionWith(jar, orgs);
    await standIn(`/users/${login}/behave/${behave}`, "POST");
    const log = vi.spyOn(console, "log");
    expireSessionCookie();
    const { response } = await sessionWith(jar, orgs);
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().map((h) => h.split("=")[0])).toEqual(["auth.refresh", "auth.session"]);
    expect((await sessionRow(body.sessionId))!.revoked_at).toBeNull();
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "allowlist_recheck_failed", sessionId: body.sessionId, reason })]),
    );
  });

  it("signs out a member whose token GitHub no longer accepts, so revoking the app cannot dodge the check", async () => {
    const { jar } = await signIn("github", { as: "org-dodger", behave: "member_acme", vars: orgs });
    const { body } = await sessionWith(jar, orgs);
    const { pat } = await claimsOf(jar);
    await fetch(`${env.GITHUB_API_URL}/applications/gh-client/token`, {
      method: "DELETE",
      headers: { Authorization: `Basic ${btoa("gh-client:gh-secret")}`, "User-Agent": "test", "Content-Type": "application/json" },
      body: JSON.stringify({ access_token: pat }),
    });
    const log = vi.spyOn(console, "log");
    expireSessionCookie();
    expect((await sessionWith(jar, orgs)).response.status).toBe(401);
    expect((await sessionRow(body.sessionId))!.revoked_at).not.toBeNull();
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "signin_refused", reason: "provider_token_rejected", sessionId: body.sessionId })]),
    );
  });

  it("keeps the session, without asking, when an expired GitHub App token could not be renewed", async () => {
    const { jar } = await signIn("github", { as: "org-stale-token", behave: "member_acme,app_tokens", vars: orgs });
    await standIn("/orgs/acme/members/org-stale-token", "DELETE");
    const log = vi.spyOn(console, "log");
    expireSessionCookie(28_800);
    // GitHub's token endpoint fails (the stand-in has nothing there): the expired access token is kept.
    const tokenEndpointDown = { ...orgs, GITHUB_OAUTH_URL: `${env.STANDIN_URL}/github-down` };
    expect((await sessionWith(jar, tokenEndpointDown)).response.status).toBe(200);
    expect(events(log)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "provider_refresh_failed", reason: "provider_unavailable" }),
        expect.objectContaining({ event: "allowlist_recheck_failed", reason: "provider_token_expired" }),
      ]),
    );
    // Once GitHub is back, the renewed token shows the member has gone.
    expireSessionCookie();
    expect((await sessionWith(jar, orgs)).response.status).toBe(401);
  });

  it("does not ask GitHub about someone another list admits", async () => {
    const vars = { ...orgs, ALLOWED_EMAIL_DOMAINS: "example.com" };
    const { jar } = await signIn("github", { as: "domain-insider", vars });
    // Were the organisations asked for, this would fail and say so in the log.
    await standIn("/users/domain-insider/behave/orgs_500", "POST");
    const log = vi.spyOn(console, "log");
    expireSessionCookie();
    expect((await sessionWith(jar, vars)).response.status).toBe(200);
    expect(events(log).map((e) => e.event)).toEqual(expect.arrayContaining(["session_renewed"]));
    expect(events(log).map((e) => e.event)).not.toContain("allowlist_recheck_failed");
  });
});
