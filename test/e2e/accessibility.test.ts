import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { pageProblems } from "./page-checks";

/**
 * Every page, in light and dark, on a 320 px phone and a 1280 px desktop:
 * no serious or critical axe violations (WCAG 2.1 A and AA), nothing wider
 * than the page or its card. Screenshots of each land in SCREENSHOTS
 * (gitignored) to be looked at.
 */
const SCREENSHOTS = "test/e2e/.screenshots";
const SCHEMES = ["light", "dark"] as const;
const WIDTHS = [320, 1280] as const;

let server: DevServer;
let misconfigured: DevServer | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let key: Uint8Array;
let step = 0;

const url = (path: string) => `${server.url}/auth${path}`;
/** The walk's user, who is also the admin: the console shows their own session. */
const ADMIN = "dev:ada-lovelace-byron-of-a-rather-long-nam";
const code = (offset: number) => generateHOTP(key, BigInt(step + offset), 6);

async function signInAs(name: string) {
  await page.goto(url("/signin?redirect_to=%2Fauth"));
  await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * One walk through the pages, in order: each entry starts where the one
 * before it left the browser (one sign-in with a second factor set up on
 * the way, so the rate limit on sign-in starts is never reached).
 */
const pages: [name: string, reach: () => Promise<unknown>][] = [
  ["sign-in", () => page.goto(url("/signin?redirect_to=%2Fauth"))],
  [
    "development sign-in",
    async () => {
      await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
      await page.waitForURL(/\/auth\/dev\/authorize/);
    },
  ],
  [
    "signed in",
    async () => {
      await page.getByLabel("Your name").fill("Ada Lovelace-Byron of a Rather Long Name");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(url(""));
    },
  ],
  ["devices", () => page.goto(url("/sessions"))],
  [
    "admin console (tables open)",
    async () => {
      await page.goto(url(`/admin?user=${ADMIN}`));
      await page.getByRole("heading", { name: `Sessions of ${ADMIN}` }).waitFor();
      await page.locator("details").evaluateAll((all) => all.forEach((details) => ((details as HTMLDetailsElement).open = true)));
    },
  ],
  ["security (off)", () => page.goto(url("/security"))],
  [
    "security (set-up with QR)",
    async () => {
      await page.getByRole("button", { name: "Set up an authenticator app" }).click();
      await page.waitForURL(url("/security"));
      key = decodeBase32IgnorePadding((await page.getByTestId("totp-secret").textContent())!.replace(/\s/g, ""));
      step = Math.floor(Date.now() / 30_000);
    },
  ],
  [
    "security (wrong code)",
    async () => {
      await page.getByLabel("Code from the app").fill(code(10));
      await page.getByRole("button", { name: "Turn on" }).click();
      await page.getByRole("alert").waitFor();
    },
  ],
  [
    "recovery codes",
    async () => {
      await page.getByLabel("Code from the app").fill(code(0));
      await page.getByRole("button", { name: "Turn on" }).click();
      await page.getByTestId("recovery-codes").waitFor();
    },
  ],
  [
    "security (on)",
    async () => {
      await page.getByRole("link", { name: "Done" }).click();
      await page.getByLabel("A code from the app, or a recovery code").waitFor();
    },
  ],
  [
    "signed out",
    async () => {
      await page.goto(url(""));
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(url("/signin?out"));
    },
  ],
  [
    "second-factor prompt",
    async () => {
      await signInAs("Ada Lovelace-Byron of a Rather Long Name");
      await page.waitForURL(url("/2fa"));
    },
  ],
  [
    "second-factor prompt (wrong code)",
    async () => {
      await page.getByLabel("Code", { exact: true }).fill(code(10));
      const answered = page.waitForResponse(url("/2fa/verify"));
      await page.getByRole("button", { name: "Verify" }).click();
      expect((await answered).status()).toBe(400);
      await page.getByRole("alert").waitFor();
    },
  ],
  ["error 404", () => page.goto(url("/no-such-page"))],
  ["error 400 (callback with a bad state)", () => page.goto(url("/callback/dev?code=x&state=not-a-state"))],
  [
    "error 401 (sign-in required)",
    async () => {
      // Forward auth's 401 page moves on to sign-in at once (a meta refresh);
      // without the refresh it stays put to be checked.
      await page.route(url("/verify"), async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, body: (await response.text()).replace(/<meta http-equiv="refresh"[^>]*>/, "") });
      });
      const response = await page.goto(url("/verify"));
      expect(response?.status()).toBe(401);
    },
  ],
  [
    "misconfigured (500)",
    async () => {
      // `wrangler dev` run directly, past `npm run dev`'s check, with two bad variables.
      misconfigured = await startDevServer({ AUTH_SECRET: "short", ALLOWED_ORIGINS: "app.example.com" }, { unchecked: true });
      const response = await page.goto(`${misconfigured.url}/auth/signin`);
      expect(response?.status()).toBe(500);
    },
  ],
];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startDevServer({ DEV_PROVIDER: "true", ADMIN_USERS: ADMIN });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  await misconfigured?.stop();
});

describe.sequential("every page passes axe and fits a 320 px screen, in light and dark", () => {
  it.each(pages)("%s", async (name, reach) => {
    await reach();
    const problems: string[] = [];
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 640 });
        const where = `${colorScheme} ${width}px`;
        const file = `${name.replace(/[^a-z0-9]+/gi, "-").replace(/-$/, "")}-${colorScheme}-${width}.png`;
        await page.screenshot({ path: `${SCREENSHOTS}/${file}`, fullPage: true });
        for (const problem of await pageProblems(page)) problems.push(`${where}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
