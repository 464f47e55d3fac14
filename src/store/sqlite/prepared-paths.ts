import { type SlotUsage, fairSelection, selectSync } from "../fair-claim.js";
import type { SyncBatchHooks, SyncConnection } from "../group-commit.js";
import { QuotaTally, monthOf } from "../quota.js";
import {
  EXECUTION_COLUMNS,
  JOB_ROW_COLUMNS,
  RETRIES_DROPPED,
  dueForClaimSql,
  needsKyselyClaim,
  type newExecutionRow,
  pushJobRowValues,
  toClaimedTrigger,
} from "../row-builders.js";
import type { TriggerRow } from "../rows.js";
import type { AttemptResult, ClaimedTrigger, ScheduleJobInput, ScheduleResult } from "../types.js";

/** A synchronous SQL connection: prepared (and cached) statements with positional parameters. */
export interface SyncSql extends SyncConnection {
  run(sql: string, params: readonly unknown[]): { changes: number };
  get<T>(sql: string, params: readonly unknown[]): T | undefined;
  all<T>(sql: string, params: readonly unknown[]): T[];
}

// The hot paths' SQL for a synchronous engine (see DialectCapabilities.sync in kysely-store.ts).
// The status lists are literal, as everywhere (see isLive there): partial indexes need them so.
const SQL_QUOTA_STATE = `SELECT p.month_quota, u.created FROM projects p
  LEFT JOIN project_usage u ON u.project_id = p.id AND u.month = ? WHERE p.id = ?`;
const SQL_ADD_INSTANCES = `INSERT INTO project_usage (project_id, month, created) VALUES (?, ?, ?)
  ON CONFLICT (project_id, month) DO UPDATE SET created = created + excluded.created`;
const SQL_INSERT_EXECUTION = `INSERT INTO executions (${EXECUTION_COLUMNS.join(", ")}) VALUES (${EXECUTION_COLUMNS.map(() => "?").join(", ")})`;
// finishAttempt's fenced transitions: only the attempt that holds the claim moves the trigger.
// An instance whose generator was cancelled meanwhile gets no retry: it is cancelled instead.
const SQL_AWAIT_RETRY = `UPDATE triggers SET status = 'registered', due_at = ?, retries_left = retries_left - 1, updated_at = ?
  WHERE id = ? AND status = 'running' AND attempts = ?
  AND NOT EXISTS (SELECT 1 FROM generators g WHERE g.id = triggers.generator_id AND g.status = 'cancelled' AND g.end_reason IS NULL)`;
const SQL_DROP_RETRIES = `UPDATE triggers SET status = 'cancelled', finished_at = ?, updated_at = ?, cancel_reason = ?
  WHERE id = ? AND status = 'running' AND attempts = ?`;
const SQL_FORGET_RETRY = `UPDATE executions SET retry_at = NULL WHERE id = ?`;
// No RETURNING: it builds a temporary table per execution. Releasing a key the trigger never had
// deletes nothing, through custom_keys_by_owner, for less.
const SQL_FINISH = `UPDATE triggers SET status = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status = 'running' AND attempts = ?`;
// claimDue's selection (see fair-claim.ts) and lease; id lists travel as one JSON parameter. The
// selection's first two parameters are `dueBy` and `now`, in that order (dueForClaimSql's).
const SQL_PROJECTS_WITH_DUE = `SELECT p.id FROM projects p WHERE EXISTS (SELECT 1 FROM triggers t
  WHERE t.project_id = p.id AND t.status IN ('registered', 'running') AND ${dueForClaimSql("t.", "?", "?")})`;
const SQL_DUE_OF_PROJECT = `SELECT * FROM triggers WHERE status IN ('registered', 'running') AND ${dueForClaimSql("", "?", "?")}
  AND project_id = ? ORDER BY due_at LIMIT ?`;
const SQL_DUE = `SELECT * FROM triggers WHERE status IN ('registered', 'running') AND ${dueForClaimSql("", "?", "?")}
  AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT ?`;
const SQL_LEASE = `UPDATE triggers SET status = 'running', due_at = timeout_ms + ?, attempts = attempts + 1, updated_at = ?
  WHERE id IN (SELECT value FROM json_each(?))`;
const SQL_RELEASE_KEY = `DELETE FROM custom_keys WHERE owner_id = ?`;
/** Most rows one INSERT of new one-shots carries (25 parameters each, far below SQLite's limit). */
const MAX_JOBS_PER_INSERT = 64;
const JOB_PLACEHOLDERS = `(${JOB_ROW_COLUMNS.map(() => "?").join(", ")})`;
const insertJobsSql: string[] = [];
const insertTagsSql: string[] = [];
/** The INSERT of `rows` tag rows (see listTriggers), its text built once per row count. */
function sqlInsertTags(rows: number): string {
  insertTagsSql[rows] ??= `INSERT INTO trigger_tags (project_id, tag, trigger_id) VALUES ${Array(rows).fill("(?, ?, ?)").join(", ")}`;
  return insertTagsSql[rows];
}
/** The INSERT of `rows` new one-shots, its text built once per row count. */
function sqlInsertJobs(rows: number): string {
  insertJobsSql[rows] ??= `INSERT INTO triggers (${JOB_ROW_COLUMNS.join(", ")}) VALUES ${Array(rows).fill(JOB_PLACEHOLDERS).join(", ")}`;
  return insertJobsSql[rows];
}

/**
 * The hot paths — a new one-shot, a claim, an outcome — as prepared statements on a synchronous
 * connection (better-sqlite3). Each method is one unit of work for a synchronous group commit:
 * the store runs it inside a transaction, and it writes exactly what the store's Kysely path for
 * the same operation writes (the store contract suite runs both ways).
 *
 * They run without a savepoint each, so every deliberate refusal (an HourglassError) must be
 * thrown before the method's first write: keep the reads and checks first.
 */
export class PreparedPaths implements SyncBatchHooks {
  /** Instances counted by this transaction's items, written once before its COMMIT. */
  private readonly usage = new QuotaTally();
  /**
   * The rows of this transaction's new one-shots, as one flat list of values in column order:
   * written by multi-row INSERTs before anything else reads or writes triggers, and before COMMIT
   * (one statement per up to 64 rows costs ≈ 30% less than one each).
   */
  private readonly pendingJobValues: unknown[] = [];
  /** Their tag rows (project, tag, trigger), written right after them. */
  private readonly pendingTagValues: unknown[] = [];

  constructor(
    private readonly sync: SyncSql,
    private readonly rows: { newId: () => string; executionRow: (result: AttemptResult) => ReturnType<typeof newExecutionRow> },
  ) {}

  beforeCommit(): void {
    this.writePendingJobs();
    for (const { projectId, month, added } of this.usage.added()) this.sync.run(SQL_ADD_INSTANCES, [projectId, month, added]);
  }

  end(): void {
    this.usage.clear();
    this.pendingJobValues.length = 0;
    this.pendingTagValues.length = 0;
  }

  private writePendingJobs(): void {
    const values = this.pendingJobValues;
    const chunk = MAX_JOBS_PER_INSERT * JOB_ROW_COLUMNS.length;
    for (let start = 0; start < values.length; start += chunk) {
      const part = start === 0 && values.length <= chunk ? values : values.slice(start, start + chunk);
      this.sync.run(sqlInsertJobs(part.length / JOB_ROW_COLUMNS.length), part);
    }
    values.length = 0;
    const tags = this.pendingTagValues;
    const tagChunk = MAX_JOBS_PER_INSERT * 3;
    for (let start = 0; start < tags.length; start += tagChunk) {
      const part = tags.slice(start, start + tagChunk);
      this.sync.run(sqlInsertTags(part.length / 3), part);
    }
    tags.length = 0;
  }

  /**
   * The store's insertJob for the commonest /schedule — a new one-shot without a custom key — on a
   * synchronous engine: the same rows, written by prepared statements in a synchronous group
   * commit — the row itself is held until the transaction's next statement on triggers, or its
   * COMMIT, and written with the other new one-shots of the transaction by one INSERT. This is
   * the ingest hot path; the Kysely path costs about four times as much CPU.
   */
  insertJob(input: ScheduleJobInput): ScheduleResult {
    const month = monthOf(input.now);
    let count = this.usage.known(input.projectId, month);
    if (count === undefined) {
      const state = this.sync.get<{ month_quota: number | null; created: number | null }>(SQL_QUOTA_STATE, [month, input.projectId]);
      count = this.usage.read(input.projectId, month, state?.month_quota ?? null, Number(state?.created ?? 0));
    }
    const monthQuotaRemaining = this.usage.countOne(count, input.now);
    const id = this.rows.newId();
    pushJobRowValues(this.pendingJobValues, id, input);
    for (const tag of input.tags) this.pendingTagValues.push(input.projectId, tag, id);
    return { operation: "schedule", kind: "job", id, scheduledAt: input.scheduledAt, monthQuotaRemaining };
  }

  /**
   * The store's claimDue on a synchronous engine: the same selection and lease, prepared. Returns
   * null, having written nothing, when the batch holds a generator's first tick or a trigger its
   * flow must admit: advancing a generator (next tick, missed runs, overlap) and flow control stay
   * on the one Kysely path.
   */
  claimDue(now: number, dueBy: number, limit: number, leaseMarginMs: number, slots: SlotUsage | undefined, rotation: number): ClaimedTrigger[] | null {
    this.writePendingJobs();
    const rows = selectSync(fairSelection<TriggerRow>(limit, slots, rotation), (query) => {
      if (query.kind === "projects") return this.sync.all<{ id: string }>(SQL_PROJECTS_WITH_DUE, [dueBy, now]).map((r) => r.id);
      if (query.projectId !== null) return this.sync.all<TriggerRow>(SQL_DUE_OF_PROJECT, [dueBy, now, query.projectId, query.take]);
      return this.sync.all<TriggerRow>(SQL_DUE, [dueBy, now, JSON.stringify(query.except), query.take]);
    });
    if (rows.some(needsKyselyClaim)) return null;
    if (rows.length === 0) return [];
    const leaseFrom = dueBy + leaseMarginMs;
    this.sync.run(SQL_LEASE, [leaseFrom, now, JSON.stringify(rows.map((r) => r.id))]);
    return rows.map((r) => toClaimedTrigger(r, leaseFrom + Number(r.timeout_ms)));
  }

  /** The store's finishAttempt without callbacks to queue: the same writes, prepared. */
  finishAttempt(result: AttemptResult): void {
    this.writePendingJobs();
    const row = this.rows.executionRow(result);
    this.sync.run(SQL_INSERT_EXECUTION, EXECUTION_COLUMNS.map((column) => row[column]));
    if (result.retryAt !== null) {
      if (this.sync.run(SQL_AWAIT_RETRY, [result.retryAt, result.finishedAt, result.triggerId, result.attempt]).changes === 1) return;
      // Cancelled now if this attempt still owns the trigger; either way no retry was scheduled.
      this.sync.run(SQL_DROP_RETRIES, [result.finishedAt, result.finishedAt, RETRIES_DROPPED, result.triggerId, result.attempt]);
      this.sync.run(SQL_FORGET_RETRY, [row.id]);
      return;
    }
    const moved = this.sync.run(SQL_FINISH, [result.outcome, result.finishedAt, result.finishedAt, result.triggerId, result.attempt]);
    if (moved.changes === 1) this.sync.run(SQL_RELEASE_KEY, [result.triggerId]);
  }
}
