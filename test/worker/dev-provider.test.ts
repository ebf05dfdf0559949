import { describe, expect, it } from "vitest";
import { browse, call, Jar, sessionOf, signIn } from "./helpers";

describe("the development provider", () => {
  it("signs in as whoever you type, through the same flow and callback", async () => {
    const { jar, response } = await signIn("dev", { as: "Grace Hopper", redirectTo: "/auth" });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/auth");
    const { body } = await sessionOf(jar);
    expect(body).toMatchObject({ provider: "dev", user: { id: "grace-hopper", login: "grace-hopper", name: "Grace Hopper" } });
  });

  it("shows a page with a name field", async () => {
    const start = await call("/auth/signin/dev");
    const page = await call(start.headers.get("Location")!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="name"');
    expect(html).toContain("Development sign-in");
  });

  it("is refused unless the request is to localhost", async () => {
    for (const url of ["https://auth.example.com/auth/signin/dev", "https://auth.example.com/auth/dev/authorize?state=a&redirect_uri=b&code_challenge=c"]) {
      const response = await call(url, { headers: { Accept: "application/json" } });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: "dev_provider_local_only" });
    }
    const signin = await call("https://auth.example.com/auth/signin");
    expect(await signin.text()).not.toContain("Development sign-in");
  });

  it("alone, away from localhost, leaves a sign-in page that says why it has no button and where to go", async () => {
    const onlyDev = { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined, VERCEL_CLIENT_ID: undefined, VERCEL_CLIENT_SECRET: undefined };
    const response = await call("http://devbox.lan:8787/auth/signin?redirect_to=%2Fauth", {}, onlyDev);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain("<button");
    expect(html).toContain("Development sign-in works only on localhost");
    expect(html).not.toContain('name="remember"');
    expect(html).toContain('<a href="http://localhost:8787/auth/signin?redirect_to=%2Fauth">');
    expect(html).toContain("GITHUB_CLIENT_ID");
    // On localhost the same configuration offers its button, and nothing of the above.
    const local = await (await call("/auth/signin", {}, onlyDev)).text();
    expect(local).toContain('formaction="/auth/signin/dev"');
    expect(local).not.toContain("works only on localhost");
  });

  it("is not there at all unless DEV_PROVIDER is true", async () => {
    const response = await call("/auth/signin/dev", {}, { DEV_PROVIDER: "false" });
    expect(response.status).toBe(404);
  });

  it("checks PKCE: a code made for another verifier is refused", async () => {
    const jar = new Jar();
    const start = await browse(jar, "/auth/signin/dev");
    const authorize = new URL(start.headers.get("Location")!);
    const form = new URLSearchParams({
      name: "Mallory",
      state: authorize.searchParams.get("state")!,
      redirect_uri: authorize.searchParams.get("redirect_uri")!,
      code_challenge: "A".repeat(43),
    });
    const approved = await call("/auth/dev/authorize", { method: "POST", body: form, headers: { Origin: "http://localhost:8787" } });
    const callback = await browse(jar, approved.headers.get("Location")!);
    expect(callback.status).toBe(400);
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("only hands codes to its own callback", async () => {
    const form = new URLSearchParams({ name: "Eve", state: "s", redirect_uri: "https://evil.example/steal", code_challenge: "c" });
    const response = await call("/auth/dev/authorize", { method: "POST", body: form, headers: { Origin: "http://localhost:8787" } });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });
});
