import { setImmediate as nextTurn } from "node:timers/promises";
import type { Clock } from "../clock.js";
import type { Store } from "../store/store.js";

export interface HistoryPrunerOptions {
  /** Executions and finished triggers older than this go. */
  retentionMs: number;
  /** Time between two pruning passes. */
  intervalMs: number;
  /** Rows per transaction: small, so the dispatcher's claims never wait long behind a prune. */
  batchSize: number;
}

/**
 * Deletes old history in small batches, one short transaction each, yielding to the event loop
 * in between: the dispatcher's claims interleave with a long prune instead of waiting for it.
 */
export class HistoryPruner {
  private disarm: (() => void) | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: HistoryPrunerOptions,
    private readonly logError: (error: unknown) => void,
    /**
     * Runs a pass unless another node is running one (resolves null when skipped). Pruning twice
     * at once would be safe, only wasteful: nothing else depends on who prunes.
     */
    private readonly exclusive: (work: () => Promise<number>) => Promise<number | null> = (work) => work(),
  ) {}

  /** Prunes now, then every `intervalMs`. */
  start(): void {
    this.arm(this.clock.now());
  }

  /** Stops after the batch in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm?.();
    await this.running;
  }

  /** One full pass: batches until one comes back short. Returns the rows removed. */
  async pruneOnce(): Promise<number> {
    const before = this.clock.now() - this.options.retentionMs;
    let total = 0;
    while (!this.stopped) {
      const removed = await this.store.pruneHistory(before, this.options.batchSize);
      total += removed;
      if (removed < this.options.batchSize) break;
      await nextTurn();
    }
    return total;
  }

  private arm(at: number): void {
    if (this.stopped) return;
    this.disarm = this.clock.setTimer(at, () => {
      this.running = this.exclusive(() => this.pruneOnce())
        .then(
          () => undefined,
          (error: unknown) => this.logError(error),
        )
        .finally(() => this.arm(this.clock.now() + this.options.intervalMs));
    });
  }
}
