/**
 * From the adversarial pass on passkeys: the routes accepted credentialed
 * CORS from ALLOWED_ORIGINS, so a script on any allowed origin (an XSS
 * there, or the app itself) could add a passkey without the user ever
 * seeing a prompt — attestation "none" makes a registration plain bytes
 * anyone can write. Security changes now come from the worker's own pages.
 */
import { describe, expect, it } from "vitest";
import { Authenticator } from "./authenticator";
import { LOCAL } from "./helpers";
import { enrolled, post } from "./passkey-attacks-helpers";

const APP = "https://app.example.com"; // in the test env's ALLOWED_ORIGINS (see cors.test.ts)

describe("enrolling a passkey", () => {
  it("is refused to another origin, ALLOWED_ORIGINS included (as the admin console's changes are)", async () => {
    const { jar } = await enrolled("Adv17 Cors Victim");
    // A script on the allowed origin: fetch(..., { credentials: "include" }); text/plain needs no preflight.
    const fromApp = { Accept: "application/json", Origin: APP, "Content-Type": "text/plain", "Sec-Fetch-Site": "same-site" };
    const optionsResponse = await post(jar, "/auth/passkeys/options", {}, fromApp);
    const readable = optionsResponse.headers.get("Access-Control-Allow-Origin") === APP && optionsResponse.status === 200;
    const key = await Authenticator.create("ES256");
    let status = optionsResponse.status;
    if (readable) {
      const options = await optionsResponse.json<{ challenge: string; rp: { id: string } }>();
      // The client data names the worker's own origin: the script writes it.
      const credential = await key.register(options, { origin: LOCAL });
      status = (await post(jar, "/auth/passkeys", { name: "Laptop", credential }, fromApp)).status;
    }
    expect({ readable, status }).toEqual({ readable: false, status: 403 });
  });
});
