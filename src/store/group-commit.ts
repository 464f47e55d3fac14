import type { ControlledTransaction, Kysely, Transaction } from "kysely";

/** One unit of work: runs inside a transaction, may throw to undo its own writes. */
export type Work<DB, T> = (trx: Transaction<DB>) => Promise<T>;

/** One unit of work on a synchronous connection (SQLite): runs inside the batch's transaction. */
export type SyncWork<T> = () => T;

/**
 * The raw connection under Kysely, when the engine has a synchronous one (better-sqlite3).
 * Synchronous work is batched into one synchronous transaction: no promise, no query builder.
 */
export interface SyncConnection {
  exec(sql: string): void;
  /** Is a transaction open on the connection (so a failed COMMIT must be rolled back)? */
  readonly inTransaction: boolean;
}

/**
 * Options of {@link GroupCommitter.runSync}. With `refusal`, the item runs without a savepoint of
 * its own: the work promises that every error it throws deliberately (a refusal) comes before its
 * first write. A refusal rejects the item alone; any other error rolls back the whole batch and
 * rejects every item in it — so no half-written item can ever be committed.
 */
export interface SyncOptions {
  refusal?: (error: unknown) => boolean;
}

/** Work shared by all the synchronous items of one transaction (deferred writes they accumulate). */
export interface SyncBatchHooks {
  /** Last writes of the transaction, after its items and before COMMIT; an error fails the batch. */
  beforeCommit(): void;
  /** The transaction is over, committed or rolled back: drop what was accumulated. */
  end(): void;
}

type Settle = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Queued<DB> =
  | ({ sync: false; work: Work<DB, unknown> } & Settle)
  | ({ sync: true; work: SyncWork<unknown>; options: SyncOptions } & Settle);

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit. Work submitted while a transaction is being written waits and goes out with
 * the next one, so a burst of /schedule requests pays for one commit (its page writes) instead
 * of one each. Every item runs in its own savepoint: an item that throws rolls back only its
 * own writes. Every promise settles only after the commit that made its writes durable — or
 * fails with the commit. With no concurrency, an item gets its own transaction at once.
 *
 * Synchronous items ({@link runSync}) wait for the end of the current event-loop turn
 * (`setImmediate`), so every request parsed in the same turn shares their transaction; a run of
 * them commits in one synchronous call. Items are committed in submission order.
 */
export class GroupCommitter<DB> {
  private queue: Queued<DB>[] = [];
  private draining = false;
  private drainScheduled = false;

  constructor(
    private readonly db: Kysely<DB>,
    /** Most items per transaction, bounding how long others wait for the connection. */
    private readonly maxBatch: number,
    /** An error after which the item is run again from its savepoint (a lost race). */
    private readonly isRetryable: (error: unknown) => boolean,
    private readonly maxRetries = 5,
    /** The synchronous connection under `db`, required by {@link runSync}. */
    private readonly connection: SyncConnection | null = null,
    private readonly syncBatch: SyncBatchHooks | null = null,
  ) {}

  /** Can {@link runSync} be used (the engine has a synchronous connection)? */
  get synchronous(): boolean {
    return this.connection !== null;
  }

  run<T>(work: Work<DB, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ sync: false, work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  runSync<T>(work: SyncWork<T>, options: SyncOptions = {}): Promise<T> {
    if (this.connection === null) return Promise.reject(new Error("runSync needs a synchronous connection"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ sync: true, work, options, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining && !this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => {
          this.drainScheduled = false;
          if (!this.draining) void this.drain();
        });
      }
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.nextBatch();
        if (batch[0]?.sync) this.commitSync(batch);
        else await this.commit(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  /** The longest run of items of one kind at the head of the queue, up to maxBatch. */
  private nextBatch(): Queued<DB>[] {
    const kind = this.queue[0]?.sync;
    let n = 0;
    while (n < this.queue.length && n < this.maxBatch && this.queue[n]?.sync === kind) n++;
    return this.queue.splice(0, n);
  }

  private async commit(batch: Queued<DB>[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      const trx = await this.db.startTransaction().execute();
      try {
        for (const item of batch) outcomes.push(await this.runItem(trx, item.work as Work<DB, unknown>));
        await trx.commit().execute();
      } catch (error) {
        await trx.rollback().execute().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    settle(batch, outcomes);
  }

  private commitSync(batch: Queued<DB>[]): void {
    const connection = this.connection as SyncConnection;
    const outcomes: Outcome[] = [];
    try {
      connection.exec("BEGIN");
      try {
        for (const item of batch) {
          const { work, options } = item as Extract<Queued<DB>, { sync: true }>;
          outcomes.push(options.refusal ? runUnguarded(work, options.refusal) : this.runSyncItem(connection, work));
        }
        this.syncBatch?.beforeCommit();
        connection.exec("COMMIT");
      } catch (error) {
        if (connection.inTransaction) connection.exec("ROLLBACK");
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.syncBatch?.end();
    }
    settle(batch, outcomes);
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

  private runSyncItem(connection: SyncConnection, work: SyncWork<unknown>): Outcome {
    for (let attempt = 1; ; attempt++) {
      connection.exec("SAVEPOINT item");
      try {
        const value = work();
        connection.exec("RELEASE item");
        return { ok: true, value };
      } catch (error) {
        connection.exec("ROLLBACK TO item");
        connection.exec("RELEASE item");
        if (!this.isRetryable(error) || attempt >= this.maxRetries) return { ok: false, error };
      }
    }
  }
}

/** An item without a savepoint: a refusal is its own outcome, anything else fails the batch (throws). */
function runUnguarded(work: SyncWork<unknown>, refusal: (error: unknown) => boolean): Outcome {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    if (refusal(error)) return { ok: false, error };
    throw error;
  }
}

function settle(batch: Settle[], outcomes: Outcome[]): void {
  batch.forEach((item, i) => {
    const outcome = outcomes[i] as Outcome;
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}
