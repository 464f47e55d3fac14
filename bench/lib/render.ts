import { perPending } from "../workloads/footprint.js";
import { DELIVERY_WINDOW_MS } from "../workloads/precision.js";
import { CONNECTIONS_PER_ORIGIN, DELIVERY_CONCURRENCY } from "./paths.js";
import { markdownTable, mb, ms, num, pct, ratio, times } from "./report.js";
import { pairedRateRatio } from "../workloads/ingest.js";
import { type BenchResults, CEILING, HOURGLASS, HOURGLASS_PG, HOURGLASS_PG3, PEERS, type ProfileRun } from "./results.js";
import { COLD_OVER_WARM_TARGET, type TargetCheck, checkTargets } from "./targets.js";

const ORIENTATION = "Ratios are Hourglass ÷ peer, oriented so that > 1 means Hourglass is better.";

/** Section 1: ingest. */
export function renderIngest(r: BenchResults): string {
  const ceiling = r.ingest.find((x) => x.system === CEILING);
  const hg = r.ingest.find((x) => x.system === HOURGLASS);
  const hgPg = r.ingest.find((x) => x.system === HOURGLASS_PG);
  const { concurrency, durationMs, rounds } = r.config.ingest;
  const rows = r.ingest.map((x) => {
    const share = pairedRateRatio(x, ceiling);
    const vsHourglass = pairedRateRatio(hg, x);
    const vsPostgres = pairedRateRatio(hgPg, x);
    return [
      x.system,
      num(x.acceptedPerSec),
      x.roundRates.map((rate) => (rate === null ? "failed" : num(rate))).join(" / "),
      ms(x.ackP50Ms),
      ms(x.ackP99Ms),
      num(x.refused + x.errors),
      x.serverCpuMicrosPerAccepted === null ? "–" : num(x.serverCpuMicrosPerAccepted, 1),
      share === null ? "–" : pct(share),
      x.system.startsWith(HOURGLASS) || x.system === CEILING ? "" : times(vsHourglass),
      ...(hgPg === undefined ? [] : [x.system.startsWith(HOURGLASS) || x.system === CEILING ? "" : times(vsPostgres)]),
    ];
  });
  const cpuShare =
    hg?.serverCpuMicrosPerAccepted && ceiling?.serverCpuMicrosPerAccepted
      ? [`By server-core CPU per accepted request (median rounds), the ceiling costs ${pct(ceiling.serverCpuMicrosPerAccepted / hg.serverCpuMicrosPerAccepted)} of what Hourglass does.`]
      : [];
  const each = rounds > 1 ? `, ${rounds} rounds (every system once per round, in turn)` : "";
  return [
    `## 1. Ingest — closed loop, concurrency ${concurrency}, 1 KB bodies due in an hour, ${durationMs / 1000} s${each}`,
    "",
    markdownTable(
      [
        "system",
        "accepted/s",
        "each round",
        "ack p50 ms",
        "ack p99 ms",
        "refused+errors",
        "server-core µs/req",
        "of ceiling",
        "Hourglass ÷ this",
        ...(hgPg === undefined ? [] : ["Hourglass (PostgreSQL) ÷ this"]),
      ],
      rows,
    ),
    "",
    "Accepted = 2xx after the store acknowledged. The ceiling is Hono reading the body and answering JSON, storing nothing.",
    ...(r.ingest.some((x) => x.system === HOURGLASS_PG3) ? [`${HOURGLASS_PG3}: the ${concurrency} callers spread round robin over the three processes.`] : []),
    "server-core µs/req: busy time of the core the system under test is pinned to (process, store server, kernel) per accepted request, in the median round — the cost of a request, whether or not the load generator's core kept up.",
    ...(rounds > 1
      ? ["accepted/s and the ack latencies are the median round's; \"of ceiling\" and \"Hourglass ÷ this\" are the median of the per-round ratios (runs a few seconds apart)."]
      : []),
    ...cpuShare,
    ...renderStorageFloor(r),
  ].join("\n");
}

/** Part of section 1: the ingest's durable write alone, beside the ceiling and Hourglass. */
function renderStorageFloor(r: BenchResults): string[] {
  const floor = r.storageFloor;
  if (floor === null) return [];
  const ceilingCpu = r.ingest.find((x) => x.system === CEILING)?.serverCpuMicrosPerAccepted ?? null;
  const hourglassCpu = r.ingest.find((x) => x.system === HOURGLASS)?.serverCpuMicrosPerAccepted ?? null;
  const floorCpu = floor.serverCpuMicrosPerRow;
  const budget =
    floorCpu !== null && ceilingCpu !== null && hourglassCpu !== null
      ? [
          "",
          `50% of the ceiling's rate, with the server core as the bottleneck, means at most 2× the ceiling's CPU per request: the ceiling's own HTTP work plus one ceiling's worth (${num(ceilingCpu, 1)} µs) for everything else. ` +
            `The durable write alone takes ${num(floorCpu, 1)} µs of it (${pct(floorCpu / ceilingCpu)}); Hourglass's whole request costs the ceiling's plus ${num(hourglassCpu - ceilingCpu, 1)} µs.`,
        ]
      : [];
  return [
    "",
    `### The durable write alone — ${floor.rowsPerTransaction} rows per transaction, no HTTP`,
    "",
    markdownTable(
      ["what", "rows/s", "each round", "server-core µs/row", "÷ ceiling's µs/req"],
      [["SQLite write alone", num(floor.rowsPerSec), floor.roundRates.map((rate) => (rate === null ? "failed" : num(rate))).join(" / "), num(floorCpu, 1), floorCpu === null || ceilingCpu === null ? "–" : times(floorCpu / ceilingCpu)]],
    ),
    "",
    `\`bench/adapters/sqlite-floor-writer.ts\`, pinned to the server core, after each round of the systems above: the row Hourglass stored for this workload's request, cloned with fresh ids and times into an empty store, ` +
      `${floor.rowsPerTransaction} rows per transaction (one multi-row INSERT and the month-usage upsert, as Hourglass's group commit writes them — the largest group ${floor.rowsPerTransaction} callers can make, so the cheapest per row), ` +
      "WAL, synchronous=NORMAL, SQLite's own checkpoints. No HTTP, no authentication, no parsing: what storing the requests costs before anything else.",
    ...budget,
  ];
}

/** Section 2: fire burst. */
export function renderBurst(r: BenchResults): string {
  const hg = r.burst.find((x) => x.system === HOURGLASS);
  const pg3 = r.burst.find((x) => x.system === HOURGLASS_PG3);
  const rows = r.burst.map((x) => [
    x.system,
    num(x.scheduled),
    num(x.deliveriesPerSec),
    x.roundRates.map((rate) => num(rate)).join(" / "),
    ms(x.latenessP50Ms),
    ms(x.latenessP99Ms),
    ms(x.latenessMaxMs),
    num(x.lost),
    num(x.duplicated),
    x.system.startsWith(HOURGLASS) ? "" : ratio(hg?.deliveriesPerSec, x.deliveriesPerSec),
    ...(pg3 === undefined ? [] : [x.system.startsWith(HOURGLASS) ? "" : ratio(pg3.deliveriesPerSec, x.deliveriesPerSec)]),
  ]);
  const notes = r.burst.filter((x) => x.note !== null).map((x) => `- ${x.system}: ${x.note}`);
  return [
    `## 2. Fire burst — ${num(r.config.burst.count)} triggers due at one instant, ${r.config.burst.rounds} times, after a warm-up burst of ${num(r.config.burst.warmup)}`,
    "",
    markdownTable(
      [
        "system",
        "scheduled",
        "deliveries/s",
        "each round",
        "late p50 ms",
        "late p99 ms",
        "late max ms",
        "lost",
        "duplicated",
        "Hourglass ÷ this (rate)",
        ...(pg3 === undefined ? [] : [`${HOURGLASS_PG3} ÷ this`]),
      ],
      rows,
    ),
    "",
    "Deliveries/s: unique ids over the time from the due instant to the last first arrival, of the median round (by rate); lateness is that round's too, " +
      "lost and duplicated count every round, and scheduled is the total. Lateness: first arrival at the sink minus the due instant. " +
      "The warm-up burst runs first in the same process and is not measured: every system's delivery path is then optimized code with open connections, as in a server that has been up for a while.",
    ...notes,
  ].join("\n");
}

/** Section 3: precision. */
export function renderPrecision(r: BenchResults): string {
  const { probes, warmupProbes, intervalMs, leadMs } = r.config.precision;
  const rows = r.precision.map((x) => {
    const hg = r.precision.find((h) => h.system === HOURGLASS && h.pending === x.pending);
    return [
      x.system,
      num(x.pending),
      ms(x.firstProbeMs),
      ms(x.latenessP50Ms),
      ms(x.latenessP99Ms),
      ms(x.latenessMaxMs),
      num(x.early),
      num(x.undelivered),
      num(x.refused),
      num(x.duplicated),
      x.system.startsWith(HOURGLASS) ? "" : ratio(x.latenessP99Ms, hg?.latenessP99Ms),
    ];
  });
  return [
    `## 3. Precision — ${probes} probes due every ${intervalMs} ms, each posted ${leadMs} ms ahead, after ${warmupProbes} warm-up probes`,
    "",
    markdownTable(
      ["system", "pending", "first probe ms", "late p50 ms", "late p99 ms", "late max ms", "early", "undelivered", "post failed", "duplicated", "Hourglass ÷ this (p99)"],
      rows,
    ),
    "",
    ...(r.precision.some((x) => x.system === HOURGLASS_PG3) ? [`${HOURGLASS_PG3}: probe i is posted to node i mod 3; any node may fire it.`, ""] : []),
    "First probe: lateness of the first warm-up probe after the process started (cold code paths and connections); the other columns count the probes after the warm-up. " +
      `Lateness includes the delivery's own loopback round trip to the sink; it is computed over delivered probes. Undelivered: not at the sink ${DELIVERY_WINDOW_MS / 1000} s after the last due instant. ` +
      `Post failed: /schedule did not answer 200 within ${DELIVERY_WINDOW_MS / 1000} s. Pending triggers are due 7–37 days later.`,
  ].join("\n");
}

/** Section 4: footprint. */
export function renderFootprint(r: BenchResults): string {
  const rows = r.footprint.map((x) => {
    const empty = r.footprint.find((e) => e.system === x.system && e.pending === 0);
    const f = x.footprint;
    return [
      x.system,
      num(x.pending),
      f.nodeRssBytes === undefined ? mb(f.processRssBytes) : `${mb(f.processRssBytes)} (${f.nodeRssBytes.map((b) => mb(b)).join(" / ")})`,
      mb(f.storeMemoryBytes),
      mb(f.diskBytes),
      num(perPending(x, empty, (g) => g.diskBytes)),
      num(perPending(x, empty, (g) => (g.processRssBytes ?? 0) + (g.storeMemoryBytes ?? 0))),
    ];
  });
  return [
    "## 4. Footprint — memory and disk per pending trigger (1 KB bodies)",
    "",
    markdownTable(["system", "pending", "process RSS", "store server memory", "on disk", "disk B/pending", "memory B/pending"], rows),
    "",
    "Process RSS: the process serving /schedule and firing. Store server memory: Redis `used_memory` growth for this run " +
      "(PostgreSQL's shared buffers are fixed and not attributed). On disk: SQLite file + WAL; Redis AOF after a rewrite; " +
      "pg-boss's and Hourglass-on-PostgreSQL's tables with indexes and TOAST (WAL not counted). Per-pending figures are growth over the empty store. " +
      "Several nodes: the largest node's RSS, then each node's; memory per pending from the largest.",
  ].join("\n");
}

/** Section 5: recovery. */
export function renderRecovery(r: BenchResults): string {
  const hg = r.recovery.find((x) => x.system === HOURGLASS);
  const rows = r.recovery.map((x) => [
    x.system,
    num(x.scheduled),
    num(x.deliveredBeforeKill),
    ms(x.restartToReadyMs),
    ms(x.restartToFirstDeliveryMs),
    ms(x.restartToAllDeliveredMs),
    num(x.lost),
    num(x.duplicated),
    x.system === HOURGLASS ? "" : ratio(x.restartToFirstDeliveryMs, hg?.restartToFirstDeliveryMs),
  ]);
  const { count, leaseMs, killAfterFraction } = r.config.recovery;
  return [
    `## 5. Recovery — ${num(count)} triggers due at one instant, kill -9 after ${killAfterFraction * 100}% delivered, restart at once`,
    "",
    markdownTable(
      ["system", "scheduled", "delivered before kill", "restart→ready ms", "restart→first delivery ms", "restart→all delivered ms", "lost", "duplicated", "Hourglass ÷ this (first)"],
      rows,
    ),
    "",
    `Every system runs with a ${leaseMs / 1000} s lease for this workload (Hourglass: attempt timeout + lease margin; BullMQ: lockDuration; ` +
      "pg-boss: expireIn, maintenance every second). Duplicates are deliveries in flight at the kill, sent again after their lease: at-least-once.",
    ...renderNodeLoss(r),
  ].join("\n");
}

/** Part of section 5: one node of several killed, the others carry on. */
function renderNodeLoss(r: BenchResults): string[] {
  if (r.nodeLoss.length === 0) return [];
  const { count, killAfterFraction } = r.config.recovery;
  return [
    "",
    `### One node of three killed — ${num(count)} triggers due at one instant, posted round robin, kill -9 of one node after ${killAfterFraction * 100}% delivered, no restart`,
    "",
    markdownTable(
      ["system", "scheduled", "delivered before kill", "leased by the killed node", "kill→those delivered again ms", "kill→all delivered ms", "lost", "duplicated"],
      r.nodeLoss.map((x) => [x.system, num(x.scheduled), num(x.deliveredBeforeKill), num(x.leasedByKilled), ms(x.killToReleasedDeliveredMs), ms(x.killToAllDeliveredMs), num(x.lost), num(x.duplicated)]),
    ),
    "",
    "Default leases (attempt timeout 30 s + margin 30 s): the killed node's triggers come back because the other nodes see its heartbeat stop (dead after 3 s) and release its leases, not because a lease ran out. " +
      "Leased by the killed node: the triggers the store shows it claimed and had not finished when it died, read right after the kill; kill→those delivered again: until the last of them arrived at the sink again, from another node. " +
      "Duplicates are those of them it had delivered before dying without recording it: at-least-once.",
  ];
}

/** Section 6: the first burst after a fresh start beside warm ones. */
export function renderColdBurst(r: BenchResults): string {
  if (r.coldBurst.length === 0) return "";
  const { count, warmRounds } = r.config.coldBurst;
  return [
    `## 6. Cold start — a burst of ${num(count)} right after a fresh start (no warm-up), then ${warmRounds} more in the same process`,
    "",
    markdownTable(
      ["system", "cold deliveries/s", "cold late p50 ms", "cold late p99 ms", "warm deliveries/s", "each warm burst", "cold ÷ warm", "lost", "duplicated"],
      r.coldBurst.map((x) => [
        x.system,
        num(x.cold.deliveriesPerSec),
        ms(x.cold.latenessP50Ms),
        ms(x.cold.latenessP99Ms),
        num(x.warmPerSec),
        x.warmRates.map((rate) => num(rate)).join(" / "),
        x.coldOverWarm === null ? "–" : pct(x.coldOverWarm),
        num(x.lost),
        num(x.duplicated),
      ]),
    ),
    "",
    `The cold burst is the first thing the new process is asked to do: its ${num(count)} triggers are posted ahead of their due instant (so /schedule has run by then), and the delivery path — claims, deliveries, outcomes, connections to the target — runs for the first time at the due instant. ` +
      `Warm deliveries/s: the median warm burst (the lower one of two). Target (issue 16): cold ≥ ${pct(COLD_OVER_WARM_TARGET)} of warm.`,
    ...r.coldBurst.filter((x) => x.note !== null).map((x) => `- ${x.system}: ${x.note}`),
  ].join("\n");
}

/** Hourglass ÷ each peer for every headline figure. */
export function renderRatios(r: BenchResults): string {
  const peers = PEERS.filter((p) => !r.skipped.some((s) => s.system === p));
  const top = r.config.pendingLevels[r.config.pendingLevels.length - 1] ?? 0;
  const find = <T extends { system: string }>(list: T[], system: string, extra: (x: T) => boolean = () => true): T | undefined =>
    list.find((x) => x.system === system && extra(x));
  const memoryAtTop = (system: string): number | null => {
    const x = find(r.footprint, system, (f) => f.pending === top);
    return x ? (x.footprint.processRssBytes ?? 0) + (x.footprint.storeMemoryBytes ?? 0) : null;
  };
  const diskPer = (system: string): number | null => {
    const at = find(r.footprint, system, (f) => f.pending === top);
    const empty = find(r.footprint, system, (f) => f.pending === 0);
    return at ? perPending(at, empty, (f) => f.diskBytes) : null;
  };
  const figures: [string, (peer: string) => string][] = [
    ["ingest accepted/s", (p) => times(pairedRateRatio(find(r.ingest, HOURGLASS), find(r.ingest, p)))],
    ["ingest ack p99", (p) => ratio(find(r.ingest, p)?.ackP99Ms, find(r.ingest, HOURGLASS)?.ackP99Ms)],
    ["burst deliveries/s", (p) => ratio(find(r.burst, HOURGLASS)?.deliveriesPerSec, find(r.burst, p)?.deliveriesPerSec)],
    ["burst lateness p99", (p) => ratio(find(r.burst, p)?.latenessP99Ms, find(r.burst, HOURGLASS)?.latenessP99Ms)],
    ...r.config.pendingLevels
      .filter((level) => r.precision.some((x) => x.pending === level))
      .map((level): [string, (peer: string) => string] => [
        `precision p99, ${num(level)} pending`,
        (p) => ratio(find(r.precision, p, (x) => x.pending === level)?.latenessP99Ms, find(r.precision, HOURGLASS, (x) => x.pending === level)?.latenessP99Ms),
      ]),
    [`memory at ${num(top)} pending`, (p) => ratio(memoryAtTop(p), memoryAtTop(HOURGLASS))],
    ["disk bytes per pending", (p) => ratio(diskPer(p), diskPer(HOURGLASS))],
    ["restart → first delivery", (p) => ratio(find(r.recovery, p)?.restartToFirstDeliveryMs, find(r.recovery, HOURGLASS)?.restartToFirstDeliveryMs)],
  ];
  return [
    "## Ratios — Hourglass ÷ peer",
    "",
    markdownTable(["figure", ...peers], figures.map(([name, f]) => [name, ...peers.map(f)])),
    "",
    ORIENTATION + " Memory for pg-boss counts only its Node process (PostgreSQL's memory is not attributed), which flatters it.",
  ].join("\n");
}

/** Hourglass on PostgreSQL ÷ each peer for the figures issue 16 sets targets on. */
export function renderPostgresRatios(r: BenchResults): string {
  const peers = PEERS.filter((p) => !r.skipped.some((s) => s.system === p));
  const systems = [HOURGLASS_PG, HOURGLASS_PG3].filter((name) => [r.ingest, r.burst, r.precision].some((list: { system: string }[]) => list.some((x) => x.system === name)));
  if (systems.length === 0 || peers.length === 0) return "";
  const find = <T extends { system: string }>(list: T[], system: string, extra: (x: T) => boolean = () => true): T | undefined =>
    list.find((x) => x.system === system && extra(x));
  const figures: [string, (system: string, peer: string) => string][] = [
    ["ingest accepted/s", (s, p) => times(pairedRateRatio(find(r.ingest, s), find(r.ingest, p)))],
    ["burst deliveries/s", (s, p) => ratio(find(r.burst, s)?.deliveriesPerSec, find(r.burst, p)?.deliveriesPerSec)],
    ["precision p99, 0 pending", (s, p) => ratio(find(r.precision, p, (x) => x.pending === 0)?.latenessP99Ms, find(r.precision, s, (x) => x.pending === 0)?.latenessP99Ms)],
  ];
  const columns = systems.flatMap((s) => peers.map((p) => [s, p] as const));
  return [
    "## Ratios — Hourglass on PostgreSQL ÷ peer",
    "",
    markdownTable(["figure", ...columns.map(([s, p]) => `${s.replace("Hourglass ", "")} ÷ ${p}`)], figures.map(([name, f]) => [name, ...columns.map(([s, p]) => f(s, p))])),
    "",
    `${ORIENTATION} "–": not measured for that configuration in this run.`,
  ].join("\n");
}

/** The targets with met / missed. */
export function renderTargets(checks: TargetCheck[]): string {
  const mark = (met: boolean | null): string => (met === null ? "not measured" : met ? "met" : "**missed**");
  return [
    "## Targets (issue 3 for Hourglass on SQLite; issue 16 for PostgreSQL and the cold start)",
    "",
    markdownTable(["target", "measured", "result"], checks.map((c) => [c.target, c.measured, mark(c.met)])),
  ].join("\n");
}

/** Where Hourglass's CPU time went in each profiled workload. */
export function renderProfiles(profiles: ProfileRun[]): string {
  if (profiles.length === 0) return "";
  const parts = ["## Profiles — where Hourglass's time goes", ""];
  for (const p of profiles) {
    parts.push(
      `### ${p.workload} (missed: ${p.missed.join("; ")})`,
      "",
      `\`node --cpu-prof dist/main.js\` (the build before bundling, so time is attributed to modules) during the same workload: ${num(p.summary.busyMs)} ms busy, ${num(p.summary.idleMs)} ms idle. Profile: \`${p.file}\` (open in Chrome DevTools or speedscope for a flame graph).`,
      "",
      markdownTable(["area (self time)", "ms", "share of busy"], p.summary.areas.slice(0, 12).map((a) => [a.name, num(a.selfMs), pct(a.share)])),
      "",
      markdownTable(["function (self time)", "ms", "share of busy"], p.summary.functions.slice(0, 15).map((f) => [f.name, num(f.selfMs), pct(f.share)])),
      "",
      markdownTable(
        ["innermost Hourglass function on the stack (time incl. libraries)", "ms", "share of busy"],
        p.summary.owners.slice(0, 15).map((f) => [f.name, num(f.selfMs), pct(f.share)]),
      ),
      "",
    );
  }
  return parts.join("\n");
}

/** The whole results document. */
export function renderDocument(r: BenchResults, command: string): string {
  const m = r.machine;
  const header = [
    `# Hourglass benchmark — ${r.startedAt.toISOString().slice(0, 10)}${r.config.quick ? " (quick mode: small counts, not the issue-3 figures)" : ""}`,
    "",
    `Produced by \`${command}\` in ${num(r.elapsedMs / 1000)} s. Every number below was measured by that run.`,
    "",
    "## Machine and versions",
    "",
    markdownTable(
      ["", ""],
      [
        ["CPU", m.cpuModel],
        ["cores", String(m.cores)],
        ["memory", `${m.memoryGiB} GiB`],
        ["kernel", m.kernel],
        ["node", m.node],
        ["hourglass commit", m.commit],
        ["pinning", m.pinning],
        ["load average at start (1/5/15 min)", m.loadAtStart],
        ...Object.entries(r.versions).map(([k, v]) => [k, v]),
      ],
    ),
    "",
    "## Fairness",
    "",
    ...r.durability.map((d) => `- ${d.system}: ${d.text}.`),
    "- Every run starts on an empty store (new SQLite file, new Redis queue keys, pg-boss schema dropped and recreated, a new PostgreSQL schema for Hourglass per session — its pending-trigger fixtures are kept schemas, reset after each session).",
    `- Same outbound client everywhere: an undici \`Agent\` with ${CONNECTIONS_PER_ORIGIN} connections per origin; the peers replay the stored method, headers and body. ` +
      `Hourglass's dispatcher, BullMQ's Worker and pg-boss's batches all run ${DELIVERY_CONCURRENCY} deliveries at a time.`,
    "- pg-boss is pinned to 10.4.2 in `bench/package.json`: pg-boss 12 needs Node ≥ 22.12, this machine runs Node 20. Its polling is at its minimum, 0.5 s.",
    "- Load generation stays on 127.0.0.1 with bounded request counts and time limits.",
    "- HTTP: the peers' front ends and the ceiling run on Hono (@hono/node-server); Hourglass answers `/schedule` on `node:http` directly (its other routes go through Hono), which saves it what Hono costs the ceiling (measured in pairs once, see bench/README.md; not by this run).",
    ...(m.pinnedStores !== null && m.pinnedStores.length > 0
      ? [
          "- One core per system under test (see pinning above): a peer's Node process and the store server it needs share the server core, as Hourglass and its embedded SQLite do; the load generator and the sink have the other core.",
          "- Hourglass on PostgreSQL gets the same: its process — with 3 nodes, all three processes — and every PostgreSQL process on the server core; the load generator and the sink on the other. Three nodes on one core measure the cost of coordination (claims that skip each other's locked rows, heartbeats, LISTEN/NOTIFY), not a gain from more CPU.",
        ]
      : []),
    ...r.skipped.map((s) => `- **${s.system} skipped**: ${s.reason}.`),
  ];
  const failures =
    r.failures.length === 0
      ? []
      : ["## Failures", "", ...r.failures.map((f) => `- ${f.workload} / ${f.system}: ${f.message.split("\n")[0]}`)];
  return [
    ...header,
    "",
    renderIngest(r),
    "",
    renderBurst(r),
    "",
    renderPrecision(r),
    "",
    renderFootprint(r),
    "",
    renderRecovery(r),
    "",
    renderColdBurst(r),
    "",
    renderRatios(r),
    "",
    renderPostgresRatios(r),
    "",
    renderTargets(checkTargets(r)),
    "",
    renderProfiles(r.profiles),
    ...failures,
    "",
  ].join("\n");
}
