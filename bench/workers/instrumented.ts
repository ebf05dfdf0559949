// The real worker with its bindings wrapped to count calls, so the bench can
// report what each path costs in KV reads and D1 statements.
import worker from "../../src/index";
import type { Env } from "../../src/env";

const counts = { kvGet: 0, kvPut: 0, d1: 0 };

function instrument(env: Env): Env {
  const kv = env.REVOCATIONS;
  const db = env.DB;
  const statement = (prepared: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(prepared, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => statement(target.bind(...values));
        if (property === "first" || property === "run" || property === "all" || property === "raw") {
          return (...args: unknown[]) => {
            counts.d1++;
            return (target as never as Record<string, (...a: unknown[]) => unknown>)[property](...args);
          };
        }
        return Reflect.get(target, property);
      },
    });
  return {
    ...env,
    REVOCATIONS: {
      get: (...args: Parameters<KVNamespace["get"]>) => (counts.kvGet++, kv.get(...args)),
      put: (...args: Parameters<KVNamespace["put"]>) => (counts.kvPut++, kv.put(...args)),
    } as unknown as KVNamespace,
    DB: { prepare: (sql: string) => statement(db.prepare(sql)) } as unknown as D1Database,
  };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const path = new URL(request.url).pathname;
    if (path === "/__counts") {
      const snapshot = { ...counts };
      counts.kvGet = counts.kvPut = counts.d1 = 0;
      return Response.json(snapshot);
    }
    return worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, instrument(env), ctx);
  },
} satisfies ExportedHandler<Env>;
