import { describe, expect, it } from "vitest";
import { safeRedirect } from "../../src/redirects";
import { call, signIn } from "./helpers";

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
});
