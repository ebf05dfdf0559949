import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { readmeBlock, runSnippet } from "./readme";
import { echoApp, startNginx, type Running } from "./servers";

let worker: DevServer;
let app: Running;
let nginx: Running;
let browser: Browser;

beforeAll(async () => {
  // A 2-second session cookie, so renewal through nginx happens within the test.
  worker = await startDevServer({ DEV_PROVIDER: "true", ACCESS_TTL: "2" });
  app = await echoApp();
  nginx = await startNginx(worker.port, app.port);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await app?.stop();
  await worker?.stop();
});

const seen = async (page: Page) => JSON.parse((await page.locator("body").textContent())!) as { path: string; headers: Record<string, string> };

async function signInThroughNginx(context: BrowserContext, path: string) {
  const page = await context.newPage();
  await page.goto(`${nginx.url}${path}`);
  expect(new URL(page.url()).pathname).toBe("/auth/signin");
  await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
  await page.getByLabel("Your name").fill("Nginx User");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${nginx.url}${path}`);
  return page;
}

describe("nginx auth_request in front of an application (examples/nginx.conf)", () => {
  it("sends a visitor to sign in and back, then the application receives who they are", async () => {
    const context = await browser.newContext();
    const page = await signInThroughNginx(context, "/dashboard?x=1&y=2");
    const request = await seen(page);
    expect(request.path).toBe("/dashboard?x=1&y=2");
    expect(request.headers["x-auth-request-user"]).toBe("dev:nginx-user");
    expect(request.headers["x-auth-request-preferred-username"]).toBe("nginx-user");
    expect(request.headers["x-auth-request-session"]).toMatch(/^[\w-]{22}$/);

    // The application can check the assertion itself, offline, with the worker's JWKS.
    const jwks = createRemoteJWKSet(new URL(`${nginx.url}/auth/jwks.json`));
    const { payload } = await jwtVerify(request.headers["x-auth-assertion"]!, jwks, { issuer: nginx.url, audience: nginx.url });
    expect(payload.sub).toBe("dev:nginx-user");
    await context.close();
  });

  it("the README's upstream check accepts the assertion and refuses a bearer token, though both come from one origin", async () => {
    const context = await browser.newContext();
    const page = await signInThroughNginx(context, "/readme");
    const assertion = (await seen(page)).headers["x-auth-assertion"]!;
    const minted = await context.request.post(`${nginx.url}/auth/token`, { headers: { Origin: nginx.url } });
    expect(minted.status()).toBe(200);
    const { access_token: bearer } = await minted.json();
    const snippet = readmeBlock("js", "X-Auth-Assertion");
    const addresses = {
      "https://auth.example.com/.well-known/jwks.json": `${worker.url}/.well-known/jwks.json`,
      "https://auth.example.com": nginx.url,
      "https://internal.example.com": nginx.url,
    };
    const check = (token: string) => runSnippet<{ sub: string }>(snippet, addresses, "payload", { headers: new Headers({ "X-Auth-Assertion": token }) });
    expect((await check(assertion)).sub).toBe("dev:nginx-user");
    await expect(check(bearer)).rejects.toThrow();
    await context.close();
  });

  it("replaces identity headers a client tries to send, and never hands the worker's cookies to the application", async () => {
    const context = await browser.newContext();
    await signInThroughNginx(context, "/spoof");
    await context.addCookies([{ name: "theme", value: "dark", url: nginx.url }]);
    const forged = {
      "X-Auth-Request-User": "dev:admin",
      "X-Auth-Request-Email": "admin@example.com",
      "X-Auth-Request-Provider": "github",
      "X-Auth-Request-Groups": "admins",
      "X-Auth-Request-Access-Token": "forged",
      "X-Forwarded-User": "admin",
      "X-Forwarded-Preferred-Username": "admin",
      "X-Forwarded-Groups": "admins",
      "Remote-User": "admin",
      "Remote-Groups": "admins",
      "X-Webauth-User": "admin",
      "X-Auth-Assertion": "forged",
      X_Auth_Request_User: "dev:admin",
    };
    const response = await context.request.get(`${nginx.url}/spoof`, { headers: forged });
    // Ours around the application's, in every position: only the application's reaches it.
    const jar = Object.fromEntries((await context.cookies()).map((cookie) => [cookie.name, cookie.value]));
    const mixed = await fetch(`${nginx.url}/spoof`, {
      headers: { Cookie: `auth.refresh=${jar["auth.refresh"]}; a=1; auth.session=${jar["auth.session"]}; b=2; AUTH.FLOW=z; __Secure-auth.device=w` },
    });
    expect(mixed.status).toBe(200);
    expect((await mixed.json()).headers.cookie).toBe("a=1; b=2");
    // More of ours than the recipe's passes: none of ours gets through.
    const many = await fetch(`${nginx.url}/spoof`, {
      headers: {
        Cookie: `auth.refresh=${jar["auth.refresh"]}; auth.session=${jar["auth.session"]}; a=1; __Host-auth.session=x; __Host-auth.refresh=x; __Secure-auth.session=x; __Secure-auth.refresh=x; Auth.Device=x`,
      },
    });
    expect(many.status).toBe(200);
    expect((await many.json()).headers.cookie ?? "").not.toMatch(/auth\./i);
    const { headers } = await response.json();
    expect(headers["x-auth-request-user"]).toBe("dev:nginx-user");
    expect(headers["x-auth-request-provider"]).toBe("dev");
    expect(headers["x-auth-assertion"]).not.toBe("forged");
    // The development user has no email: the header is sent empty by the worker, and so removed.
    expect(headers["x-auth-request-email"]).toBeUndefined();
    for (const name of ["x-auth-request-groups", "x-auth-request-access-token", "x-forwarded-user", "x-forwarded-preferred-username", "x-forwarded-groups", "remote-user", "remote-groups", "x-webauth-user", "x_auth_request_user"]) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers.cookie).toBe("theme=dark");
    await context.close();
  });

  it("keeps a signed-in person signed in as the session cookie expires and is renewed through nginx", async () => {
    const context = await browser.newContext();
    const page = await signInThroughNginx(context, "/renew");
    const refreshCookie = async () => (await context.cookies()).find((cookie) => cookie.name === "auth.refresh")?.value;
    for (let round = 0; round < 3; round++) {
      const before = await refreshCookie();
      await page.waitForTimeout(2_500);
      await page.reload();
      expect(new URL(page.url()).pathname).toBe("/renew");
      expect((await seen(page)).headers["x-auth-request-user"]).toBe("dev:nginx-user");
      // The rotated refresh secret reached the browser through nginx: nothing
      // is left for reuse detection to mistake for theft once the grace window passes.
      expect(await refreshCookie()).not.toBe(before);
    }
    // The worker itself still sees a healthy session (no reuse was detected on the way).
    const session = await context.request.get(`${nginx.url}/auth/session`);
    expect(session.status()).toBe(200);
    await context.close();
  });

  it("hands the renewal on even when the application answers 404, so no renewal is ever lost", async () => {
    const context = await browser.newContext();
    const page = await signInThroughNginx(context, "/before-404");
    const refreshCookie = async () => (await context.cookies()).find((cookie) => cookie.name === "auth.refresh")?.value;
    const before = await refreshCookie();
    await page.waitForTimeout(2_500);
    // The renewal happens on a request the application answers with 404.
    const missing = await page.goto(`${nginx.url}/missing/favicon.ico`);
    expect(missing!.status()).toBe(404);
    expect(await refreshCookie()).not.toBe(before);
    // Its session cookie expires again: the next renewal presents the new secret.
    await page.waitForTimeout(2_500);
    await page.goto(`${nginx.url}/after-404`);
    expect(new URL(page.url()).pathname).toBe("/after-404");
    expect((await seen(page)).headers["x-auth-request-user"]).toBe("dev:nginx-user");
    expect(worker.output()).not.toContain("refresh_reuse");
    await context.close();
  });

  it("answers a signed-out visitor with a redirect to sign in", async () => {
    const response = await fetch(`${nginx.url}/private`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`${nginx.url}/auth/signin?redirect_to=${encodeURIComponent(`${nginx.url}/private`)}`);
  });
});
