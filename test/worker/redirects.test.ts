import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeRedirect } from "../../src/http/redirects";
import { browse, call, LOCAL, signIn } from "./helpers";

const SELF = "https://auth.example.com";
const ALLOWED = new Set(["https://app.example.com"]);

describe("safe redirects", () => {
  it.each([
    ["/dashboard", "/dashboard"],
    ["/a/b?c=d#e", "/a/b?c=d#e"],
    ["/%E2%9C%93", "/%E2%9C%93"],
    ["https://app.example.com/after", "https://app.example.com/after"],
    ["https://app.example.com", "https://app.example.com/"],
    ["https://auth.example.com/x", "https://auth.example.com/x"],
    // Dot segments that stay on a path of ours resolve as a browser would.
    ["/a/./b/../c", "/a/c"],
    ["/%2E%2E/dashboard", "/dashboard"],
    ["/..", "/"],
    ["/a//b", "/a//b"],
    ["/.well-known/x", "/.well-known/x"],
    ["https://app.example.com/a/../b", "https://app.example.com/b"],
  ])("keeps %s", (target, expected) => {
    expect(safeRedirect(target, SELF, ALLOWED)).toBe(expected);
  });

  it.each([
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "https:evil.example",
    "https:/evil.example",
    "http://evil.example",
    "https://evil.example/https://app.example.com",
    "https://app.example.com.evil.example/",
    "https://app.example.com@evil.example/",
    "https://user:pass@app.example.com/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    " /x",
    "evil.example",
    "/%",
    // Dot segments that resolve, or decode once more, to `//host`.
    "/.//evil.example/x",
    "/..//evil.example/x",
    "/%2e//evil.example/x",
    "/%2E%2e//evil.example/x",
    "/x/%2E%2E//evil.example/x",
    "/x/..%2F/evil.example/x",
    "/.%2F/evil.example/x",
    "/.%2f/evil.example/x",
    "/.%5C/evil.example/x",
    "/.%5c/evil.example/x",
    "/%2F/evil.example/x",
    "/.%09/evil.example/x",
    "https://app.example.com//evil.example/x",
    "https://app.example.com/.//evil.example/x",
    "https://app.example.com/%2F/evil.example/x",
    "https://app.example.com/.%2f/evil.example/x",
    "https://auth.example.com/..//evil.example/x",
    `/${"a".repeat(5000)}`,
    "",
  ])("falls back to / for %j", (target) => {
    expect(safeRedirect(target, SELF, ALLOWED)).toBe("/");
  });

  it("is applied to redirect_to at sign-in, end to end", async () => {
    const evil = await signIn("dev", { as: "Redirected", redirectTo: "//evil.example/steal" });
    expect(evil.response.headers.get("Location")).toBe("/");
    const allowed = await signIn("dev", { as: "Redirected", redirectTo: "https://app.example.com/welcome" });
    expect(allowed.response.headers.get("Location")).toBe("https://app.example.com/welcome");
  });

  it("carries a safe redirect_to through the sign-in page", async () => {
    const page = await call("/auth/signin?redirect_to=%2Finbox");
    expect(await page.text()).toContain('name="redirect_to" value="/inbox"');
    const evil = await call("/auth/signin?redirect_to=https%3A%2F%2Fevil.example");
    expect(await evil.text()).toContain('name="redirect_to" value="/"');
  });

  it("is applied to the flow's redirect target, so the callback never lands on another host", async () => {
    const { response } = await signIn("dev", { as: "Dotted", redirectTo: "/..//evil.example/x" });
    expect(response.headers.get("Location")).toBe("/");
  });

  it("sends a signed-in visitor of /auth/signin on to a path of ours, never to //host", async () => {
    const { jar } = await signIn("dev", { as: "Bounced" });
    for (const target of ["/.//evil.example/x", "/x/%2E%2E//evil.example/x", "/.%2F/evil.example/x"]) {
      const response = await browse(jar, `/auth/signin?redirect_to=${encodeURIComponent(target)}`);
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe("/");
    }
    const fine = await browse(jar, `/auth/signin?redirect_to=${encodeURIComponent("/a/../inbox")}`);
    expect(fine.headers.get("Location")).toBe("/inbox");
  });

  it("sends a signed-out browser to a path of ours, never to //host", async () => {
    const { jar } = await signIn("dev", { as: "Leaving" });
    const response = await browse(jar, `/auth/signout?redirect_to=${encodeURIComponent("/%2e//evil.example/x")}`, { method: "POST", headers: { Origin: LOCAL } });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/");
  });

  it("builds forward auth's sign-in URL with a safe way back", async () => {
    const response = await call(`/auth/verify?rd=${encodeURIComponent("/.//evil.example/x")}`);
    expect(response.status).toBe(401);
    expect(response.headers.get("X-Auth-Signin")).toBe(`${LOCAL}/auth/signin?redirect_to=%2F`);
  });

  it("whatever the target, returns / , a path whose second character is not a slash, or a URL on a trusted origin", () => {
    const piece = fc.constantFrom(
      "/", "//", "\\", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", "%", "%09", "%0a",
      "evil.example", "@", ":", "?", "#", "x", "https:", "https://app.example.com", "https://auth.example.com", "https://evil.example",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join("")), (target) => {
        const result = safeRedirect(target, SELF, ALLOWED);
        if (result === "/") return;
        const url = new URL(result, SELF);
        expect([SELF, ...ALLOWED]).toContain(url.origin);
        if (result.startsWith("/")) expect(result).toMatch(/^\/[^/\\]/);
        expect(url.pathname).not.toMatch(/^\/[/\\]/);
        // An app that decodes the target once more before following it stays here too.
        const again = new URL(decodeURIComponent(url.pathname + url.search + url.hash), url.origin);
        expect(again.origin).toBe(url.origin);
        expect(again.pathname).not.toMatch(/^\/[/\\]/);
      }),
      { numRuns: 5_000 },
    );
  });
});
