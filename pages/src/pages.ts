import { ConsolePage } from "./console";
import { DevSignInPage } from "./dev";
import { DevicesPage } from "./devices";
import { ErrorPage, MisconfiguredPage } from "./error";
import { HomePage } from "./home";
import { SecondFactorPage } from "./second-factor";
import { RecoveryCodesPage, SecurityPage } from "./security";
import { SignInPage } from "./signin";

/** Every page, by the name the session worker asks for it with. */
export const PAGES = {
  console: ConsolePage,
  dev: DevSignInPage,
  devices: DevicesPage,
  error: ErrorPage,
  home: HomePage,
  misconfigured: MisconfiguredPage,
  recoveryCodes: RecoveryCodesPage,
  secondFactor: SecondFactorPage,
  security: SecurityPage,
  signin: SignInPage,
};
