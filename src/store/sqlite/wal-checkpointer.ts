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
 *
 * A second, read-only connection (the pin) holds a read transaction on a recent snapshot. Once a
 * checkpoint has copied the whole log, SQLite's next writer starts the log over from its
 * beginning — and then fsyncs the log's new header on the committing thread, the event loop,
 * whatever `synchronous` says (that sync keeps the database whole through a power loss). A reader
 * of the log forbids that restart, so with the pin held the main connection only ever appends.
 * A checkpoint copies up to the pin's snapshot; when frames were left behind, the pin moves to
 * the newest snapshot and a second checkpoint copies them. When the log reaches `restartPages`
 * the pin is let go: a checkpoint can then complete and the next commit restarts the log (one
 * fsync on the event loop per that many pages, instead of one after nearly every checkpoint of a
 * lightly loaded server), and the pin is taken again once it has. (At start-up, and after such a
 * restart, a commit may still restart the log once before the pin holds.)
 */
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("synchronous = " + workerData.synchronous);
const pin = new Database(workerData.path, { readonly: true });
const pinRead = pin.prepare("SELECT 1 FROM sqlite_schema LIMIT 1");
const unpin = () => {
  if (pin.inTransaction) pin.exec("COMMIT");
};
const repin = () => {
  unpin();
  pin.exec("BEGIN");
  pinRead.get();
};
let failing = false; // reported once when checkpoints start failing, not every interval
let restartDue = false; // the log reached restartPages: no pin until it has started over
const checkpoint = () => db.pragma("wal_checkpoint(PASSIVE)")[0];
const tick = () => {
  try {
    if (!pin.inTransaction && !restartDue) repin();
    const state = checkpoint();
    restartDue = state.log >= workerData.restartPages;
    if (restartDue) {
      unpin();
    } else if (state.checkpointed < state.log) {
      // Frames past the pin: pin the newest snapshot and copy up to it. A pin taken while frames
      // are left to copy reads the log and holds restarts back; one taken on a fully copied log
      // reads the database file alone, holds nothing back and stops checkpoints from copying
      // until it is replaced — here, at the first checkpoint it held up.
      repin();
      checkpoint();
    }
    failing = false;
  } catch (error) {
    if (!failing) parentPort.postMessage({ error: String(error && error.message || error) });
    failing = true;
  }
};
tick();
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  pin.close();
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
  /** Log pages after which the log may start over (see the thread's code; default {@link DEFAULT_RESTART_PAGES}). */
  restartPages?: number;
}

/**
 * ≈ 40 MB of 4 KB pages. The main connection's own automatic checkpoint sits at twice this (see
 * open.ts): the log should not reach it before the thread lets go — up to one interval later.
 */
export const DEFAULT_RESTART_PAGES = 10_000;

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
  const restartPages = options.restartPages ?? DEFAULT_RESTART_PAGES;
  let delayMs = firstDelayMs;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;

  const startThread = (): { worker: Worker; exited: Promise<void> } => {
    const startedAt = Date.now();
    const worker = new Worker(THREAD_CODE, { eval: true, workerData: { path, synchronous, driver, intervalMs: CHECKPOINT_INTERVAL_MS, restartPages } });
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
      // Unreferenced while it runs, the thread must hold the process open while it closes: its
      // connection, the last one, checkpoints what is left and removes the log as it closes.
      thread.worker.ref();
      thread.worker.postMessage("stop");
      return thread.exited;
    },
  };
}
