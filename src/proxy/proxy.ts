import type { Context } from "hono";
import type { StatusCode } from "hono/utils/http-status";
import { isOurCookieName } from "../http/cookie-names";
import { dropOurSetCookies } from "../http/cookies";
import { getProviderToken, getSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { identityHeaders, stripIdentityHeaders } from "./identity";
import { notSignedIn } from "../http/respond";

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to
// the request; so does `Expect` (§10.1.1): an interim 100 Continue is
// between the client and us, and our answer must be a final one.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect"];

/** Removes the hop-by-hop headers, including any the client named in `Connection`. */
function dropHopByHop(headers: Headers): void {
  const nominated = (headers.get("Connection") ?? "").split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...nominated]) headers.delete(name);
}

/**
 * The client's Cookie header without our cookies: the upstream has no
 * business with them. Two Cookie header lines arrive joined by ", ", and a
 * cookie value may not hold a comma (RFC 6265 §4.1.1), so pairs are split
 * on both.
 */
function upstreamCookies(header: string): string | null {
  const kept = header
    .split(/[;,]/)
    .map((pair) => pair.trim())
    .filter((pair) => pair && !isOurCookieName(pair.slice(0, pair.indexOf("=") >>> 0)));
  return kept.length ? kept.join("; ") : null;
}

/**
 * Whether an Authorization header carries a token of ours anywhere — also
 * malformed (`Bearer:…`, two credentials in one header): whatever the
 * client meant, our token stays here.
 */
async function carriesOurToken(c: Context<AppEnv>, header: string): Promise<boolean> {
  for (const token of header.match(/[\w=-]+(?:\.[\w=-]*){2,4}/g) ?? []) if (await c.var.keys.issued(token)) return true;
  return false;
}

/**
 * Proxy mode (UPSTREAM_URL): a signed-in request goes upstream with its
 * method, path, query and streaming body, the client's identity headers
 * replaced by ours; the upstream's answer — status, redirects, Set-Cookie,
 * streaming body — comes back unchanged. Not signed in: `notSignedIn`.
 */
export async function proxy(c: Context<AppEnv>): Promise<Response> {
  const { config } = c.var;
  const upstream = config.upstream!;
  // First: a stale provider token renews the session, which can end it.
  const providerToken = config.passAccessToken ? await getProviderToken(c) : null;
  const session = await getSession(c);
  if (!session) return notSignedIn(c);
  const url = new URL(c.req.url);

  const headers = new Headers(c.req.raw.headers);
  dropHopByHop(headers);
  headers.delete("host");
  stripIdentityHeaders(headers);
  // A bearer credential of ours proves identity to us, not to the upstream;
  // one the upstream issued is the upstream's, and goes on untouched.
  if (await carriesOurToken(c, headers.get("Authorization") ?? "")) headers.delete("Authorization");
  const cookies = upstreamCookies(headers.get("Cookie") ?? "");
  if (cookies) headers.set("Cookie", cookies);
  else headers.delete("Cookie");
  for (const [name, value] of Object.entries(await identityHeaders(c, session, upstream.origin))) headers.set(name, value);
  if (providerToken) headers.set("X-Forwarded-Access-Token", providerToken.accessToken);
  // Every forwarding header the client sent is gone; these are ours, and
  // name the worker's public origin (AUTH_URL when set), not whatever Host
  // the client sent: upstreams build links from them.
  const origin = new URL(c.var.origin);
  headers.set("X-Forwarded-Host", origin.host);
  headers.set("X-Forwarded-Proto", origin.protocol.slice(0, -1));
  // The client as resolved (behind TRUSTED_PROXIES, the address they forwarded).
  const ip = c.var.clientAddress;
  if (ip) {
    headers.set("X-Forwarded-For", ip);
    headers.set("X-Real-IP", ip);
  }

  const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
  let response: Response;
  try {
    response = await fetch(upstream.base + url.pathname + url.search, {
      method: c.req.method,
      headers,
      body: hasBody ? c.req.raw.body : null,
      redirect: "manual",
    });
  } catch {
    throw new AuthError(502, "upstream_unavailable", "The application behind this sign-in could not be reached.");
  }
  // Only a final answer can be ours to give (a 1xx is the upstream's
  // connection's business, and no Response can carry one).
  if (response.status < 200) {
    await response.body?.cancel();
    throw new AuthError(502, "upstream_bad_response", "The application behind this sign-in sent an answer that could not be passed on.");
  }
  const answer = new Headers(response.headers);
  dropHopByHop(answer);
  dropOurSetCookies(answer);
  c.set("proxied", true);
  // Through Hono's context so cookies set by a renewal on the way join the upstream's own.
  return c.newResponse(response.body, { status: response.status as StatusCode, headers: answer });
}
