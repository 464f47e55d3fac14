import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AttemptEvent, Dispatcher } from "./dispatch/dispatcher.js";
import type { ScheduleResult } from "./store/types.js";
import type { Store } from "./store/store.js";

/** Prometheus metrics of one Hourglass instance, on its own registry. */
export interface Metrics {
  registry: Registry;
  /** Counts a committed /schedule. */
  recordSchedule(result: ScheduleResult): void;
}

/**
 * Process metrics (including event-loop delay, measured with `monitorEventLoopDelay`), and
 * Hourglass's own: attempts by outcome, how late first attempts start, deliveries in flight,
 * schedules by operation and kind, and the size of the SQLite database's write-ahead log.
 */
export function createMetrics(dispatcher: Dispatcher, store: Pick<Store, "walBytes">): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  observeAttempts(dispatcher, registry);
  new Gauge({
    name: "hourglass_deliveries_in_flight",
    help: "Deliveries currently in flight.",
    registers: [registry],
    collect() {
      this.set(dispatcher.inFlightCount);
    },
  });
  new Gauge({
    name: "hourglass_sqlite_wal_bytes",
    help: "Size of the SQLite write-ahead log file. Checkpoints keep it bounded; steady growth means they are failing (see the warnings in the log).",
    registers: [registry],
    collect() {
      this.set(store.walBytes());
    },
  });
  const schedules = new Counter({
    name: "hourglass_schedules_total",
    help: "Committed /schedule requests, by operation and kind.",
    labelNames: ["operation", "kind"] as const,
    registers: [registry],
  });

  return {
    registry,
    recordSchedule(result) {
      schedules.inc({ operation: result.operation, kind: result.kind });
    },
  };
}

/**
 * The start-up rehearsal's dispatcher observed as the real one is, on a registry nobody reads:
 * the metrics' code then runs optimized from the first real burst on.
 */
export function observeRehearsal(dispatcher: Dispatcher): void {
  observeAttempts(dispatcher, new Registry());
}

/** Counts `dispatcher`'s attempts by outcome and records how late first attempts start, on `registry`. */
function observeAttempts(dispatcher: Dispatcher, registry: Registry): void {
  const attempts = new Counter({
    name: "hourglass_attempts_total",
    help: "Delivery attempts recorded, by outcome and whether a retry was scheduled.",
    labelNames: ["outcome", "retry"] as const,
    registers: [registry],
  });
  const lateness = new Histogram({
    name: "hourglass_fire_lateness_seconds",
    help: "How long after its scheduled time a trigger's first attempt started.",
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60],
    registers: [registry],
  });
  dispatcher.on("attempt", ({ claim, result }: AttemptEvent) => {
    attempts.inc({ outcome: result.outcome, retry: result.retryAt === null ? "no" : "yes" });
    if (claim.attempt === 1 && claim.origin !== "callback") {
      lateness.observe(Math.max(0, result.startedAt - claim.scheduledAt) / 1000);
    }
  });
}
