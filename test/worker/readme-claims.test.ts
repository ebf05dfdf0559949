/**
 * Claims of the README that users rely on and no other test checks, each
 * tested against the worker — with the number or wording read from the
 * README itself where it has one, so the two cannot drift apart.
 */
import { env } from "cloudflare:workers";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterEach, describe, expect, it, vi } from "vitest";
import readme from "../../README.md?raw";
import testDeps from "../../scripts/ensure-test-deps.mjs?raw";
import { parseConfig } from "../../src/config/config";
import { ERROR_CODES } from "../../src/errors";
import { browse, call, Jar, LOCAL, sessionOf, signIn } from "./helpers";

const json = { Accept: "application/json" };
const limiters = { RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT, ASSETS: env.ASSETS };
const SECRET = "0123456789abcdef0123456789abcdef";

/** The one README paragraph that contains `marker`, its line breaks read as spaces. */
function paragraph(marker: string): string {
  const found = readme.split(/\n\s*\n/).filter((text) => text.replace(/\s+/g, " ").includes(marker));
  if (found.length !== 1) throw new Error(`expected one README paragraph with ${marker}, found ${found.length}`);
  return found[0]!.replace(/\s+/g, " ");
}

/** The one table row (of the README, or of `table`) whose first cell is `cell`. */
function row(cell: string, table = readme): string {
  const found = table.split("\n").filter((line) => line.startsWith(`| ${cell} |`));
  if (found.length !== 1) throw new Error(`expected one README table row for ${cell}, found ${found.length}`);
  return found[0]!;
}

/** A lifetime's default, from the Configuration table. */
const defaultOf = (name: string) => Number(/^\| `\w+` \| `(\d+)` \|/.exec(row(`\`${name}\``))![1]);

/** Whether a README row lists `code` under `status` (the nearest status written before it). */
function lists(text: string, status: number, code: string): boolean {
  const at = text.indexOf(`\`${code}\``);
  return at !== -1 && [...text.slice(0, at).matchAll(/\b([1-5]\d\d)\b/g)].at(-1)?.[1] === String(status);
}

let now = 0;
function freezeClock() {
  now = Math.floor(Date.now() / 1000);
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(now * 1000);
}
function advance(seconds: number) {
  now += seconds;
  vi.setSystemTime(now * 1000);
}
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const seconds = (iso: string) => Date.parse(iso) / 1000;
const devices = async (jar: Jar, vars: Record<string, unknown> = {}) =>
  (await (await browse(jar, "/auth/sessions", { headers: json }, vars)).json<{ sessions: { id: string; lastUsedAt: string; expiresAt: string }[] }>()).sessions;

describe("README: lifetimes", () => {
  it("/auth/session's expiresAt is the presented cookie's or token's, moved on by renewal, not the session's end", async () => {
    expect(paragraph("`expiresAt` is when the session cookie")).toContain("at most `ACCESS_TTL` away, moved on by each renewal");
    const accessTtl = defaultOf("ACCESS_TTL");
    const idleTtl = defaultOf("SESSION_IDLE_TTL");
    freezeClock();
    const signedInAt = now;
    const { jar } = await signIn("dev", { as: "Expiry Reader" });
    const first = await sessionOf(jar);
    expect(seconds(first.body.expiresAt)).toBe(signedInAt + accessTtl);
    // The session itself ends later: that is the devices list's expiresAt.
    expect(seconds((await devices(jar))[0]!.expiresAt)).toBe(signedInAt + idleTtl);
    advance(accessTtl);
    const renewed = await sessionOf(jar);
    expect(renewed.body.sessionId).toBe(first.body.sessionId);
    expect(seconds(renewed.body.expiresAt)).toBe(now + accessTtl);
    // A bearer token's is the token's own expiry.
    const minted = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } });
    const { access_token: token, expires_in: expiresIn } = await minted.json<{ access_token: string; expires_in: number }>();
    const viaToken = await (await call("/auth/session", { headers: { Authorization: `Bearer ${token}` } })).json<{ expiresAt: string }>();
    expect(seconds(viaToken.expiresAt)).toBe(now + expiresIn);
  });

  it("the idle clock and lastUsedAt move at renewal only, not at every request", async () => {
    expect(paragraph("**Timeouts.**")).toContain("Only a renewal moves that idle clock (and `lastUsedAt` in the devices list)");
    const accessTtl = defaultOf("ACCESS_TTL");
    const vars = { SESSION_IDLE_TTL: String(accessTtl + 100) };
    freezeClock();

    // Requests on a fresh session cookie do not count as use…
    const idle = (await signIn("dev", { as: "Idle Clock", vars })).jar;
    const signedInAt = now;
    advance(accessTtl / 2);
    const read = await browse(idle, "/auth/session", {}, vars);
    expect(read.status).toBe(200);
    expect(read.headers.getSetCookie()).toEqual([]);
    expect(seconds((await devices(idle, vars))[0]!.lastUsedAt)).toBe(signedInAt);
    advance(accessTtl / 2 + 101);
    expect((await browse(idle, "/auth/session", {}, vars)).status).toBe(401);

    // …a renewal does.
    const active = (await signIn("dev", { as: "Renewed Clock", vars })).jar;
    advance(accessTtl - 10);
    expect((await browse(active, "/auth/session", {}, vars)).headers.getSetCookie()).not.toEqual([]);
    const renewedAt = now;
    expect(seconds((await devices(active, vars))[0]!.lastUsedAt)).toBe(renewedAt);
    advance(accessTtl + 99);
    expect((await browse(active, "/auth/session", {}, vars)).status).toBe(200);
  });

  it("keeps a revocation entry for the README's max(ACCESS_TTL, …) + … seconds", async () => {
    const [, floor, skew] = /`max\(ACCESS_TTL, (\d+)\) \+ (\d+)`/.exec(readme)!;
    for (const accessTtl of [300, 1800]) {
      const vars = { ACCESS_TTL: String(accessTtl) };
      const { jar } = await signIn("dev", { as: `Revoked ${accessTtl}`, vars });
      const { body } = await sessionOf(jar);
      await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } }, vars);
      const { keys } = await env.REVOCATIONS.list({ prefix: `revoked:${body.sessionId}` });
      const ttl = keys[0]!.expiration! - Math.floor(Date.now() / 1000);
      // KV's clock and ours may straddle a second.
      expect(Math.abs(ttl - (Math.max(accessTtl, Number(floor)) + Number(skew)))).toBeLessThanOrEqual(1);
    }
  });
});

describe("README: headers", () => {
  const pages = () => paragraph("**Pages** load nothing but");

  it("pages carry every header the README lists, with the value it gives", async () => {
    const listed = [...pages().matchAll(/`([A-Z][\w-]+): ([^`]+)`/g)].map(([, name, value]) => [name!, value!] as const);
    expect(listed.map(([name]) => name)).toEqual(expect.arrayContaining(["Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options"]));
    const response = await call("/auth/signin");
    for (const [name, value] of listed) {
      const actual = response.headers.get(name) ?? "";
      if (name !== "Content-Security-Policy") {
        expect(actual, name).toBe(value);
        continue;
      }
      // The README's `<provider origins> <ALLOWED_ORIGINS>` stands for the configured ones.
      const pattern = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("<provider origins> <ALLOWED_ORIGINS>", "[^;]*");
      expect(actual).toMatch(new RegExp(`^${pattern}$`));
      expect(/form-action ([^;]+)/.exec(actual)![1]).toContain("https://app.example.com");
    }
    // Other answers: nosniff only.
    const answer = await call("/auth/session");
    expect(answer.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(answer.headers.get("Strict-Transport-Security")).toBeNull();
  });

  it("everything under /auth is no-store but the JWKS, the static assets and preflights", async () => {
    const jwks = /the JWKS \(`([^`]+)`/.exec(pages())![1];
    const assets = /the stylesheet and scripts \(`([^`]+)`\)/.exec(pages())![1];
    expect(pages()).toContain("CORS preflights (none)");
    for (const path of ["/auth/jwks.json", "/.well-known/jwks.json"]) expect((await call(path)).headers.get("Cache-Control")).toBe(jwks);
    for (const path of ["/auth/style.css", "/auth/devices.js", "/auth/security.js"]) expect((await call(path)).headers.get("Cache-Control")).toBe(assets);
    const preflight = await call("/auth/session", { method: "OPTIONS", headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Cache-Control")).toBeNull();

    const signedOut = ["/auth/session", "/auth/signin", "/auth/sessions", "/auth/security", "/auth/verify", "/auth/2fa", "/auth/nothing-here"];
    for (const path of signedOut) expect((await call(path, { headers: json })).headers.get("Cache-Control"), path).toBe("no-store");
    const { jar } = await signIn("dev", { as: "Cache Watcher" });
    for (const path of ["/auth/session", "/auth/sessions", "/auth/security", "/auth"]) {
      expect((await browse(jar, path, { headers: json })).headers.get("Cache-Control"), path).toBe("no-store");
    }
    expect((await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } })).headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("README: the second factor's JSON answers", () => {
  const header = "| request | 200 | refused |";
  const table = readme.slice(readme.indexOf(header)).split("\n\n")[0]!;
  const answer = (cell: string) => row(cell, table);
  const post = (form: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    body: new URLSearchParams(form),
    headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", ...json },
  });
  const codeFor = (secret: string) => generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), BigInt(Math.floor(Date.now() / 30_000)), 6);
  const refused = async (response: Response, status: number, cell: string) => {
    const { error, message } = await response.json<{ error: string; message: string }>();
    expect([response.status, typeof message]).toEqual([status, "string"]);
    expect(lists(answer(cell), status, error), `${cell} lists ${status} ${error}`).toBe(true);
  };

  it("GET /auth/security answers each state exactly as written", async () => {
    const cell = "`GET /auth/security`";
    const { jar } = await signIn("dev", { as: "State Reader" });
    const state = async () => JSON.stringify(await (await browse(jar, "/auth/security", { headers: json })).json());
    expect(answer(cell)).toContain(`\`${await state()}\``);
    const { secret } = await (await browse(jar, "/auth/2fa/setup", post())).json<{ secret: string }>();
    expect(answer(cell)).toContain(`\`${await state()}\``);
    expect((await browse(jar, "/auth/2fa/enable", post({ code: codeFor(secret) }))).status).toBe(200);
    expect(answer(cell)).toContain(`\`${await state()}\``);
  });

  it("setup, enable, codes and disable answer as the table says", async () => {
    const { jar } = await signIn("dev", { as: "Table Walker" });
    await refused(await browse(jar, "/auth/2fa/enable", post({ code: "123456" })), 409, "`POST /auth/2fa/enable` (`code`)");
    await refused(await browse(jar, "/auth/2fa/disable", post({ code: "123456" })), 409, "`POST /auth/2fa/disable` (`code`)");

    const setup = await browse(jar, "/auth/2fa/setup", post());
    expect(setup.status).toBe(200);
    const key = await setup.json<{ otpauthURI: string; secret: string }>();
    expect(answer("`POST /auth/2fa/setup`")).toContain(`\`{${Object.keys(key).map((name) => `"${name}"`).join(",")}}\``);
    const again = await (await browse(jar, "/auth/2fa/setup", post())).json<{ secret: string }>();
    expect(again.secret).not.toBe(key.secret);

    await refused(await browse(jar, "/auth/2fa/enable", post({ code: "000000" })), 400, "`POST /auth/2fa/enable` (`code`)");
    const enabled = await browse(jar, "/auth/2fa/enable", post({ code: codeFor(again.secret) }));
    const { enabled: on, recoveryCodes } = await enabled.json<{ enabled: boolean; recoveryCodes: string[] }>();
    expect([enabled.status, on, recoveryCodes.length]).toEqual([200, true, 10]);
    expect(answer("`POST /auth/2fa/enable` (`code`)")).toContain('`{"enabled":true,"recoveryCodes":[…ten]}`');
    await refused(await browse(jar, "/auth/2fa/setup", post()), 409, "`POST /auth/2fa/setup`");

    await refused(await browse(jar, "/auth/2fa/codes", post({ code: "000000" })), 400, "`POST /auth/2fa/codes` (`code`)");
    const renewed = await browse(jar, "/auth/2fa/codes", post({ code: recoveryCodes[0]! }));
    const fresh = await renewed.json<{ recoveryCodes: string[] }>();
    expect([renewed.status, Object.keys(fresh), fresh.recoveryCodes.length]).toEqual([200, ["recoveryCodes"], 10]);
    expect(answer("`POST /auth/2fa/codes` (`code`)")).toContain('`{"recoveryCodes":[…ten]}`');

    await refused(await browse(jar, "/auth/2fa/disable", post({ code: "000000" })), 400, "`POST /auth/2fa/disable` (`code`)");
    const disabled = await browse(jar, "/auth/2fa/disable", post({ code: fresh.recoveryCodes[0]! }));
    expect(disabled.status).toBe(200);
    expect(answer("`POST /auth/2fa/disable` (`code`)")).toContain(`\`${JSON.stringify(await disabled.json())}\``);
  });

  it("verify answers as the table says", async () => {
    const cell = "`POST /auth/2fa/verify` (`code`, `remember_device`)";
    await refused(await call("/auth/2fa/verify", post({ code: "123456" })), 400, cell);
    const { jar: enrolling } = await signIn("dev", { as: "Table Verifier" });
    const { secret } = await (await browse(enrolling, "/auth/2fa/setup", post())).json<{ secret: string }>();
    const { recoveryCodes } = await (await browse(enrolling, "/auth/2fa/enable", post({ code: codeFor(secret) }))).json<{ recoveryCodes: string[] }>();
    const { jar } = await signIn("dev", { as: "Table Verifier", redirectTo: "/auth" });
    await refused(await browse(jar, "/auth/2fa/verify", post({ code: "000000" })), 400, cell);
    const verified = await browse(jar, "/auth/2fa/verify", post({ code: recoveryCodes[0]! }));
    expect(await verified.json()).toEqual({ signedIn: true, redirectTo: "/auth" });
    expect(answer(cell)).toContain('`{"signedIn":true,"redirectTo":"/…"}`, with the session cookies');
    expect((await sessionOf(jar)).status).toBe(200);
  });
});

describe("README: what each variable accepts", () => {
  const problems = (vars: Record<string, unknown>) => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true", ...vars });
    return result.ok ? [] : result.problems;
  };
  const config = (vars: Record<string, unknown>) => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true", ...vars });
    if (!result.ok) throw new Error(result.problems.join("; "));
    return result.config;
  };

  it("takes strings only, and an empty one as unset", () => {
    expect(problems({ ACCESS_TTL: 900 })).toEqual(["ACCESS_TTL must be a string"]);
    expect(parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: true }).ok).toBe(false);
    expect(config({ AUTH_BASE_PATH: "  ", ACCESS_TTL: "" })).toMatchObject({ basePath: "/auth", accessTtl: 900 });
  });

  it("URLs: http(s), no user, query or fragment; AUTH_URL without a path, the others keep theirs", () => {
    for (const name of ["AUTH_URL", "UPSTREAM_URL", "GITHUB_API_URL"]) {
      for (const url of ["https://user@x.example", "https://x.example/?q=1", "https://x.example/#f"]) {
        expect(problems({ GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s", [name]: url })).toEqual([`${name} must not contain credentials, a query or a fragment`]);
      }
    }
    expect(config({ AUTH_URL: "https://auth.example.com/" }).authOrigin).toBe("https://auth.example.com");
    expect(config({ UPSTREAM_URL: "https://internal.example.com/app/" }).upstream).toEqual({ origin: "https://internal.example.com", base: "https://internal.example.com/app" });
    expect(problems({ ALLOWED_ORIGINS: "https://app.example.com/home" })).toEqual(['ALLOWED_ORIGINS entry 1 ("https://app.example.com/home") is not an origin such as https://app.example.com']);
  });

  it("AUTH_BASE_PATH, COOKIE_DOMAIN and ALLOWED_EMAIL_DOMAINS as described", () => {
    expect(config({ AUTH_BASE_PATH: "/api/auth" }).basePath).toBe("/api/auth");
    for (const path of ["auth", "/auth/", "/a b"]) expect(problems({ AUTH_BASE_PATH: path })).toEqual(["AUTH_BASE_PATH must be a path such as /auth"]);
    expect(config({ COOKIE_DOMAIN: ".Example.com" }).cookieDomain).toBe(".example.com");
    expect([...config({ ALLOWED_EMAIL_DOMAINS: "@Example.com, example.org" }).allowedEmailDomains]).toEqual(["example.com", "example.org"]);
    expect(problems({ ALLOWED_EMAIL_DOMAINS: "example" })).toEqual(["ALLOWED_EMAIL_DOMAINS must list domains such as example.com"]);
  });

  it("lifetimes: whole numbers, ACCESS_TTL ≤ SESSION_IDLE_TTL ≤ SESSION_MAX_TTL; PROVIDER_TIMEOUT_MS from the README's minimum", () => {
    expect(problems({ ACCESS_TTL: "0" })).toEqual(["ACCESS_TTL must be a whole number ≥ 1"]);
    expect(problems({ ACCESS_TTL: "1000", SESSION_IDLE_TTL: "999" })).toEqual(["ACCESS_TTL must not be longer than SESSION_IDLE_TTL"]);
    expect(problems({ SESSION_IDLE_TTL: "1000", SESSION_MAX_TTL: "999" })).toEqual(["SESSION_IDLE_TTL must not be longer than SESSION_MAX_TTL"]);
    expect(config({ ACCESS_TTL: "1000", SESSION_IDLE_TTL: "1000", SESSION_MAX_TTL: "1000" }).maxTtl).toBe(1000);
    const minimum = Number(/`PROVIDER_TIMEOUT_MS`: a whole number ≥ (\d+)/.exec(paragraph("`PROVIDER_TIMEOUT_MS`: a whole number"))![1]);
    expect(problems({ PROVIDER_TIMEOUT_MS: String(minimum - 1) })).toEqual([`PROVIDER_TIMEOUT_MS must be a whole number ≥ ${minimum}`]);
    expect(config({ PROVIDER_TIMEOUT_MS: String(minimum) }).providerTimeoutMs).toBe(minimum);
  });

  it("switches: true/false, 1/0, yes/no, in any case", () => {
    expect(config({ PASS_ACCESS_TOKEN: "YES" }).passAccessToken).toBe(true);
    expect(config({ PASS_ACCESS_TOKEN: "0" }).passAccessToken).toBe(false);
    expect(config({ DEV_PROVIDER: "1" }).providers.has("dev")).toBe(true);
    expect(problems({ DEV_PROVIDER: "on" })).toContain('DEV_PROVIDER must be "true" or "false"');
  });
});

describe("README: the two commands", () => {
  it("names every Debian package and path the browser tests install", () => {
    const installs = [...testDeps.matchAll(/\?\? "([^"]+)", apt: "([^"]+)"/g)].map(([, path, apt]) => ({ path: path!, apt: apt! }));
    expect(installs.length).toBeGreaterThan(0);
    const needs = paragraph("the browser tests also need");
    const missing = paragraph("is missing, `npm test` installs it");
    for (const { path, apt } of installs) {
      expect(needs).toContain(`\`${apt}\``);
      expect(missing).toContain(`\`${path}\``);
    }
  });
});

describe("error codes", () => {
  it("README's table lists every code the worker answers with, and no other", () => {
    const section = readme.slice(readme.indexOf("### Error codes")).split("\n");
    const start = section.findIndex((line) => line.startsWith("|"));
    const table = section.slice(start, section.findIndex((line, at) => at > start && !line.startsWith("|")));
    const listed = table
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...line.split(" | ")[0]!.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]));
    expect([...listed].sort()).toEqual([...ERROR_CODES].sort());
  });
});
