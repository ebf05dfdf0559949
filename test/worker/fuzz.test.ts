import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { browse, call, signIn } from "./helpers";

/**
 * Property-based fuzzing: thousands of mutated cookies against the routes
 * that read them. Whatever arrives, the answer is below 500, no session is
 * granted unless the real session cookie is what the request presents, and
 * nothing escapes to the error handler as a bug.
 */
const RUNS = 10_000;
const proxyVars = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream` };

type Kind = "session" | "refresh" | "flow" | "verify";
const valid = {} as Record<Kind, string>;
let state = "";
let log: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  const { jar } = await signIn("dev", { as: "Fuzz Target" });
  valid.session = jar.get("auth.session")!;
  valid.refresh = jar.get("auth.refresh")!;
  const start = await call("/auth/signin/github");
  valid.flow = /^auth\.flow=([^;]+)/.exec(start.headers.getSetCookie()[0]!)![1]!;
  state = new URL(start.headers.get("Location")!).searchParams.get("state")!;
  // A real pending sign-in: a user with the second factor on, stopped at /auth/2fa.
  const { jar: enrolling } = await signIn("dev", { as: "Fuzz Two Factor" });
  const json = { Origin: "http://localhost:8787", Accept: "application/json" };
  const { secret } = await (await browse(enrolling, "/auth/2fa/setup", { method: "POST", headers: json })).json<{ secret: string }>();
  const code = generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), BigInt(Math.floor(Date.now() / 30_000)), 6);
  await browse(enrolling, "/auth/2fa/enable", { method: "POST", body: new URLSearchParams({ code }), headers: json });
  const waiting = await signIn("dev", { as: "Fuzz Two Factor" });
  valid.verify = waiting.jar.get("auth.verify")!;
  log = vi.spyOn(console, "log");
});
afterAll(() => log.mockRestore());

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64char = fc.integer({ min: 0, max: 63 }).map((i) => B64[i]!);

/** Ways to damage a cookie value; each yields the cookie pairs to send for it. */
const mutation = (name: string, value: string): fc.Arbitrary<string> =>
  fc.oneof(
    // flip one character to another base64url character
    fc.tuple(fc.nat(), b64char).map(([at, ch]) => {
      const i = at % value.length;
      return `${name}=${value.slice(0, i)}${ch === value[i] ? (ch === "A" ? "B" : "A") : ch}${value.slice(i + 1)}`;
    }),
    // truncate
    fc.nat().map((n) => `${name}=${value.slice(0, n % value.length)}`),
    // base64url garbage in JWE shape, or none
    fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/), { minLength: 1, maxLength: 6 }).map((parts) => `${name}=${parts.join(".")}`),
    // segments swapped
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => {
      const parts = value.split(".");
      const i = a % parts.length;
      const j = b % parts.length;
      [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      return `${name}=${parts.join(".")}`;
    }),
    // duplicated, with a forged twin before or after the real one
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9._-]{0,200}$/), fc.boolean()).map(([twin, first]) =>
      first ? `${name}=${twin}; ${name}=${value}` : `${name}=${value}; ${name}=${twin}`,
    ),
    // very long
    fc.integer({ min: 2, max: 12 }).map((times) => `${name}=${value.repeat(times)}`),
    // percent-encoded bytes, non-ASCII included
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }).map((bytes) => `${name}=${value.slice(0, 30)}${bytes.map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")}`),
    // attempts at injecting more cookies, attributes or headers
    fc.constantFrom("; auth.session=x", ", auth.session=y", '"', "\\", "%0d%0aSet-Cookie:%20a=b", "=;=;", "; Path=/; Domain=evil.example", "\t").map((tail) => `${name}=${value}${tail}`),
  );

/** The auth.session value a Cookie header really presents: the first one, as the worker reads it. */
function presentedSession(header: string): string | undefined {
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === "auth.session") return pair.slice(at + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

const targets = ["/auth/session", "/auth/verify", "callback", "proxy", "2fa"] as const;
const kinds: Kind[] = ["session", "refresh", "flow", "verify"];

describe("fuzzing cookies", () => {
  it(`${RUNS} mutated session, refresh, flow and verify cookies: never a 5xx, never a session that was not earned`, async () => {
    const errorsBefore = log.mock.calls.length;
    const outcomes = { granted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.constantFrom(...kinds).chain((kind) => mutation(`auth.${kind}`, valid[kind]).map((mutated) => ({ kind, mutated }))),
        async (target, { kind, mutated }) => {
          const others = kinds.filter((k) => k !== kind).map((k) => `auth.${k}=${valid[k]}`);
          const cookie = [mutated, ...others].join("; ");
          const path = {
            callback: `/auth/callback/github?code=bogus&state=${state}`,
            proxy: "/app/page",
            "2fa": "/auth/2fa/verify",
          }[target as string] ?? target;
          const init: RequestInit =
            target === "2fa"
              ? { method: "POST", body: new URLSearchParams({ code: "000000" }), headers: { Cookie: cookie, Accept: "application/json", Origin: "http://localhost:8787", "Content-Type": "application/x-www-form-urlencoded" } }
              : { headers: { Cookie: cookie, Accept: "application/json" } };
          const response = await call(path, init, target === "proxy" ? proxyVars : {});
          expect(response.status).toBeLessThan(500);
          const granted = response.status >= 200 && response.status < 300;
          if (target === "callback" || target === "2fa") {
            expect(response.status).toBeGreaterThanOrEqual(400);
            expect(response.headers.getSetCookie().some((h) => /^auth\.session=[^;]/.test(h))).toBe(false);
          } else if (granted) {
            expect(presentedSession(cookie)).toBe(valid.session);
          }
          outcomes[granted ? "granted" : "refused"]++;
          await response.body?.cancel();
        },
      ),
      { numRuns: RUNS },
    );
    // Both sides of the property were exercised: damaged session cookies refused, intact ones honoured.
    expect(outcomes.granted).toBeGreaterThan(RUNS / 10);
    expect(outcomes.refused).toBeGreaterThan(RUNS / 10);
    const bugs = log.mock.calls.slice(errorsBefore).filter(([line]: unknown[]) => String(line).includes('"event":"error"'));
    expect(bugs).toEqual([]);
  }, 300_000);
});
