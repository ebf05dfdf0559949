import type { TestProject } from "vitest/node";
import { startStandIn } from "./providers";

/** Starts the GitHub/Vercel stand-in once for the workerd test run. */
export default async function setup(project: TestProject) {
  const standIn = await startStandIn();
  project.provide("standInURL", standIn.url);
  return () => standIn.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    standInURL: string;
  }
}
