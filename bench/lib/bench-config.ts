/** Sizes and limits of one bench run. */
export interface BenchConfig {
  quick: boolean;
  /** `rounds`: every system runs once per round, in turn (see workloads/ingest.ts). */
  ingest: { concurrency: number; durationMs: number; warmupRequests: number; maxRequests: number; rounds: number };
  /**
   * `warmup`: triggers fired at one instant first, unmeasured, in the same process (JIT, connections).
   * `rounds`: measured bursts of `count` after it; the median one is reported.
   */
  burst: { count: number; warmup: number; rounds: number; concurrency: number; timeoutMs: number };
  /** Probes counted, and probes sent first at the same cadence to warm up code paths and connections. */
  precision: { probes: number; warmupProbes: number; intervalMs: number; leadMs: number };
  /** Pending-trigger levels for footprint; precision runs at the first and the last. */
  pendingLevels: number[];
  recovery: { count: number; leaseMs: number; killAfterFraction: number; timeoutMs: number };
  /** A burst of `count` right after a fresh start, then `warmRounds` more in the same process (workloads/cold-burst.ts). */
  coldBurst: { count: number; warmRounds: number };
}

/** The full run (issue 3's figures) or the quick one (small counts, no million-row fixture). */
export function benchConfig(quick: boolean): BenchConfig {
  return quick
    ? {
        quick,
        ingest: { concurrency: 32, durationMs: 3_000, warmupRequests: 500, maxRequests: 100_000, rounds: 1 },
        burst: { count: 1_000, warmup: 500, rounds: 1, concurrency: 32, timeoutMs: 60_000 },
        precision: { probes: 100, warmupProbes: 25, intervalMs: 20, leadMs: 1_000 },
        pendingLevels: [0, 10_000],
        recovery: { count: 500, leaseMs: 3_000, killAfterFraction: 0.25, timeoutMs: 30_000 },
        coldBurst: { count: 3_000, warmRounds: 1 },
      }
    : {
        quick,
        ingest: { concurrency: 32, durationMs: 8_000, warmupRequests: 2_000, maxRequests: 500_000, rounds: 3 },
        burst: { count: 5_000, warmup: 5_000, rounds: 3, concurrency: 32, timeoutMs: 120_000 },
        // 1,000 probes (20 s a level): the p99 is the 10th-latest probe, so one stall of the VM
        // (they come as runs of 2–3 late probes) moves it less than it moved the 5th of 500.
        precision: { probes: 1_000, warmupProbes: 50, intervalMs: 20, leadMs: 1_000 },
        pendingLevels: [0, 100_000, 1_000_000],
        recovery: { count: 2_000, leaseMs: 3_000, killAfterFraction: 0.25, timeoutMs: 60_000 },
        coldBurst: { count: 3_000, warmRounds: 2 },
      };
}
