import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { repoRoot } from "./paths.js";
import { taskset } from "./processes.js";

/** What the numbers were measured on. */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  commit: string;
  pinning: string;
  /** Store servers pinned to the server core for the run (null: unpinned, or no taskset). */
  pinnedStores: string[] | null;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews figures. */
  loadAtStart: string;
}

/**
 * Describes this machine, this Node and the repository state. `pinnedStores`: the store servers
 * pinned to the server core for the run (null: left unpinned).
 */
export function describeMachine(pinnedStores: string[] | null): MachineDescription {
  let commit = "unknown";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "migrations"], { cwd: repoRoot, encoding: "utf8" }).trim();
    commit = dirty === "" ? head : `${head} + uncommitted changes in src/ or migrations/`;
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    commit,
    pinning:
      taskset() === null
        ? "none (taskset not found)"
        : `taskset: server under test on core 0; load generator and delivery sink on core 1; ${
            pinnedStores === null
              ? "Redis and PostgreSQL unpinned"
              : pinnedStores.length === 0
                ? "no store server found to pin"
                : `store servers on core 0 with the server under test (${pinnedStores.join(", ")})`
          }; every measured run starts once core 0 has been under 10% busy for 0.5 s (waiting up to 30 s)`,
    pinnedStores: taskset() === null ? null : pinnedStores,
    loadAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(" / "),
  };
}
