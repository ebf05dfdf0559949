import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { serve, type Running } from "./servers";

/** A single-page app on its own origin that uses the worker for sign-in, as a frontend would. */
const spaPage = (auth: string) => `<!DOCTYPE html>
<html lang="en"><meta charset="utf-8"><title>SPA</title>
<p id="status">loading</p>
<p id="token"></p>
<button id="signin">Sign in</button>
<button id="get-token">Get token</button>
<button id="signout">Sign out</button>
<script>
const AUTH = ${JSON.stringify(auth)};
const status = document.getElementById("status");
async function refresh() {
  const response = await fetch(AUTH + "/auth/session", { credentials: "include" });
  status.textContent = response.status === 200 ? "signed in as " + (await response.json()).user.login : "signed out (" + response.status + ")";
}
document.getElementById("signin").onclick = () => {
  location.href = AUTH + "/auth/signin?redirect_to=" + encodeURIComponent(location.origin + "/");
};
document.getElementById("get-token").onclick = async () => {
  const issued = await fetch(AUTH + "/auth/token", { method: "POST", credentials: "include" });
  const { access_token } = await issued.json();
  // The token alone, without cookies, is enough for an API call (a preflighted request).
  const response = await fetch(AUTH + "/auth/session", { headers: { Authorization: "Bearer " + access_token } });
  document.getElementById("token").textContent = "token for " + (await response.json()).user.login;
};
document.getElementById("signout").onclick = async () => {
  await fetch(AUTH + "/auth/signout", { method: "POST", credentials: "include", headers: { Accept: "application/json" } });
  await refresh();
};
refresh();
</script>
</html>`;

let worker: DevServer;
let spa: Running;
let browser: Browser;

beforeAll(async () => {
  // Same site, different origin: cookies with SameSite=Lax still go along on fetches.
  // The SPA's server holds its port from the start, so the worker can be told its origin.
  let page = "";
  spa = await serve((_, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page);
  });
  worker = await startDevServer({ DEV_PROVIDER: "true", ALLOWED_ORIGINS: spa.url });
  page = spaPage(worker.url);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await spa?.stop();
  await worker?.stop();
});

describe("a cross-origin SPA in real Chromium", () => {
  it("signs in by redirect and comes back, reads the session with credentials, gets a bearer token, signs out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") failures.push(message.text());
    });

    await page.goto(`${spa.url}/`);
    await expect.poll(() => page.locator("#status").textContent()).toBe("signed out (401)");

    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
    await page.getByLabel("Your name").fill("Spa Person");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${spa.url}/`);
    await expect.poll(() => page.locator("#status").textContent()).toBe("signed in as spa-person");

    await page.getByRole("button", { name: "Get token" }).click();
    await expect.poll(() => page.locator("#token").textContent()).toBe("token for spa-person");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("signed out (401)");
    // Only the expected 401s: no CORS error on the way.
    expect(failures.filter((text) => !/401/.test(text))).toEqual([]);
    await context.close();
  });
});
