import { describe, expect, it } from "vitest";
import { browse, call, LOCAL, sessionOf, signIn } from "./helpers";

describe("pages", () => {
  it("the sign-in page offers a button per enabled provider", async () => {
    const response = await call("/auth/signin");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    for (const provider of ["github", "vercel", "dev"]) expect(html).toContain(`formaction="/auth/signin/${provider}"`);
    expect(html).toContain("Continue with GitHub");
    expect(html).toContain('name="remember" value="1"');
    const onlyGitHub = await call("/auth/signin", {}, { VERCEL_CLIENT_ID: undefined, VERCEL_CLIENT_SECRET: undefined, DEV_PROVIDER: "false" });
    expect(await onlyGitHub.text()).not.toMatch(/signin\/(vercel|dev)/);
  });

  it("JSON answers are nosniff, without the page headers", async () => {
    const response = await call("/auth/session");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Content-Security-Policy")).toBeNull();
  });

  it("every page carries a strict CSP and the other security headers", async () => {
    for (const path of ["/auth/signin", "/auth/sessions?x", "/nope", "/auth/signin/myspace"]) {
      const response = await call(path, { headers: { Accept: "text/html" } });
      if (response.status === 302) continue;
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
      const csp = response.headers.get("Content-Security-Policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("Referrer-Policy")).toBe("same-origin");
      expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    }
  });

  it("lets forms reach the providers' sign-in pages and the allowed origins, and nothing else", async () => {
    const csp = (await call("/auth/signin")).headers.get("Content-Security-Policy")!;
    const formAction = /form-action ([^;]+)/.exec(csp)![1]!.split(" ");
    expect(formAction).toEqual(["'self'", expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), "https://app.example.com"]);
  });

  it("serves its stylesheet and the devices page's script from its own origin, under the base path only", async () => {
    const css = await call("/auth/style.css");
    expect(css.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(await css.text()).toContain("prefers-color-scheme: dark");
    const script = await call("/auth/devices.js");
    expect(script.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(await script.text()).toContain("data-ua");
    // The assets layer answers nothing by itself: these paths are the worker's (a 404 here, an upstream's in proxy mode).
    expect((await call("/style.css", { headers: { Accept: "text/html" } })).status).toBe(404);
    expect((await call("/devices.js", { headers: { Accept: "text/html" } })).status).toBe(404);
    expect((await call("/auth/signin")).headers.get("Content-Security-Policy")).toContain("script-src 'self';");
  });

  it("the signed-in page shows who you are and a sign-out button", async () => {
    const { jar } = await signIn("github", { as: "pagewatch" });
    const response = await browse(jar, "/auth");
    const html = await response.text();
    expect(html).toContain("Pagewatch Example");
    expect(html).toContain("pagewatch@example.com");
    expect(html).toContain('action="/auth/signout"');
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect((await browse(jar, "/")).status).toBe(200);
  });

  it("sends signed-out visitors of the signed-in page to sign in and back", async () => {
    const response = await call("/auth?tab=1", { headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/auth/signin?redirect_to=%2Fauth%3Ftab%3D1");
    // A script's fetch would follow a redirect and read the sign-in page as a 200: it gets the 401.
    expect((await call("/auth")).status).toBe(401);
  });

  it("answers unknown paths and providers with 404, JSON or HTML", async () => {
    const json = await call("/auth/nothing", { headers: { Accept: "application/json" } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: "not_found", message: "There is nothing here." });
    const page = await call("/auth/signin/myspace");
    expect(page.status).toBe(404);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("no such sign-in provider");
  });

  it("a 404 is titled Not found, not a sign-in problem, signed in or not", async () => {
    const { jar } = await signIn("github", { as: "lost" });
    const html = await (await browse(jar, "/auth/nothing")).text();
    expect(html).toContain("<title>Not found</title>");
    expect(html).not.toContain("Sign-in problem");
  });

  it("signing out shows the sign-in page saying so; JSON callers and redirect_to are answered as before", async () => {
    const { jar } = await signIn("github", { as: "leaver" });
    const out = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect(out.headers.get("Location")).toBe("/auth/signin?out");
    expect(await (await browse(jar, "/auth/signin?out")).text()).toContain('<p role="status">You are signed out.</p>');
    expect(await (await call("/auth/signin")).text()).not.toContain("signed out");
    const { jar: json } = await signIn("github", { as: "leaver" });
    expect(await (await browse(json, "/auth/signout", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } })).json()).toEqual({ signedOut: true });
    const { jar: sent } = await signIn("github", { as: "leaver" });
    const away = await browse(sent, "/auth/signout?redirect_to=%2Fbye", { method: "POST", headers: { Origin: LOCAL } });
    expect(away.headers.get("Location")).toBe("/bye");
  });

  it("the Security page ties an error to its code input, and offers new recovery codes on the same form", async () => {
    const { jar } = await signIn("github", { as: "tied" });
    const init = { method: "POST", headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded" } };
    await browse(jar, "/auth/2fa/setup", init);
    const clean = await (await browse(jar, "/auth/security")).text();
    expect(clean).not.toContain("aria-invalid");
    const wrong = await (await browse(jar, "/auth/2fa/enable", { ...init, body: "code=000000" })).text();
    expect(wrong).toMatch(/<p role="alert" class="error" id="error">That code is not right\. Please try again\.<\/p>/);
    expect(wrong).toMatch(/<input[^>]*id="code"[^>]*maxlength="6"[^>]*aria-invalid="true" aria-describedby="error"|<input[^>]*aria-invalid="true" aria-describedby="error"[^>]*maxlength="6"/);
  });

  it("escapes what it echoes", async () => {
    const { jar } = await signIn("dev", { as: '<script>alert("x")</script>' });
    const html = await (await browse(jar, "/auth")).text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect((await sessionOf(jar)).body.user.name).toBe('<script>alert("x")</script>');
  });

  it("never shows a stack trace, even for a malformed request", async () => {
    const response = await call("/auth/dev/authorize", {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=x", Origin: "http://localhost:8787" },
      body: "--x\r\nbroken",
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await response.text()).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node_modules|\.ts:\d+/);
  });
});

describe("without the pages Worker", () => {
  const unbound = { PAGES: undefined };

  it("a page is a clean 503 as JSON, an error that was to be a page is its JSON, and the APIs work", async () => {
    const page = await call("/auth/signin", { headers: { Accept: "text/html" } }, unbound);
    expect(page.status).toBe(503);
    expect(await page.json()).toMatchObject({ error: "pages_unavailable" });
    const missing = await call("/auth/nothing-here", { headers: { Accept: "text/html" } }, unbound);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
    const { jar } = await signIn("dev", { as: "Pages Unbound" });
    expect((await browse(jar, "/auth/session", {}, unbound)).status).toBe(200);
  });

  it("a broken configuration still names its problems, as JSON", async () => {
    const answer = await call("/auth/signin", { headers: { Accept: "text/html" } }, { ...unbound, AUTH_SECRET: "short" });
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: "server_misconfigured", message: expect.stringContaining("AUTH_SECRET") });
  });
});
