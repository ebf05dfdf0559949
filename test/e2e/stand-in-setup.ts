import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startStandIn, standInVars, type StandIn } from "../standin/providers";
import { launchChromium } from "./chromium";
import { startDevServer, type DevServer } from "./dev-server";

export interface StandInSetup {
  standIn: StandIn;
  server: DevServer;
  browser: Browser;
}

/**
 * For a test file: `npm run dev` with the GitHub stand-in added (the
 * development provider is what it turns on by itself) and Chromium, started
 * before the file's tests and stopped after. Read its fields inside tests.
 */
export function standInSetup(): StandInSetup {
  const setup = {} as StandInSetup;
  beforeAll(async () => {
    setup.standIn = await startStandIn();
    setup.server = await startDevServer({ DEV_PROVIDER: "true", ...standInVars(setup.standIn.url) });
    setup.browser = await launchChromium();
  });
  afterAll(async () => {
    await setup.browser?.close();
    await setup.server?.stop();
    await setup.standIn?.close();
  });
  return setup;
}
