/** The static assets (built by `scripts/build-assets.mjs`), with the type and caching each gets. */
const ASSETS = {
  "style.css": "text/css; charset=utf-8",
  "devices.js": "text/javascript; charset=utf-8",
  "security.js": "text/javascript; charset=utf-8",
  "passkeys.js": "text/javascript; charset=utf-8",
} as const;

export type AssetName = keyof typeof ASSETS;

/**
 * One of our static assets, from the `ASSETS` binding. They are served at
 * `AUTH_BASE_PATH` by the worker, never by the assets layer at their own
 * paths (`run_worker_first`): in proxy mode every other path is the
 * upstream's, and a file of ours must not shadow its `/style.css`.
 */
export async function serveAsset(assets: Fetcher, name: AssetName, cacheControl = "public, max-age=3600"): Promise<Response> {
  const response = await assets.fetch(`https://assets.invalid/${name}`);
  return new Response(response.ok ? response.body : null, {
    status: response.ok ? 200 : 404,
    headers: { "Content-Type": ASSETS[name], "Cache-Control": cacheControl, "X-Content-Type-Options": "nosniff" },
  });
}
