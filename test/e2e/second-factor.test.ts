import { readFileSync } from "node:fs";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { devSignIn, sessionCookie } from "./flows";

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer({ DEV_PROVIDER: "true" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("two-step verification in a real browser against `npm run dev`", () => {
  it("turns on two-step verification, then asks for the code at the next sign-in", async () => {
    const context = await browser.newContext();
    const blocked: string[] = [];
    const page = await devSignIn(server, context, "Totp User");
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });

    await page.getByRole("link", { name: "Security" }).click();
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.waitForURL(`${server.url}/auth/security`);
    expect(await page.locator("figure.qr svg").count()).toBe(1);
    const secret = (await page.getByTestId("totp-secret").textContent())!;
    const key = decodeBase32IgnorePadding(secret.replace(/\s/g, ""));
    const step = Math.floor(Date.now() / 30_000);
    await page.getByLabel("Code from the app").fill(generateHOTP(key, BigInt(step), 6));
    await page.getByRole("button", { name: "Turn on" }).click();
    // Posted, then redirected: the codes are shown by a GET, once.
    await page.waitForURL(`${server.url}/auth/security`);
    const codes = (await page.getByTestId("recovery-codes").inputValue()).split("\n");
    expect(codes).toHaveLength(10);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download" }).click()]);
    expect(download.suggestedFilename()).toBe("recovery-codes.txt");
    expect(readFileSync((await download.path())!, "utf8")).toBe(codes.join("\n"));
    await page.reload();
    expect(await page.getByTestId("recovery-codes").count()).toBe(0);
    expect(await page.locator("main").textContent()).toContain("10 recovery codes left");

    await page.goto(`${server.url}/auth`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${server.url}/auth/signin?out`);
    expect(await page.getByRole("status").textContent()).toBe("You are signed out.");

    await page.goto(`${server.url}/auth/signin?redirect_to=%2Fauth`);
    await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
    await page.getByLabel("Your name").fill("Totp User");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/auth/2fa`);
    expect(await sessionCookie(context)).toBeUndefined();
    // The next step's code: the one used to turn it on cannot be used again.
    await page.getByLabel("Code").fill(generateHOTP(key, BigInt(step + 1), 6));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL(`${server.url}/auth`);
    expect(await page.getByTestId("login").textContent()).toBe("totp-user");
    expect(blocked).toEqual([]);
    await context.close();
  });

  it("rate-limits sign-in starts under wrangler dev too (the [[ratelimits]] bindings of wrangler.toml)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${server.url}/auth/signin/dev`, { redirect: "manual" })).status);
    expect(statuses).toContain(302);
    expect(statuses.at(-1)).toBe(429);
    const limited = await fetch(`${server.url}/auth/signin/dev`, { redirect: "manual", headers: { Accept: "application/json" } });
    expect(limited.headers.get("Retry-After")).toBe("10");
  });
});
