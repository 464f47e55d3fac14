import type { Adapter } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import type { Sink } from "../lib/sink.js";
import { medianBy } from "../lib/stats.js";
import { type BurstRound, fireAtOnce } from "./burst.js";

/**
 * Workload 6: the first burst after a fresh start, with no warm-up, beside warm ones in the
 * same process: how much slower a server that just started delivers its first burst.
 */
export interface ColdBurstResult {
  system: string;
  count: number;
  cold: BurstRound;
  /** Deliveries per second of each warm burst, in order. */
  warmRates: (number | null)[];
  /** The median warm burst's deliveries per second (the lower middle one for an even count). */
  warmPerSec: number | null;
  /** Cold ÷ warm deliveries per second. */
  coldOverWarm: number | null;
  lost: number;
  duplicated: number;
  note: string | null;
}

/**
 * Starts `adapter` on an empty store and, before anything else reaches it, schedules `count`
 * triggers for one instant (posted ahead of it, as every burst is) and waits for them: the cold
 * burst. Then `warmRounds` bursts of the same size in the same process.
 */
export async function runColdBurst(adapter: Adapter, config: BenchConfig, sink: Sink, ingestPerSec: number | undefined): Promise<ColdBurstResult> {
  const { count, warmRounds } = config.coldBurst;
  const { concurrency, timeoutMs } = config.burst;
  const session = await adapter.start({ pending: 0 });
  try {
    const fire = (prefix: string) => fireAtOnce({ baseUrl: session.baseUrls ?? session.baseUrl, sink, prefix, count, concurrency, timeoutMs, ingestPerSec });
    const cold = await fire("cold");
    const warm = [];
    for (let round = 1; round <= Math.max(1, warmRounds); round++) warm.push(await fire(`warm${round}`));
    const warmMedian = medianBy(
      warm.map((w) => w.result),
      (r) => r.deliveriesPerSec ?? -1,
    );
    const warmPerSec = warmMedian?.deliveriesPerSec ?? null;
    const rounds = [cold, ...warm];
    const notes = [...cold.notes.map((n) => `cold: ${n}`), ...warm.flatMap((w, i) => w.notes.map((n) => `warm ${i + 1}: ${n}`))];
    return {
      system: adapter.name,
      count,
      cold: cold.result,
      warmRates: warm.map((w) => w.result.deliveriesPerSec),
      warmPerSec,
      coldOverWarm: cold.result.deliveriesPerSec !== null && warmPerSec ? cold.result.deliveriesPerSec / warmPerSec : null,
      lost: rounds.reduce((n, r) => n + r.result.lost, 0),
      duplicated: rounds.reduce((n, r) => n + r.result.duplicated, 0),
      note: notes.length === 0 ? null : notes.join("; "),
    };
  } finally {
    await session.stop();
  }
}
