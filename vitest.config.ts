import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { standInVars } from "./test/standin/providers.ts";
import { ASSETS_DIR, buildAssets } from "./scripts/build-assets.mjs";
import { buildPages } from "./scripts/build-pages.mjs";

// The worker is configured here rather than through wrangler.toml so that a
// developer's .dev.vars never leaks into the tests; the browser test runs
// wrangler.toml itself through `wrangler dev`.
const compatibilityDate = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(readFileSync("wrangler.toml", "utf8"))![1];

/** The secret the workerd tests run with (tests that need another pass their own env). */
export const TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef";

export default defineConfig({
  test: {
    // Audit lines are part of what the worker does; show them only for failing tests.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            main: "./src/index.ts",
            miniflare: {
              compatibilityDate,
              // As wrangler.toml's [assets]: the worker always runs first.
              assets: { directory: (await buildAssets(), ASSETS_DIR), binding: "ASSETS", routerConfig: { invoke_user_worker_ahead_of_assets: true } },
              kvNamespaces: ["REVOCATIONS"],
              // For test/worker/schema.test.ts: EMPTY_DB is never migrated, OLD_DB only partly;
              // METRICS_DB holds only test/worker/metrics.test.ts's rows.
              d1Databases: ["DB", "EMPTY_DB", "OLD_DB", "METRICS_DB"],
              // Generous for the suite, which signs in hundreds of times from one
              // "IP"; the rate-limit tests swap in LOW_RATE_LIMIT.
              ratelimits: {
                RATE_LIMITER: { simple: { limit: 1_000_000, period: 10 } },
                RATE_LIMITER_STRICT: { simple: { limit: 1_000_000, period: 10 } },
                LOW_RATE_LIMIT: { simple: { limit: 3, period: 10 } },
              },
              serviceBindings: { CALLER: "caller", PAGES: "edge-session-pages" },
              workers: [
                // The pages' renderer (pages/), as wrangler.toml binds it.
                { name: "edge-session-pages", modules: true, scriptPath: await buildPages(), compatibilityDate },
                {
                  // A second Worker calling AuthService over a service binding. The
                  // pool runs our worker as "vitest-pool-workers-runner-<project>".
                  name: "caller",
                  modules: true,
                  scriptPath: "./test/fixtures/caller-worker.js",
                  compatibilityDate,
                  serviceBindings: { AUTH: { name: "vitest-pool-workers-runner-workerd", entrypoint: "AuthService" } },
                },
              ],
              bindings: {
                ...standInVars(inject("standInURL")),
                STANDIN_URL: inject("standInURL"),
                AUTH_SECRET: TEST_SECRET,
                DEV_PROVIDER: "true",
                PROVIDER_TIMEOUT_MS: "1000",
                ALLOWED_ORIGINS: "https://app.example.com",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
              },
            },
          })),
        ],
        // The development build (src/build.d.ts): the tests sign in with the development provider.
        define: { __DEV_BUILD__: "true" },
        test: {
          name: "workerd",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/standin/global-setup.ts"],
          setupFiles: ["test/worker/setup.ts"],
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/e2e/**/*.test.ts"],
          // One dev server at a time: two cores, and ports picked free a moment before use.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
