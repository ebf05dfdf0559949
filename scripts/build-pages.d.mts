/** Where the pages Worker's module is built (dist/pages/index.js). */
export const PAGES_SCRIPT: string;
/** Builds pages/ into one module and returns its path. */
export function buildPages(): Promise<string>;
