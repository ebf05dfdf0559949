import Ajv from "ajv";
import { normalizeRoutes } from "@vercel/routing-utils";
import { routesSchema } from "@vercel/routing-utils/dist/schemas";
import { transform } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { freePort, startDevServer, type DevServer } from "./dev-server";
import { readmeBlock } from "./readme";
import { serve, type Running } from "./servers";

/**
 * Three origins on this machine, as Chromium resolves `*.localhost` to
 * loopback: the worker's own (AUTH_URL), an app origin the worker serves
 * itself, and a preview deployment's behind a small proxy that does what
 * the README's vercel.json says.
 */
const PROXY_SECRET = "e2e-proxy-secret-0123456789abcdef0123";
const VERCEL_JSON = JSON.parse(readmeBlock("json", "x-auth-proxy-secret")) as { routes: Record<string, any>[] };

let worker: DevServer;
let proxy: Running;
let browser: Browser;
let home: string;
let app: string;
let preview: string;

/**
 * The README's vercel.json, carried out: a `routes` entry whose `src`
 * matches goes to its `dest` ($1 filled in; the README's worker address
 * pointed at this run's) with its request-header transforms applied (`env`
 * filling in `$PROXY_SECRET`), and — as Vercel's proxy does — the app's host
 * in X-Forwarded-Host. Anything else is the app's own page.
 */
function vercelProxy(workerURL: () => string) {
  return serve(async (req, res) => {
    const route = VERCEL_JSON.routes.find((entry) => entry.src && new RegExp(`^${entry.src}$`).test(req.url!.split("?")[0]!));
    if (!route) {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>Preview</title><p>The preview app.</p>");
      return;
    }
    const [, captured] = new RegExp(`^${route.src}$`).exec(req.url!.split("?")[0]!)!;
    const query = req.url!.includes("?") ? req.url!.slice(req.url!.indexOf("?")) : "";
    const target = route.dest.replace("$1", captured ?? "").replace("https://auth.example.com", workerURL()) + query;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string" && name !== "host") headers.set(name, value);
    headers.set("x-forwarded-host", req.headers.host!);
    headers.set("x-forwarded-proto", "http");
    for (const t of route.transforms ?? []) {
      if (t.type !== "request.headers" || t.op !== "set") throw new Error(`transform not carried out here: ${JSON.stringify(t)}`);
      let value: string = t.args;
      for (const name of t.env ?? []) value = value.replaceAll(`$${name}`, { PROXY_SECRET }[name as "PROXY_SECRET"]);
      headers.set(t.target.key, value);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await fetch(target, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: "manual" });
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (name !== "set-cookie" && name !== "content-encoding" && name !== "content-length") out[name] = value;
    });
    out["set-cookie"] = answer.headers.getSetCookie();
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
}

beforeAll(async () => {
  let workerURL = "";
  proxy = await vercelProxy(() => workerURL);
  const port = await freePort();
  home = `http://localhost:${port}`;
  app = `http://app.localhost:${port}`;
  preview = `http://pr-7.app.localhost:${proxy.port}`;
  worker = await startDevServer(
    { DEV_PROVIDER: "true", AUTH_URL: home, APP_ORIGINS: `${app},http://*.app.localhost:${proxy.port}`, PROXY_SECRET },
    { port },
  );
  workerURL = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await worker?.stop();
});

/** `/auth/session` on an origin, as the browser sees it (a navigation: only Chromium resolves `*.localhost`). */
async function status(context: BrowserContext, origin: string): Promise<number> {
  const page = await context.newPage();
  const answer = await page.goto(`${origin}/auth/session`);
  await page.close();
  return answer!.status();
}

describe("one sign-in across three origins, in Chromium", () => {
  it("signs in on an app, is signed in on a preview with no provider trip, and signs out of all three from the preview", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const visited: string[] = [];
    page.on("request", (request) => {
      if (request.isNavigationRequest()) visited.push(request.url());
    });

    // 1. The app served by the worker itself: sign in through AUTH_URL and the development provider.
    await page.goto(`${app}/auth`);
    await page.waitForURL((url) => url.origin === home && url.pathname === "/auth/signin");
    await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
    await page.getByLabel("Your name").fill("Three Origins");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app}/auth`);
    expect(await page.getByTestId("login").textContent()).toBe("three-origins");
    expect(visited.filter((url) => url.includes("/auth/handoff?code="))).toEqual([expect.stringMatching(new RegExp(`^${app}/auth/handoff\\?code=`))]);

    // 2. The preview behind the proxy: signed in at AUTH_URL already, so no provider and no page.
    const from = visited.length;
    await page.goto(`${preview}/auth`);
    await page.getByTestId("login").waitFor();
    expect(await page.getByTestId("login").textContent()).toBe("three-origins");
    const trip = visited.slice(from).map((url) => new URL(url).origin + new URL(url).pathname);
    expect(trip).toEqual([`${preview}/auth`, `${home}/auth/signin`, `${preview}/auth/handoff`, `${preview}/auth`]);
    for (const origin of [home, app, preview]) expect(await status(context, origin), origin).toBe(200);

    // Each origin has its own host-only cookies.
    const hosts = new Set((await context.cookies()).filter((c) => c.name === "auth.session").map((c) => c.domain));
    expect(hosts).toEqual(new Set(["localhost", "app.localhost", "pr-7.app.localhost"]));

    // "Your devices" on the preview: this browser, once, with its three origins.
    await page.goto(`${preview}/auth/sessions`);
    await expect.poll(() => page.getByRole("listitem").count()).toBe(1);
    const port = new URL(home).port;
    expect(await page.getByRole("listitem").textContent()).toContain(`On localhost:${port}, app.localhost:${port}, pr-7.app.localhost:${proxy.port}`);

    // 3. Sign out on the preview: all three are signed out.
    await page.goto(`${preview}/auth`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/auth/signin");
    for (const origin of [home, app, preview]) expect(await status(context, origin), origin).toBe(401);
    await context.close();
  });
});

describe("the README's recipes for many apps", () => {
  it("vercel.json is valid by Vercel's own schema and routes", () => {
    const ajv = new Ajv({ allErrors: true });
    expect(ajv.validate(routesSchema, VERCEL_JSON.routes), JSON.stringify(ajv.errors)).toBe(true);
    expect(normalizeRoutes(VERCEL_JSON.routes as never).error).toBeNull();
    // The header it sets is the one the worker reads, with the secret from the environment.
    expect(VERCEL_JSON.routes[0]!.transforms[0]).toMatchObject({ target: { key: "x-auth-proxy-secret" }, args: "$PROXY_SECRET", env: ["PROXY_SECRET"] });
  });

  it("the Next.js middleware lets a signed-in browser through with who it is, and sends a signed-out one to sign in", async () => {
    // The README's middleware, compiled as Next.js would, with a minimal `next/server` in place of Next's.
    const source = (await transform(readmeBlock("ts", "export async function middleware"), { loader: "ts", format: "esm" })).code;
    const dir = mkdtempSync(join(process.cwd(), "node_modules", ".readme-middleware-"));
    writeFileSync(
      join(dir, "next-server.mjs"),
      `export class NextResponse extends Response {
        static redirect(url) { return new NextResponse(null, { status: 307, headers: { location: String(url) } }); }
        static next(init) { const response = new NextResponse(null, { status: 200 }); response.forwarded = init?.request?.headers; return response; }
      }`,
    );
    writeFileSync(join(dir, "middleware.mjs"), source.replace(/from "next\/server"/, 'from "./next-server.mjs"'));
    process.env.AUTH_URL = `http://127.0.0.1:${worker.port}`;
    process.env.PROXY_SECRET = PROXY_SECRET;
    try {
      const { middleware } = await import(pathToFileURL(join(dir, "middleware.mjs")).href);
      const nextRequest = (url: string, cookie: string) => ({ url, nextUrl: new URL(url), headers: new Headers(cookie ? { cookie } : {}) });

      const signedOut = await middleware(nextRequest(`${preview}/dash?tab=2`, ""));
      expect(signedOut.status).toBe(307);
      expect(signedOut.headers.get("location")).toBe(`${preview}/auth/signin?redirect_to=%2Fdash%3Ftab%3D2`);

      // A browser signed in on the preview (through the proxy, as above).
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${preview}/auth`);
      await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
      await page.getByLabel("Your name").fill("Next Middleware");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${preview}/auth`);
      const cookie = (await context.cookies(preview)).map((c) => `${c.name}=${c.value}`).join("; ");
      const through = await middleware(nextRequest(`${preview}/dash`, cookie));
      expect(through.status).toBe(200);
      expect(through.forwarded.get("x-user-login")).toBe("next-middleware");
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
