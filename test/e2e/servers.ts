import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./dev-server";

export interface Running {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A tiny HTTP server on localhost for the tests' own pages and applications. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://localhost:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An application that shows what it was sent, as JSON (with a 404 under /missing). */
export function echoApp(): Promise<Running> {
  return serve((req, res) => {
    res.writeHead(req.url?.startsWith("/missing") ? 404 : 200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });
}

/**
 * Debian's nginx running `examples/nginx.conf`, with its ports pointed at
 * the worker and the application of this test run.
 */
export async function startNginx(workerPort: number, appPort: number): Promise<Running> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), "esw-nginx-"));
  // nginx's workers may run as another user; they need to write their temp files.
  chmodSync(prefix, 0o777);
  for (const dir of ["body", "proxy"]) mkdirSync(join(prefix, dir), { mode: 0o777 });
  const site = readFileSync("examples/nginx.conf", "utf8")
    .replaceAll("listen 8080;", `listen 127.0.0.1:${port};`)
    .replaceAll("127.0.0.1:8787", `127.0.0.1:${workerPort}`)
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${appPort}`);
  writeFileSync(join(prefix, "site.conf"), site);
  writeFileSync(
    join(prefix, "nginx.conf"),
    `daemon off;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events {}
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  include ${prefix}/site.conf;
}
`,
  );
  let log = "";
  const nginx = spawn(process.env.NGINX_PATH ?? "/usr/sbin/nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  nginx.stdout.on("data", (chunk) => (log += chunk));
  nginx.stderr.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited:\n${log}`);
    try {
      await fetch(`http://127.0.0.1:${port}/auth/style.css`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url: `http://localhost:${port}`,
    port,
    async stop() {
      const exited = new Promise((resolve) => nginx.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      if (nginx.exitCode === null) nginx.kill("SIGKILL");
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Caddy (2.6) running `examples/Caddyfile`, with its ports pointed
 * at the worker and the application of this test run. Only global options
 * are added: no admin endpoint, localhost only, its state in a temp dir.
 */
export async function startCaddy(workerPort: number, appPort: number): Promise<Running> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "esw-caddy-"));
  const site = readFileSync("examples/Caddyfile", "utf8")
    .replaceAll(":8080 {", `:${port} {`)
    .replaceAll("127.0.0.1:8787", `127.0.0.1:${workerPort}`)
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${appPort}`);
  const config = join(dir, "Caddyfile");
  writeFileSync(config, `{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n${site}`);
  let log = "";
  const caddy = spawn(process.env.CADDY_PATH ?? "/usr/bin/caddy", ["run", "--config", config, "--adapter", "caddyfile"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
  });
  caddy.stdout.on("data", (chunk) => (log += chunk));
  caddy.stderr.on("data", (chunk) => (log += chunk));
  async function stop() {
    if (caddy.exitCode === null) {
      const exited = new Promise((resolve) => caddy.once("exit", resolve));
      caddy.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      if (caddy.exitCode === null) caddy.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/auth/style.css`);
      break;
    } catch {
      const exited = caddy.exitCode !== null;
      if (exited || Date.now() > deadline) {
        await stop();
        throw new Error(`caddy ${exited ? "exited" : "did not start"}:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url: `http://localhost:${port}`, port, stop };
}
