import { afterEach, beforeEach, vi } from "vitest";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getKeyring } from "../../src/crypto/keys";
import { open } from "../../src/crypto/seal";
import { COOKIE_KINDS, prefixedCookieName } from "../../src/http/cookie-names";
import type { Env } from "../../src/env";
import worker from "../../src/index";

export const LOCAL = "http://localhost:8787";
export const PUBLIC = "https://auth.example.com";

/**
 * Every kind the worker declares in COOKIE_KINDS, in each spelling a client
 * or an upstream might use to smuggle it past us (prefixed or not, in any
 * case). Tests go by this rather than a list of their own, so a kind added
 * to the worker is covered at once.
 */
export const ourCookieNames = () =>
  COOKIE_KINDS.flatMap((kind) => {
    const name = prefixedCookieName(kind, undefined);
    return [name, prefixedCookieName(kind, "host"), prefixedCookieName(kind, "secure"), `__host-${name}`, name.toUpperCase(), `__SECURE-${name}`];
  });

/** The 401 of a JSON endpoint such as `/auth/session`: no page to come back to. */
export const NOT_SIGNED_IN = { error: "unauthenticated", message: "You are not signed in.", signin: `${LOCAL}/auth/signin` };

// Like the runtime, hand the worker the same env object for the same
// variables, so per-isolate caches (configuration, keys) behave as deployed.
const envs = new WeakMap<object, Env>();
function envWith(vars: Record<string, unknown>): Env {
  if (Object.keys(vars).length === 0) return env as unknown as Env;
  let merged = envs.get(vars);
  if (!merged) {
    merged = { ...env, ...vars } as unknown as Env;
    envs.set(vars, merged);
  }
  return merged;
}

/**
 * Sends a request to the worker — the real one, in workerd, with the test
 * run's KV and D1 — optionally with some variables changed.
 */
export async function call(input: string | Request, init: RequestInit = {}, vars: Record<string, unknown> = {}): Promise<Response> {
  const request = typeof input === "string" ? new Request(input.startsWith("http") ? input : LOCAL + input, { redirect: "manual", ...init }) : input;
  const ctx = createExecutionContext();
  const response = await worker.fetch!(request as Request<unknown, IncomingRequestCfProperties>, envWith(vars), ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A minimal cookie jar: enough to carry our cookies between requests like a browser would. */
export class Jar {
  readonly cookies = new Map<string, string>();

  take(response: Response): this {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The value of the cookie whose name ends with `suffix` (ignoring prefixes). */
  get(suffix: string): string | undefined {
    for (const [name, value] of this.cookies) if (name.endsWith(suffix)) return value;
    return undefined;
  }
}

/** A form posted from our own origin, as a browser sends it. */
export const formPost = (form: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body: new URLSearchParams(form),
  headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", ...headers },
});

/** Calls the worker with the jar's cookies and keeps the cookies it sets. */
export async function browse(jar: Jar, url: string, init: RequestInit = {}, vars: Record<string, unknown> = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.cookies.size) headers.set("Cookie", jar.header);
  const response = await call(url, { ...init, headers }, vars);
  jar.take(response);
  return response;
}

export interface SignInOptions {
  as?: string;
  behave?: string;
  deny?: boolean;
  remember?: boolean;
  redirectTo?: string;
  origin?: string;
  vars?: Record<string, unknown>;
  jar?: Jar;
  /** Headers for the final callback request, e.g. `Accept: application/json`. */
  headers?: Record<string, string>;
}

export interface SignInResult {
  jar: Jar;
  /** The worker's answer at the callback. */
  response: Response;
  /** The callback URL the provider sent the browser to. */
  callbackURL: string;
}

/**
 * Walks the whole sign-in flow: the worker's redirect to the provider (the
 * stand-in, or the development page), the provider's redirect back, and the
 * worker's callback.
 */
export async function signIn(provider: "github" | "vercel" | "dev", options: SignInOptions = {}): Promise<SignInResult> {
  const jar = options.jar ?? new Jar();
  const origin = options.origin ?? LOCAL;
  const start = new URL(`${origin}/auth/signin/${provider}`);
  if (options.redirectTo) start.searchParams.set("redirect_to", options.redirectTo);
  if (options.remember) start.searchParams.set("remember", "1");
  const started = await browse(jar, start.toString(), {}, options.vars);
  if (started.status !== 302) throw new Error(`sign-in start answered ${started.status}: ${await started.text()}`);
  const authorize = new URL(started.headers.get("Location")!);

  let callbackURL: string;
  if (provider === "dev") {
    const form = new URLSearchParams({
      name: options.as ?? "Dev User",
      state: authorize.searchParams.get("state")!,
      redirect_uri: authorize.searchParams.get("redirect_uri")!,
      code_challenge: authorize.searchParams.get("code_challenge")!,
    });
    const approved = await browse(jar, `${origin}/auth/dev/authorize`, {
      method: "POST",
      body: form,
      headers: { Origin: origin, "Content-Type": "application/x-www-form-urlencoded" },
    }, options.vars);
    callbackURL = approved.headers.get("Location")!;
  } else {
    if (options.as) authorize.searchParams.set("as", options.as);
    if (options.behave) authorize.searchParams.set("behave", options.behave);
    if (options.deny) authorize.searchParams.set("deny", "1");
    const approved = await fetch(authorize, { redirect: "manual" });
    callbackURL = approved.headers.get("Location")!;
  }
  const response = await browse(jar, callbackURL, { headers: options.headers }, options.vars);
  return { jar, response, callbackURL };
}

/** Reads `/auth/session` as the jar's owner. */
export async function sessionOf(jar: Jar, origin = LOCAL): Promise<{ status: number; body: any }> {
  const response = await browse(jar, `${origin}/auth/session`);
  return { status: response.status, body: await response.json() };
}

/** The refresh record of a session, straight from D1. */
export function sessionRow(id: string) {
  return env.DB.prepare("SELECT * FROM sessions WHERE id = ?1").bind(id).first<Record<string, any>>();
}

/** A KV binding that counts calls, for measuring what a request costs. */
export function countingKV(kv: KVNamespace) {
  const calls = { get: 0, put: 0 };
  const binding = {
    get: (...args: Parameters<KVNamespace["get"]>) => (calls.get++, kv.get(...args)),
    put: (...args: Parameters<KVNamespace["put"]>) => (calls.put++, kv.put(...args)),
  };
  return { calls, binding };
}

/** A D1 binding that counts executed statements. */
export function countingD1(db: D1Database) {
  const calls = { statements: 0, sql: [] as string[] };
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (property === "first" || property === "run" || property === "all" || property === "raw") {
          return (...args: unknown[]) => {
            calls.statements++;
            calls.sql.push(sql.trim().split(/\s+/)[0]!.toUpperCase());
            return (target as any)[property](...args);
          };
        }
        return (target as any)[property];
      },
    });
  const binding = { prepare: (sql: string) => wrap(db.prepare(sql), sql) };
  return { calls, binding };
}

/**
 * A fake `Date` for every test of the calling file, starting at the real
 * time: `clock.advance(seconds)` moves it on, `clock.seconds()` reads it as
 * the worker does. Timers stay real; mocks are restored after each test.
 */
export function fakeClock() {
  let now = Date.now();
  beforeEach(() => {
    now = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(now);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  return {
    advance: (seconds: number) => vi.setSystemTime((now += seconds * 1000)),
    seconds: () => Math.floor(now / 1000),
  };
}

/**
 * Revokes, at the Vercel stand-in, the refresh token stored for a session,
 * as a user revoking the app would: the session's next refresh is refused.
 */
export async function revokeStoredVercelRefreshToken(sessionId: string): Promise<void> {
  const sealed = (await sessionRow(sessionId))!.provider_refresh_token as string;
  const stored = await open<{ rt: string }>(await getKeyring([env.AUTH_SECRET]), "provider-token", sealed);
  if (stored.status === "invalid") throw new Error("unreadable refresh token");
  await fetch(`${env.VERCEL_API_URL}/login/oauth/token/revoke`, {
    method: "POST",
    headers: { Authorization: `Basic ${btoa("vc-client:vc-secret")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: stored.claims.rt }),
  });
}
