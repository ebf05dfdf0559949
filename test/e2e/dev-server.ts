import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DevServer {
  url: string;
  port: number;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the worker the way the README says — `npm run dev`, which applies
 * the local D1 migrations and runs `wrangler dev` — on its own port and with
 * its own local state, plus any extra variables. `unchecked` runs `wrangler
 * dev` itself instead, skipping `npm run dev`'s configuration check and
 * migrations: how a broken configuration reaches the worker.
 */
export async function startDevServer(vars: Record<string, string> = {}, { unchecked = false, port: chosen }: { unchecked?: boolean; port?: number } = {}): Promise<DevServer> {
  const port = chosen ?? (await freePort());
  const state = mkdtempSync(join(tmpdir(), "esw-e2e-"));
  const args = ["--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  let log = "";
  // Unchecked, both Workers as `npm run dev` runs them: the pages come from pages/.
  const command = unchecked ? ["npx", ["wrangler", "dev", "-c", "wrangler.toml", "-c", "pages/wrangler.toml", ...args]] as const : ["npm", ["run", "dev", "--", ...args]] as const;
  const child: ChildProcess = spawn(command[0], command[1], { cwd: process.cwd(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (chunk) => (log += chunk));
  child.stderr!.on("data", (chunk) => (log += chunk));

  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${log}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/auth/style.css`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`npm run dev did not start within 90 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return {
    url,
    port,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        process.kill(-child.pid!, "SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}
