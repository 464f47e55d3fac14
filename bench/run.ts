import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import type { Adapter, Session } from "./adapters/adapter.js";
import { bareHonoAdapter } from "./adapters/bare-hono.js";
import { bullmqAdapter } from "./adapters/bullmq.js";
import { hourglassAdapter } from "./adapters/hourglass.js";
import { hourglassPostgresAdapter } from "./adapters/hourglass-postgres.js";
import { pgbossAdapter } from "./adapters/pgboss.js";
import { packageVersion } from "./adapters/versions.js";
import { benchConfig } from "./lib/bench-config.js";
import { describeMachine } from "./lib/machine.js";
import { LOAD_CORE, SERVER_CORE, benchDir, repoRoot } from "./lib/paths.js";
import { pinSelf, stopAll, taskset, waitForQuietCore } from "./lib/processes.js";
import { type StorePinning, pinStoreServers } from "./lib/store-pinning.js";
import {
  renderBurst,
  renderColdBurst,
  renderDocument,
  renderFootprint,
  renderIngest,
  renderPostgresRatios,
  renderPrecision,
  renderProfiles,
  renderRatios,
  renderRecovery,
  renderTargets,
} from "./lib/render.js";
import { HOURGLASS, WORKLOADS, type Workload, emptyResults } from "./lib/results.js";
import { type Sink, startSink } from "./lib/sink.js";
import { checkTargets } from "./lib/targets.js";
import { runBurst } from "./workloads/burst.js";
import { measureFootprint } from "./workloads/footprint.js";
import { type IngestResult, combineIngestRounds, runIngest } from "./workloads/ingest.js";
import { runPrecision } from "./workloads/precision.js";
import { profileWorkload } from "./workloads/profile.js";
import { runColdBurst } from "./workloads/cold-burst.js";
import { runNodeLoss, runRecovery } from "./workloads/recovery.js";
import { type StorageFloorRound, combineStorageFloorRounds, prepareFloorTemplate, runStorageFloorRound } from "./workloads/storage-floor.js";

const USAGE = `npm run bench [-- options]
  --quick            small counts, no million-row fixture (fast iteration)
  --only=LIST        workloads to run: ${WORKLOADS.join(",")}
  --peers=LIST       peers to compare: bullmq,pgboss (default both; "none" for Hourglass alone)
  --pg=LIST          Hourglass on PostgreSQL: 1,3 (nodes; default both; "none" for SQLite alone)
  --profile          profile Hourglass where it misses a target (default in the full run)
  --no-profile       never profile
  --free-stores      leave Redis and PostgreSQL unpinned (default: pinned to the server core with the peer)
  --out=FILE         results file (default bench/results/<date>.md; quick mode: bench/.fixtures/)`;

/** Hard ceiling on one run: whatever is still going then is stopped. */
const RUN_LIMIT_MS = 45 * 60_000;
const SETTLE_MS = 1_500;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      peers: { type: "string", default: "bullmq,pgboss" },
      pg: { type: "string", default: "1,3" },
      profile: { type: "boolean" },
      "no-profile": { type: "boolean", default: false },
      "free-stores": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const only = new Set((values.only ?? WORKLOADS.join(",")).split(",").map((w) => w.trim()));
  for (const w of only) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload "${w}"\n${USAGE}`);
  const runs = (w: Workload): boolean => only.has(w);
  const config = benchConfig(values.quick);
  const profiling = values["no-profile"] ? false : (values.profile ?? !values.quick);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;

  const pinned = pinSelf(LOAD_CORE);
  const stores: StorePinning | null = pinned && !values["free-stores"] ? pinStoreServers(SERVER_CORE) : null;
  const results = emptyResults(config, describeMachine(stores?.pinned ?? null), new Date());
  log(`Hourglass bench (${config.quick ? "quick" : "full"}) on ${results.machine.cpuModel}, ${results.machine.cores} cores, node ${results.machine.node}`);
  log(pinned ? `pinned: ${results.machine.pinning.replace(/^taskset: /, "")}` : "taskset not found: processes are not pinned");

  const hourglass = hourglassAdapter({ synchronous: "NORMAL", log });
  const hourglassFull = hourglassAdapter({ synchronous: "FULL", log });
  const wantedPeers = values.peers === "none" ? [] : (values.peers ?? "").split(",").map((p) => p.trim());
  const wantedPg = values.pg === "none" ? [] : (values.pg ?? "").split(",").map((p) => Number(p.trim()));
  const pgAdapters = new Map<number, Adapter>(wantedPg.map((nodes) => [nodes, hourglassPostgresAdapter({ nodes, log })]));
  const allPeers: [string, Adapter][] = [
    ["bullmq", bullmqAdapter(log)],
    ["pgboss", pgbossAdapter(log)],
  ];
  const peers: Adapter[] = [];
  const prepared: Adapter[] = [hourglass, hourglassFull];
  let sink: Sink | null = null;
  const cleanup = async (): Promise<void> => {
    await stopAll();
    stores?.restore();
    for (const adapter of prepared.splice(0)) await adapter.dispose().catch((e: unknown) => log(`cleanup of ${adapter.name} failed: ${String(e)}`));
    await sink?.close();
    sink = null;
  };
  const abort = (why: string, code: number): void => {
    log(why);
    void cleanup().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => abort("interrupted: stopping every process the bench started", 130));
  process.once("SIGTERM", () => abort("terminated: stopping every process the bench started", 143));
  const watchdog = setTimeout(() => abort(`the run passed its ${RUN_LIMIT_MS / 60_000}-minute limit`, 2), RUN_LIMIT_MS);

  const started = performance.now();
  try {
    for (const adapter of [hourglass]) {
      const reason = await adapter.probe();
      if (reason !== null) throw new Error(reason);
    }
    for (const [nodes, adapter] of [...pgAdapters]) {
      const reason = await adapter.probe();
      if (reason !== null) {
        log(`SKIPPING ${adapter.name}: ${reason}`);
        results.skipped.push({ system: adapter.name, reason });
        pgAdapters.delete(nodes);
        continue;
      }
      await adapter.prepare();
      prepared.push(adapter);
    }
    const pg1 = pgAdapters.get(1);
    const pg3 = pgAdapters.get(3);
    const pgAll = [...pgAdapters.values()];
    for (const [key, adapter] of allPeers) {
      if (!wantedPeers.includes(key)) continue;
      const reason = await adapter.probe();
      if (reason !== null) {
        log(`SKIPPING ${adapter.name}: ${reason}`);
        results.skipped.push({ system: adapter.name, reason });
        await adapter.dispose();
        continue;
      }
      await adapter.prepare();
      prepared.push(adapter);
      peers.push(adapter);
    }
    results.versions = {
      ...(await hourglass.versions()),
      hono: packageVersion("hono"),
      "@hono/node-server": packageVersion("@hono/node-server"),
      undici: packageVersion("undici"),
      "better-sqlite3": packageVersion("better-sqlite3"),
      kysely: packageVersion("kysely"),
    };
    for (const adapter of [...peers, ...pgAll]) Object.assign(results.versions, await adapter.versions());
    for (const adapter of [hourglass, hourglassFull, ...pgAll, ...peers]) results.durability.push({ system: adapter.name, text: adapter.durability });
    log(`versions: ${Object.entries(results.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    sink = await startSink();
    const activeSink = sink;
    const fireSystems = [hourglass, ...pgAll, ...peers];

    const attempt = async <T>(workload: string, system: string, fn: () => Promise<T>): Promise<T | null> => {
      log(`… ${workload}: ${system} (at ${((performance.now() - started) / 1000).toFixed(0)} s)`);
      try {
        return await fn();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`FAILED ${workload} / ${system}: ${message}`);
        results.failures.push({ workload, system, message });
        await stopAll();
        return null;
      }
    };

    // Before every measured run: what the previous system left running on the server core
    // (PostgreSQL's writeback after pg-boss, the kernel writing a copied fixture) is not charged to the next.
    const waitQuiet = async (): Promise<void> => {
      const stillBusy = taskset() === null ? null : await waitForQuietCore(SERVER_CORE);
      if (stillBusy !== null) log(`  core ${SERVER_CORE} still ${(stillBusy * 100).toFixed(0)}% busy after 30 s of waiting for it to go quiet`);
    };

    if (runs("ingest")) {
      const systems = [bareHonoAdapter(), hourglass, hourglassFull, ...pgAll, ...peers];
      const rounds = systems.map((): (IngestResult | null)[] => []);
      const floorRounds: (StorageFloorRound | null)[] = [];
      const floorTemplate = await attempt("ingest", "the durable write alone: template", () => prepareFloorTemplate(activeSink.url));
      const roundLabel = (name: string, round: number): string => (config.ingest.rounds > 1 ? `${name}, round ${round}` : name);
      try {
        for (let round = 1; round <= config.ingest.rounds; round++) {
          for (const [i, adapter] of systems.entries()) {
            await waitQuiet();
            rounds[i]!.push(await attempt("ingest", roundLabel(adapter.name, round), () => runIngest(adapter, config, activeSink.url)));
          }
          if (floorTemplate === null) continue;
          await waitQuiet();
          floorRounds.push(await attempt("ingest", roundLabel("the durable write alone", round), () => runStorageFloorRound(floorTemplate, config)));
        }
      } finally {
        await floorTemplate?.dispose();
      }
      for (const measured of rounds) {
        const combined = combineIngestRounds(measured);
        if (combined) results.ingest.push(combined);
      }
      results.storageFloor = combineStorageFloorRounds(floorRounds, config.ingest.concurrency);
      log(`\n${renderIngest(results)}\n`);
    }
    const ingestRate = (name: string): number | undefined => results.ingest.find((x) => x.system === name)?.acceptedPerSec;

    if (runs("burst")) {
      for (const adapter of fireSystems) {
        await waitQuiet();
        const r = await attempt("burst", adapter.name, () => runBurst(adapter, config, activeSink, ingestRate(adapter.name)));
        if (r) results.burst.push(r);
      }
      log(`\n${renderBurst(results)}\n`);
    }

    if (runs("precision") || runs("footprint")) {
      const levels = config.pendingLevels;
      const precisionLevels = new Set([levels[0], levels[levels.length - 1]]);
      // On PostgreSQL, the issue's figures are per node of three: the one-node configuration is skipped here.
      for (const adapter of [hourglass, ...(pg3 ? [pg3] : pg1 ? [pg1] : []), ...peers]) {
        for (const pending of levels) {
          await attempt(runs("footprint") ? "footprint/precision" : "precision", `${adapter.name} @ ${pending}`, async () => {
            const session: Session = await adapter.start({ pending });
            try {
              if (runs("footprint")) results.footprint.push(await measureFootprint(adapter.name, session, pending, SETTLE_MS));
              if (runs("precision") && precisionLevels.has(pending)) {
                await waitQuiet();
                results.precision.push(await runPrecision(adapter.name, session, pending, config, activeSink));
              }
            } finally {
              await session.stop();
            }
          });
        }
      }
      if (runs("precision")) log(`\n${renderPrecision(results)}\n`);
      if (runs("footprint")) log(`\n${renderFootprint(results)}\n`);
    }

    if (runs("recovery")) {
      for (const adapter of [hourglass, ...(pg1 ? [pg1] : []), ...peers]) {
        await waitQuiet();
        const r = await attempt("recovery", adapter.name, () => runRecovery(adapter, config, activeSink, ingestRate(adapter.name)));
        if (r) results.recovery.push(r);
      }
      if (pg3) {
        await waitQuiet();
        const r = await attempt("recovery", `${pg3.name}, one killed`, () => runNodeLoss(pg3, config, activeSink, ingestRate(pg3.name)));
        if (r) results.nodeLoss.push(r);
      }
      log(`\n${renderRecovery(results)}\n`);
    }

    if (runs("coldburst")) {
      for (const adapter of [hourglass, ...(pg1 ? [pg1] : [])]) {
        await waitQuiet();
        const r = await attempt("coldburst", adapter.name, () => runColdBurst(adapter, config, activeSink, ingestRate(adapter.name)));
        if (r) results.coldBurst.push(r);
      }
      log(`\n${renderColdBurst(results)}\n`);
    }

    if (peers.length > 0) log(`\n${renderRatios(results)}\n\n${renderPostgresRatios(results)}\n`);
    const checks = checkTargets(results);
    log(`\n${renderTargets(checks)}\n`);

    if (profiling) {
      const missed = (w: Workload): string[] => checks.filter((c) => c.workload === w && c.system === HOURGLASS && c.met === false).map((c) => c.target);
      const top = config.pendingLevels[config.pendingLevels.length - 1] ?? 0;
      const jobs: [Workload, (a: Adapter) => Promise<unknown>][] = [
        ["ingest", (a) => runIngest(a, config, activeSink.url)],
        ["burst", (a) => runBurst(a, config, activeSink, ingestRate(HOURGLASS))],
        [
          "precision",
          async (a) => {
            const session = await a.start({ pending: top });
            try {
              await runPrecision(HOURGLASS, session, top, config, activeSink);
            } finally {
              await session.stop();
            }
          },
        ],
        ["recovery", (a) => runRecovery(a, config, activeSink, ingestRate(HOURGLASS))],
      ];
      for (const [workload, job] of jobs) {
        const why = missed(workload);
        if (why.length === 0) continue;
        const run = await attempt("profile", `${HOURGLASS} ${workload}`, () => profileWorkload(workload, why, hourglass, job));
        if (run) results.profiles.push(run);
      }
      if (results.profiles.length > 0) log(`\n${renderProfiles(results.profiles)}`);
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }

  results.elapsedMs = performance.now() - started;
  const date = results.startedAt.toISOString().slice(0, 10);
  const out = values.out ?? (config.quick ? join(benchDir, ".fixtures", `quick-${date}.md`) : join(benchDir, "results", `${date}.md`));
  await mkdir(join(out, ".."), { recursive: true });
  await writeFile(out, renderDocument(results, command));
  log(`results written to ${relative(repoRoot, out)} (${(results.elapsedMs / 1000).toFixed(0)} s)`);
  return results.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
