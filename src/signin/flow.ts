/**
 * A sign-in between its start and the callback: the provider it goes
 * through, where that provider sends the browser back, and the flow cookie.
 */
import type { Context } from "hono";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "../http/cookies";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { isLocalRequest } from "../http/origins";
import type { Provider } from "../providers/types";
import { open, seal } from "../crypto/seal";
import { nowSeconds } from "../platform/time";
import type { AppSignIn } from "./handoff";

/** The provider named in the path (or `id`), if it is enabled and may serve this request. */
export function requireProvider(c: Context<AppEnv>, id = c.req.param("provider") ?? ""): Provider {
  const provider = c.var.config.providers.get(id);
  if (!provider) throw new AuthError(404, "unknown_provider", "There is no such sign-in provider here.");
  if (provider.localOnly && !isLocalRequest(c)) {
    throw new AuthError(403, "dev_provider_local_only", "The development sign-in only works on localhost.");
  }
  return provider;
}

/** Where the provider sends the browser back to: the flow's `redirect_uri`. */
export const callbackURL = (c: Context<AppEnv>, provider: Provider) =>
  `${c.var.origin}${c.var.config.basePath}/callback/${provider.id}`;

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
  /** The app origin this sign-in is for (APP_ORIGINS), when it started there. */
  app?: AppSignIn | null;
}

/** A flow in the cookie, with when it started (epoch seconds). */
type StoredFlow = FlowClaims & { at: number };

const FLOW_TTL = 600;
/**
 * Sign-ins in progress at once in one browser — a tab each. One cookie
 * holds them all, keyed by state, so a second tab's sign-in does not undo
 * the first's; the oldest gives way past this, or when the cookie would
 * not fit in 4096 bytes.
 */
const MAX_FLOWS = 3;

async function readFlows(c: Context<AppEnv>): Promise<StoredFlow[]> {
  const token = readAuthCookie(c, "flow");
  if (token === undefined) return [];
  const opened = await open<{ f?: unknown }>(c.var.keys, "flow", token);
  if (opened.status !== "valid" || !Array.isArray(opened.claims.f)) return [];
  const now = nowSeconds();
  return (opened.claims.f as StoredFlow[]).filter((flow) => now - flow.at < FLOW_TTL);
}

/** Seals the flows into the cookie, dropping the oldest until it fits; none left clears it. */
async function writeFlows(c: Context<AppEnv>, flows: StoredFlow[]): Promise<void> {
  for (let kept = flows; ; kept = kept.slice(1)) {
    if (kept.length === 0) return clearAuthCookie(c, "flow");
    try {
      return setAuthCookie(c, "flow", await seal(c.var.keys, "flow", { f: kept }, FLOW_TTL), FLOW_TTL);
    } catch (error) {
      if (kept.length === 1) throw error;
    }
  }
}

export async function startFlow(c: Context<AppEnv>, flow: FlowClaims): Promise<void> {
  const earlier = (await readFlows(c)).slice(-(MAX_FLOWS - 1));
  await writeFlows(c, [...earlier, { ...flow, at: nowSeconds() }]);
}

/**
 * Takes the flow that `state` names out of the cookie: good for one
 * callback only. Without a matching flow nothing changes, so a link to the
 * callback (with `error=access_denied`, say) cannot cancel a sign-in in
 * progress, in this tab or another.
 */
export async function takeFlow(c: Context<AppEnv>, state: string | undefined): Promise<FlowClaims | null> {
  if (!state) return null;
  const flows = await readFlows(c);
  const taken = flows.find((flow) => flow.st === state);
  if (!taken) return null;
  await writeFlows(c, flows.filter((flow) => flow !== taken));
  return taken;
}
