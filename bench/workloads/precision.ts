import { Pool } from "undici";
import type { Session } from "../adapters/adapter.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { kilobyteBody, scheduleHeaders } from "../lib/load.js";
import type { Sink } from "../lib/sink.js";
import { lossAndDuplicates, summarize } from "../lib/stats.js";

/** How long after the last probe's due instant the bench waits for deliveries; also the post timeout. */
export const DELIVERY_WINDOW_MS = 10_000;

/** Workload 3: how late probes due every few milliseconds fire. */
export interface PrecisionResult {
  system: string;
  pending: number;
  probes: number;
  /** Lateness of the very first (warm-up) probe after start: the cold path. */
  firstProbeMs: number | null;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
  /** Probes that arrived before their due time. */
  early: number;
  /** Probes not delivered by {@link DELIVERY_WINDOW_MS} after the last due instant. */
  undelivered: number;
  duplicated: number;
  refused: number;
}

/**
 * Posts one probe every `intervalMs`, each due `leadMs` after it is posted (an ISO instant with
 * milliseconds), so scheduling and firing overlap as in real use. The first `warmupProbes` run
 * the same way but only the very first one's lateness is kept (the cold path after start). Lateness is arrival at the
 * sink minus the due instant: it includes the delivery's own network time. Bounded: posts time
 * out, and probes still missing {@link DELIVERY_WINDOW_MS} after the last due instant count as
 * undelivered.
 */
export async function runPrecision(system: string, session: Session, pending: number, config: BenchConfig, sink: Sink): Promise<PrecisionResult> {
  const { probes, warmupProbes, intervalMs, leadMs } = config.precision;
  const total = warmupProbes + probes;
  sink.reset();
  // Several nodes: probe i goes to node i mod n.
  const pools = (session.baseUrls ?? [session.baseUrl]).map((url) => new Pool(url, { connections: 8 }));
  const body = kilobyteBody();
  const firstDue = Date.now() + leadMs + 200;
  const dues = new Map<string, number>();
  let refused = 0;
  const posts: Promise<void>[] = [];
  const giveUp = new AbortController();
  try {
    for (let i = 0; i < total; i += 1) {
      const dueAt = firstDue + i * intervalMs;
      const wait = dueAt - leadMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = i < warmupProbes ? `warmup-${i}` : `probe-${i - warmupProbes}`;
      dues.set(id, dueAt);
      posts.push(
        pools[i % pools.length]!
          .request({
            path: "/schedule",
            method: "POST",
            headers: scheduleHeaders({ id, targetUrl: sink.url, scheduledAt: new Date(dueAt).toISOString(), body }),
            body,
            signal: AbortSignal.any([giveUp.signal, AbortSignal.timeout(DELIVERY_WINDOW_MS)]),
          })
          .then(async (response) => {
            await response.body.dump();
            if (response.statusCode !== 200) refused += 1;
          })
          .catch(() => {
            refused += 1;
          }),
      );
    }
    const lastDue = firstDue + (total - 1) * intervalMs;
    await sink.waitUntil(() => sink.counts.size >= total - refused, Math.max(0, lastDue - Date.now()) + DELIVERY_WINDOW_MS);
    giveUp.abort();
    await Promise.all(posts);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
  const firstArrival = new Map<string, number>();
  for (const a of sink.arrivals) if (!firstArrival.has(a.id)) firstArrival.set(a.id, a.at);
  const counted = [...dues.keys()].filter((id) => id.startsWith("probe-"));
  const lateness: number[] = [];
  for (const id of counted) {
    const at = firstArrival.get(id);
    if (at !== undefined) lateness.push(at - (dues.get(id) as number));
  }
  const first = firstArrival.get("warmup-0") ?? firstArrival.get("probe-0");
  const summary = summarize(lateness);
  const { lost: undelivered, duplicated } = lossAndDuplicates(counted, sink.counts);
  return {
    system,
    pending,
    probes,
    firstProbeMs: first === undefined ? null : first - firstDue,
    latenessP50Ms: summary.p50,
    latenessP99Ms: summary.p99,
    latenessMaxMs: summary.max,
    early: lateness.filter((l) => l < 0).length,
    undelivered,
    duplicated,
    refused,
  };
}
