import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/** A child process started by the bench, tracked until it exits. */
export interface Spawned {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout line `match` accepts; rejects on exit or after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves when the process is gone. */
  kill9(): Promise<void>;
  /** The last lines written to stdout and stderr, for error messages. */
  tail(): string;
}

/** Options of {@link spawnTracked}. */
export interface SpawnOptions {
  name: string;
  /** Pin to this CPU core with `taskset` when it exists. */
  core?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const live = new Set<Spawned>();
let tasksetPath: string | null | undefined;

/** The `taskset` binary, or null where it does not exist. */
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    try {
      tasksetPath = execFileSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).trim() || null;
    } catch {
      tasksetPath = null;
    }
  }
  return tasksetPath;
}

/** Pins every thread of this process to `core` where `taskset` exists; returns whether it did. */
export function pinSelf(core: number): boolean {
  const bin = taskset();
  if (bin === null) return false;
  execFileSync(bin, ["-a", "-cp", String(core), String(process.pid)], { stdio: "ignore" });
  return true;
}

/** Starts `command args…` (through `taskset -c core` when asked and available) and tracks it. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): Spawned {
  const bin = options.core === undefined ? null : taskset();
  const child: ChildProcess =
    bin === null
      ? spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(bin, ["-c", String(options.core), command, ...args], { env: options.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  const pid = child.pid;
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const remember = (line: string): void => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    remember(line);
    for (const listener of listeners) listener(line);
  });
  createInterface({ input: child.stderr! }).on("line", remember);

  let gone = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      gone = true;
      live.delete(handle);
      resolve(code ?? signal ?? "unknown");
    });
  });

  const waitGone = async (graceMs: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref())]);

  const handle: Spawned = {
    name: options.name,
    pid,
    exited,
    waitForLine(match, timeoutMs) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = (line: string): void => {
          if (!match(line)) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${options.name}: no expected output within ${timeoutMs} ms\n${handle.tail()}`));
        }, timeoutMs);
        listeners.add(listener);
        void exited.then((code) => {
          if (!listeners.has(listener)) return;
          done();
          reject(new Error(`${options.name} exited (${code}) before it was ready\n${handle.tail()}`));
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (gone) return;
      child.kill("SIGTERM");
      if (await waitGone(graceMs)) return;
      child.kill("SIGKILL");
      await exited;
    },
    async kill9() {
      if (gone) return;
      child.kill("SIGKILL");
      await exited;
    },
    tail() {
      return lines.join("\n");
    },
  };
  live.add(handle);
  return handle;
}

/** Stops every process the bench started and that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5_000)));
}

/**
 * Microseconds core `core` has spent busy since boot (every state of /proc/stat but idle and
 * iowait, guest time included in user), or null where it cannot be read.
 */
export function coreBusyMicros(core: number): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${core} `));
    if (line === undefined) return null;
    // user nice system idle iowait irq softirq steal guest guest_nice, in clock ticks (USER_HZ = 100 on Linux)
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10_000;
  } catch {
    return null;
  }
}

/**
 * Waits until core `core` has been below `busyBelow` (0..1) for two 250 ms samples in a row —
 * what a previous system left running there (a store server's writeback, autovacuum, its own
 * exit) would otherwise be charged to the next one — or until `timeoutMs`. Resolves with the
 * last sample's busy share when it timed out, null when the core went quiet (or is unreadable).
 */
export async function waitForQuietCore(core: number, busyBelow = 0.1, timeoutMs = 30_000): Promise<number | null> {
  const sampleMs = 250;
  const deadline = performance.now() + timeoutMs;
  let quietSamples = 0;
  let last = coreBusyMicros(core);
  if (last === null) return null;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const now = coreBusyMicros(core);
    if (now === null) return null;
    const share = (now - last) / (sampleMs * 1000);
    last = now;
    quietSamples = share < busyBelow ? quietSamples + 1 : 0;
    if (quietSamples >= 2) return null;
    if (performance.now() > deadline) return share;
  }
}

/** Resident set size of `pid` in bytes (from /proc), or null where it cannot be read. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
