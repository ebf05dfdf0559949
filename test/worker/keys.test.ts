import { describe, expect, it } from "vitest";
import { getKeyring } from "../../src/keys";
import { open, seal } from "../../src/seal";

const OLD = "old-secret-old-secret-old-secret-0000";
const NEW = "new-secret-new-secret-new-secret-1111";
const claims = { sid: "s1", hello: "world" };

describe("HKDF keys and JWE sealing", () => {
  it("round-trips and carries the kid of the newest secret", async () => {
    const keys = await getKeyring([NEW, OLD]);
    const token = await seal(keys, "session", claims, 60);
    const header = JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(header).toEqual({ alg: "dir", enc: "A256GCM", kid: (await keys.current("session")).kid });
    const opened = await open<typeof claims>(keys, "session", token);
    expect(opened.status).toBe("valid");
    expect(opened.status === "valid" && opened.claims.hello).toBe("world");
  });

  it("opens a token sealed under the second secret in the list", async () => {
    const before = await seal(await getKeyring([OLD]), "session", claims, 60);
    expect((await open(await getKeyring([NEW, OLD]), "session", before)).status).toBe("valid");
  });

  it("refuses a token sealed under a secret that was removed", async () => {
    const before = await seal(await getKeyring([OLD]), "session", claims, 60);
    expect(await open(await getKeyring([NEW]), "session", before)).toEqual({ status: "invalid", reason: "unknown_key" });
  });

  it("gives every purpose its own key", async () => {
    const keys = await getKeyring([NEW]);
    const flow = await seal(keys, "flow", claims, 60);
    expect((await open(keys, "session", flow)).status).toBe("invalid");
  });

  it("reports an authentic but expired token as expired, with its claims", async () => {
    const keys = await getKeyring([NEW]);
    const opened = await open<typeof claims>(keys, "session", await seal(keys, "session", claims, -1));
    expect(opened.status).toBe("expired");
    expect(opened.status === "expired" && opened.claims.sid).toBe("s1");
  });

  it("derives keys once per isolate, not per request", async () => {
    const a = await getKeyring([NEW, OLD]);
    const b = await getKeyring([NEW, OLD]);
    expect(a).toBe(b);
    expect((await a.current("session")).key).toBe((await b.current("session")).key);
  });
});
