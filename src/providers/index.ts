import { dev } from "./dev";
import { github } from "./github";
import { vercel } from "./vercel";
import type { ProviderDefinition } from "./types";

/** Every provider the worker knows; each is enabled by its own variables. */
export const PROVIDERS: ProviderDefinition[] = [github, vercel, dev];
