import type { Context } from "hono";
import { depsOf } from "./current-session";
import type { AppEnv } from "../env";
import { endSession as end, endSessions, type RevocationContext } from "../session/revocations";
import { newDeviceKey } from "../second-factor/second-factor";
import { rotateDeviceKey } from "../second-factor/store";
import type { Revoked } from "../session/store";

/** Ends one session for this request (with `owner`, only if it is theirs); null when nothing live was ended. */
export const endSession = (c: Context<AppEnv>, sessionId: string, how: RevocationContext & { owner?: string }) => end(depsOf(c), sessionId, how);

/**
 * Ends every live session of a user (but `except`, the one asking), and
 * forgets every device remembered for their second factor: "everywhere"
 * includes the next sign-in.
 */
export async function endUserSessions(c: Context<AppEnv>, userKey: string, how: RevocationContext & { except?: string }): Promise<Revoked[]> {
  const ended = await endSessions(depsOf(c), userKey, how);
  await rotateDeviceKey(c.env.DB, userKey, newDeviceKey());
  return ended;
}
