import { Hono } from "hono/tiny";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { isInternal } from "../internal";
import { endSession } from "../revocations";

/** Routes only `AuthService` can reach; to the network they do not exist. */
export const internalRoutes = new Hono<AppEnv>()
  .use("/internal/*", async (c, next) => {
    if (!isInternal(c.req.raw)) throw new AuthError(404, "not_found", "There is nothing here.");
    await next();
  })
  .delete("/internal/sessions/:id", async (c) => {
    const ended = await endSession(c, c.req.param("id"), { kind: "service", by: "service" });
    return c.json({ revoked: ended !== null });
  });
