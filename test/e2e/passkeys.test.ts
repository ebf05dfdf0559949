import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { expect, it } from "vitest";
import { standInSetup } from "./stand-in-setup";
import { sessionCookie } from "./flows";

/**
 * Passkeys in Chromium, with its virtual authenticator (the DevTools
 * protocol's WebAuthn domain) standing in for a platform authenticator:
 * one is registered on the Security page, the next sign-in — with GitHub
 * (the stand-in) — completes its second factor with that passkey (this
 * device remembered), and after a sign-in that asked
 * for no second factor, a step-up with the passkey lets it be removed.
 */
const setup = standInSetup();

it("registers a passkey, completes the next sign-in with it, and removes it after a step-up", async () => {
  const context = await setup.browser.newContext();
  const page = await context.newPage();
  const signInWithGitHub = async () => {
    await page.goto(`${setup.server.url}/auth/signin?redirect_to=%2Fauth`);
    await page.getByRole("button", { name: "Continue with GitHub" }).click();
  };
  await signInWithGitHub();
  await page.waitForURL(`${setup.server.url}/auth`);
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|error/i.test(message.text())) blocked.push(message.text());
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });

  // Passkeys come on top of the authenticator app.
  await page.goto(`${setup.server.url}/auth/security`);
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.waitForURL(`${setup.server.url}/auth/security`);
  const key = decodeBase32IgnorePadding((await page.getByTestId("totp-secret").textContent())!.replace(/\s/g, ""));
  await page.getByLabel("Code from the app").fill(generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000)), 6));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByRole("link", { name: "Done" }).click();

  await page.getByLabel("Name of the new passkey").fill("Virtual authenticator");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Virtual authenticator", { exact: true }).waitFor();
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]!.rpId).toBe("localhost");

  await page.goto(`${setup.server.url}/auth`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${setup.server.url}/auth/signin?out`);
  await signInWithGitHub();
  await page.waitForURL(`${setup.server.url}/auth/2fa`);
  expect(await sessionCookie(context)).toBeUndefined();
  await page.getByLabel("Remember this device for 30 days").check();
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL(`${setup.server.url}/auth`);
  expect(await page.getByTestId("login").textContent()).toBe("octocat");
  expect((await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0]!.signCount).toBeGreaterThan(0);

  // Signed in again on this remembered device: no second factor asked, so none shown lately.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${setup.server.url}/auth/signin?out`);
  await signInWithGitHub();
  await page.waitForURL(`${setup.server.url}/auth`);
  await page.goto(`${setup.server.url}/auth/security`);
  expect(await page.getByRole("button", { name: "Remove Virtual authenticator" }).isVisible()).toBe(false);
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await page.getByRole("button", { name: "Remove Virtual authenticator" }).click();
  await page.waitForURL(`${setup.server.url}/auth/security`);
  expect(await page.getByText("Virtual authenticator", { exact: true }).count()).toBe(0);
  expect(blocked).toEqual([]);
  await context.close();
});
