import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";
import { devSignIn, sessionCookie } from "./flows";
import { pageProblems } from "./page-checks";

/**
 * Device-bound sessions in Chromium 150 with DBSC on (software keys): it
 * registers a key after sign-in and refreshes the short-lived session
 * cookie by proof on its own while the person browses. The cookies copied
 * into a fresh browser context — everything but the key, which never
 * leaves the browser — stop working once the bound cookie expires.
 */
const TTL = 8;
/**
 * DBSC is on by default only in Chrome on Windows; here it takes these two
 * features (keys in software, there being no TPM), as one flag. A cookie
 * of 8 seconds has less than the 2 minutes left at which Chromium refreshes
 * ahead, so nearly every request refreshes: past its quota of 6 signatures
 * in 9 minutes, which DEVICE_BOUND_TTL's default of 300 s stays well
 * within. The quota is off here (the feature's RefreshQuota parameter).
 */
const DBSC_FEATURES = "--enable-features=DeviceBoundSessions:RefreshQuota/false,EnableBoundSessionCredentialsSoftwareKeysForManualTesting";
let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer({ DEV_PROVIDER: "true", DEVICE_BOUND_TTL: String(TTL) });
  browser = await launchChromium([DBSC_FEATURES]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker's audit lines so far, of one event. */
const audits = (event: string) =>
  server
    .output()
    .split("\n")
    .flatMap((line) => {
      const at = line.indexOf('{"event":');
      if (at === -1) return [];
      try {
        return [JSON.parse(line.slice(at)) as Record<string, string>];
      } catch {
        return [];
      }
    })
    .filter((entry) => entry.event === event);

async function until(what: string, check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms:\n${server.output().slice(-3000)}`);
    await sleep(100);
  }
}

/** `/auth/session` as the context's page sees it: its status and body. */
async function session(context: BrowserContext) {
  const page = context.pages()[0] ?? (await context.newPage());
  return page.evaluate(async (url) => {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    return { status: response.status, body: await response.json() };
  }, `${server.url}/auth/session`);
}

it("registers, refreshes by proof on its own past the short cookie, and a copied cookie jar is signed out once the cookie expires", async () => {
  const context = await browser.newContext();
  const page = await devSignIn(server, context, "Bound Browser");
  const cdp = await context.newCDPSession(page);
  const events: string[] = [];
  cdp.on("Network.deviceBoundSessionEventOccurred" as never, (event: { succeeded?: boolean; creationEventDetails?: unknown; refreshEventDetails?: { refreshResult?: string } }) =>
    events.push(JSON.stringify(event)),
  );
  await cdp.send("Network.enable");
  await cdp.send("Network.enableDeviceBoundSessions" as never, { enable: true } as never);

  // Registration happens in the background, moments after the sign-in's answer.
  await until("registration", () => audits("device_bound").length === 1);
  const [bound] = audits("device_bound");
  const signedIn = await session(context);
  expect(signedIn).toMatchObject({ status: 200, body: { sessionId: bound!.sessionId, deviceBound: true } });
  const cookie = await sessionCookie(context);
  expect(cookie!.expires - Date.now() / 1000).toBeLessThanOrEqual(TTL + 1);

  // Browsing past the cookie's lifetime, twice: each time Chromium proves its key and gets a new cookie, unasked.
  const proofs = () => audits("session_renewed").filter((entry) => entry.reason === "device_proof" && entry.sessionId === bound!.sessionId).length;
  for (let round = 1; round <= 2; round++) {
    await sleep((TTL + 1) * 1000);
    await page.goto(`${server.url}/auth`);
    expect(await page.getByTestId("login").textContent()).toBe("bound-browser");
    await until(`refresh ${round}`, () => proofs() >= round);
  }
  expect(audits("session_renewed").filter((entry) => entry.reason !== "device_proof")).toEqual([]);
  // "Your devices" says so, and stays accessible.
  await page.goto(`${server.url}/auth/sessions`);
  await page.getByText("Device-bound", { exact: true }).waitFor();
  expect(await pageProblems(page)).toEqual([]);
  expect(audits("device_proof_refused")).toEqual([]);

  // The whole jar, copied into a browser without the key — the session
  // cookie kept past its expiry, as a thief's own jar would.
  const copied = (await context.cookies()).map((entry) => ({ ...entry, expires: Date.now() / 1000 + 3600 }));
  const thief = await browser.newContext();
  await thief.addCookies(copied);
  // A page of the origin to fetch from (about:blank has none).
  await (await thief.newPage()).goto(`${server.url}/auth/style.css`);
  expect((await session(thief)).status).toBe(200);
  await sleep((TTL + 1) * 1000);
  expect(await session(thief)).toMatchObject({ status: 401, body: { error: "unauthenticated" } });
  const thiefPage = thief.pages()[0]!;
  await thiefPage.goto(`${server.url}/auth`);
  expect(thiefPage.url()).toContain("/auth/signin");

  // The owner's browser goes on, by proof.
  await page.goto(`${server.url}/auth`);
  expect(await page.getByTestId("login").textContent()).toBe("bound-browser");
  expect((await session(context)).body).toMatchObject({ sessionId: bound!.sessionId, deviceBound: true });
  // Chromium's own account (DevTools): refreshes it made, none failed.
  expect(events.some((event) => event.includes('"refreshResult":"Refreshed"'))).toBe(true);
  expect(events.filter((event) => event.includes('"succeeded":false'))).toEqual([]);
  await thief.close();
  await context.close();
}, 120_000);
