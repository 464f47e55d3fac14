import { pairedRateRatio } from "../workloads/ingest.js";
import { CEILING, HOURGLASS, HOURGLASS_PG, HOURGLASS_PG3, type BenchResults, type Workload } from "./results.js";

/** Cold burst's rate as a share of the warm one's that meets issue 16's target. */
export const COLD_OVER_WARM_TARGET = 0.8;

/** One target of issue 3 (SQLite) or issue 16 (PostgreSQL) and whether this run met it. */
export interface TargetCheck {
  workload: Workload;
  /** The Hourglass configuration the target is about (only Hourglass's own are profiled). */
  system: string;
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
  let system = HOURGLASS;
  const add = (workload: Workload, target: string, measured: string, met: boolean | null): void => {
    checks.push({ workload, system, target, measured, met });
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
  checkColdBurst(r, HOURGLASS, add);

  // Issue 16: Hourglass on PostgreSQL, one node and three.
  const ran = (name: string): boolean =>
    [r.ingest, r.burst, r.precision, r.footprint, r.nodeLoss, r.coldBurst].some((list: { system: string }[]) => list.some((x) => x.system === name));
  if (!ran(HOURGLASS_PG) && !ran(HOURGLASS_PG3)) return checks;
  system = HOURGLASS_PG;
  const pgIngest = r.ingest.find((x) => x.system === HOURGLASS_PG);
  const pgVsBull = pairedRateRatio(pgIngest, bullIngest);
  add("ingest", "PostgreSQL: ingest ≥ 1.5× BullMQ", pgVsBull === null ? "–" : `${pgVsBull.toFixed(2)}×`, pgVsBull === null ? null : pgVsBull >= 1.5);
  const pgVsBoss = pairedRateRatio(pgIngest, r.ingest.find((x) => x.system === "pg-boss"));
  add("ingest", "PostgreSQL: ingest ≥ 8× pg-boss", pgVsBoss === null ? "–" : `${pgVsBoss.toFixed(2)}×`, pgVsBoss === null ? null : pgVsBoss >= 8);
  checkColdBurst(r, HOURGLASS_PG, add);
  system = HOURGLASS_PG3;
  const pg3Burst = r.burst.find((x) => x.system === HOURGLASS_PG3);
  const pg3BurstRatio = pg3Burst?.deliveriesPerSec && bullBurst?.deliveriesPerSec ? pg3Burst.deliveriesPerSec / bullBurst.deliveriesPerSec : null;
  add("burst", "PostgreSQL, 3 nodes: fire burst ≥ 2× BullMQ", pg3BurstRatio === null ? "–" : `${pg3BurstRatio.toFixed(2)}×`, pg3BurstRatio === null ? null : pg3BurstRatio >= 2);
  const pg3Idle = r.precision.find((x) => x.system === HOURGLASS_PG3 && x.pending === 0);
  add(
    "precision",
    "PostgreSQL, 3 nodes: lateness p99 ≤ 10 ms idle",
    pg3Idle ? `${f1(pg3Idle.latenessP99Ms)} ms` : "–",
    pg3Idle?.latenessP99Ms == null ? null : pg3Idle.latenessP99Ms <= 10 && pg3Idle.undelivered === 0,
  );
  const loss = r.nodeLoss.find((x) => x.system === HOURGLASS_PG3);
  add(
    "recovery",
    "PostgreSQL, 3 nodes: one killed, its in-flight triggers delivered again ≤ 5 s",
    loss?.killToReleasedDeliveredMs == null ? "–" : `${Math.round(loss.killToReleasedDeliveredMs)} ms (${loss.leasedByKilled} triggers)`,
    loss?.killToReleasedDeliveredMs == null ? null : loss.killToReleasedDeliveredMs <= 5000,
  );
  add("recovery", "PostgreSQL, 3 nodes: one killed, zero lost", loss ? `${loss.lost} lost` : "–", loss ? loss.lost === 0 : null);
  // Without kills: every burst, cold burst and precision run of either PostgreSQL configuration.
  const pgNames = [HOURGLASS_PG, HOURGLASS_PG3];
  const clean = [
    ...r.burst.filter((x) => pgNames.includes(x.system)).map((x) => ({ lost: x.lost, duplicated: x.duplicated })),
    ...r.coldBurst.filter((x) => pgNames.includes(x.system)).map((x) => ({ lost: x.lost, duplicated: x.duplicated })),
    ...r.precision.filter((x) => pgNames.includes(x.system)).map((x) => ({ lost: x.undelivered, duplicated: x.duplicated })),
  ];
  const dup = clean.reduce((n, x) => n + x.duplicated, 0);
  const lostPg = clean.reduce((n, x) => n + x.lost, 0);
  add("burst", "PostgreSQL: zero duplicated, zero lost without kills (bursts, cold bursts, probes)", clean.length === 0 ? "–" : `${dup} duplicated, ${lostPg} lost`, clean.length === 0 ? null : dup === 0 && lostPg === 0);
  const pgPrints = r.footprint.filter((x) => x.system === HOURGLASS_PG3);
  const pgEmpty = pgPrints.find((x) => x.pending === 0)?.footprint.processRssBytes ?? null;
  const pgFull = pgPrints.find((x) => x.pending === top && top > 0)?.footprint.processRssBytes ?? null;
  const pgGrowth = pgEmpty === null || pgFull === null ? null : pgFull / pgEmpty;
  add(
    "footprint",
    `PostgreSQL, 3 nodes: RSS per node flat from 0 to ${top.toLocaleString("en-US")} pending (largest node ≤ ${FLAT_RSS_FACTOR}× the empty store's)`,
    pgGrowth === null ? "–" : `${pgGrowth.toFixed(2)}× (${(pgFull! / 1e6).toFixed(1)} MB)`,
    pgGrowth === null ? null : pgGrowth <= FLAT_RSS_FACTOR,
  );
  return checks;
}

/** Issue 16: the first burst after a fresh start at ≥ 80% of a warm one's rate. */
function checkColdBurst(r: BenchResults, system: string, add: (workload: Workload, target: string, measured: string, met: boolean | null) => void): void {
  const cold = r.coldBurst.find((x) => x.system === system);
  if (cold === undefined && !r.coldBurst.some(() => true)) return;
  const share = cold?.coldOverWarm ?? null;
  add(
    "coldburst",
    `${system === HOURGLASS ? "SQLite" : "PostgreSQL"}: cold burst ≥ ${COLD_OVER_WARM_TARGET * 100}% of a warm one`,
    share === null ? "–" : `${(share * 100).toFixed(0)}% (${Math.round(cold!.cold.deliveriesPerSec ?? 0)} vs ${Math.round(cold!.warmPerSec ?? 0)}/s)`,
    share === null ? null : share >= COLD_OVER_WARM_TARGET,
  );
}
