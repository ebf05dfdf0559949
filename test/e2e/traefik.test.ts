import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cookiePrefix, prefixedCookieName } from "../../src/http/cookie-names";
import { DELIVERS_COOKIES, IDENTITY_HEADERS } from "../../src/proxy/forward-auth";
import { readmeBlock } from "./readme";

// Traefik is not packaged for Debian, so the recipe is checked against the
// worker's own names rather than run.
const RECIPE = readFileSync("examples/traefik.yml", "utf8");

interface Router {
  rule: string;
  priority?: number;
  service: string;
  middlewares?: string[];
}
interface Middleware {
  headers?: { customRequestHeaders: Record<string, string> };
  forwardAuth?: { address: string; trustForwardHeader?: boolean; authResponseHeaders?: string[]; addAuthCookiesToResponse?: string[] };
}
interface Dynamic {
  http: {
    routers: Record<string, Router>;
    middlewares: Record<string, Middleware>;
    services: Record<string, { loadBalancer: { servers: { url: string }[] } }>;
  };
}
const { http } = parse(RECIPE) as Dynamic;

/** The recipe's one middleware of a kind, and its name. */
function middleware<K extends keyof Middleware>(kind: K): [string, NonNullable<Middleware[K]>] {
  const found = Object.entries(http.middlewares).filter(([, middleware]) => middleware[kind]);
  if (found.length !== 1) throw new Error(`expected one ${kind} middleware, found ${found.length}`);
  const [name, middlewareOfKind] = found[0]!;
  return [name, middlewareOfKind[kind]!];
}
const [forwardAuthName, forwardAuth] = middleware("forwardAuth");
const [headersName, headers] = middleware("headers");
const workerURL = new URL(forwardAuth.address);

/** Traefik's `PathPrefix(`…`)`, the only matcher the recipe uses. */
function matches(rule: string, path: string): boolean {
  const prefix = /^PathPrefix\(`([^`]+)`\)$/.exec(rule);
  if (!prefix) throw new Error(`unexpected rule ${rule}`);
  return path.startsWith(prefix[1]!);
}

/** The router Traefik picks for a path: the highest priority among those whose rule matches. */
function routerFor(path: string): Router {
  const candidates = Object.values(http.routers).filter((router) => matches(router.rule, path));
  return candidates.sort((a, b) => (b.priority ?? b.rule.length) - (a.priority ?? a.rule.length))[0]!;
}

describe("Traefik forwardAuth recipe (examples/traefik.yml)", () => {
  it("asks the worker's /auth/verify and trusts the forwarded headers Traefik itself sets", () => {
    expect(workerURL.pathname).toBe("/auth/verify");
    // The client's X-Forwarded-* would choose the return target and the assertion's audience.
    expect(forwardAuth.trustForwardHeader).toBe(false);
  });

  it("copies exactly the identity headers the worker answers with", () => {
    expect(forwardAuth.authResponseHeaders).toEqual([...IDENTITY_HEADERS]);
  });

  it("hands on exactly the session and refresh cookies, by the names they have on https", () => {
    const https = cookiePrefix(true, null);
    expect([...(forwardAuth.addAuthCookiesToResponse ?? [])].sort()).toEqual(
      [prefixedCookieName("session", https), prefixedCookieName("refresh", https)].sort(),
    );
  });

  it("declares that it delivers cookies, and removes what a client says about who it is, before the check", () => {
    const request = headers.customRequestHeaders;
    expect(request[DELIVERS_COOKIES]).toBe("true");
    for (const name of [...IDENTITY_HEADERS, "X-Original-URL", "X-Auth-Request-Groups", "X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username", "Remote-User", "Remote-Email", "Remote-Groups", "Remote-Name", "X-Webauth-User", "X-User", "X-Email"]) {
      expect(request[name], name).toBe("");
    }
    const app = routerFor("/dashboard");
    expect(app.middlewares).toEqual([headersName, forwardAuthName]);
    expect(http.services[app.service]!.loadBalancer.servers[0]!.url).not.toBe(workerURL.origin);
  });

  it("sends /auth/ to the worker without the check, and nothing else", () => {
    for (const path of ["/auth/signin", "/auth/callback/github", "/auth/session"]) {
      const router = routerFor(path);
      expect(router.middlewares ?? [], path).toEqual([]);
      expect(http.services[router.service]!.loadBalancer.servers[0]!.url).toBe(workerURL.origin);
    }
    for (const path of ["/", "/authors", "/auth", "/x/auth/signin"]) {
      expect(routerFor(path).middlewares, path).toContain(forwardAuthName);
    }
  });

  it("is shown in the README exactly as tested", () => {
    expect(readmeBlock("yaml", "forwardAuth")).toBe(RECIPE);
  });
});
