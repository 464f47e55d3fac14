import type { Adapter } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { type ScheduleCall, kilobyteBody, runClosedLoop } from "../lib/load.js";
import { medianBy, summarize } from "../lib/stats.js";

/**
 * Workload 1: closed-loop `/schedule` throughput and acknowledgement latency. The systems run
 * in turn, round after round: the rate and latencies are the median round's (by rate), the
 * counts cover every round, and ratios between systems are the median of per-round ratios —
 * each pairs runs a few seconds apart, so a machine that slows down for a while (this 2-core VM
 * swings by up to ±30% between minutes) skews both sides of a ratio alike.
 */
export interface IngestResult {
  system: string;
  acceptedPerSec: number;
  /**
   * Server-core CPU per accepted request, in µs: everything that ran on the core the system
   * under test is pinned to (its process, its store server, their kernel work) over the measured
   * part, divided by the accepted requests. Null without pinning. Unlike the rates, it does not
   * depend on whether the load generator's core kept up.
   */
  serverCpuMicrosPerAccepted: number | null;
  /** Accepted/s of every round, in order; null for a round that failed. */
  roundRates: (number | null)[];
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  accepted: number;
  refused: number;
  errors: number;
  samples: string[];
}

/** The `i`-th call of the workload: `body` delivered to `targetUrl` in an hour. */
export function ingestCall(i: number, targetUrl: string, body: Uint8Array): ScheduleCall {
  return { id: `ingest-${i}`, targetUrl, scheduledAt: "now | add 3600s", body };
}

/**
 * Starts `adapter` on an empty store and runs `concurrency` closed-loop callers posting 1 KB
 * bodies due in an hour. Only 2xx answers count, and every adapter answers only after its store
 * has acknowledged the write.
 */
export async function runIngest(adapter: Adapter, config: BenchConfig, targetUrl: string): Promise<IngestResult> {
  const session = await adapter.start({ pending: 0 });
  try {
    const body = kilobyteBody();
    const load = await runClosedLoop({
      baseUrl: session.baseUrls ?? session.baseUrl,
      concurrency: config.ingest.concurrency,
      durationMs: config.ingest.durationMs,
      maxRequests: config.ingest.maxRequests,
      warmupRequests: config.ingest.warmupRequests,
      call: (i) => ingestCall(i, targetUrl, body),
    });
    const latency = summarize(load.latenciesMs);
    return {
      system: adapter.name,
      acceptedPerSec: load.accepted / (load.elapsedMs / 1000),
      roundRates: [load.accepted / (load.elapsedMs / 1000)],
      serverCpuMicrosPerAccepted: load.serverCoreBusyMicros === null || load.accepted === 0 ? null : load.serverCoreBusyMicros / load.accepted,
      ackP50Ms: latency.p50,
      ackP99Ms: latency.p99,
      accepted: load.accepted,
      refused: load.refused,
      errors: load.errors,
      samples: load.samples,
    };
  } finally {
    await session.stop();
  }
}

/** One system's rounds (null: the round failed) as one result; null when every round failed. */
export function combineIngestRounds(rounds: readonly (IngestResult | null)[]): IngestResult | null {
  const measured = rounds.filter((r): r is IngestResult => r !== null);
  if (measured.length === 0) return null;
  const median = medianBy(measured, (r) => r.acceptedPerSec)!;
  const total = (pick: (r: IngestResult) => number): number => measured.reduce((sum, r) => sum + pick(r), 0);
  return {
    ...median,
    accepted: total((r) => r.accepted),
    refused: total((r) => r.refused),
    errors: total((r) => r.errors),
    samples: measured.flatMap((r) => r.samples),
    roundRates: rounds.map((r) => r?.acceptedPerSec ?? null),
  };
}

/**
 * `a`'s rate over `b`'s: the median of the ratios of the rounds both completed (the lower middle
 * one for an even count); null when they share none.
 */
export function pairedRateRatio(a: IngestResult | undefined, b: IngestResult | undefined): number | null {
  if (a === undefined || b === undefined) return null;
  const ratios: number[] = [];
  a.roundRates.forEach((rate, i) => {
    const other = b.roundRates[i];
    if (rate !== null && other !== null && other !== undefined && other > 0) ratios.push(rate / other);
  });
  return medianBy(ratios, (ratio) => ratio) ?? null;
}
