import { describe, expect, it } from "vitest";
import { standInSetup } from "./stand-in-setup";
import { devSignIn, sessionCookie } from "./flows";

const setup = standInSetup();

describe("sign-in in a real browser against `npm run dev`", () => {
  it("signs in with the development provider, shows who you are, and signs out", async () => {
    const context = await setup.browser.newContext();
    const page = await context.newPage();

    await page.goto(`${setup.server.url}/auth`);
    expect(new URL(page.url()).pathname).toBe("/auth/signin");
    await page.getByRole("button", { name: "Continue with Development sign-in" }).click();

    await page.getByLabel("Your name").fill("Ada Lovelace");
    await page.getByRole("button", { name: "Sign in" }).click();

    await page.waitForURL(`${setup.server.url}/auth`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Ada Lovelace");
    expect(await page.getByTestId("login").textContent()).toBe("ada-lovelace");

    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/", secure: false });
    const flow = (await context.cookies()).find((c) => c.name === "auth.flow");
    expect(flow).toBeUndefined();

    // The context's request API sends the browser's cookies (our pages' CSP allows no script to fetch).
    const session = await (await context.request.get(`${setup.server.url}/auth/session`)).json();
    expect(session.user.name).toBe("Ada Lovelace");
    expect(JSON.stringify(session)).not.toContain(cookie!.value);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${setup.server.url}/auth/signin?out`);
    await page.getByText("You are signed out").waitFor();
    expect(await sessionCookie(context)).toBeUndefined();

    // The old cookie, replayed, is refused: its session id is on the revocation list.
    await context.addCookies([cookie!]);
    const replay = await context.request.get(`${setup.server.url}/auth/session`);
    expect(replay.status()).toBe(401);
    await context.close();
  });

  it("signs in with GitHub (the stand-in) through a real redirect, within the page's CSP", async () => {
    const context = await setup.browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${setup.server.url}/auth/signin?redirect_to=%2Fauth`);
    await page.getByLabel("Keep me signed in on this device").check();
    await page.getByRole("button", { name: "Continue with GitHub" }).click();
    await page.waitForURL(`${setup.server.url}/auth`);
    expect(await page.getByTestId("login").textContent()).toBe("octocat");
    expect(blocked).toEqual([]);
    const cookie = await sessionCookie(context);
    // "Keep me signed in" makes the cookie persistent.
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 86_400);
    await context.close();
  });

  it("shows both browsers on “Your devices” and ends the other one from there", async () => {
    // Vivaldi: named by bowser in the page (the server's coarse name would be "Chrome on Windows").
    const laptop = await setup.browser.newContext({
      userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5.3206.63",
      locale: "de-DE",
      timezoneId: "Asia/Tokyo",
    });
    const phone = await setup.browser.newContext({ userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1" });
    const laptopPage = await devSignIn(setup.server, laptop, "Pat Devices");
    const phonePage = await devSignIn(setup.server, phone, "Pat Devices");

    await laptopPage.getByRole("link", { name: "Your devices" }).click();
    await laptopPage.waitForURL(`${setup.server.url}/auth/sessions`);
    const devices = laptopPage.getByRole("listitem");
    await expect.poll(() => devices.count()).toBe(2);
    const thisDevice = devices.filter({ hasText: "This device" });
    await expect.poll(() => thisDevice.locator("strong").textContent()).toBe("Vivaldi on Windows");
    // Times in the viewer's language, the exact time on hover in the viewer's time zone.
    const signedInAt = thisDevice.locator("time").last();
    expect(await signedInAt.textContent()).toMatch(/^(jetzt|vor \d+ (Sekunden|Minuten?))$/);
    const exact = new Date((await signedInAt.getAttribute("datetime"))!).toLocaleString("de-DE", { dateStyle: "long", timeStyle: "short", timeZone: "Asia/Tokyo" });
    expect(await signedInAt.getAttribute("title")).toBe(exact);

    await laptopPage.getByRole("button", { name: "Sign out Safari on iOS" }).click();
    await laptopPage.waitForURL(`${setup.server.url}/auth/sessions`);
    await expect.poll(() => devices.count()).toBe(1);

    // The phone's next request finds its session revoked.
    await phonePage.goto(`${setup.server.url}/auth`);
    expect(new URL(phonePage.url()).pathname).toBe("/auth/signin");
    await laptopPage.goto(`${setup.server.url}/auth`);
    expect(new URL(laptopPage.url()).pathname).toBe("/auth");
    await laptop.close();
    await phone.close();
  });
});
