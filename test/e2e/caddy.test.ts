import { readFileSync } from "node:fs";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { readmeBlock } from "./readme";
import { echoApp, startCaddy, type Running } from "./servers";

let worker: DevServer;
let app: Running;
let caddy: Running;
let browser: Browser;

beforeAll(async () => {
  // A 2-second session cookie, so it expires several times within a test.
  worker = await startDevServer({ DEV_PROVIDER: "true", ACCESS_TTL: "2" });
  app = await echoApp();
  caddy = await startCaddy(worker.port, app.port);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await caddy?.stop();
  await app?.stop();
  await worker?.stop();
});

const seen = async (page: Page) => JSON.parse((await page.locator("body").textContent())!) as { path: string; headers: Record<string, string> };
const cookie = async (context: BrowserContext, name: string) => (await context.cookies()).find((c) => c.name === name)?.value;

/**
 * Opens `path` through Caddy and waits for the application's answer. The
 * 401 page Caddy passes on has the application's URL too, so the wait is for
 * the application's own 200, not for the address bar.
 */
async function openApp(page: Page, path: string, go: () => Promise<unknown> = () => page.goto(`${caddy.url}${path}`)) {
  const answered = page.waitForResponse((response) => response.url() === `${caddy.url}${path}` && response.status() === 200);
  await go();
  await answered;
  await page.waitForLoadState();
}

async function signInThroughCaddy(context: BrowserContext, path: string) {
  const page = await context.newPage();
  await page.goto(`${caddy.url}${path}`);
  // The worker's 401 page moves the browser on to sign in.
  await page.waitForURL((url) => url.pathname === "/auth/signin");
  await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
  await page.getByLabel("Your name").fill("Caddy User");
  const answered = page.waitForResponse((response) => response.url() === `${caddy.url}${path}` && response.status() === 200);
  await page.getByRole("button", { name: "Sign in" }).click();
  await answered;
  await page.waitForLoadState();
  return page;
}

describe("Caddy forward_auth in front of an application (examples/Caddyfile)", () => {
  it("sends a visitor to sign in and back, then the application receives who they are", async () => {
    const context = await browser.newContext();
    const page = await signInThroughCaddy(context, "/dashboard?x=1&y=2");
    expect(page.url()).toBe(`${caddy.url}/dashboard?x=1&y=2`);
    const request = await seen(page);
    expect(request.path).toBe("/dashboard?x=1&y=2");
    expect(request.headers["x-auth-request-user"]).toBe("dev:caddy-user");
    expect(request.headers["x-auth-request-preferred-username"]).toBe("caddy-user");
    expect(request.headers["x-auth-request-provider"]).toBe("dev");
    expect(request.headers["x-auth-request-session"]).toMatch(/^[\w-]{22}$/);

    const jwks = createRemoteJWKSet(new URL(`${caddy.url}/auth/jwks.json`));
    const { payload } = await jwtVerify(request.headers["x-auth-assertion"]!, jwks, { issuer: caddy.url, audience: caddy.url });
    expect(payload.sub).toBe("dev:caddy-user");
    await context.close();
  });

  it("replaces or removes every identity header a client sends, and never hands the worker's cookies to the application", async () => {
    const context = await browser.newContext();
    await signInThroughCaddy(context, "/spoof");
    await context.addCookies([{ name: "theme", value: "dark", url: caddy.url }]);
    const forged = {
      "X-Auth-Request-User": "dev:admin",
      "X-Auth-Request-Email": "admin@example.com",
      "X-Auth-Request-Preferred-Username": "admin",
      "X-Auth-Request-Provider": "github",
      "X-Auth-Request-Session": "forged",
      "X-Auth-Assertion": "forged",
      "X-Auth-Request-Groups": "admins",
      "X-Auth-Deliver-Cookies": "true",
      "X-Forwarded-User": "admin",
      "X-Forwarded-Email": "admin@example.com",
      "X-Forwarded-Preferred-Username": "admin",
      "X-Forwarded-Groups": "admins",
      "Remote-User": "admin",
      "Remote-Email": "admin@example.com",
      "Remote-Name": "admin",
      "Remote-Groups": "admins",
      "X-Webauth-User": "admin",
      "X-User": "admin",
      "X-Email": "admin@example.com",
      X_Auth_Request_User: "dev:admin",
      x_forwarded_user: "admin",
    };
    const { headers } = await (await context.request.get(`${caddy.url}/spoof`, { headers: forged })).json();
    expect(headers["x-auth-request-user"]).toBe("dev:caddy-user");
    expect(headers["x-auth-request-preferred-username"]).toBe("caddy-user");
    expect(headers["x-auth-request-provider"]).toBe("dev");
    expect(headers["x-auth-request-session"]).toMatch(/^[\w-]{22}$/);
    expect(headers["x-auth-assertion"]).not.toBe("forged");
    // The development user has no email: the worker sends the header empty,
    // and Caddy 2.6 passes it on empty (later versions leave it out).
    expect(headers["x-auth-request-email"] ?? "").toBe("");
    for (const name of Object.keys(forged).map((name) => name.toLowerCase()).filter((name) => !name.startsWith("x-auth-request-") && name !== "x-auth-assertion")) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers.cookie).toBe("theme=dark");

    // Ours around the application's, in every position and spelling: only the application's reaches it.
    const session = await cookie(context, "auth.session");
    const refresh = await cookie(context, "auth.refresh");
    const mixed = await fetch(`${caddy.url}/spoof`, {
      headers: { Cookie: `auth.refresh=${refresh}; a=1; auth.session=${session}; b=2; AUTH.FLOW=z; __Secure-auth.device=w;xauth.session=keep` },
    });
    expect(mixed.status).toBe(200);
    expect((await mixed.json()).headers.cookie).toBe("a=1; b=2;xauth.session=keep");
    const onlyOurs = await fetch(`${caddy.url}/spoof`, { headers: { Cookie: `auth.refresh=${refresh}; __Host-auth.session=x; auth.session=${session}` } });
    expect(onlyOurs.status).toBe(200);
    expect((await onlyOurs.json()).headers.cookie ?? "").toBe("");
    await context.close();
  });

  it("keeps a person signed in across several session lifetimes: the sign-in URL renews, no provider trip, the same session", async () => {
    const context = await browser.newContext();
    // Where the browser went, page by page.
    const visited: string[] = [];
    context.on("request", (request) => void (request.isNavigationRequest() && visited.push(new URL(request.url()).pathname)));
    const page = await signInThroughCaddy(context, "/renew");
    const sessionId = (await seen(page)).headers["x-auth-request-session"];
    expect(sessionId).toMatch(/^[\w-]{22}$/);

    for (let round = 0; round < 3; round++) {
      visited.length = 0;
      const before = await cookie(context, "auth.refresh");
      await page.waitForTimeout(2_500);
      await openApp(page, "/renew", () => page.reload());
      // Expired: 401 from forward auth, the page's refresh to the sign-in
      // URL, which renewed and sent the browser straight back; never to the
      // provider (/auth/signin/dev, /auth/dev/authorize).
      expect(visited).toEqual(["/renew", "/auth/signin", "/renew"]);
      expect(page.url()).toBe(`${caddy.url}/renew`);
      const { headers } = await seen(page);
      expect(headers["x-auth-request-user"]).toBe("dev:caddy-user");
      expect(headers["x-auth-request-session"]).toBe(sessionId);
      expect(await cookie(context, "auth.refresh")).not.toBe(before);
    }
    expect(worker.output()).not.toContain("refresh_reuse");
    const session = await context.request.get(`${caddy.url}/auth/session`);
    expect(session.status()).toBe(200);
    expect((await session.json()).sessionId).toBe(sessionId);
    await context.close();
  });

  it("never lets a client claim that Caddy delivers cookies, so a renewal is never consumed at the check", async () => {
    const context = await browser.newContext();
    const page = await signInThroughCaddy(context, "/claim");
    const before = await cookie(context, "auth.refresh");
    await page.waitForTimeout(2_500);
    const claimed = await context.request.get(`${caddy.url}/claim`, { headers: { "X-Auth-Deliver-Cookies": "true", Accept: "application/json" } });
    // Had the header reached the worker, it would have renewed (200) and
    // Caddy would have dropped the new refresh cookie.
    expect(claimed.status()).toBe(401);
    expect((await claimed.json()).error).toBe("unauthenticated");
    expect(await cookie(context, "auth.refresh")).toBe(before);
    await openApp(page, "/claim", () => page.reload());
    expect((await seen(page)).headers["x-auth-request-user"]).toBe("dev:caddy-user");
    expect(worker.output()).not.toContain("refresh_reuse");
    await context.close();
  });

  it("answers a signed-out browser with the 401 page that moves on to sign in, returning to the URL Caddy was asked for", async () => {
    // A client's X-Original-URL would win over Caddy's X-Forwarded-*: it never reaches the worker.
    const response = await fetch(`${caddy.url}/private?a=1`, { headers: { Accept: "text/html", "X-Original-URL": `${caddy.url}/elsewhere` } });
    expect(response.status).toBe(401);
    const signin = `${caddy.url}/auth/signin?redirect_to=${encodeURIComponent(`${caddy.url}/private?a=1`)}`;
    expect(response.headers.get("X-Auth-Signin")).toBe(signin);
    const page = await response.text();
    expect(page).toContain('http-equiv="refresh"');
    expect(page).toContain(`content="0;url=${signin}"`);
  });

  it("is shown in the README exactly as tested", () => {
    expect(readmeBlock("caddyfile", "forward_auth")).toBe(readFileSync("examples/Caddyfile", "utf8"));
  });
});
