import type { Adapter } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { type ScheduleCall, kilobyteBody, sendAll } from "../lib/load.js";
import type { Sink } from "../lib/sink.js";
import { lossAndDuplicates, summarize } from "../lib/stats.js";

/** Workload 2: many triggers due at one instant. */
export interface BurstResult {
  system: string;
  scheduled: number;
  deliveriesPerSec: number | null;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
  lost: number;
  duplicated: number;
  /** Set when the run cannot be taken at face value. */
  note: string | null;
}

/**
 * How long before the shared due instant the triggers are posted: a third of the warm ingest
 * rate measured by workload 1 (a freshly started process is slower), plus 2 s.
 */
export function leadTimeMs(count: number, ingestPerSec: number | undefined): number {
  const rate = Math.max(100, (ingestPerSec ?? 500) / 3);
  return Math.min(60_000, Math.ceil((count / rate) * 1000) + 2_000);
}

/**
 * On a new, empty store, fires a warm-up burst of `warmup` triggers (unmeasured: it brings every
 * system's delivery path to its optimized code and opens its connections, as the ingest
 * workload's warm-up requests do), then the measured burst of `count`. Each burst schedules its
 * triggers for one instant and waits for every id at the sink. Deliveries per second are unique
 * ids over the time from the due instant to the last arrival; lateness is each id's first arrival
 * minus the due instant.
 */
export async function runBurst(adapter: Adapter, config: BenchConfig, sink: Sink, ingestPerSec: number | undefined): Promise<BurstResult> {
  const { count, warmup, concurrency, timeoutMs } = config.burst;
  const session = await adapter.start({ pending: 0 });
  try {
    const notes: string[] = [];
    if (warmup > 0) {
      const warm = await fireAtOnce(session.baseUrl, sink, "warmup", warmup, concurrency, timeoutMs, ingestPerSec);
      if (warm.result.lost > 0) notes.push(`warm-up: ${warm.result.lost} of ${warmup} not delivered`);
    }
    const run = await fireAtOnce(session.baseUrl, sink, "burst", count, concurrency, timeoutMs, ingestPerSec);
    notes.push(...run.notes);
    return { system: adapter.name, ...run.result, note: notes.length === 0 ? null : notes.join("; ") };
  } finally {
    await session.stop();
  }
}

/** One burst: `count` triggers posted ahead of one due instant, then every id awaited at the sink. */
async function fireAtOnce(
  baseUrl: string,
  sink: Sink,
  prefix: string,
  count: number,
  concurrency: number,
  timeoutMs: number,
  ingestPerSec: number | undefined,
): Promise<{ result: Omit<BurstResult, "system" | "note">; notes: string[] }> {
  sink.reset();
  const body = kilobyteBody();
  const dueAt = Date.now() + leadTimeMs(count, ingestPerSec);
  const scheduledAt = new Date(dueAt).toISOString();
  const calls: ScheduleCall[] = Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, targetUrl: sink.url, scheduledAt, body }));
  const load = await sendAll(baseUrl, calls, concurrency);
  const postedBy = Date.now();
  const notes: string[] = [];
  if (load.accepted < count) notes.push(`${count - load.accepted} refused: ${load.samples.join(" | ")}`);
  if (postedBy > dueAt) notes.push(`posting ended ${postedBy - dueAt} ms after the due instant`);

  await sink.waitUntil(() => sink.counts.size >= load.accepted, Math.max(0, dueAt - Date.now()) + timeoutMs);
  await new Promise((r) => setTimeout(r, 1_000));

  const first = new Map<string, number>();
  for (const arrival of sink.arrivals) if (!first.has(arrival.id)) first.set(arrival.id, arrival.at);
  const lateness = summarize([...first.values()].map((at) => at - dueAt));
  const last = Math.max(...first.values());
  const window = Math.max(1, last - Math.max(dueAt, postedBy));
  const { lost, duplicated } = lossAndDuplicates(
    calls.map((c) => c.id),
    sink.counts,
  );
  return {
    result: {
      scheduled: load.accepted,
      deliveriesPerSec: first.size === 0 ? null : first.size / (window / 1000),
      latenessP50Ms: lateness.p50,
      latenessP99Ms: lateness.p99,
      latenessMaxMs: lateness.max,
      lost,
      duplicated,
    },
    notes,
  };
}
