import type { Config } from "./config/config";
import type { PageView } from "../pages/src/view";
import type { AuthenticatorReading } from "../pages/src/webauthn";
import type { Keyring } from "./crypto/keys";
import type { Session, SessionClaims } from "./session/session";

/** Bindings declared in wrangler.toml. */
export interface Bindings {
  REVOCATIONS: KVNamespace;
  DB: D1Database;
  /** Workers Rate Limiting: every auth request, token issuance, renewal. */
  RATE_LIMITER: RateLimit;
  /** Workers Rate Limiting: sign-in starts, callbacks, second-factor attempts. */
  RATE_LIMITER_STRICT: RateLimit;
  /** The stylesheet and the devices page's script (wrangler.toml [assets]). */
  ASSETS: Fetcher;
  /** Workers Analytics Engine: a data point per audit event (optional). */
  ANALYTICS?: AnalyticsEngineDataset;
  /**
   * The pages' renderer and passkeys' CBOR reader (pages/, a Worker of its
   * own; without it every page and passkey ceremony is a 503, and the APIs work).
   */
  PAGES?: {
    render(view: PageView): Promise<string>;
    readAuthenticator(bytes: Uint8Array, kind: "attestation" | "assertion"): Promise<AuthenticatorReading | null>;
  };
}

/**
 * Plain-text configuration (wrangler vars and secrets). Every value is a
 * string or absent; `config.ts` turns them into a typed, validated object.
 */
export type Vars = { readonly [name: string]: unknown };

export type Env = Bindings & Vars;

/** Hono's environment for this app: bindings plus what the first middleware prepares. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    keys: Keyring;
    /** The worker's public origin: the app origin the request was made on (APP_ORIGINS), else `AUTH_URL` when set, else the request's. */
    origin: string;
    /** Whether `origin` is an app origin: sign-in goes through `AUTH_URL`, and cookies are host-only. */
    onApp: boolean;
    /**
     * The client's address: `CF-Connecting-IP`, or, when that is one of
     * TRUSTED_PROXIES, what they forwarded (see `clientAddress`).
     */
    clientAddress?: string;
    /** The request's session, looked up at most once (see `getSession`). */
    session?: Promise<Session | null>;
    /** The session cookie's claims when it was served without renewal and this request may still renew it. */
    renewable?: SessionClaims & { iat?: number };
    /** Set by proxy mode: the response is the upstream's, with its own security headers. */
    proxied?: boolean;
  };
}
