import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUserKey, userKey } from "../../src/session/user-key";

describe("user keys (provider:id)", () => {
  it.each([
    ["github", "583231"],
    ["vercel", "345e869043f1e55f8bdc837c"],
    ["dev", "ada-lovelace"],
    ["vercel", "ada@example.com"],
    // The provider part never holds a colon, so an id may.
    ["oidc", "tenant:42"],
  ])("%s:%s is built and parsed back to its parts", (provider, id) => {
    expect(userKey(provider, id)).toBe(`${provider}:${id}`);
    expect(parseUserKey(userKey(provider, id))).toEqual({ provider, id });
  });

  it("round-trips every provider id and every id without whitespace or control characters", () => {
    const provider = fc.stringMatching(/^[a-z0-9_-]{1,32}$/);
    const id = fc.string({ minLength: 1, maxLength: 254, unit: "grapheme-ascii" }).filter((text) => !/[\s\u0000-\u001f\u007f]/.test(text));
    fc.assert(
      fc.property(provider, id, (p, i) => {
        expect(parseUserKey(userKey(p, i))).toEqual({ provider: p, id: i });
      }),
    );
  });

  it("reads the provider part in any case and writes it lower case; the id is kept exactly", () => {
    expect(parseUserKey("GitHub:583231")).toEqual({ provider: "github", id: "583231" });
    expect(parseUserKey("vercel:AbC")).toEqual({ provider: "vercel", id: "AbC" });
  });

  it.each([
    "",
    "github",
    "github:",
    ":583231",
    "git hub:1",
    "git.hub:1",
    "github:58 3231",
    "github: 583231",
    "github:583231 ",
    "github:5832\u000031",
    "github:583231\n",
    "github:\u00a0",
    `${"p".repeat(33)}:1`,
    `github:${"1".repeat(255)}`,
  ])("refuses %j", (text) => {
    expect(parseUserKey(text)).toBeNull();
  });
});
