// Runs inside workerd: opening the same typical GitHub session the three
// ways — ours (jose compact JWE, dir + A256GCM, cached CryptoKey), Auth.js
// (`@auth/core/jwt` decode) and iron-session (`unsealData`) — interleaved
// in rounds so they share the machine's noise.
import { decode as authjsDecode, encode as authjsEncode } from "@auth/core/jwt";
import { sealData, unsealData } from "iron-session";
import { generateCookie } from "hono/cookie";
import { getKeyring, Keyring } from "../../src/crypto/keys";
import { open, seal } from "../../src/crypto/seal";

const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const profile = {
  id: "583231",
  login: "octocat",
  name: "The Octocat",
  email: "octocat@github.com",
  avatarUrl: "https://avatars.githubusercontent.com/u/583231?v=4",
};
const providerToken = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

/** The session cookie exactly as the worker sets it on https. */
async function sessionCookieBytes(keys: Keyring, usr: typeof profile, provider: string, pat: string, pax: number | null): Promise<number> {
  const token = await seal(keys, "session", { sid: "KX4rB0q3Yl8Yp0W9zq1yVw", sub: `${provider}:${usr.id}`, prv: provider, usr, pat, pax, rem: true }, 900);
  return generateCookie("auth.session", token, { prefix: "host", path: "/", httpOnly: true, sameSite: "Lax", secure: true, maxAge: 2_592_000 }).length;
}

async function cookieSizes() {
  const keys = await getKeyring([SECRET]);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const github = await sessionCookieBytes(keys, profile, "github", providerToken, null);
  const vercel = await sessionCookieBytes(
    keys,
    { id: "vc_user_4f1c2b9d8e7a6b5c4d3e2f1a", login: "ada", name: "Ada Lovelace", email: "ada@example.dev", avatarUrl: "https://vercel.com/api/www/avatar/ada" },
    "vercel",
    "vca_" + "x".repeat(60),
    exp,
  );
  // The largest profile: every field at the bound profile.ts allows (the
  // name in four-byte characters), and the longest provider token that fits.
  const widest = { id: "9".repeat(64), login: "l".repeat(100), name: "😀".repeat(99) + "…", email: `${"e".repeat(240)}@example.com`, avatarUrl: `https://avatars.example.com/${"a".repeat(370)}` };
  let longestToken = 0;
  for (let length = 0; length <= 2048; length += 8) {
    if ((await sessionCookieBytes(keys, widest, "github", "t".repeat(length), exp)) > 4096) break;
    longestToken = length;
  }
  return { github, vercel, widestProfileLongestTokenThatFits: longestToken };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/sizes") return Response.json(await cookieSizes());
    const iterations = Number(url.searchParams.get("iterations") ?? 2000);
    const rounds = Number(url.searchParams.get("rounds") ?? 5);

    const keys = await getKeyring([SECRET]);
    const claims = (sid: string) => ({ sid, sub: `github:${profile.id}`, prv: "github", usr: profile, pat: providerToken, pax: null, rem: false });
    const ours = await seal(keys, "session", claims("KX4rB0q3Yl8Yp0W9zq1yVw"), 900);
    // The worker remembers tokens it has opened; to time the decryption
    // itself, every open in a round is of a token this keyring has not seen.
    const distinct = await Promise.all(Array.from({ length: iterations }, (_, i) => seal(keys, "session", claims(`bench-${String(i).padStart(17, "0")}`), 900)));
    let fresh = await Keyring.create([SECRET]);
    let next = 0;
    const salt = "authjs.session-token";
    const authjs = await authjsEncode({
      token: { sub: profile.id, name: profile.name, email: profile.email, picture: profile.avatarUrl, login: profile.login, provider: "github", accessToken: providerToken },
      secret: SECRET,
      salt,
      maxAge: 900,
    });
    const iron = await sealData({ user: profile, provider: "github", accessToken: providerToken }, { password: SECRET, ttl: 900 });

    const contenders: Record<string, () => Promise<unknown>> = {
      ours: async () => {
        if ((await open(fresh, "session", distinct[next++ % iterations]!)).status !== "valid") throw new Error("ours failed to open");
      },
      oursRemembered: async () => {
        if ((await open(keys, "session", ours)).status !== "valid") throw new Error("ours failed to open");
      },
      authjs: async () => {
        if (!(await authjsDecode({ token: authjs, secret: SECRET, salt }))) throw new Error("Auth.js failed to decode");
      },
      iron: async () => {
        if (!(await unsealData(iron, { password: SECRET, ttl: 900 }))) throw new Error("iron-session failed to unseal");
      },
    };
    // Warm up: JIT, key imports and caches each library keeps.
    for (const run of Object.values(contenders)) for (let i = 0; i < 200; i++) await run();
    next = 0;

    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      fresh = await Keyring.create([SECRET]);
      await fresh.current("session");
      await fresh.find("session", (await fresh.current("session")).kid);
      for (const [name, run] of Object.entries(contenders)) {
        const started = performance.now();
        for (let i = 0; i < iterations; i++) await run();
        samples[name]!.push(((performance.now() - started) * 1000) / iterations);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return Response.json({
      iterations,
      rounds,
      microsPerOp: Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)])),
      tokenBytes: { ours: ours.length, authjs: authjs.length, iron: iron.length },
    });
  },
};
