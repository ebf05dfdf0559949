import type { Context } from "hono";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import { open, seal } from "./seal";

/** What the flow cookie remembers between the sign-in start and the callback. */
export interface FlowClaims {
  /** OAuth state. */
  st: string;
  /** PKCE code verifier. */
  cv: string;
  /** Provider id. */
  prv: string;
  /** Where to go afterwards, already checked by `safeRedirect`. */
  rt: string;
  rem: boolean;
}

const FLOW_TTL = 600;

export async function startFlow(c: Context<AppEnv>, flow: FlowClaims): Promise<void> {
  setAuthCookie(c, "flow", await seal(c.var.keys, "flow", { ...flow }, FLOW_TTL), FLOW_TTL);
}

/**
 * Reads the flow cookie and clears it, whatever the outcome: a flow is
 * good for one callback only.
 */
export async function takeFlow(c: Context<AppEnv>): Promise<FlowClaims | null> {
  const token = readAuthCookie(c, "flow");
  if (token === undefined) return null;
  clearAuthCookie(c, "flow");
  const opened = await open<FlowClaims>(c.var.keys, "flow", token);
  return opened.status === "valid" ? opened.claims : null;
}
