import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointing thread copies committed WAL frames into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * The thread's code. Its own connection runs `wal_checkpoint(PASSIVE)` on a timer: it copies what
 * is committed into the database file and fsyncs (as `synchronous` asks) without ever waiting
 * for, or blocking, the main connection — whose event loop a checkpoint used to stop for tens of
 * milliseconds (≈ 50 ms for 1,400 pages on a 2-core VM, most of it fsync). A checkpoint with
 * nothing to copy returns at once. Plain JavaScript, so it runs unchanged from `src/` under the
 * tests and from `dist/`.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("synchronous = " + workerData.synchronous);
let failing = false; // reported once when checkpoints start failing, not every interval
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    failing = false;
  } catch (error) {
    if (!failing) parentPort.postMessage({ error: String(error && error.message || error) });
    failing = true;
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A running checkpointing thread; `stop()` closes its connection and ends it. */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** Delay before a thread that died is started again; doubles per death, up to a minute. */
  restartDelayMs?: number;
  /** Tests only: the module the thread loads as its SQLite driver (default: better-sqlite3). */
  driver?: string;
  /** Tests only: how long a thread must have run for its death to restart the delays (default: a minute). */
  healthyRunMs?: number;
}

const MAX_RESTART_DELAY_MS = 60_000;
/** A thread that ran this long before dying was healthy: the next restart waits the first delay again. */
const DEFAULT_HEALTHY_RUN_MS = 60_000;

/**
 * Starts the thread that checkpoints `path`'s WAL. `onError` hears when checkpoints start failing
 * (once per run of failures) and when the thread dies; a dead thread is started again after a
 * delay that doubles while it keeps dying. Meanwhile the WAL grows until SQLite's own automatic
 * checkpoint, kept as a backstop on the main connection, steps in.
 */
export function startWalCheckpointer(
  path: string,
  synchronous: string,
  onError: (message: string) => void,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  const driver = options.driver ?? createRequire(import.meta.url).resolve("better-sqlite3");
  const firstDelayMs = options.restartDelayMs ?? 1_000;
  const healthyRunMs = options.healthyRunMs ?? DEFAULT_HEALTHY_RUN_MS;
  let delayMs = firstDelayMs;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;

  const startThread = (): { worker: Worker; exited: Promise<void> } => {
    const startedAt = Date.now();
    const worker = new Worker(THREAD_CODE, { eval: true, workerData: { path, synchronous, driver, intervalMs: CHECKPOINT_INTERVAL_MS } });
    worker.on("message", (message: { error?: string }) => {
      if (message.error !== undefined) onError(message.error);
    });
    worker.on("error", (error) => onError(error.message));
    worker.unref();
    // Settles however the thread ends: asked to stop, or died on its own (then it is restarted).
    const exited = new Promise<void>((resolve) =>
      worker.once("exit", (code) => {
        resolve();
        if (stopping) return;
        if (Date.now() - startedAt >= healthyRunMs) delayMs = firstDelayMs;
        onError(`the checkpointing thread exited (code ${code}); starting it again in ${delayMs} ms`);
        restartTimer = setTimeout(() => {
          restartTimer = null;
          if (!stopping) thread = startThread();
        }, delayMs);
        restartTimer.unref();
        delayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
      }),
    );
    return { worker, exited };
  };
  let thread = startThread();

  return {
    stop() {
      stopping = true;
      if (restartTimer !== null) clearTimeout(restartTimer);
      thread.worker.postMessage("stop");
      return thread.exited;
    },
  };
}
