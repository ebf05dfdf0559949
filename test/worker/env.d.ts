import type { D1Migration } from "cloudflare:test";
import type { Bindings } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
      /** A D1 database no migration was applied to. */
      EMPTY_DB: D1Database;
      /** A D1 database the schema test migrates only partly. */
      OLD_DB: D1Database;
      METRICS_DB: D1Database;
      /** The GitHub/Vercel/upstream stand-in (test/standin/providers.ts). */
      STANDIN_URL: string;
      /** test/fixtures/caller-worker.js, which calls AuthService over a service binding. */
      CALLER: Fetcher;
      /** A rate limit of 3 per 10 s, to swap in for a binding in tests. */
      LOW_RATE_LIMIT: RateLimit;
      AUTH_SECRET: string;
      GITHUB_OAUTH_URL: string;
      GITHUB_API_URL: string;
      VERCEL_OAUTH_URL: string;
      VERCEL_API_URL: string;
    }
  }
}
