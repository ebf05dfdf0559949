import { expect } from "vitest";
import { call, Jar, LOCAL } from "./helpers";

/** APP_ORIGINS tests: AUTH_URL is LOCAL, one exact app origin and a pattern for previews. */
export const PROXY_SECRET = "proxy-secret-0123456789abcdef0123456789";
/** One object per configuration: the worker caches its configuration per env object, as deployed. */
export const APPS = { AUTH_URL: LOCAL, APP_ORIGINS: "https://app.example.com, https://*.preview.example.com", PROXY_SECRET };
export const APP = "https://app.example.com";
export const PREVIEW = "https://pr-7.preview.example.com";

/** A browser across origins: a cookie jar per origin, every URL it was sent to kept. */
export class Browser {
  readonly jars = new Map<string, Jar>();
  readonly visited: string[] = [];
  constructor(readonly vars: Record<string, unknown> = APPS) {}

  jar(origin: string): Jar {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Jar()));
    return jar;
  }

  /** One request, no redirect followed. */
  async send(url: string, init: RequestInit = {}): Promise<Response> {
    this.visited.push(url);
    const jar = this.jar(new URL(url).origin);
    const headers = new Headers(init.headers);
    if (!headers.has("Accept")) headers.set("Accept", "text/html");
    if (jar.cookies.size) headers.set("Cookie", jar.header);
    const response = await call(url, { ...init, headers }, this.vars);
    jar.take(response);
    return response;
  }

  /** Follows redirects as a navigation would (browsers stop at 20). */
  async go(url: string, init: RequestInit = {}, max = 20): Promise<{ response: Response; hops: string[] }> {
    const hops = [url];
    let response = await this.send(url, init);
    for (let i = 0; response.status >= 300 && response.status < 400 && i < max; i++) {
      url = new URL(response.headers.get("Location")!, url).href;
      hops.push(url);
      response = await this.send(url);
    }
    return { response, hops };
  }

  /** `/auth/session` on `origin`, keeping any renewed cookies. */
  async session(origin: string): Promise<{ status: number; body: any }> {
    const response = await this.send(`${origin}/auth/session`, { headers: { Accept: "application/json" } });
    return { status: response.status, body: await response.json() };
  }

  /** The development provider's page at AUTH_URL, filled in, and the request it posts (not followed). */
  async submit(page: Response, name: string): Promise<Response> {
    const html = await page.text();
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)![1]!.replace(/&amp;/g, "&");
    const form = new URLSearchParams({ name, state: field("state"), redirect_uri: field("redirect_uri"), code_challenge: field("code_challenge") });
    return this.send(`${LOCAL}/auth/dev/authorize`, { method: "POST", body: form, headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded" } });
  }

  /** The development provider's page, filled in and followed to wherever it leads. */
  async approve(page: Response, name: string): Promise<Response> {
    const posted = await this.submit(page, name);
    return (await this.go(new URL(posted.headers.get("Location")!, LOCAL).href)).response;
  }
}

/** Signs in on `origin` (AUTH_URL or an app) with the development provider, ending at `path`. */
export async function signInDev(browser: Browser, name: string, origin = LOCAL, path = "/") {
  const { response } = await browser.go(`${origin}/auth/signin/dev?redirect_to=${encodeURIComponent(path)}`);
  expect(response.status).toBe(200);
  return browser.approve(response, name);
}
