/**
 * A local stand-in for github.com, api.github.com, vercel.com and
 * api.vercel.com, shaped like the real APIs where it matters to a client:
 * GitHub reports token errors with HTTP 200 and an `error` field and its
 * REST API refuses requests without `User-Agent`; Vercel requires PKCE and
 * answers token errors with HTTP 400. Codes are single-use and PKCE is
 * verified. Tests pick who signs in and how the provider misbehaves per
 * flow, by adding `as=<login>` and `behave=<flag,…>` to the authorization
 * URL the worker redirects to — so parallel tests never share state.
 *
 * A few things a test needs to change or see after sign-in go through
 * `/control/…` routes, which GitHub has no equivalent of: removing someone
 * from an organisation, making one user's organisation list fail, and the
 * token revocations GitHub received, and the refresh grants Vercel was
 * sent. They are keyed by login, which each test picks for itself.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export const CLIENTS = {
  github: { id: "gh-client", secret: "gh-secret" },
  vercel: { id: "vc-client", secret: "vc-secret" },
};

/** Ways a flow can make the provider misbehave. */
export type Behaviour =
  | "token_slow" // token endpoint hangs past the worker's timeout
  | "token_500" // token endpoint fails with an HTML 500
  | "token_html" // token endpoint answers 200 with an HTML page
  | "token_huge" // token endpoint answers 200 with a multi-megabyte JSON body
  | "token_padded" // valid tokens, padded past 256 KiB, with Content-Length
  | "token_chunked" // valid tokens, padded past 256 KiB, chunked without Content-Length
  | "refresh_padded" // like token_padded, for the refresh grant
  | "refresh_chunked" // like token_chunked, for the refresh grant
  | "profile_slow"
  | "profile_500"
  | "profile_html"
  | "profile_huge" // a multi-megabyte JSON profile
  | "big_fields" // 10 KB name and login
  | "wide_name" // a name of 300 four-byte characters
  | "no_verified_email" // no verified primary email
  | "no_email_scope" // token granted without user:email (GitHub answers /user/emails with 404)
  | "app_tokens" // GitHub App: expiring access token + rotating refresh token
  | "no_refresh" // Vercel: no refresh token (offline_access not granted)
  | "no_expiry" // Vercel: token without expires_in
  | "member_acme" // GitHub: from this sign-in on, a (private) member of the "Acme" organisation
  | "new_owner" // the login was renamed away and claimed by another account: same login, another id
  | "orgs_500" // GitHub: /user/orgs fails with an HTML 500
  | "orgs_slow" // GitHub: /user/orgs hangs past the worker's timeout
  | "revoke_500" // GitHub: token revocation fails with an HTML 500
  | "revoke_slow"; // GitHub: token revocation hangs past the worker's timeout

interface Grant {
  provider: "github" | "vercel";
  login: string;
  behaviours: Set<Behaviour>;
  redirectURI: string;
  challenge: string | null;
  scope: string;
  expiresAt: number;
  used: boolean;
}

interface Token {
  provider: "github" | "vercel";
  login: string;
  behaviours: Set<Behaviour>;
  scope: string;
  revoked: boolean;
}

// Past the 1 s timeout the tests give the worker, yet short enough to finish before the run ends.
const SLOW_MS = 1_500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (prefix: string) => prefix + randomBytes(18).toString("base64url");
const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

export interface StandIn {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Accounts whose ids tests write into allow-lists (octocat's is its real
 * GitHub id); anyone else gets an id when first seen.
 */
const KNOWN_IDS: Record<string, number> = { octocat: 583231, vera: 4242 };

export async function startStandIn(port = 0): Promise<StandIn> {
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, Token>();
  const refreshTokens = new Map<string, Token>();
  const ids = new Map<string, number>();
  /** Organisation (lower case) → its members' logins. */
  const orgMembers = new Map<string, Set<string>>([["acme", new Set()]]);
  /** Misbehaviours switched on for a login after sign-in, through /control. */
  const laterBehaviours = new Map<string, Set<Behaviour>>();
  const behaves = (token: Token, flag: Behaviour) => token.behaviours.has(flag) || !!laterBehaviours.get(token.login)?.has(flag);
  /** What GitHub's token revocation endpoint received, for tests to check. */
  const revocations: { token: string; userAgent: string | undefined; accept: string | undefined; apiVersion: string | undefined }[] = [];
  /** Every refresh token ever issued → its login (kept once spent), and the refresh grants Vercel answered, per login. */
  const refreshOwners = new Map<string, string>();
  const vercelRefreshes = new Map<string, { granted: number; refused: number }>();
  const idFor = (token: Token) => {
    const account = token.behaviours.has("new_owner") ? `new owner of ${token.login}` : token.login;
    if (KNOWN_IDS[account] !== undefined) return KNOWN_IDS[account];
    if (!ids.has(account)) ids.set(account, 1000 + ids.size + 1);
    return ids.get(account)!;
  };

  function issueTokens(token: Token, expires: number | null, refresh: boolean) {
    const accessToken = random(token.provider === "github" ? "gho_" : "vca_");
    tokens.set(accessToken, token);
    const body: Record<string, unknown> = { access_token: accessToken, token_type: token.provider === "github" ? "bearer" : "Bearer", scope: token.scope };
    if (expires !== null) body.expires_in = expires;
    if (refresh) {
      const refreshToken = random(token.provider === "github" ? "ghr_" : "vcr_");
      refreshTokens.set(refreshToken, token);
      refreshOwners.set(refreshToken, token.login);
      body.refresh_token = refreshToken;
      if (token.provider === "github") body.refresh_token_expires_in = 15_897_600;
    }
    return body;
  }

  /** Answers a token request, padded past 256 KiB when the flow asks for it (valid JSON either way). */
  async function sendTokens(res: ServerResponse, body: Record<string, unknown>, behaviours: Set<Behaviour>, grant: "token" | "refresh") {
    const padded = behaviours.has(`${grant}_padded`);
    const chunked = behaviours.has(`${grant}_chunked`);
    if (!padded && !chunked) return json(res, 200, body);
    const text = JSON.stringify({ ...body, padding: "x".repeat(300 * 1024) });
    if (padded) return json(res, 200, JSON.parse(text));
    // No Content-Length: node sends it chunked, 16 KiB at a time.
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
    for (let at = 0; at < text.length && !res.destroyed; at += 16 * 1024) {
      if (!res.write(text.slice(at, at + 16 * 1024))) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    res.end();
  }

  function clientFrom(req: IncomingMessage, form: URLSearchParams) {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, "base64").toString().split(":");
      return { id, secret };
    }
    return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
  }

  const server = createServer(async (req, res) => {
    try {
      await route(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 500, "text/plain", String(error));
    }
  });

  function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { "Content-Type": type, ...headers });
    res.end(body);
  }
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
  const html500 = (res: ServerResponse) => send(res, 500, "text/html", "<!DOCTYPE html><h1>Internal Server Error</h1>");
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(302, { Location: location });
    res.end();
  };

  async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString());
  }

  function authorize(provider: "github" | "vercel", url: URL, res: ServerResponse) {
    const q = url.searchParams;
    if (q.get("client_id") !== CLIENTS[provider].id) return send(res, 404, "text/html", "<h1>Unknown application</h1>");
    const redirectURI = q.get("redirect_uri");
    const state = q.get("state");
    if (!redirectURI || !/^https?:\/\//.test(redirectURI)) return send(res, 400, "text/html", "<h1>Bad redirect_uri</h1>");
    const back = new URL(redirectURI);
    if (state !== null) back.searchParams.set("state", state);
    const challenge = q.get("code_challenge");
    if (provider === "vercel" && (!challenge || q.get("code_challenge_method") !== "S256")) {
      back.searchParams.set("error", "invalid_request");
      back.searchParams.set("error_description", "PKCE with S256 is required");
      return redirect(res, back.toString());
    }
    if (q.get("deny") === "1") {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
      return redirect(res, back.toString());
    }
    const behaviours = new Set((q.get("behave") ?? "").split(",").filter(Boolean) as Behaviour[]);
    let scope = (q.get("scope") ?? "").split(" ").filter(Boolean);
    if (behaviours.has("no_email_scope")) scope = scope.filter((s) => s !== "user:email");
    if (behaviours.has("no_refresh")) scope = scope.filter((s) => s !== "offline_access");
    const code = random("code_");
    grants.set(code, {
      provider,
      login: q.get("as") ?? "octocat",
      behaviours,
      redirectURI,
      challenge,
      scope: provider === "github" ? scope.join(",") : scope.join(" "),
      expiresAt: Date.now() + 600_000,
      used: false,
    });
    back.searchParams.set("code", code);
    redirect(res, back.toString());
  }

  async function githubToken(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const client = clientFrom(req, form);
    // GitHub: errors come back as HTTP 200 with an `error` field.
    const error = (error: string, description: string) =>
      json(res, 200, { error, error_description: description, error_uri: `https://docs.github.com/apps/troubleshooting#${error}` });
    if (client.id !== CLIENTS.github.id || client.secret !== CLIENTS.github.secret) {
      return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    }
    if (form.get("grant_type") === "refresh_token") {
      const token = refreshTokens.get(form.get("refresh_token") ?? "");
      if (!token) return error("bad_refresh_token", "The refresh token passed is incorrect or expired.");
      refreshTokens.delete(form.get("refresh_token")!);
      return sendTokens(res, issueTokens(token, 28_800, true), token.behaviours, "refresh");
    }
    const code = form.get("code") ?? "";
    const grant = grants.get(code);
    if (!grant || grant.provider !== "github" || grant.used || grant.expiresAt < Date.now()) {
      return error("bad_verification_code", "The code passed is incorrect or expired.");
    }
    grant.used = true;
    if (form.get("redirect_uri") && form.get("redirect_uri") !== grant.redirectURI) {
      return error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
    }
    if (grant.challenge && s256(form.get("code_verifier") ?? "") !== grant.challenge) {
      return error("bad_verification_code", "The code_verifier does not match the code_challenge.");
    }
    if (await misbehave(grant.behaviours, "token", res)) return;
    const app = grant.behaviours.has("app_tokens");
    if (grant.behaviours.has("member_acme")) orgMembers.get("acme")!.add(grant.login);
    const token: Token = { provider: "github", login: grant.login, behaviours: grant.behaviours, scope: grant.scope, revoked: false };
    await sendTokens(res, issueTokens(token, app ? 28_800 : null, app), grant.behaviours, "token");
  }

  async function vercelToken(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const client = clientFrom(req, form);
    if (client.id !== CLIENTS.vercel.id || client.secret !== CLIENTS.vercel.secret) {
      return json(res, 401, { error: "invalid_client", error_description: "Client authentication failed" });
    }
    const invalidGrant = (description: string) => json(res, 400, { error: "invalid_grant", error_description: description });
    if (form.get("grant_type") === "refresh_token") {
      const token = refreshTokens.get(form.get("refresh_token") ?? "");
      const login = refreshOwners.get(form.get("refresh_token") ?? "");
      if (login) {
        const counts = vercelRefreshes.get(login) ?? { granted: 0, refused: 0 };
        counts[token && !token.revoked ? "granted" : "refused"]++;
        vercelRefreshes.set(login, counts);
      }
      if (!token || token.revoked) return invalidGrant("Invalid refresh token");
      refreshTokens.delete(form.get("refresh_token")!);
      return sendTokens(res, issueTokens(token, 3600, true), token.behaviours, "refresh");
    }
    if (form.get("grant_type") !== "authorization_code") return json(res, 400, { error: "unsupported_grant_type" });
    const grant = grants.get(form.get("code") ?? "");
    if (!grant || grant.provider !== "vercel" || grant.used || grant.expiresAt < Date.now()) return invalidGrant("Invalid authorization code");
    grant.used = true;
    if (form.get("redirect_uri") !== grant.redirectURI) return invalidGrant("redirect_uri mismatch");
    if (!form.get("code_verifier") || s256(form.get("code_verifier")!) !== grant.challenge) return invalidGrant("PKCE verification failed");
    if (await misbehave(grant.behaviours, "token", res)) return;
    const token: Token = { provider: "vercel", login: grant.login, behaviours: grant.behaviours, scope: grant.scope, revoked: false };
    const body = issueTokens(token, grant.behaviours.has("no_expiry") ? null : 3600, grant.scope.split(" ").includes("offline_access"));
    body.id_token = "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl";
    await sendTokens(res, body, grant.behaviours, "token");
  }

  /** Applies a flow's misbehaviour for one stage; true when the response was taken over. */
  async function misbehave(behaviours: Set<Behaviour>, stage: "token" | "profile", res: ServerResponse): Promise<boolean> {
    if (behaviours.has(`${stage}_slow` as Behaviour)) {
      await sleep(SLOW_MS);
      if (!res.destroyed) json(res, 504, { message: "too late" });
      return true;
    }
    if (behaviours.has(`${stage}_500` as Behaviour)) {
      html500(res);
      return true;
    }
    if (behaviours.has(`${stage}_html` as Behaviour)) {
      send(res, 200, "text/html", "<!DOCTYPE html><title>Maintenance</title><p>We'll be right back.</p>");
      return true;
    }
    if (stage === "token" && behaviours.has("token_huge")) {
      json(res, 200, { access_token: "gho_" + "x".repeat(3 * 1024 * 1024), token_type: "bearer", scope: "" });
      return true;
    }
    if (stage === "profile" && behaviours.has("profile_huge")) {
      json(res, 200, { login: "huge", id: 1, padding: "x".repeat(3 * 1024 * 1024) });
      return true;
    }
    return false;
  }

  function bearer(req: IncomingMessage): Token | undefined {
    const match = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? "");
    const token = match ? tokens.get(match[1]!) : undefined;
    return token && !token.revoked ? token : undefined;
  }

  /** GitHub: "Request forbidden by administrative rules" without a User-Agent. True when refused. */
  function withoutUserAgent(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.headers["user-agent"]) return false;
    send(res, 403, "text/plain; charset=utf-8", "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n");
    return true;
  }

  /**
   * `DELETE /applications/{client_id}/token`: the OAuth app, authenticated
   * with Basic client id:secret, revokes one access token given in a JSON
   * body. 204 when revoked; 404 for a token GitHub does not know, 422 for
   * a body without one.
   */
  async function githubRevoke(clientId: string, req: IncomingMessage, res: ServerResponse) {
    if (withoutUserAgent(req, res)) return;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!/^Basic /.test(req.headers.authorization ?? "")) {
      return json(res, 401, { message: "Requires authentication", documentation_url: "https://docs.github.com/rest", status: "401" });
    }
    const client = clientFrom(req, new URLSearchParams());
    const notFound = () => json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
    if (clientId !== CLIENTS.github.id || client.id !== CLIENTS.github.id || client.secret !== CLIENTS.github.secret) return notFound();
    let value: unknown;
    try {
      value = (JSON.parse(Buffer.concat(chunks).toString()) as { access_token?: unknown }).access_token;
    } catch {
      value = undefined;
    }
    if (typeof value !== "string") {
      return json(res, 422, { message: "Invalid request.\n\n\"access_token\" wasn't supplied.", documentation_url: "https://docs.github.com/rest", status: "422" });
    }
    const token = tokens.get(value);
    if (!token || token.provider !== "github" || token.revoked) return notFound();
    if (behaves(token, "revoke_slow")) {
      await sleep(SLOW_MS);
      if (!res.destroyed) json(res, 504, { message: "too late" });
      return;
    }
    if (behaves(token, "revoke_500")) return html500(res);
    token.revoked = true;
    revocations.push({
      token: value,
      userAgent: req.headers["user-agent"],
      accept: req.headers.accept,
      apiVersion: req.headers["x-github-api-version"] as string | undefined,
    });
    res.writeHead(204);
    res.end();
  }

  async function githubAPI(path: string, req: IncomingMessage, res: ServerResponse) {
    if (withoutUserAgent(req, res)) return;
    const token = bearer(req);
    if (!token || token.provider !== "github") {
      return json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    }
    if (await misbehave(token.behaviours, "profile", res)) return;
    const big = token.behaviours.has("big_fields");
    if (path === "/user") {
      const id = idFor(token);
      return json(res, 200, {
        login: big ? "l".repeat(10_240) : token.login,
        id,
        node_id: `U_${id}`,
        avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
        type: "User",
        name: big ? "N".repeat(10_240) : token.behaviours.has("wide_name") ? "😀".repeat(300) : `${token.login[0]!.toUpperCase()}${token.login.slice(1)} Example`,
        email: null,
      });
    }
    if (path === "/user/emails") {
      if (!token.scope.split(",").includes("user:email")) {
        return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/users/emails", status: "404" });
      }
      const verified = !token.behaviours.has("no_verified_email");
      return json(res, 200, [
        { email: `${token.login}@old.example`, primary: false, verified: true, visibility: null },
        { email: `${token.login}@example.com`, primary: true, verified, visibility: "private" },
      ]);
    }
    if (path === "/user/orgs") {
      // Without read:org GitHub lists public memberships only; ours are private.
      if (behaves(token, "orgs_slow")) {
        await sleep(SLOW_MS);
        if (!res.destroyed) json(res, 504, { message: "too late" });
        return;
      }
      if (behaves(token, "orgs_500")) return html500(res);
      const orgs = token.scope.split(",").includes("read:org") && orgMembers.get("acme")!.has(token.login) ? [{ login: "Acme", id: 77 }] : [];
      return json(res, 200, orgs);
    }
    json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
  }

  async function vercelUserinfo(req: IncomingMessage, res: ServerResponse) {
    const token = bearer(req);
    if (!token || token.provider !== "vercel") return json(res, 401, { error: "invalid_token", error_description: "Invalid access token" });
    if (await misbehave(token.behaviours, "profile", res)) return;
    json(res, 200, {
      sub: `vc_user_${idFor(token)}`,
      email: `${token.login}@example.dev`,
      email_verified: !token.behaviours.has("no_verified_email"),
      name: `${token.login} on Vercel`,
      preferred_username: token.login,
      picture: `https://vercel.com/api/www/avatar/${token.login}`,
    });
  }

  async function vercelRevoke(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const client = clientFrom(req, form);
    if (client.id !== CLIENTS.vercel.id || client.secret !== CLIENTS.vercel.secret) return json(res, 401, { error: "invalid_client" });
    const value = form.get("token") ?? "";
    const token = tokens.get(value) ?? refreshTokens.get(value);
    if (token) token.revoked = true;
    send(res, 200, "application/json", "{}");
  }

  /**
   * An application behind the worker's proxy: echoes what it received, and
   * shows off the things a proxy must pass through untouched.
   */
  async function upstream(req: IncomingMessage, res: ServerResponse, url: URL) {
    const path = url.pathname.slice("/upstream".length) || "/";
    if (path === "/redirect") {
      res.writeHead(302, { Location: "/elsewhere?from=upstream" });
      return res.end();
    }
    if (path === "/stream") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      for (let i = 0; i < 5; i++) {
        res.write(`chunk ${i}\n`);
        await sleep(20);
      }
      return res.end();
    }
    if (path === "/cacheable") {
      res.writeHead(200, {
        "Content-Type": "text/plain",
        "Cache-Control": "public, max-age=3600",
        "CDN-Cache-Control": "public, max-age=3600",
        "Surrogate-Control": "max-age=3600",
        Expires: "Thu, 01 Jan 2099 00:00:00 GMT",
      });
      return res.end("the same for everyone");
    }
    if (path === "/our-cookies") {
      // An upstream (compromised, or just careless) writing the worker's cookies.
      res.writeHead(200, {
        "Content-Type": "text/plain",
        // The names the test asks for (every kind the worker declares, in
        // every spelling), so a kind added to COOKIE_KINDS is planted too.
        "Set-Cookie": [
          ...(url.searchParams.get("names") ?? "").split(",").filter(Boolean).map((name) => `${name}=planted; Path=/; Secure`),
          "auth.verify=; Max-Age=0; Path=/",
          "upstream_ok=1; Path=/",
        ],
      });
      return res.end("cookies");
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    res.writeHead(path === "/created" ? 201 : 200, {
      "Content-Type": "application/json",
      "Set-Cookie": ["upstream_pref=dark; Path=/", "upstream_seen=1; Path=/; HttpOnly"],
      "Content-Security-Policy": "default-src 'self' upstream.example",
      "X-Upstream": "yes",
    });
    res.end(JSON.stringify({ method: req.method, path, query: url.search, headers: req.headers, body: Buffer.concat(chunks).toString() }));
  }

  /** Test-only switches and records; see the top of this file. */
  function control(key: string, res: ServerResponse) {
    if (key === "GET /control/github/revocations") return json(res, 200, revocations);
    const refreshes = /^GET \/control\/vercel\/users\/([^/]+)\/refreshes$/.exec(key);
    if (refreshes) return json(res, 200, vercelRefreshes.get(decodeURIComponent(refreshes[1]!)) ?? { granted: 0, refused: 0 });
    const removal = /^DELETE \/control\/github\/orgs\/([^/]+)\/members\/([^/]+)$/.exec(key);
    if (removal) {
      orgMembers.get(decodeURIComponent(removal[1]!).toLowerCase())?.delete(decodeURIComponent(removal[2]!));
      res.writeHead(204);
      return res.end();
    }
    const misbehave = /^POST \/control\/github\/users\/([^/]+)\/behave\/([\w]+)$/.exec(key);
    if (misbehave) {
      const login = decodeURIComponent(misbehave[1]!);
      if (!laterBehaviours.has(login)) laterBehaviours.set(login, new Set());
      laterBehaviours.get(login)!.add(misbehave[2] as Behaviour);
      res.writeHead(204);
      return res.end();
    }
    json(res, 404, { message: "Not Found" });
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://standin");
    const key = `${req.method} ${url.pathname}`;
    if (url.pathname.startsWith("/control/")) return control(key, res);
    const revoke = /^DELETE \/github-api\/applications\/([^/]+)\/token$/.exec(key);
    if (revoke) return githubRevoke(decodeURIComponent(revoke[1]!), req, res);
    if (key === "GET /github/login/oauth/authorize") return authorize("github", url, res);
    if (key === "POST /github/login/oauth/access_token") return githubToken(req, res);
    if (req.method === "GET" && url.pathname.startsWith("/github-api/")) return githubAPI(url.pathname.slice("/github-api".length), req, res);
    if (key === "GET /vercel/oauth/authorize") return authorize("vercel", url, res);
    if (key === "POST /vercel-api/login/oauth/token") return vercelToken(req, res);
    if (key === "GET /vercel-api/login/oauth/userinfo") return vercelUserinfo(req, res);
    if (key === "POST /vercel-api/login/oauth/token/revoke") return vercelRevoke(req, res);
    if (url.pathname === "/upstream" || url.pathname.startsWith("/upstream/")) return upstream(req, res, url);
    json(res, 404, { message: "Not Found" });
  }

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The worker variables that point both providers at a running stand-in. */
export function standInVars(url: string): Record<string, string> {
  return {
    GITHUB_CLIENT_ID: CLIENTS.github.id,
    GITHUB_CLIENT_SECRET: CLIENTS.github.secret,
    GITHUB_OAUTH_URL: `${url}/github`,
    GITHUB_API_URL: `${url}/github-api`,
    VERCEL_CLIENT_ID: CLIENTS.vercel.id,
    VERCEL_CLIENT_SECRET: CLIENTS.vercel.secret,
    VERCEL_OAUTH_URL: `${url}/vercel`,
    VERCEL_API_URL: `${url}/vercel-api`,
  };
}
