import type { BenchConfig } from "./bench-config.js";
import type { ProfileSummary } from "./cpuprofile.js";
import type { MachineDescription } from "./machine.js";
import type { BurstResult } from "../workloads/burst.js";
import type { FootprintResult } from "../workloads/footprint.js";
import type { IngestResult } from "../workloads/ingest.js";
import type { PrecisionResult } from "../workloads/precision.js";
import type { ColdBurstResult } from "../workloads/cold-burst.js";
import type { NodeLossResult, RecoveryResult } from "../workloads/recovery.js";
import type { StorageFloorResult } from "../workloads/storage-floor.js";

/** The workloads, in the order they run. */
export const WORKLOADS = ["ingest", "burst", "precision", "footprint", "recovery", "coldburst"] as const;
/** One workload of issue 3 (coldburst: issue 16). */
export type Workload = (typeof WORKLOADS)[number];

/** A CPU profile of Hourglass taken because a target was missed. */
export interface ProfileRun {
  workload: string;
  missed: string[];
  file: string;
  summary: ProfileSummary;
}

/** Everything one bench run measured, plus what it ran on. */
export interface BenchResults {
  startedAt: Date;
  elapsedMs: number;
  config: BenchConfig;
  machine: MachineDescription;
  versions: Record<string, string>;
  durability: { system: string; text: string }[];
  skipped: { system: string; reason: string }[];
  failures: { workload: string; system: string; message: string }[];
  ingest: IngestResult[];
  /** The ingest's durable write alone, measured in the ingest rounds; null when not run. */
  storageFloor: StorageFloorResult | null;
  burst: BurstResult[];
  precision: PrecisionResult[];
  footprint: FootprintResult[];
  recovery: RecoveryResult[];
  /** Several nodes: one killed, the others carry on. */
  nodeLoss: NodeLossResult[];
  coldBurst: ColdBurstResult[];
  profiles: ProfileRun[];
}

/** The systems compared with Hourglass, by the names their adapters report. */
export const PEERS = ["BullMQ", "pg-boss"] as const;
/** The name of Hourglass's default configuration. */
export const HOURGLASS = "Hourglass";
/** Hourglass on PostgreSQL, one node and three (issue 16). */
export const HOURGLASS_PG = "Hourglass (PostgreSQL)";
export const HOURGLASS_PG3 = "Hourglass (PostgreSQL, 3 nodes)";
/** The HTTP-stack ceiling. */
export const CEILING = "bare Hono";

/** A fresh, empty result set. */
export function emptyResults(config: BenchConfig, machine: MachineDescription, startedAt: Date): BenchResults {
  return {
    startedAt,
    elapsedMs: 0,
    config,
    machine,
    versions: {},
    durability: [],
    skipped: [],
    failures: [],
    ingest: [],
    storageFloor: null,
    burst: [],
    precision: [],
    footprint: [],
    recovery: [],
    nodeLoss: [],
    coldBurst: [],
    profiles: [],
  };
}
