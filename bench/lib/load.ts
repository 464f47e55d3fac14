import { Pool } from "undici";
import { BENCH_ID_HEADER } from "./sink.js";
import { SERVER_CORE } from "./paths.js";
import { coreBusyMicros, taskset } from "./processes.js";

/** The API key every adapter is started with. */
export const BENCH_API_KEY = "hg-bench-key-0123456789abcdef";

/** One `/schedule` call: where to deliver, when, and what to send. */
export interface ScheduleCall {
  id: string;
  targetUrl: string;
  /** A `ttr-scheduled-at` value. */
  scheduledAt: string;
  body: Uint8Array;
}

/** Outcome counts and ack latencies (ms) of a batch of `/schedule` calls. */
export interface LoadResult {
  accepted: number;
  refused: number;
  errors: number;
  /** First non-2xx answers or error messages, for diagnosis. */
  samples: string[];
  latenciesMs: number[];
  elapsedMs: number;
  /** Busy time of the server core over the measured part, when the run is pinned and /proc readable. */
  serverCoreBusyMicros: number | null;
}

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** One server, or several nodes of one system: caller `k` posts to node `k mod n` (round robin). */
  baseUrl: string | readonly string[];
  concurrency: number;
  /** Call `i` (0-based); the loop ends when it returns null, at `durationMs`, or at `maxRequests`. */
  call: (i: number) => ScheduleCall | null;
  durationMs: number;
  maxRequests: number;
  /** Calls made before measuring starts (not counted), to warm up JIT and connections. */
  warmupRequests?: number;
}

/**
 * A 1 KB JSON body (bytes), the same for every call: its padding is pseudo-random base64
 * characters, so no store gets a head start from compressing it.
 */
export function kilobyteBody(): Uint8Array {
  const head = '{"event":"bench","padding":"';
  const tail = '"}';
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let seed = 0x2545f491;
  let padding = "";
  for (let i = 0; i < 1024 - head.length - tail.length; i += 1) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    padding += alphabet[(seed >>> 16) % alphabet.length];
  }
  return Buffer.from(head + padding + tail);
}

/** The headers of a `/schedule` call as the adapters all accept them. */
export function scheduleHeaders(call: ScheduleCall): Record<string, string> {
  return {
    "ttr-api-key": BENCH_API_KEY,
    "ttr-url": `${call.targetUrl}/hook`,
    "ttr-scheduled-at": call.scheduledAt,
    "content-type": "application/json",
    [BENCH_ID_HEADER]: call.id,
  };
}

/**
 * A closed loop: `concurrency` callers each send one `/schedule` and wait for its answer before
 * the next. Only 2xx answers count as accepted. Bounded by time and by request count.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const urls = typeof options.baseUrl === "string" ? [options.baseUrl] : options.baseUrl;
  const pools = urls.map((url) => new Pool(url, { connections: Math.ceil(options.concurrency / urls.length), pipelining: 1 }));
  const poolOf = (caller: number): Pool => pools[caller % pools.length]!;
  const result: LoadResult = { accepted: 0, refused: 0, errors: 0, samples: [], latenciesMs: [], elapsedMs: 0, serverCoreBusyMicros: null };
  try {
    let next = 0;
    const warmup = options.warmupRequests ?? 0;
    if (warmup > 0) {
      const scratch: LoadResult = { accepted: 0, refused: 0, errors: 0, samples: [], latenciesMs: [], elapsedMs: 0, serverCoreBusyMicros: null };
      let w = 0;
      await Promise.all(
        Array.from({ length: options.concurrency }, async (_, caller) => {
          while (w < warmup) {
            const call = options.call(next++);
            w += 1;
            if (call === null) return;
            await send(poolOf(caller), call, scratch);
          }
        }),
      );
      if (scratch.accepted === 0) throw new Error(`warm-up accepted nothing: ${scratch.samples.join(" | ")}`);
    }
    const busyBefore = taskset() === null ? null : coreBusyMicros(SERVER_CORE);
    const started = performance.now();
    const deadline = started + options.durationMs;
    let sent = 0;
    let exhausted = false;
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, caller) => {
        while (!exhausted && sent < options.maxRequests && performance.now() < deadline) {
          const call = options.call(next++);
          if (call === null) {
            exhausted = true;
            return;
          }
          sent += 1;
          await send(poolOf(caller), call, result);
        }
      }),
    );
    result.elapsedMs = performance.now() - started;
    const busyAfter = busyBefore === null ? null : coreBusyMicros(SERVER_CORE);
    result.serverCoreBusyMicros = busyBefore === null || busyAfter === null ? null : busyAfter - busyBefore;
    return result;
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** Sends every call of `calls` with `concurrency` callers; see {@link runClosedLoop}. */
export async function sendAll(baseUrl: string | readonly string[], calls: readonly ScheduleCall[], concurrency: number): Promise<LoadResult> {
  return runClosedLoop({
    baseUrl,
    concurrency,
    call: (i) => calls[i] ?? null,
    durationMs: 600_000,
    maxRequests: calls.length,
  });
}

async function send(pool: Pool, call: ScheduleCall, into: LoadResult): Promise<void> {
  const t0 = performance.now();
  try {
    const response = await pool.request({
      path: "/schedule",
      method: "POST",
      headers: scheduleHeaders(call),
      body: call.body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await response.body.text();
    const latency = performance.now() - t0;
    if (response.statusCode >= 200 && response.statusCode < 300) {
      into.accepted += 1;
      into.latenciesMs.push(latency);
    } else {
      into.refused += 1;
      if (into.samples.length < 5) into.samples.push(`${response.statusCode} ${text.slice(0, 200)}`);
    }
  } catch (error) {
    into.errors += 1;
    if (into.samples.length < 5) into.samples.push(error instanceof Error ? error.message : String(error));
  }
}
