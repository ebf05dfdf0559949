/**
 * Found by the adversarial pass on passkeys (fixed, kept as a regression test): POST /auth/passkeys turns `name` into a string with `String()`,
 * which throws for a JSON object with no callable toString/valueOf
 * (`{"toString":null}`): a 500 `internal_error` and an `error` audit line,
 * where any other malformed body is a 400.
 */
import { describe, expect, it } from "vitest";
import { enrolled, post } from "./passkey-attacks-helpers";

describe("a passkey's name", () => {
  it("that is not a string is a 400 (or ignored), never a 500", async () => {
    const { jar } = await enrolled("Adv17 Name Object");
    const answer = await post(jar, "/auth/passkeys", { name: { toString: null }, credential: {} });
    expect(answer.status).toBeLessThan(500);
  });
});
