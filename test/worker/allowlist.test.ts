import { afterEach, describe, expect, it, vi } from "vitest";
import { call, sessionOf, signIn } from "./helpers";

afterEach(() => vi.restoreAllMocks());

const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

describe("allow-lists", () => {
  it("ALLOWED_USERS admits listed GitHub logins and refuses others with a 403 page, no session and an audit line", async () => {
    const vars = { ALLOWED_USERS: "github:alice, vercel:vera@example.dev" };
    expect((await signIn("github", { as: "alice", vars })).response.status).toBe(302);
    const log = vi.spyOn(console, "log");
    const { response, jar } = await signIn("github", { as: "mallory", vars });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("not allowed to use this site");
    expect(jar.get("auth.session")).toBeUndefined();
    expect((await sessionOf(jar)).status).toBe(401);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "signin_refused", reason: "not_allowed", provider: "github" })]));
  });

  it("ALLOWED_USERS admits Vercel users by verified email", async () => {
    const vars = { ALLOWED_USERS: "vercel:vera@example.dev" };
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
