import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv, Bindings } from "../env";
import { AuthError } from "../errors";
import type { PageView } from "../../pages/src/view";

const unavailable = () =>
  new AuthError(503, "pages_unavailable", "The pages are not running: they come from the Worker in pages/, bound as PAGES (npm run dev and npm run deploy run it).");

/**
 * A page's HTML, from the pages Worker (pages/, the PAGES binding): HTML
 * rendering lives there, so that it costs this worker's bundle nothing.
 * Without it, or when it fails, a 503 that says so.
 */
export async function renderPage(env: Pick<Bindings, "PAGES">, view: PageView): Promise<string> {
  if (!env.PAGES) throw unavailable();
  return env.PAGES.render(view).catch(() => {
    throw unavailable();
  });
}

/** Answers with a page, with `status` or the one already set. */
export const page = async (c: Context<AppEnv>, view: PageView, status?: ContentfulStatusCode) => c.html(await renderPage(c.env, view), status);
