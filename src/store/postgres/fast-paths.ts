import type pg from "pg";
import { BoundedCache } from "../../bounded-cache.js";
import { HourglassError } from "../../errors.js";
import { type SlotUsage, fairSelection, selectAsync, soleProjectTakes } from "../fair-claim.js";
import type { FastPaths, FastPathRows } from "../kysely-store.js";
import { QuotaTally, monthOf } from "../quota.js";
import {
  EXECUTION_COLUMNS,
  JOB_ROW_COLUMNS,
  RETRIES_DROPPED,
  dueForClaimSql,
  needsKyselyClaim,
  pushJobRowValues,
  toClaimedTrigger,
} from "../row-builders.js";
import type { TriggerRow } from "../rows.js";
import type { AttemptResult, ClaimedTrigger, ScheduleJobInput, ScheduleResult } from "../types.js";

/** A named (server-side prepared, once per connection) statement. */
interface Statement {
  name: string;
  text: string;
}
const statement = (name: string, text: string): Statement => ({ name: `hg_fast_${name}`, text });

// The hot paths' SQL on PostgreSQL. The status lists are literal, as everywhere (see isLive in
// kysely-store.ts): the partial indexes repeat them.
const QUOTA_STATE = statement("quota_state", `SELECT p.month_quota, u.created FROM projects p
  LEFT JOIN project_usage u ON u.project_id = p.id AND u.month = $1 WHERE p.id = $2`);
// Locks a quota's count until COMMIT (an upsert that changes nothing) and reads it under the lock:
// other nodes' decisions on the same project and month wait their turn (see quotaState there).
const LOCK_USAGE = statement("lock_usage", `INSERT INTO project_usage (project_id, month, created) VALUES ($1, $2, 0)
  ON CONFLICT (project_id, month) DO UPDATE SET created = project_usage.created RETURNING created`);
// finishAttempt's fenced transitions: only the attempt that holds the claim moves the trigger.
// An instance whose generator was cancelled meanwhile gets no retry: it is cancelled instead.
const AWAIT_RETRY = statement("await_retry", `UPDATE triggers SET status = 'registered', due_at = $1, retries_left = retries_left - 1, updated_at = $2
  WHERE id = $3 AND status = 'running' AND attempts = $4
  AND NOT EXISTS (SELECT 1 FROM generators g WHERE g.id = triggers.generator_id AND g.status = 'cancelled' AND g.end_reason IS NULL)`);
const DROP_RETRIES = statement("drop_retries", `UPDATE triggers SET status = 'cancelled', finished_at = $1, updated_at = $2, cancel_reason = $3
  WHERE id = $4 AND status = 'running' AND attempts = $5`);
const FORGET_RETRY = statement("forget_retry", `UPDATE executions SET retry_at = NULL WHERE id = $1`);
// claimDue's selection (see fair-claim.ts), skipping rows another node is claiming, and lease.
const PROJECTS_WITH_DUE = statement("projects_with_due", `SELECT p.id FROM projects p WHERE EXISTS (SELECT 1 FROM triggers t
  WHERE t.project_id = p.id AND t.status IN ('registered', 'running') AND ${dueForClaimSql("t.", "$1", "$2")})`);
const DUE_OF_PROJECT = statement("due_of_project", `SELECT * FROM triggers WHERE status IN ('registered', 'running') AND ${dueForClaimSql("", "$1", "$2")}
  AND project_id = $3 ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED`);
const DUE = statement("due", `SELECT * FROM triggers WHERE status IN ('registered', 'running') AND ${dueForClaimSql("", "$1", "$2")}
  AND id <> ALL($3::text[]) ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED`);
const LEASE = statement("lease", `UPDATE triggers SET status = 'running', due_at = timeout_ms + $1, attempts = attempts + 1, updated_at = $2
  WHERE id = ANY($3::text[])`);

// The claim when one project has triggers due (the common case, and the one latency hangs on): the
// selection, its lease and what the caller must know, in one statement — alone, a transaction of
// its own, one round trip instead of five. It leases nothing when several projects are due (the
// fair selection then runs, above) or when a selected row needs the Kysely path: the condition on
// `d` is needsKyselyClaim's (row-builders.ts). The take depends on the project (soleProjectTakes).
const CLAIM_SOLE_PROJECT = statement("claim_sole_project", `WITH due_projects AS (
    SELECT p.id FROM projects p WHERE EXISTS (SELECT 1 FROM triggers t
      WHERE t.project_id = p.id AND t.status IN ('registered', 'running') AND ${dueForClaimSql("t.", "$1", "$6")}) LIMIT 2),
  sole AS (SELECT id FROM due_projects WHERE (SELECT count(*) FROM due_projects) = 1),
  due AS (SELECT * FROM triggers WHERE status IN ('registered', 'running') AND ${dueForClaimSql("", "$1", "$6")} AND EXISTS (SELECT 1 FROM sole)
    ORDER BY due_at
    LIMIT COALESCE((SELECT f.take FROM unnest($3::text[], $4::int[]) AS f (project_id, take) JOIN sole ON sole.id = f.project_id), $5)
    FOR UPDATE SKIP LOCKED),
  leased AS (UPDATE triggers t SET status = 'running', due_at = t.timeout_ms + $2, attempts = t.attempts + 1, updated_at = $1
    FROM due WHERE t.id = due.id AND NOT EXISTS (SELECT 1 FROM due d
      WHERE d.status = 'registered' AND (d.flow_key IS NOT NULL OR (d.origin = 'tick' AND d.attempts = 0)))
    RETURNING t.id)
  SELECT (SELECT count(*) FROM due_projects)::int AS due_projects, (SELECT count(*) FROM leased)::int AS leased, due.*
  FROM (SELECT 1) one LEFT JOIN due ON true`);

/** Most rows one INSERT of new one-shots carries (28 parameters each, far below PostgreSQL's 65,535). */
const MAX_ROWS_PER_INSERT = 128;
/** `INSERT INTO table (columns) VALUES …` of `rows` rows, parameters from $1. */
function insertValues(table: string, columns: readonly string[], rows: number): string {
  const values = Array.from({ length: rows }, (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`);
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")}`;
}
/** One named statement per row count, made on first use. */
function perRowCount(name: string, text: (rows: number) => string): (rows: number) => Statement {
  const cache: Statement[] = [];
  return (rows) => (cache[rows] ??= statement(`${name}_${rows}`, text(rows)));
}
const insertExecutions = perRowCount("insert_executions", (rows) => insertValues("executions", EXECUTION_COLUMNS, rows));
const insertJobs = perRowCount("insert_jobs", (rows) => insertValues("triggers", JOB_ROW_COLUMNS, rows));
/**
 * A transaction's final outcomes in one statement: their executions (the last rows of them, when
 * there are more than one INSERT carries), each trigger's transition fenced by its attempt, and
 * the custom keys of the triggers moved released (deleting the key of one that never had any
 * deletes nothing).
 */
const recordOutcomes = perRowCount("record_outcomes", (rows) => {
  const p = rows * EXECUTION_COLUMNS.length;
  return `WITH recorded AS (${insertValues("executions", EXECUTION_COLUMNS, rows)}),
  moved AS (UPDATE triggers t SET status = v.status, finished_at = v.finished_at, updated_at = v.finished_at
    FROM unnest($${p + 1}::text[], $${p + 2}::text[], $${p + 3}::bigint[], $${p + 4}::int[]) AS v (id, status, finished_at, attempt)
    WHERE t.id = v.id AND t.status = 'running' AND t.attempts = v.attempt RETURNING t.id)
  DELETE FROM custom_keys WHERE owner_id IN (SELECT id FROM moved)`;
});
/**
 * New one-shots in one statement: their rows (the last of them, when there are more than one
 * INSERT carries), their tags, and the quota counts they add, in one order on every node (two
 * transactions adding to the same counts never wait on each other in a cycle). The projects whose
 * quota was not read, remembered without one, must still have none: else the statement fails
 * with {@link QUOTA_APPEARED} (migrations/postgres/0003_quota_guard.sql).
 */
const recordNewJobs = perRowCount("record_new_jobs", (rows) => {
  const p = rows * JOB_ROW_COLUMNS.length;
  return `WITH jobs AS (${insertValues("triggers", JOB_ROW_COLUMNS, rows)}),
  tags AS (INSERT INTO trigger_tags (project_id, tag, trigger_id) SELECT * FROM unnest($${p + 1}::text[], $${p + 2}::text[], $${p + 3}::text[]))
  INSERT INTO project_usage (project_id, month, created) SELECT * FROM unnest($${p + 4}::text[], $${p + 5}::text[], $${p + 6}::int[])
  WHERE hourglass_still_without_quota($${p + 7}::text[])
  ON CONFLICT (project_id, month) DO UPDATE SET created = project_usage.created + excluded.created`;
});
/** SQLSTATE of hourglass_still_without_quota's refusal. */
const QUOTA_APPEARED = "HG001";
/** Projects remembered without a quota, at most (a project forgotten has its quota read again). */
const MAX_PROJECTS_WITHOUT_QUOTA = 10_000;

/** Most items one transaction carries, bounding how long others wait for it. */
const MAX_BATCH = 256;
/** Times a transaction chosen as a deadlock's victim is run again before its items fail. */
const MAX_RERUNS = 5;

type Kind = "ingest" | "dispatch";
const KINDS: readonly Kind[] = ["ingest", "dispatch"];
interface Item {
  work: (batch: Batch) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * One transaction's connection and what its items accumulate: the quota counts they add, per
 * project and month, their new one-shots' rows and tags, and their final outcomes (executions and
 * fenced transitions). What accumulates is written by one statement (recordNewJobs,
 * recordOutcomes) before the next claim reads triggers, or before COMMIT. BEGIN goes with the
 * first statement that needs the transaction: a transaction whose only statement is one of those
 * writes, or a claim alone (see queryAtomic), is that statement alone — no BEGIN, no COMMIT.
 */
class Batch {
  readonly usage = new QuotaTally();
  readonly jobValues: unknown[] = [];
  readonly tags = { projectIds: [] as string[], tags: [] as string[], triggerIds: [] as string[] };
  /** Projects counted without reading their quota (remembered without one). */
  readonly assumedWithoutQuota: string[] = [];
  readonly executionValues: unknown[] = [];
  readonly finishes = { ids: [] as string[], statuses: [] as string[], finishedAt: [] as number[], attempts: [] as number[] };
  /** BEGIN was sent. */
  begun = false;
  constructor(
    readonly client: pg.PoolClient,
    /** The transaction's only item. */
    private readonly alone: boolean,
  ) {}

  /** `s` within the transaction (begun first if need be). */
  async query<R extends pg.QueryResultRow>(s: Statement, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (!this.begun) {
      this.begun = true;
      await this.client.query("BEGIN");
    }
    return this.client.query<R>({ name: s.name, text: s.text, values });
  }

  /**
   * `s` alone (autocommit) until the transaction has begun, within it after: a read whose answer
   * needs no lock, or a statement atomic by itself that is the last the transaction needs.
   */
  queryAlone<R extends pg.QueryResultRow>(s: Statement, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.begun ? this.query<R>(s, values) : this.client.query<R>({ name: s.name, text: s.text, values });
  }

  /**
   * A statement that is atomic by itself: run alone (autocommit) when it is the first of the
   * batch's only item, so that BEGIN and COMMIT cost no round trips; else within the transaction.
   */
  queryAtomic<R extends pg.QueryResultRow>(s: Statement, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.alone ? this.queryAlone<R>(s, values) : this.query<R>(s, values);
  }

  /** Writes what the items accumulated: alone when that is one statement and nothing has begun. */
  async writeAccumulated(): Promise<void> {
    await this.writeOutcomes(this.jobValues.length === 0);
    await this.writeNewJobs();
  }

  /** The final outcomes accumulated; `last`: no other statement follows in this transaction. */
  async writeOutcomes(last = false): Promise<void> {
    const { ids, statuses, finishedAt, attempts } = this.finishes;
    if (ids.length === 0) return;
    const params = await this.insertAllButLast(insertExecutions, EXECUTION_COLUMNS.length, this.executionValues);
    const rows = params.length / EXECUTION_COLUMNS.length;
    params.push(ids, statuses, finishedAt, attempts);
    await (last ? this.queryAlone(recordOutcomes(rows), params) : this.query(recordOutcomes(rows), params));
    this.executionValues.length = 0;
    this.finishes.ids = [];
    this.finishes.statuses = [];
    this.finishes.finishedAt = [];
    this.finishes.attempts = [];
  }

  /** One execution row (an attempt with a retry due), within the transaction. */
  async insertExecution(values: unknown[]): Promise<void> {
    await this.query(insertExecutions(1), values);
  }

  /** The new one-shots accumulated: always the transaction's last statement. */
  private async writeNewJobs(): Promise<void> {
    if (this.jobValues.length === 0) return;
    const params = await this.insertAllButLast(insertJobs, JOB_ROW_COLUMNS.length, this.jobValues);
    const rows = params.length / JOB_ROW_COLUMNS.length;
    const usage = this.usage.added();
    const { projectIds, tags, triggerIds } = this.tags;
    params.push(projectIds, tags, triggerIds, usage.map((u) => u.projectId), usage.map((u) => u.month), usage.map((u) => u.added), this.assumedWithoutQuota);
    await this.queryAlone(recordNewJobs(rows), params);
    this.jobValues.length = 0;
    this.tags.projectIds = [];
    this.tags.tags = [];
    this.tags.triggerIds = [];
    this.assumedWithoutQuota.length = 0;
  }

  /**
   * Inserts all but the last {@link MAX_ROWS_PER_INSERT} rows of `values` (`width` per row), in
   * chunks of that many; returns the last rows' values, for the statement that writes the rest.
   */
  private async insertAllButLast(insert: (rows: number) => Statement, width: number, values: unknown[]): Promise<unknown[]> {
    const rows = values.length / width;
    if (rows <= MAX_ROWS_PER_INSERT) return values;
    const last = (Math.ceil(rows / MAX_ROWS_PER_INSERT) - 1) * MAX_ROWS_PER_INSERT;
    for (let start = 0; start < last; start += MAX_ROWS_PER_INSERT) {
      await this.query(insert(MAX_ROWS_PER_INSERT), values.slice(start * width, (start + MAX_ROWS_PER_INSERT) * width));
    }
    return values.slice(last * width);
  }
}

/**
 * The hot paths on PostgreSQL — a new one-shot without a custom key, a claim, an outcome without
 * callbacks — as named prepared statements on pooled connections, in group commits of their own:
 * the requests that arrive while a transaction is being written share the next one, their new
 * one-shots written by one multi-row INSERT and each project's quota count updated once. They
 * write exactly what the store's Kysely paths for the same operations write (the store contract
 * suite runs both ways).
 *
 * Items run without a savepoint each: every refusal (an HourglassError) is thrown before the
 * item's first write, and any other error fails the whole transaction's items — so no
 * half-written item is committed. New one-shots and dispatch work (claims, outcomes) go in
 * separate transactions: a claim holds its triggers' rows, and must never then wait for a quota
 * count's lock, which an ingest transaction may hold (see withoutBusyGenerators).
 */
export class PostgresFastPaths implements FastPaths {
  /**
   * Each kind's items waiting for its next transaction. One transaction of each kind is in flight
   * at a time, and the items that arrive meanwhile gather for the next: on a busy server, fewer
   * and larger transactions cost less CPU per item (in PostgreSQL and here) than two of a kind
   * written side by side. An ingest transaction and a dispatch one do run side by side.
   */
  private readonly queues: Record<Kind, Item[]> = { ingest: [], dispatch: [] };
  private readonly busy = new Set<Kind>();
  /**
   * The last claim found several projects with triggers due: the next one goes straight to the
   * fair selection, rather than first trying {@link CLAIM_SOLE_PROJECT} in vain.
   */
  private severalProjectsDue = false;
  /**
   * Projects whose quota this node read as none. Their new one-shots are counted without reading
   * it again — one round trip less per transaction — and the statement that writes them checks
   * that none has a quota now (recordNewJobs): the check is in the write's own snapshot, as the
   * read was, so a quota set meanwhile on any node is never overshot.
   */
  private readonly withoutQuota = new BoundedCache<string, true>(MAX_PROJECTS_WITHOUT_QUOTA);
  private scheduled = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly rows: FastPathRows,
    /** PostgreSQL chose the transaction as a deadlock's victim: run it again. */
    private readonly isDeadlock: (error: unknown) => boolean,
  ) {}

  insertJob(input: ScheduleJobInput): Promise<ScheduleResult> {
    return this.submit("ingest", async (batch) => {
      const month = monthOf(input.now);
      let count = batch.usage.known(input.projectId, month);
      if (count === undefined && this.withoutQuota.get(input.projectId)) {
        batch.assumedWithoutQuota.push(input.projectId);
        count = batch.usage.read(input.projectId, month, null, 0);
      } else if (count === undefined) {
        const state = (await batch.queryAlone<{ month_quota: number | null; created: number | null }>(QUOTA_STATE, [month, input.projectId])).rows[0];
        if (state !== undefined && state.month_quota === null) this.withoutQuota.set(input.projectId, true);
        const quota = state?.month_quota ?? null;
        let stored = Number(state?.created ?? 0);
        if (quota !== null) stored = Number((await batch.query<{ created: number }>(LOCK_USAGE, [input.projectId, month])).rows[0]?.created ?? 0);
        count = batch.usage.read(input.projectId, month, quota, stored);
      }
      const monthQuotaRemaining = batch.usage.countOne(count, input.now);
      const id = this.rows.newId();
      pushJobRowValues(batch.jobValues, id, input);
      for (const tag of input.tags) {
        batch.tags.projectIds.push(input.projectId);
        batch.tags.tags.push(tag);
        batch.tags.triggerIds.push(id);
      }
      return { operation: "schedule", kind: "job", id, scheduledAt: input.scheduledAt, monthQuotaRemaining } satisfies ScheduleResult;
    }) as Promise<ScheduleResult>;
  }

  claimDue(now: number, dueBy: number, limit: number, leaseMarginMs: number, slots: SlotUsage | undefined, rotation: number): Promise<ClaimedTrigger[] | null> {
    return this.submit("dispatch", async (batch) => {
      await batch.writeOutcomes();
      const leaseFrom = dueBy + leaseMarginMs;
      if (!this.severalProjectsDue) {
        const takes = soleProjectTakes(limit, slots);
        const { rows: found } = await batch.queryAtomic<TriggerRow & { due_projects: number; leased: number }>(CLAIM_SOLE_PROJECT, [
          now,
          leaseFrom,
          takes.projects,
          takes.takes,
          takes.otherwise,
          dueBy,
        ]);
        const dueProjects = found[0]?.due_projects ?? 0;
        this.severalProjectsDue = dueProjects > 1;
        if (dueProjects <= 1) {
          const selected = found.filter((r) => r.id !== null);
          if (selected.length === 0) return [];
          // Nothing leased: a selected row needs the Kysely path, and the locks went with the statement.
          if (found[0]?.leased === 0) return null;
          return selected.map((r) => toClaimedTrigger(r, leaseFrom + Number(r.timeout_ms)));
        }
      }
      const rows = await selectAsync(fairSelection<TriggerRow>(limit, slots, rotation), async (query) => {
        if (query.kind === "projects") {
          const due = (await batch.query<{ id: string }>(PROJECTS_WITH_DUE, [now, dueBy])).rows.map((r) => r.id);
          this.severalProjectsDue = due.length > 1;
          return due;
        }
        if (query.projectId !== null) return (await batch.query<TriggerRow>(DUE_OF_PROJECT, [now, dueBy, query.projectId, query.take])).rows;
        return (await batch.query<TriggerRow>(DUE, [now, dueBy, query.except, query.take])).rows;
      });
      // Advancing a generator (next tick, missed runs, overlap) and flow control stay on the one Kysely path; the
      // rows locked here are released with this transaction.
      if (rows.some(needsKyselyClaim)) return null;
      if (rows.length === 0) return [];
      await batch.query(LEASE, [leaseFrom, now, rows.map((r) => r.id)]);
      return rows.map((r) => toClaimedTrigger(r, leaseFrom + Number(r.timeout_ms)));
    }) as Promise<ClaimedTrigger[] | null>;
  }

  finishAttempt(result: AttemptResult): Promise<void> {
    return this.submit("dispatch", async (batch) => {
      const row = this.rows.executionRow(result);
      const values = EXECUTION_COLUMNS.map((column) => row[column]);
      if (result.retryAt === null) {
        // Written with the transaction's other final outcomes (see Batch.writeOutcomes).
        batch.executionValues.push(...values);
        const { ids, statuses, finishedAt, attempts } = batch.finishes;
        ids.push(result.triggerId);
        statuses.push(result.outcome);
        finishedAt.push(result.finishedAt);
        attempts.push(result.attempt);
        return;
      }
      await batch.insertExecution(values);
      if ((await batch.query(AWAIT_RETRY, [result.retryAt, result.finishedAt, result.triggerId, result.attempt])).rowCount === 1) return;
      // Cancelled now if this attempt still owns the trigger; either way no retry was scheduled.
      await batch.query(DROP_RETRIES, [result.finishedAt, result.finishedAt, RETRIES_DROPPED, result.triggerId, result.attempt]);
      await batch.query(FORGET_RETRY, [row.id]);
    }) as Promise<void>;
  }

  /** Resolves once nothing is queued or being committed (the store closes the pool after). */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private isIdle(): boolean {
    return this.busy.size === 0 && KINDS.every((kind) => this.queues[kind].length === 0);
  }

  private submit(kind: Kind, work: (batch: Batch) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queues[kind].push({ work, resolve, reject });
      // Requests parsed in the same event-loop turn share a transaction.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.startBatches);
      }
    });
  }

  private readonly startBatches = (): void => {
    this.scheduled = false;
    for (const kind of KINDS) {
      const queue = this.queues[kind];
      if (this.busy.has(kind) || queue.length === 0) continue;
      this.busy.add(kind);
      void this.commit(queue.splice(0, MAX_BATCH)).finally(() => {
        this.busy.delete(kind);
        this.startBatches();
        if (this.isIdle()) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  };

  private async commit(items: Item[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    let broken: Error | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const outcomes = await this.commitOnce(new Batch(client, items.length === 1), items);
          items.forEach((item, i) => {
            const outcome = outcomes[i] as { ok: boolean; value: unknown };
            if (outcome.ok) item.resolve(outcome.value);
            else item.reject(outcome.value);
          });
          return;
        } catch (error) {
          // A project remembered without a quota has one now: every project's quota is read again.
          const quotaAppeared = isQuotaAppeared(error);
          if (quotaAppeared) this.withoutQuota.clear();
          if ((quotaAppeared || this.isDeadlock(error)) && attempt < MAX_RERUNS) continue;
          for (const item of items) item.reject(error);
          // A connection whose ROLLBACK failed too is not given back to the pool.
          if (!(await client.query("SELECT 1").then(() => true, () => false))) broken = error as Error;
          return;
        }
      }
    } finally {
      client.release(broken);
    }
  }

  private async commitOnce(batch: Batch, items: Item[]): Promise<{ ok: boolean; value: unknown }[]> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      for (const item of items) {
        try {
          outcomes.push({ ok: true, value: await item.work(batch) });
        } catch (error) {
          if (!(error instanceof HourglassError)) throw error; // may have written: the whole batch goes
          outcomes.push({ ok: false, value: error });
        }
      }
      await batch.writeAccumulated();
      if (batch.begun) await batch.client.query("COMMIT");
    } catch (error) {
      if (batch.begun) await batch.client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    return outcomes;
  }
}

/** The statement writing new one-shots found a quota on a project remembered without one. */
function isQuotaAppeared(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === QUOTA_APPEARED;
}
