/** Where the built assets go (wrangler.toml [assets] directory). */
export const ASSETS_DIR: string;
/** Builds the stylesheet and the devices page's script into ASSETS_DIR. */
export function buildAssets(): Promise<void>;
