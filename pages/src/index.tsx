import { WorkerEntrypoint } from "cloudflare:workers";
import type { PageView } from "./view";
import { PAGES } from "./pages";
import type { FC } from "hono/jsx";
import { readAuthenticator, type AuthenticatorReading } from "./webauthn";

/**
 * Renders the worker's pages, bound to it as PAGES, and reads passkeys'
 * authenticator data for it. It decides nothing: the session worker has
 * done everything a request asks — checked who is signed in, changed what
 * was to change — and hands over the page's view, or the bytes to read.
 */
export default class Pages extends WorkerEntrypoint {
  async render(view: PageView): Promise<string> {
    const { page, ...props } = view;
    const Page = PAGES[page] as FC;
    return String(await (<Page {...props} />).toString());
  }

  /** See `readAuthenticator`: the session worker checks what comes back. */
  async readAuthenticator(bytes: Uint8Array, kind: "attestation" | "assertion"): Promise<AuthenticatorReading | null> {
    return readAuthenticator(bytes, kind);
  }

  override async fetch(): Promise<Response> {
    return new Response("Not found", { status: 404 });
  }
}
