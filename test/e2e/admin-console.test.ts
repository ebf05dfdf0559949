import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { devSignIn } from "./flows";
import { pageProblems } from "./page-checks";

/**
 * The admin console as `npm run dev` runs it — the session worker and the
 * console Worker side by side — in Chromium: three people sign in (one in
 * two browsers), a forged callback is refused, and the admin reads that in
 * the charts' accessible text, finds a user and ends their sessions, one
 * and then all, which signs those browsers out. (Five sign-ins at most: the
 * strict rate limit allows five callbacks per 10 s from one address.)
 */
let server: DevServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

const newContext = async () => {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
};
const signedIn = async (context: BrowserContext) => (await context.request.get(`${server.url}/auth/session`)).status() === 200;

beforeAll(async () => {
  server = await startDevServer({ DEV_PROVIDER: "true", ADMIN_USERS: "dev:grace-root", ALLOWED_USERS: "dev:ada-target,dev:grace-root" });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

it("shows the sign-ins, failures and events, and ends a user's sessions one and then all", async () => {
  const ada = [await newContext(), await newContext()];
  for (const context of ada) await (await devSignIn(server, context, "Ada Target")).close();
  const mallory = await (await newContext()).newPage();
  await mallory.goto(`${server.url}/auth/signin?redirect_to=%2Fauth`);
  await mallory.getByRole("button", { name: "Continue with Development sign-in" }).click();
  await mallory.getByLabel("Your name").fill("Mallory Refused");
  const refused = mallory.waitForResponse((response) => response.url().includes("/auth/callback/dev"));
  await mallory.getByRole("button", { name: "Sign in" }).click();
  expect((await refused).status()).toBe(403);
  expect((await mallory.goto(`${server.url}/auth/callback/dev?code=x&state=forged`))!.status()).toBe(400);

  const admin = await newContext();
  const page: Page = await devSignIn(server, admin, "Grace Root");
  // The window ends before the current second: look a second after the last sign-in.
  await page.waitForTimeout(1_100);
  await page.goto(`${server.url}/auth/admin`);

  await page.getByRole("img", { name: /^Sign-ins and failures, the last 24 hours: 3 sign-ins, 1 failure; most sign-ins 3, the hour from \d\d:\d\d UTC; most failures 1/ }).waitFor();
  expect(await page.getByRole("figure", { name: "Live sessions by provider" }).ariaSnapshot()).toContain("- listitem: dev 3");
  const events = page.getByRole("region", { name: "Security events" });
  expect(await events.getByRole("listitem").allInnerTexts()).toEqual([expect.stringMatching(/^Sign-in refused \d{4}-\d\d-\d\d \d\d:\d\d UTC\n+dev:mallory-refused · dev: not_allowed · from 127\.0\.0\.1$/)]);

  await page.getByLabel("User (provider:id)").fill("dev:ada-target");
  await page.getByRole("button", { name: "Find" }).click();
  const ends = page.getByRole("button", { name: /^End this session / });
  await page.getByRole("heading", { name: "Sessions of dev:ada-target" }).waitFor();
  expect(await ends.count()).toBe(2);

  await ends.first().click();
  await page.getByRole("status").filter({ hasText: "Ended 1 session of dev:ada-target." }).waitFor();
  expect(await ends.count()).toBe(1);
  expect((await Promise.all(ada.map(signedIn))).sort()).toEqual([false, true]);

  // The page as it stands — events, a user's session, a notice — in both schemes and widths.
  await page.locator("details").evaluateAll((all) => all.forEach((details) => ((details as HTMLDetailsElement).open = true)));
  const problems: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const width of [320, 1280]) {
      await page.setViewportSize({ width, height: 640 });
      for (const problem of await pageProblems(page)) problems.push(`${colorScheme} ${width}px: ${problem}`);
    }
  }
  expect(problems).toEqual([]);

  await page.getByRole("button", { name: "End all sessions of dev:ada-target" }).click();
  await page.getByText("dev:ada-target has no live sessions.").waitFor();
  expect(await Promise.all(ada.map(signedIn))).toEqual([false, false]);
  expect(await signedIn(admin)).toBe(true);
  // Ada's browser, at its next page, is sent to sign in.
  const adaPage = await ada[0]!.newPage();
  await adaPage.goto(`${server.url}/auth`);
  expect(new URL(adaPage.url()).pathname).toBe("/auth/signin");
});
