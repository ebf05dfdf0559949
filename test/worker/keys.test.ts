import { afterEach, describe, expect, it, vi } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { open, seal } from "../../src/crypto/seal";
import { calculateJwkThumbprint } from "jose";

const OLD = "old-secret-old-secret-old-secret-0000";
const NEW = "new-secret-new-secret-new-secret-1111";
const claims = { sid: "s1", hello: "world" };

afterEach(() => vi.useRealTimers());

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

  it("names each signing key by its RFC 7638 thumbprint, as jose computes it", async () => {
    const keys = await getKeyring([NEW, OLD]);
    const signing = await keys.signingKeys();
    expect(signing).toHaveLength(2);
    for (const key of signing) {
      const { kty, crv, x } = key.jwk;
      expect(key.kid).toBe(await calculateJwkThumbprint({ kty, crv, x }));
      expect(key.jwk.kid).toBe(key.kid);
    }
  });

  it("opens a token sealed under the second secret in the list", async () => {
    const before = await seal(await getKeyring([OLD]), "session", claims, 60);
    expect((await open(await getKeyring([NEW, OLD]), "session", before)).status).toBe("valid");
  });

  it("refuses a token sealed under a secret that was removed", async () => {
    const before = await seal(await getKeyring([OLD]), "session", claims, 60);
    expect(await open(await getKeyring([NEW]), "session", before)).toEqual({ status: "invalid", reason: "unknown_key" });
  });

  it("accepts only the canonical spelling of a token", async () => {
    const keys = await getKeyring([NEW]);
    const token = await seal(keys, "session", claims, 60);
    const tag = token.split(".")[4]!; // 16 bytes: 22 characters, the last carrying 4 unused bits
    const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(tag.at(-1)!);
    const respelled = token.slice(0, -1) + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1];
    expect(respelled).not.toBe(token);
    expect((await open(keys, "session", token)).status).toBe("valid");
    expect((await open(keys, "session", respelled)).status).toBe("invalid");
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

  it("remembers an opened token, but still lets it expire, and never hands out a changeable copy", async () => {
    const keys = await getKeyring([NEW]);
    const token = await seal(keys, "session", claims, 60);
    const first = await open<typeof claims>(keys, "session", token);
    const again = await open<typeof claims>(keys, "session", token);
    expect(again).toEqual(first);
    if (again.status !== "valid") throw new Error("expected valid");
    expect(Object.isFrozen(again.claims)).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    expect((await open(keys, "session", token)).status).toBe("expired");
    // Remembered under one purpose only.
    expect((await open(keys, "flow", token)).status).toBe("invalid");
  });

  it("derives keys once per isolate, not per request", async () => {
    const a = await getKeyring([NEW, OLD]);
    const b = await getKeyring([NEW, OLD]);
    expect(a).toBe(b);
    expect((await a.current("session")).key).toBe((await b.current("session")).key);
  });
});
