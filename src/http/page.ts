import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv, Bindings } from "../env";
import { AuthError } from "../errors";
import type { PageView } from "../../pages/src/view";
import type { AuthenticatorReader } from "../second-factor/passkeys";

const unavailable = () =>
  new AuthError(503, "pages_unavailable", "The pages are not running: they come from the Worker in pages/, bound as PAGES (npm run dev and npm run deploy run it).");

/**
 * Asks the pages Worker (pages/, the PAGES binding), where HTML rendering
 * and passkeys' CBOR live so that they cost this worker's bundle nothing.
 * Without it, or when it fails, a 503 that says so.
 */
export async function callPages<T>(env: Pick<Bindings, "PAGES">, call: (pages: NonNullable<Bindings["PAGES"]>) => Promise<T>): Promise<T> {
  if (!env.PAGES) throw unavailable();
  return call(env.PAGES).catch(() => {
    throw unavailable();
  });
}

/** A page's HTML (see `callPages`). */
export const renderPage = (env: Pick<Bindings, "PAGES">, view: PageView) => callPages(env, (pages) => pages.render(view));

/** Answers with a page, with `status` or the one already set. */
export const page = async (c: Context<AppEnv>, view: PageView, status?: ContentfulStatusCode) => c.html(await renderPage(c.env, view), status);

/** The pages Worker's reader of passkeys' authenticator data (see `AuthenticatorReader`). */
export const authenticatorReader =
  (env: Pick<Bindings, "PAGES">): AuthenticatorReader =>
  (bytes, kind) =>
    callPages(env, (pages) => pages.readAuthenticator(bytes, kind));
