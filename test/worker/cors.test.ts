import { describe, expect, it } from "vitest";
import { browse, call, Jar, LOCAL, signIn } from "./helpers";

const APP = "https://app.example.com";

describe("CORS for cross-origin frontends", () => {
  it("answers a preflight from an allowed origin, with credentials and never *", async () => {
    const response = await call("/auth/session", {
      method: "OPTIONS",
      headers: { Origin: APP, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(response.headers.get("Access-Control-Allow-Methods")).toBe("GET,POST,DELETE");
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("Content-Type,Authorization");
    expect(response.headers.get("Vary")).toContain("Origin");
  });

  it("gives a foreign origin's preflight no permission", async () => {
    const response = await call("/auth/session", { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" } });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("lets an allowed origin read the session with credentials", async () => {
    const { jar } = await signIn("dev", { as: "Spa User" });
    const response = await browse(jar, "/auth/session", { headers: { Origin: APP } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(response.headers.get("Vary")).toContain("Origin");
    const foreign = await browse(jar, "/auth/session", { headers: { Origin: "https://evil.example" } });
    expect(foreign.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("lets an allowed origin post, and refuses everyone else's posts", async () => {
    const { jar } = await signIn("dev", { as: "Spa Poster" });
    expect((await browse(jar, "/auth/token", { method: "POST", headers: { Origin: "https://evil.example" } })).status).toBe(403);
    const allowed = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: APP } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(APP);
  });

  it("uses AUTH_URL for redirect_uri and cookies behind a frontend's rewrite", async () => {
    // A dev proxy on https://app.example.com forwards /auth/* to the worker on localhost.
    const vars = { AUTH_URL: APP };
    const jar = new Jar();
    const start = await browse(jar, `${LOCAL}/auth/signin/github`, {}, vars);
    expect(new URL(start.headers.get("Location")!).searchParams.get("redirect_uri")).toBe(`${APP}/auth/callback/github`);
    expect([...jar.cookies.keys()]).toEqual(["__Host-auth.flow"]);
    expect(start.headers.getSetCookie()[0]).toContain("Secure");
    // The rewrite's own origin counts as ours for state-changing requests.
    const post = await call(`${LOCAL}/auth/signout`, { method: "POST", headers: { Origin: APP, Accept: "application/json" } }, vars);
    expect(post.status).toBe(200);
  });
});
