import { WorkerEntrypoint } from "cloudflare:workers";
import { ConsolePage } from "./page";
import type { ConsoleView } from "./view";

/**
 * The admin console's renderer, bound to the session worker as CONSOLE.
 * It decides nothing: the session worker has checked the admin and
 * gathered the view before it calls `render`.
 */
export default class Console extends WorkerEntrypoint {
  async render(view: ConsoleView): Promise<string> {
    return String(await (<ConsolePage {...view} />).toString());
  }

  override async fetch(): Promise<Response> {
    return new Response("Not found", { status: 404 });
  }
}
