import { pairedRateRatio } from "../workloads/ingest.js";
import { CEILING, HOURGLASS, type BenchResults, type Workload } from "./results.js";

/** One target of issue 3 and whether this run met it. */
export interface TargetCheck {
  workload: Workload;
  target: string;
  measured: string;
  /** null: not measured (a system or a figure was missing). */
  met: boolean | null;
}

/** RSS at the largest level, as a multiple of RSS on the empty store, that still counts as flat. */
export const FLAT_RSS_FACTOR = 1.2;

/** Checks Hourglass's figures against the targets of issue 3. */
export function checkTargets(r: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (workload: Workload, target: string, measured: string, met: boolean | null): void => {
    checks.push({ workload, target, measured, met });
  };
  const f1 = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : n.toFixed(1));

  const hgIngest = r.ingest.find((x) => x.system === HOURGLASS);
  const ceiling = r.ingest.find((x) => x.system === CEILING);
  const bullIngest = r.ingest.find((x) => x.system === "BullMQ");
  const share = pairedRateRatio(hgIngest, ceiling);
  add("ingest", "ingest ≥ 50% of the bare-Hono ceiling", share === null ? "–" : `${(share * 100).toFixed(1)}%`, share === null ? null : share >= 0.5);
  const vsBull = pairedRateRatio(hgIngest, bullIngest);
  add("ingest", "ingest ≥ 1.5× BullMQ", vsBull === null ? "–" : `${vsBull.toFixed(2)}×`, vsBull === null ? null : vsBull >= 1.5);

  const hgBurst = r.burst.find((x) => x.system === HOURGLASS);
  const bullBurst = r.burst.find((x) => x.system === "BullMQ");
  const rate = hgBurst?.deliveriesPerSec ?? null;
  add("burst", "fire burst ≥ 3,000 deliveries/s", rate === null ? "–" : `${Math.round(rate)}/s`, rate === null ? null : rate >= 3000);
  const burstRatio = rate !== null && bullBurst?.deliveriesPerSec ? rate / bullBurst.deliveriesPerSec : null;
  add("burst", "fire burst ≥ 2× BullMQ", burstRatio === null ? "–" : `${burstRatio.toFixed(2)}×`, burstRatio === null ? null : burstRatio >= 2);
  add(
    "burst",
    "fire burst: zero lost, zero duplicated",
    hgBurst ? `${hgBurst.lost} lost, ${hgBurst.duplicated} duplicated` : "–",
    hgBurst ? hgBurst.lost === 0 && hgBurst.duplicated === 0 : null,
  );

  const levels = r.config.pendingLevels;
  const top = levels[levels.length - 1] ?? 0;
  const idle = r.precision.find((x) => x.system === HOURGLASS && x.pending === 0);
  const loaded = r.precision.find((x) => x.system === HOURGLASS && x.pending === top && top > 0);
  add("precision", "lateness p99 ≤ 10 ms idle", idle ? `${f1(idle.latenessP99Ms)} ms` : "–", idle?.latenessP99Ms == null ? null : idle.latenessP99Ms <= 10);
  add(
    "precision",
    `lateness p99 ≤ 20 ms with ${top.toLocaleString("en-US")} pending`,
    loaded ? `${f1(loaded.latenessP99Ms)} ms` : "–",
    loaded?.latenessP99Ms == null ? null : loaded.latenessP99Ms <= 20,
  );
  const runs = [idle, loaded].filter((x) => x !== undefined);
  const worst = runs.length === 0 ? null : Math.max(...runs.map((x) => (x.undelivered > 0 ? Infinity : (x.latenessMaxMs ?? Infinity))));
  add(
    "precision",
    "lateness max ≤ 50 ms",
    worst === null ? "–" : worst === Infinity ? "probes undelivered" : `${f1(worst)} ms`,
    worst === null ? null : worst <= 50,
  );
  const early = runs.reduce((n, x) => n + x.early, 0);
  add("precision", "never early", runs.length === 0 ? "–" : `${early} early`, runs.length === 0 ? null : early === 0);

  const prints = r.footprint.filter((x) => x.system === HOURGLASS);
  const rss = prints.map((x) => x.footprint.processRssBytes).filter((x): x is number => x !== null);
  const maxRss = rss.length === 0 ? null : Math.max(...rss);
  add("footprint", "RSS < 150 MB at every level", maxRss === null ? "–" : `${(maxRss / 1e6).toFixed(1)} MB max`, maxRss === null ? null : maxRss < 150e6);
  const empty = prints.find((x) => x.pending === 0)?.footprint.processRssBytes ?? null;
  const full = prints.find((x) => x.pending === top && top > 0)?.footprint.processRssBytes ?? null;
  const growth = empty === null || full === null ? null : full / empty;
  add(
    "footprint",
    `RSS flat from 0 to ${top.toLocaleString("en-US")} pending (≤ ${FLAT_RSS_FACTOR}× the empty store's)`,
    growth === null ? "–" : `${growth.toFixed(2)}×`,
    growth === null ? null : growth <= FLAT_RSS_FACTOR,
  );

  const rec = r.recovery.find((x) => x.system === HOURGLASS);
  add(
    "recovery",
    "restart to first delivery ≤ 1 s",
    rec?.restartToFirstDeliveryMs == null ? "–" : `${Math.round(rec.restartToFirstDeliveryMs)} ms`,
    rec?.restartToFirstDeliveryMs == null ? null : rec.restartToFirstDeliveryMs <= 1000,
  );
  add("recovery", "recovery: zero lost", rec ? `${rec.lost} lost` : "–", rec ? rec.lost === 0 : null);
  return checks;
}
