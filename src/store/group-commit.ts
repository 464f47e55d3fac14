import type { ControlledTransaction, Kysely, Transaction } from "kysely";

/** One unit of work: runs inside a transaction, may throw to undo its own writes. */
export type Work<DB, T> = (trx: Transaction<DB>) => Promise<T>;

interface Queued<DB> {
  work: Work<DB, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit. Work submitted while a transaction is being written waits and goes out with
 * the next one, so a burst of /schedule requests pays for one commit (its page writes) instead
 * of one each. Every item runs in its own savepoint: an item that throws rolls back only its
 * own writes. Every promise settles only after the commit that made its writes durable — or
 * fails with the commit. With no concurrency, an item gets its own transaction at once.
 */
export class GroupCommitter<DB> {
  private queue: Queued<DB>[] = [];
  private draining = false;

  constructor(
    private readonly db: Kysely<DB>,
    /** Most items per transaction, bounding how long others wait for the connection. */
    private readonly maxBatch: number,
    /** An error after which the item is run again from its savepoint (a lost race). */
    private readonly isRetryable: (error: unknown) => boolean,
    private readonly maxRetries = 5,
  ) {}

  run<T>(work: Work<DB, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, this.maxBatch));
    } finally {
      this.draining = false;
    }
  }

  private async commit(batch: Queued<DB>[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      const trx = await this.db.startTransaction().execute();
      try {
        for (const item of batch) outcomes.push(await this.runItem(trx, item.work));
        await trx.commit().execute();
      } catch (error) {
        await trx.rollback().execute().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  private async runItem(trx: ControlledTransaction<DB>, work: Work<DB, unknown>): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const savepoint = await trx.savepoint("item").execute();
      try {
        const value = await work(savepoint);
        await savepoint.releaseSavepoint("item").execute();
        return { ok: true, value };
      } catch (error) {
        await savepoint.rollbackToSavepoint("item").execute();
        await savepoint.releaseSavepoint("item").execute();
        if (!this.isRetryable(error) || attempt >= this.maxRetries) return { ok: false, error };
      }
    }
  }
}
