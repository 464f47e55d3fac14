import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTemplateTrigger } from "../adapters/hourglass-fixture.js";
import type { BenchConfig } from "../lib/bench-config.js";
import { kilobyteBody } from "../lib/load.js";
import { SERVER_CORE, compiledAdapters } from "../lib/paths.js";
import { spawnTracked, taskset } from "../lib/processes.js";
import { medianBy } from "../lib/stats.js";
import { ingestCall } from "./ingest.js";

/**
 * The ingest workload's durable write alone (see adapters/sqlite-floor-writer.ts): what storing
 * the requests costs before any HTTP or logic, to set beside the ceiling — the part of a
 * /schedule that no front end can save.
 */
export interface StorageFloorResult {
  rowsPerTransaction: number;
  /** Rows/s of the median round (by rate), and every round's (null for a round that failed). */
  rowsPerSec: number;
  roundRates: (number | null)[];
  /** Server-core busy time per row in the median round, µs; null without pinning. */
  serverCpuMicrosPerRow: number | null;
}

/** One round's raw figures. */
export interface StorageFloorRound {
  rows: number;
  elapsedMs: number;
  busyMicros: number | null;
}

/** A database holding the schema and one trigger stored by Hourglass for the ingest workload's request. */
export interface FloorTemplate {
  file: string;
  dispose(): Promise<void>;
}

const WARMUP_MS = 1_000;

/** Has Hourglass store one ingest request (delivered to `targetUrl`) in a new database. */
export async function prepareFloorTemplate(targetUrl: string): Promise<FloorTemplate> {
  const dir = await mkdtemp(join(tmpdir(), "hourglass-floor-"));
  const file = join(dir, "template.db");
  try {
    await createTemplateTrigger(file, ingestCall(0, targetUrl, kilobyteBody()));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * One round: a copy of the template database, written for the ingest's duration by the writer
 * pinned to the server core, in transactions of the ingest's concurrency — the largest group a
 * closed loop of that many callers can gather, so the cheapest per row.
 */
export async function runStorageFloorRound(template: FloorTemplate, config: BenchConfig): Promise<StorageFloorRound> {
  const dir = await mkdtemp(join(tmpdir(), "hourglass-floor-round-"));
  try {
    const file = join(dir, "floor.db");
    await copyFile(template.file, file);
    const { concurrency, durationMs } = config.ingest;
    const writer = spawnTracked(
      process.execPath,
      [resolve(compiledAdapters, "sqlite-floor-writer.js"), file, String(concurrency), String(WARMUP_MS), String(durationMs)],
      { name: "sqlite floor writer", core: SERVER_CORE },
    );
    const line = await writer.waitForLine((l) => l.startsWith("{"), WARMUP_MS + durationMs + 30_000);
    await writer.exited;
    const round = JSON.parse(line) as StorageFloorRound;
    return { ...round, busyMicros: taskset() === null ? null : round.busyMicros };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The rounds as one result (the median round by rate); null when none completed. */
export function combineStorageFloorRounds(rounds: readonly (StorageFloorRound | null)[], rowsPerTransaction: number): StorageFloorResult | null {
  const measured = rounds.filter((r): r is StorageFloorRound => r !== null && r.rows > 0);
  const rate = (r: StorageFloorRound): number => r.rows / (r.elapsedMs / 1000);
  const median = medianBy(measured, rate);
  if (median === undefined) return null;
  return {
    rowsPerTransaction,
    rowsPerSec: rate(median),
    roundRates: rounds.map((r) => (r === null || r.rows === 0 ? null : rate(r))),
    serverCpuMicrosPerRow: median.busyMicros === null ? null : median.busyMicros / median.rows,
  };
}
