/**
 * Found by the adversarial pass on passkeys (fixed, kept as a regression test): passkeys "are managed at the sign-in origin" — options and
 * registration on an app origin (APP_ORIGINS) answer 403 `not_here` — but
 * removal does not check `onApp`. An app origin's pages are the app's code
 * and its server sees the app's cookie pair on every request (the README's
 * reason for keeping administration off app origins); for the 10 minutes
 * after a sign-in (`ath` is carried into the app's session) that code can
 * read the Security page on its own origin, which lists the passkeys' ids,
 * and remove every one.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Authenticator } from "./authenticator";
import { LOCAL } from "./helpers";
import { APP, Browser, signInDev } from "./origins-browser";
import { codeFor } from "./passkey-attacks-helpers";

const atAuth = { Origin: LOCAL, Accept: "application/json" };

describe("passkeys on an app origin", () => {
  it("cannot be removed there, as they cannot be added there", async () => {
    const browser = new Browser();
    await signInDev(browser, "Adv17 App Remover");
    // Second factor on, and a passkey, at AUTH_URL.
    const { secret } = await (await browser.send(`${LOCAL}/auth/2fa/setup`, { method: "POST", headers: atAuth })).json<{ secret: string }>();
    const enable = await browser.send(`${LOCAL}/auth/2fa/enable`, {
      method: "POST",
      headers: { ...atAuth, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: codeFor(secret) }),
    });
    expect(enable.status).toBe(200);
    const key = await Authenticator.create("ES256");
    const post = (url: string, body: unknown, origin = LOCAL) =>
      browser.send(url, { method: "POST", headers: { Origin: origin, Accept: "application/json", "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const options = await (await post(`${LOCAL}/auth/passkeys/options`, {})).json<{ challenge: string; rp: { id: string } }>();
    expect((await post(`${LOCAL}/auth/passkeys`, { name: "Laptop", credential: await key.register(options) })).status).toBe(201);

    // The same browser on the app: handed a session of its own, silently.
    await browser.go(`${APP}/auth`);
    expect((await browser.session(APP)).status).toBe(200);
    // Adding is refused there…
    expect(await (await post(`${APP}/auth/passkeys/options`, {}, APP)).json()).toMatchObject({ error: "not_here" });
    // …the app's code reads the ids off its own origin's Security page, and removes them.
    const page = await (await browser.send(`${APP}/auth/security`)).text();
    const ids = [...page.matchAll(/action="\/auth\/passkeys\/([\w-]+)"/g)].map((match) => match[1]);
    expect(ids).toEqual([key.credentialId]);
    const removed = await browser.send(`${APP}/auth/passkeys/${ids[0]}`, { method: "DELETE", headers: { Origin: APP, Accept: "application/json" } });
    expect(removed.status).toBe(403);
    expect(await env.DB.prepare("SELECT id FROM passkeys WHERE id = ?1").bind(key.credentialId).first()).not.toBeNull();

    // Nor is a step-up made there: re-sealing the app's cookie must never drop what binds it to the app.
    const stepUp = await browser.send(`${APP}/auth/2fa/step-up`, {
      method: "POST",
      headers: { Origin: APP, Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: codeFor(secret) }),
    });
    expect(await stepUp.json()).toMatchObject({ error: "not_here" });
    expect(await (await post(`${APP}/auth/2fa/step-up/passkey/options`, {}, APP)).json()).toMatchObject({ error: "not_here" });
    // Nor any other change to the second factor, which would step up too.
    const setup = await browser.send(`${APP}/auth/2fa/setup`, { method: "POST", headers: { Origin: APP, Accept: "application/json" } });
    expect(await setup.json()).toMatchObject({ error: "not_here" });
    expect((await browser.session(APP)).status).toBe(200);
  });
});
