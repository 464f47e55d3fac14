import { ServiceUnavailableError } from "../errors.js";
import type { AppDeps } from "./context.js";

/** Seconds a client is told to wait before retrying against a server that is shutting down (it restarts, or another takes over). */
const SHUTDOWN_RETRY_AFTER_S = 5;
/** Seconds a client is told to wait when the store's commit queue is full: commits drain in milliseconds. */
const OVERLOAD_RETRY_AFTER_S = 1;

/** Seconds a client is told to wait while the database cannot be reached: nodes reconnect within a second or two of its return. */
const STORE_RETRY_AFTER_S = 2;

/** The answer to a request that needed the database while it could not be reached. */
export function storeUnavailable(): ServiceUnavailableError {
  return new ServiceUnavailableError("store_unavailable", "The database cannot be reached right now; retry shortly.", STORE_RETRY_AFTER_S);
}

/** The answer to any request but `/healthz` and `/metrics` once shutdown has begun. */
export function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError("shutting_down", "This server is shutting down; retry shortly.", SHUTDOWN_RETRY_AFTER_S);
}

/**
 * Admission to the store's commit queue: at most `max` writes from HTTP clients wait for a
 * commit at once; past that a write is refused with 503 `overloaded` before anything of it is
 * stored, so a burst faster than the disk meets a bounded queue instead of growing memory.
 * The dispatcher's own writes are bounded by its concurrency and do not pass through here.
 */
export class WriteGate {
  private waiting = 0;

  constructor(private readonly max: number) {}

  /** Runs `write` if a place is free, holding it until the write settles; else rejects with 503 `overloaded`. */
  admit<T>(write: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.max) {
      return Promise.reject(new ServiceUnavailableError("overloaded", "Too many writes are waiting to be committed; retry shortly.", OVERLOAD_RETRY_AFTER_S));
    }
    // Not an async function: the ingest path awaits the store's own promise, with no extra hop.
    let written: Promise<T>;
    try {
      written = write();
    } catch (error) {
      return Promise.reject(error);
    }
    this.waiting++;
    written.then(this.release, this.release);
    return written;
  }

  private readonly release = (): void => {
    this.waiting--;
  };
}

/** `/healthz`'s answer: "ok", or why this process should not get traffic. */
export async function readiness(deps: Pick<AppDeps, "isShuttingDown" | "store" | "logError">): Promise<"ok" | "shutting_down" | "store_unavailable"> {
  if (deps.isShuttingDown()) return "shutting_down";
  try {
    // A cheap indexed read: fails when the database cannot be read (closed, missing, I/O errors).
    await deps.store.nextDueAt();
    return "ok";
  } catch (error) {
    deps.logError(error);
    return "store_unavailable";
  }
}
