// The two baselines for request throughput, on the same runtime as the
// worker: (a) a bare Hono route returning the same JSON, and (b) only the
// work no design can avoid — one KV read of the session id and one decrypt
// with a cached key.
import { Hono } from "hono";
import { compactDecrypt } from "jose";
import { getKeyring } from "../../src/crypto/keys";

interface Env {
  REVOCATIONS: KVNamespace;
  AUTH_SECRET: string;
  BODY: string;
}

const bare = new Hono<{ Bindings: Env }>().get("/auth/session", (c) => c.body(c.env.BODY, 200, { "Content-Type": "application/json" }));

async function minimal(request: Request, env: Env): Promise<Response> {
  const cookie = request.headers.get("Cookie") ?? "";
  const token = /(?:^|;\s*)auth\.session=([^;]+)/.exec(cookie)?.[1];
  if (!token) return new Response('{"error":"unauthenticated"}', { status: 401 });
  const { key } = await (await getKeyring([env.AUTH_SECRET])).current("session");
  const { plaintext } = await compactDecrypt(token, key);
  const claims = JSON.parse(new TextDecoder().decode(plaintext));
  if ((await env.REVOCATIONS.get(`revoked:${claims.sid}`)) !== null) return new Response('{"error":"unauthenticated"}', { status: 401 });
  return Response.json({ user: claims.usr, provider: claims.prv, sessionId: claims.sid, expiresAt: new Date(claims.exp * 1000).toISOString() });
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return new URL(request.url).pathname.startsWith("/minimal") ? minimal(request, env) : bare.fetch(request, env, ctx);
  },
};
