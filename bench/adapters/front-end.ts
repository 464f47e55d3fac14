import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Agent } from "undici";

/** What a peer front end stores per trigger and its worker replays. */
export interface StoredCall {
  /** Method. */
  m: string;
  /** Target URL. */
  u: string;
  /** Headers to replay, as [name, value] pairs. */
  h: [string, string][];
  /** Body, base64. */
  b: string;
}

/** Enqueues a call due at `dueAt` (epoch ms) once the store has acknowledged it; returns its id. */
export type Enqueue = (call: StoredCall, dueAt: number) => Promise<string>;

const NOT_FORWARDED = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding", "expect", "upgrade"]);
const RELATIVE = /^now(?:\s*\|\s*add\s+([+-]?\d+)\s*([smhdw]))*$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses the subset of `ttr-scheduled-at` the bench sends: `now | add N<unit>` chains and ISO
 * instants with an offset. Returns epoch ms, or null when the value is outside that subset.
 */
export function parseScheduledAt(value: string, now: number): number | null {
  const trimmed = value.trim();
  if (RELATIVE.test(trimmed)) {
    let at = now;
    for (const match of trimmed.matchAll(/add\s+([+-]?\d+)\s*([smhdw])/g)) at += Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 0);
    return at;
  }
  if (!/(Z|[+-]\d\d:\d\d)$/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : at;
}

/**
 * The `POST /schedule` front end shared by the peers: checks `ttr-api-key`, reads `ttr-url` and
 * `ttr-scheduled-at`, reads the body, and answers 200 once `enqueue` has resolved.
 */
export function createFrontEnd(apiKey: string, enqueue: Enqueue): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.post("/schedule", async (c) => {
    if (c.req.header("ttr-api-key") !== apiKey) return c.json({ error: "invalid_api_key" }, 401);
    const url = c.req.header("ttr-url");
    const dueAt = parseScheduledAt(c.req.header("ttr-scheduled-at") ?? "", Date.now());
    if (url === undefined || dueAt === null) return c.json({ error: "invalid_input" }, 400);
    const headers: [string, string][] = [];
    c.req.raw.headers.forEach((value, name) => {
      if (!name.startsWith("ttr-") && !NOT_FORWARDED.has(name)) headers.push([name, value]);
    });
    const body = Buffer.from(await c.req.arrayBuffer()).toString("base64");
    const id = await enqueue({ m: c.req.method, u: url, h: headers, b: body }, dueAt);
    return c.json({ triggerId: id, scheduledAt: new Date(dueAt).toISOString(), operation: "schedule", kind: "job", monthQuotaRemaining: null });
  });
  return app;
}

/** Serves `app` on 127.0.0.1:`PORT` (0: any) and prints `{"msg":"listening","port":…}` once bound. */
export function serveFrontEnd(app: Hono, onClose: () => Promise<void>): void {
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
    process.stdout.write(`${JSON.stringify({ msg: "listening", port: info.port })}\n`);
  });
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    server.close();
    onClose().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

/** Outcome of one replay by a peer worker. */
export interface FireOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * The outbound client of the peers, configured like Hourglass's: one undici `Agent` with
 * `connections` per origin, redirects not followed, success = 2xx/3xx.
 */
export function createFirer(connections: number, timeoutMs = 30_000): { fire(call: StoredCall): Promise<FireOutcome>; close(): Promise<void> } {
  const agent = new Agent({ connections });
  return {
    async fire(call) {
      try {
        const url = new URL(call.u);
        const flat: string[] = [];
        for (const [name, value] of call.h) flat.push(name, value);
        const body = call.b.length > 0 ? Buffer.from(call.b, "base64") : null;
        const response = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: call.m,
          headers: flat,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        await response.body.dump();
        const ok = response.statusCode >= 200 && response.statusCode < 400;
        return { ok, status: response.statusCode, error: ok ? null : `HTTP ${response.statusCode}` };
      } catch (error) {
        return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
      }
    },
    close: () => agent.close(),
  };
}

/** An integer environment variable, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? fallback : Number(raw);
}
