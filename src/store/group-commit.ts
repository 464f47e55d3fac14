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

/** Work shared by all the synchronous items of one transaction (deferred writes they accumulate). */
export interface SyncBatchHooks {
  /** Last writes of the transaction, after its items and before COMMIT; an error fails the batch. */
  beforeCommit(): void;
  /** The transaction is over, committed or rolled back: drop what was accumulated. */
  end(): void;
}

/**
 * How synchronous work is committed. Synchronous items run without a savepoint each: the work
 * promises that every error it throws on purpose (a refusal) comes before its first write. A
 * refusal rejects the item alone; any other error rolls back the whole batch and rejects every
 * item in it — so no half-written item is ever committed.
 */
export interface SyncCommits {
  connection: SyncConnection;
  isRefusal: (error: unknown) => boolean;
  hooks?: SyncBatchHooks;
}

type Settle = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Queued<DB> =
  | ({ sync: false; work: Work<DB, unknown> } & Settle)
  | ({ sync: true; work: SyncWork<unknown> } & Settle);

/** Most extra event-loop turns a transaction of gathering items waits while more keep arriving. */
export const MAX_GATHER_TURNS = 4;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit. Work submitted while a transaction is being written waits and goes out with
 * the next one, so a burst of /schedule requests pays for one commit (its page writes) instead
 * of one each. Every promise settles only after the commit that made its writes durable — or
 * fails with the commit. With no concurrency, an item gets its own transaction at once.
 *
 * Kysely items ({@link run}) each run in a savepoint: one that throws rolls back only its own
 * writes, and one that lost a race is run again. Synchronous items ({@link runSync}) wait for the
 * end of the current event-loop turn (`setImmediate`), so every request parsed in the same turn
 * shares their transaction, committed in one synchronous call, under the rules of
 * {@link SyncCommits}. Items are committed in submission order.
 *
 * Synchronous items may also ask to be gathered (new one-shots from /schedule): while the queue
 * holds only such items and it grew during the last turn, the commit waits one more turn — up to
 * {@link MAX_GATHER_TURNS}, and never past `maxBatch` items — since a burst of requests is still
 * arriving. Fewer, larger transactions write fewer pages per item: each commit rewrites the
 * last page of every index and the quota row, whatever its size. A lone request does not wait
 * (nothing arrived after it), and an item that is not gathering (a claim, an outcome) ends the
 * wait at the end of its own turn.
 */
export class GroupCommitter<DB> {
  private queue: Queued<DB>[] = [];
  private draining = false;
  /** The drain in progress while it waits on the database (a Kysely batch); null otherwise. */
  private waitingDrain: Promise<void> | null = null;
  private drainScheduled = false;
  /** Whether the scheduled commit may wait for more: every item queued since it was scheduled asked to gather. */
  private mayGather = false;
  /** Extra turns the scheduled commit has waited, and the queue length it last saw. */
  private gatherTurns = 0;
  private lengthSeen = 0;

  constructor(
    private readonly db: Kysely<DB>,
    /** Most items per transaction, bounding how long others wait for the connection. */
    private readonly maxBatch: number,
    /** An error after which the item is run again from its savepoint (a lost race). */
    private readonly isRetryable: (error: unknown) => boolean,
    private readonly maxRetries = 5,
    /** The synchronous connection under `db` and its rules, required by {@link runSync}. */
    private readonly sync: SyncCommits | null = null,
    /**
     * An error after which the whole transaction is rolled back and its items run again in a new
     * one (PostgreSQL's deadlock victim: rolling back to a savepoint would keep the locks the
     * batch's earlier items hold, and the cycle with them).
     */
    private readonly rerunsTransaction: (error: unknown) => boolean = () => false,
  ) {}

  run<T>(work: Work<DB, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ sync: false, work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.startDrain();
    });
  }

  /** `gather`: the commit may wait a few turns while more items arrive (see the class comment). */
  runSync<T>(work: SyncWork<T>, options?: { gather?: boolean }): Promise<T> {
    if (this.sync === null) return Promise.reject(new Error("runSync needs a synchronous connection"));
    const gather = options?.gather === true;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ sync: true, work, resolve: resolve as (value: unknown) => void, reject });
      if (this.drainScheduled) {
        this.mayGather &&= gather;
      } else if (!this.draining) {
        this.drainScheduled = true;
        this.mayGather = gather;
        this.gatherTurns = 0;
        this.lengthSeen = this.queue.length;
        setImmediate(this.endOfTurn);
      }
    });
  }

  /**
   * Commits everything queued now, without waiting for the end of the turn or for more items to
   * gather, and resolves once nothing is queued or being committed: the store calls it before it
   * closes the connection, so work accepted before a shutdown is committed, not failed.
   */
  async flush(): Promise<void> {
    while (this.waitingDrain !== null || this.queue.length > 0) await (this.waitingDrain ?? this.startDrain());
  }

  /** At the end of a turn with synchronous items queued: commit them, or wait a turn more. */
  private readonly endOfTurn = (): void => {
    const grew = this.queue.length > this.lengthSeen;
    this.lengthSeen = this.queue.length;
    if (grew && this.mayGather && this.gatherTurns < MAX_GATHER_TURNS && this.queue.length < this.maxBatch) {
      this.gatherTurns++;
      setImmediate(this.endOfTurn);
      return;
    }
    this.drainScheduled = false;
    if (!this.draining) void this.startDrain();
  };

  /** Drains the queue, remembering the drain while it waits on the database (for {@link flush}). */
  private startDrain(): Promise<void> {
    const drained = this.drain();
    if (this.draining) this.waitingDrain = drained; // not finished synchronously
    return drained;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.nextBatch();
        if (batch[0]?.sync) this.commitSync(this.sync as SyncCommits, batch);
        else await this.commit(batch);
      }
    } finally {
      this.draining = false;
      this.waitingDrain = null;
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
    for (let attempt = 1; ; attempt++) {
      let outcomes: Outcome[];
      try {
        outcomes = await this.commitOnce(batch);
      } catch (error) {
        if (this.rerunsTransaction(error) && attempt < this.maxRetries) continue;
        for (const item of batch) item.reject(error);
        return;
      }
      settle(batch, outcomes);
      return;
    }
  }

  private async commitOnce(batch: Queued<DB>[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const trx = await this.db.startTransaction().execute();
    try {
      for (const item of batch) outcomes.push(await this.runItem(trx, item.work as Work<DB, unknown>));
      await trx.commit().execute();
    } catch (error) {
      await trx.rollback().execute().catch(() => undefined);
      throw error;
    }
    return outcomes;
  }

  private commitSync({ connection, isRefusal, hooks }: SyncCommits, batch: Queued<DB>[]): void {
    const outcomes: Outcome[] = [];
    try {
      connection.exec("BEGIN");
      try {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: (item.work as SyncWork<unknown>)() });
          } catch (error) {
            if (!isRefusal(error)) throw error; // may have written: the whole batch goes
            outcomes.push({ ok: false, error });
          }
        }
        hooks?.beforeCommit();
        connection.exec("COMMIT");
      } catch (error) {
        if (connection.inTransaction) connection.exec("ROLLBACK");
        throw error;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      hooks?.end();
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
        if (this.rerunsTransaction(error)) throw error;
        await savepoint.rollbackToSavepoint("item").execute();
        await savepoint.releaseSavepoint("item").execute();
        if (!this.isRetryable(error) || attempt >= this.maxRetries) return { ok: false, error };
      }
    }
  }
}

function settle(batch: Settle[], outcomes: Outcome[]): void {
  batch.forEach((item, i) => {
    const outcome = outcomes[i] as Outcome;
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}
