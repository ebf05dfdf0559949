import { dev } from "./dev";
import { github } from "./github";
import { vercel } from "./vercel";
import type { ProviderDefinition } from "./types";

/** Every provider the worker knows; each is enabled by its own variables. The development one only in a development build. */
export const PROVIDERS: ProviderDefinition[] = __DEV_BUILD__ ? [github, vercel, dev] : [github, vercel];
