import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, call, sessionOf, signIn } from "./helpers";

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
