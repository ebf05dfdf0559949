import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, LOCAL } from "./helpers";

const proxyVars = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream` };
const signin = (back?: string) => `${LOCAL}/auth/signin${back ? `?redirect_to=${encodeURIComponent(back)}` : ""}`;

/**
 * RFC 7235 §4.1 / RFC 6750 §3: `Bearer` and comma-separated auth-params whose
 * values are quoted strings (no bare `"` or `\` inside), realm first here.
 */
const CHALLENGE = /^Bearer realm="[^"\\]*"(?:, (?:error|error_description|scope)="[^"\\]*")*$/;

/** Every way to ask for something that needs a session, and where its sign-in comes back to. */
const entryPoints: { name: string; path: string; init?: RequestInit; vars?: Record<string, unknown>; back?: string }[] = [
  { name: "GET /auth/session", path: "/auth/session" },
  { name: "GET /auth/sessions", path: "/auth/sessions?after=1.x", back: "/auth/sessions?after=1.x" },
  { name: "POST /auth/token", path: "/auth/token", init: { method: "POST", headers: { Origin: LOCAL } } },
  { name: "GET /auth/verify", path: "/auth/verify?rd=%2Fapp", back: "/app" },
  { name: "the proxy", path: "/api/items?page=2", vars: proxyVars, back: "/api/items?page=2" },
];

async function ask(point: (typeof entryPoints)[number], headers: Record<string, string>) {
  const init = point.init ?? {};
  return call(point.path, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } }, point.vars);
}

describe("not signed in: one answer everywhere", () => {
  it.each(entryPoints)("$name: the same JSON 401, its sign-in URL in the body and X-Auth-Signin, a Bearer challenge", async (point) => {
    const response = await ask(point, { Accept: "application/json" });
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: "unauthenticated", message: "You are not signed in.", signin: signin(point.back) });
    expect(response.headers.get("X-Auth-Signin")).toBe(signin(point.back));
    expect(response.headers.get("WWW-Authenticate")).toBe(`Bearer realm="${LOCAL}"`);
  });

  it.each(entryPoints)("$name: a bearer credential that is not accepted gets error=\"invalid_token\", in valid challenge syntax", async (point) => {
    for (const credential of ["not-a-token", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", "a.b.c.d.e"]) {
      const response = await ask(point, { Accept: "application/json", Authorization: `Bearer ${credential}` });
      expect(response.status, credential).toBe(401);
      const challenge = response.headers.get("WWW-Authenticate")!;
      expect(challenge, credential).toMatch(CHALLENGE);
      expect(challenge, credential).toBe(`Bearer realm="${LOCAL}", error="invalid_token"`);
      expect(await response.json(), credential).toMatchObject({ error: "unauthenticated" });
    }
  });

  it.each(entryPoints)("$name: a script's fetch (Accept */* or none) gets the JSON 401, never a redirect it would follow", async (point) => {
    for (const accept of ["*/*", ""]) {
      const response = await ask(point, accept ? { Accept: accept } : {});
      expect(response.status, accept).toBe(401);
      expect(await response.json(), accept).toMatchObject({ error: "unauthenticated" });
    }
  });

  it("a browser's GET goes to sign in and back; /auth/session stays JSON; forward auth's browser gets the 401 page; a form post, the 401 page", async () => {
    const browser = { Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
    const answers = await Promise.all(entryPoints.map((point) => ask(point, browser)));
    const seen = await Promise.all(
      answers.map(async (response) => ({
        status: response.status,
        location: response.headers.get("Location"),
        page: response.headers.get("Content-Type")?.startsWith("text/html") ? /http-equiv="refresh" content="0;url=([^"]+)"/.exec(await response.text())?.[1] : undefined,
      })),
    );
    expect(seen).toEqual([
      { status: 401, location: null, page: undefined },
      { status: 302, location: "/auth/signin?redirect_to=%2Fauth%2Fsessions%3Fafter%3D1.x", page: undefined },
      // A post cannot be replayed after sign-in: the page, coming back to where sign-in lands.
      { status: 401, location: null, page: signin() },
      { status: 401, location: null, page: signin("/app") },
      { status: 302, location: "/auth/signin?redirect_to=%2Fapi%2Fitems%3Fpage%3D2", page: undefined },
    ]);
    // A 401 page is a 401 like any other: the challenge and the sign-in URL are there too.
    expect(answers[3]!.headers.get("WWW-Authenticate")).toBe(`Bearer realm="${LOCAL}"`);
    expect(answers[3]!.headers.get("X-Auth-Signin")).toBe(signin("/app"));
  });
});
