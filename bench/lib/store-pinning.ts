import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { benchDir } from "./paths.js";
import { taskset } from "./processes.js";

/** The store servers a peer needs, by process name: they run beside the peer's Node process. */
const STORE_SERVERS = ["redis-server", "postgres"];

/**
 * The affinities to give back, written before pinning and removed once restored: a bench that was
 * killed outright (SIGKILL) leaves it, and the next run restores those first.
 */
const PENDING_RESTORE = join(benchDir, ".fixtures", "pinned-stores.json");

type Saved = { pid: number; name: string; mask: string };

/** Store server processes pinned for the run, and how to give them their affinity back. */
export interface StorePinning {
  /** What was pinned, for the results ("redis-server 2207, postgres 2187 …"). */
  readonly pinned: string[];
  restore(): void;
}

/**
 * Pins every process (all threads) of the local store servers to `core` — the core of the server
 * under test — so a peer and the store it needs share one core, as Hourglass and its embedded
 * SQLite do. PostgreSQL backends forked later inherit the postmaster's affinity. Each process's
 * previous affinity is restored by `restore()`. Without taskset (or without the right to change
 * another process's affinity) nothing is pinned and `pinned` says why.
 */
export function pinStoreServers(core: number): StorePinning {
  const bin = taskset();
  if (bin === null) return { pinned: [], restore() {} };
  restoreLeftover(bin);
  const saved: Saved[] = [];
  for (const name of STORE_SERVERS) {
    for (const pid of pidsOf(name)) {
      try {
        const mask = /:\s*([0-9a-f]+)\s*$/i.exec(execFileSync(bin, ["-p", String(pid)], { encoding: "utf8" }))?.[1];
        if (mask !== undefined) saved.push({ pid, name, mask });
      } catch {
        // gone meanwhile
      }
    }
  }
  mkdirSync(dirname(PENDING_RESTORE), { recursive: true });
  writeFileSync(PENDING_RESTORE, JSON.stringify(saved));
  const pinned = saved.filter(({ pid }) => {
    try {
      execFileSync(bin, ["-a", "-cp", String(core), String(pid)], { stdio: "ignore" });
      return true;
    } catch {
      return false; // gone meanwhile, or not ours to pin
    }
  });
  return {
    pinned: summarize(pinned),
    restore() {
      giveBack(bin, pinned.splice(0));
      rmSync(PENDING_RESTORE, { force: true });
    },
  };
}

/** Gives back the affinities a killed run left pinned (only to processes that still have the same name). */
function restoreLeftover(bin: string): void {
  if (!existsSync(PENDING_RESTORE)) return;
  try {
    const saved = JSON.parse(readFileSync(PENDING_RESTORE, "utf8")) as Saved[];
    giveBack(
      bin,
      saved.filter(({ pid, name }) => pidsOf(name).includes(pid)),
    );
  } catch {
    // unreadable: nothing to give back
  }
  rmSync(PENDING_RESTORE, { force: true });
}

function giveBack(bin: string, saved: Saved[]): void {
  for (const { pid, mask } of saved) {
    try {
      execFileSync(bin, ["-a", "-p", mask, String(pid)], { stdio: "ignore" });
    } catch {
      // the process has exited
    }
  }
}

function pidsOf(name: string): number[] {
  try {
    return execFileSync("pgrep", ["-x", name], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function summarize(saved: { name: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const { name } of saved) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n === 1 ? name : `${name} (${n} processes)`));
}
