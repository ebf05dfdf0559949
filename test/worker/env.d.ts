import type { D1Migration } from "cloudflare:test";
import type { Bindings } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
      AUTH_SECRET: string;
      GITHUB_OAUTH_URL: string;
      GITHUB_API_URL: string;
      VERCEL_OAUTH_URL: string;
      VERCEL_API_URL: string;
    }
  }
}
