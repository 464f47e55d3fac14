import type { Adapter } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { type ScheduleCall, kilobyteBody, sendAll } from "../lib/load.js";
import type { Sink } from "../lib/sink.js";
import { lossAndDuplicates, medianBy, summarize } from "../lib/stats.js";

/**
 * Workload 2: many triggers due at one instant, in several measured rounds. The rate and
 * lateness are the median round's (by rate); scheduled, lost and duplicated count every round.
 */
export interface BurstResult {
  system: string;
  scheduled: number;
  deliveriesPerSec: number | null;
  /** Deliveries per second of each measured round, in the order they ran. */
  roundRates: (number | null)[];
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
  lost: number;
  duplicated: number;
  /** Set when the run cannot be taken at face value. */
  note: string | null;
}

/**
 * How long before the shared due instant the triggers are posted: at `share` of the warm ingest
 * rate measured by workload 1 (a third by default: a freshly started process is slower), plus 2 s.
 */
export function leadTimeMs(count: number, ingestPerSec: number | undefined, share = 1 / 3): number {
  const rate = Math.max(100, (ingestPerSec ?? 500) * share);
  return Math.min(60_000, Math.ceil((count / rate) * 1000) + 2_000);
}

/**
 * On a new, empty store, fires a warm-up burst of `warmup` triggers (unmeasured: it brings every
 * system's delivery path to its optimized code and opens its connections, as the ingest
 * workload's warm-up requests do), then `rounds` measured bursts of `count`, all in the same
 * process. Each burst schedules its triggers for one instant and waits for every id at the sink.
 * Deliveries per second are unique ids over the time from the due instant to the last arrival;
 * lateness is each id's first arrival minus the due instant. One burst's rate moves by up to ±40%
 * between repeats on a 2-core VM, for every system alike: the median of the rounds is reported.
 */
export async function runBurst(adapter: Adapter, config: BenchConfig, sink: Sink, ingestPerSec: number | undefined): Promise<BurstResult> {
  const { count, warmup, rounds, concurrency, timeoutMs } = config.burst;
  const session = await adapter.start({ pending: 0 });
  try {
    const fire = (prefix: string, size: number) => fireAtOnce({ baseUrl: session.baseUrls ?? session.baseUrl, sink, prefix, count: size, concurrency, timeoutMs, ingestPerSec });
    const notes: string[] = [];
    if (warmup > 0) {
      const warm = await fire("warmup", warmup);
      if (warm.result.lost > 0) notes.push(`warm-up: ${warm.result.lost} of ${warmup} not delivered`);
    }
    const measured: BurstRound[] = [];
    for (let round = 1; round <= Math.max(1, rounds); round++) {
      const run = await fire(`burst${round}`, count);
      measured.push(run.result);
      notes.push(...run.notes.map((note) => (rounds > 1 ? `round ${round}: ${note}` : note)));
    }
    const median = medianBy(measured, (r) => r.deliveriesPerSec ?? -1)!;
    return {
      system: adapter.name,
      ...median,
      scheduled: measured.reduce((sum, r) => sum + r.scheduled, 0),
      lost: measured.reduce((sum, r) => sum + r.lost, 0),
      duplicated: measured.reduce((sum, r) => sum + r.duplicated, 0),
      roundRates: measured.map((r) => r.deliveriesPerSec),
      note: notes.length === 0 ? null : notes.join("; "),
    };
  } finally {
    await session.stop();
  }
}

/** One measured burst's figures. */
export type BurstRound = Omit<BurstResult, "system" | "note" | "roundRates">;

export interface BurstOptions {
  baseUrl: string | readonly string[];
  sink: Sink;
  /** Prefix of the ids, unique per burst. */
  prefix: string;
  count: number;
  /** Concurrent /schedule requests while posting. */
  concurrency: number;
  /** How long after the due instant to wait for the last delivery. */
  timeoutMs: number;
  ingestPerSec: number | undefined;
}

/** One burst: `count` triggers posted ahead of one due instant, then every id awaited at the sink. */
export async function fireAtOnce(options: BurstOptions): Promise<{ result: BurstRound; notes: string[] }> {
  const { baseUrl, sink, prefix, count, concurrency, timeoutMs, ingestPerSec } = options;
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
