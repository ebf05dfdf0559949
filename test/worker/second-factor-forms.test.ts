// What an adversarial review of the forms and pages of issue 14 found, each
// fixed: the default button of the Security form, recovery codes outliving
// their session, cross-site cancel, a spoofed "signed out", the stylesheet
// while misconfigured, a missing ASSETS binding, User-Agents in the API.
import { env } from "cloudflare:workers";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, call, formPost, Jar, LOCAL, signIn } from "./helpers";

const json = { Accept: "application/json" };

afterEach(() => vi.useRealTimers());

const codeFor = (secret: string, offset = 0) =>
  generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), BigInt(Math.floor(Date.now() / 30_000) + offset), 6);

/** Signs in and sets up (not yet turns on) the second factor. */
async function settingUp(name: string) {
  const { jar } = await signIn("dev", { as: name });
  const { secret } = await (await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).json<{ secret: string }>();
  return { jar, secret };
}

/** Signed in with the second factor on (by JSON, so no auth.codes cookie). */
async function enrolled(name: string) {
  const { jar, secret } = await settingUp(name);
  const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }, json));
  if (enabled.status !== 200) throw new Error(`enable answered ${enabled.status}`);
  return { jar, secret };
}

/** A new sign-in stopped at the second-factor step. */
async function pending(name: string, jar = new Jar()) {
  const { response } = await signIn("dev", { as: name, jar, redirectTo: "/auth" });
  expect(response.headers.get("Location")).toBe("/auth/2fa");
  return jar;
}

const codesIn = (html: string) => /<textarea[^>]*data-testid="recovery-codes"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1]?.trim().split("\n") ?? [];

describe("second-factor forms under attack", () => {
  it("Enter in the Security page's code field asks for new recovery codes: the form's default button is never 'Turn off'", async () => {
    const { jar } = await enrolled("Enter Presser");
    const html = await (await browse(jar, "/auth/security")).text();
    // The form that holds the code input, and its default button: the first submit button in tree order (HTML §4.10.21.2 implicit submission).
    const form = /<form method="post" action="([^"]+)">((?:(?!<\/form>).)*id="code"(?:(?!<\/form>).)*)<\/form>/s.exec(html)!;
    expect(form).not.toBeNull();
    const [, action, body] = form;
    const firstButton = /<button\b([^>]*)>/.exec(body!)![1]!;
    const effective = /formaction="([^"]+)"/.exec(firstButton)?.[1] ?? action;
    // Typing a code to renew the recovery codes and pressing Enter turns two-step verification off (and ends every other session).
    expect(effective).not.toBe("/auth/2fa/disable");
  });

  it("recovery codes not yet shown are for the session that made them: sign-out drops them, and a later session of that account never sees them", async () => {
    const { jar, secret } = await settingUp("Lingering Codes");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    // Turned on by the form; the 303 to /auth/security is not followed (tab closed, request failed, navigation interrupted).
    const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }));
    expect(enabled.status).toBe(303);
    expect(jar.get("auth.codes")).toBeTruthy();
    const signedOut = await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect(signedOut.status).toBe(303);
    // Whoever signs in to that account next in this browser (within 5 minutes) — by remembered device or a code — sees them.
    vi.setSystemTime(Date.now() + 30_000);
    await pending("Lingering Codes", jar);
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }))).status).toBe(303);
    const page = await (await browse(jar, "/auth/security")).text();
    expect(codesIn(page)).toEqual([]);
  });

  it("another site's link to /auth/2fa?cancel does not drop a pending sign-in", async () => {
    await enrolled("Cancelled Remotely");
    const jar = await pending("Cancelled Remotely");
    expect(jar.get("auth.verify")).toBeTruthy();
    // What a link or window.open on another site sends; SameSite=Lax lets the cookie be cleared on a top-level GET.
    await browse(jar, "/auth/2fa?cancel", {
      headers: { Accept: "text/html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document" },
    });
    expect(jar.get("auth.verify")).toBeTruthy();
  });
});

describe("the signed-out note", () => {
  it("is not shown to a browser that is signed in, whoever linked to /auth/signin?out", async () => {
    const { jar } = await signIn("dev", { as: "Still Signed In" });
    expect((await browse(jar, "/auth/session")).status).toBe(200);
    const page = await (await browse(jar, "/auth/signin?out")).text();
    expect(page).not.toContain("You are signed out");
  });
});

describe("the stylesheet while misconfigured", () => {
  const misconfigured = { AUTH_SECRET: "short", UPSTREAM_URL: "https://upstream.example" };

  it("is served at any */style.css but never cached: in proxy mode the path may be the upstream's", async () => {
    const response = await call("/static/style.css", {}, misconfigured);
    expect(response.status).toBe(200);
    // Before the assets change this was no-store: a transient misconfiguration must not outlive itself in browsers and shared caches.
    expect(response.headers.get("Cache-Control")).not.toMatch(/public|max-age=[1-9]/);
  });

  it("without the ASSETS binding (a wrangler.toml from before [assets]) the answer is still the misconfigured page's, naming the binding", async () => {
    const answer = await call("/auth/signin", { headers: json }, { ASSETS: undefined });
    expect(answer.status).toBe(500);
    expect((await answer.json<{ message: string }>()).message).toContain('the ASSETS binding is missing: declare [assets] with binding = "ASSETS" in wrangler.toml');
    const stylesheet = await call("/auth/style.css", {}, { AUTH_SECRET: "short", ASSETS: undefined });
    expect(stylesheet.status).toBe(500);
  });
});

describe("the devices API", () => {
  it("leaves the User-Agent out of the JSON list: only the owner's page gets it", async () => {
    const { jar } = await signIn("dev", { as: "UA Lister" });
    const list = await (await browse(jar, "/auth/sessions", { headers: json })).json<{ sessions: Record<string, unknown>[] }>();
    expect(Object.keys(list.sessions[0]!).sort()).toEqual(["country", "createdAt", "current", "device", "deviceBound", "expiresAt", "id", "lastUsedAt", "origins"]);
  });
});
