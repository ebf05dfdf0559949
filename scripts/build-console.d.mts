/** Where the console Worker's module is built (dist/console/index.js). */
export const CONSOLE_SCRIPT: string;
/** Builds console/ into one module and returns its path. */
export function buildConsole(): Promise<string>;
