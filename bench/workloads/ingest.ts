import type { Adapter } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { kilobyteBody, runClosedLoop } from "../lib/load.js";
import { summarize } from "../lib/stats.js";

/** Workload 1: closed-loop `/schedule` throughput and acknowledgement latency. */
export interface IngestResult {
  system: string;
  acceptedPerSec: number;
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  accepted: number;
  refused: number;
  errors: number;
  samples: string[];
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
      baseUrl: session.baseUrl,
      concurrency: config.ingest.concurrency,
      durationMs: config.ingest.durationMs,
      maxRequests: config.ingest.maxRequests,
      warmupRequests: config.ingest.warmupRequests,
      call: (i) => ({ id: `ingest-${i}`, targetUrl, scheduledAt: "now | add 3600s", body }),
    });
    const latency = summarize(load.latenciesMs);
    return {
      system: adapter.name,
      acceptedPerSec: load.accepted / (load.elapsedMs / 1000),
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
