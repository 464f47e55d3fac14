import { type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool, type Transaction, type Updateable, sql } from "kysely";
import { ConflictError, GoneError, HourglassError, InvalidInputError, NotFoundError } from "../errors.js";
import { CronSchedule } from "../schedule/cron.js";
import { endOfSchedule } from "../schedule/generator-end.js";
import { planNextInstance } from "../schedule/run-missed.js";
import {
  type Database,
  type GeneratorRow,
  type TriggerRow,
  decodeTags,
  containsPattern,
  deliveryColumns,
  encodeHeaders,
  toExecutionRecord,
  toGeneratorRecord,
  toTriggerRecord,
} from "./rows.js";
import { type SlotUsage, fairSelection, selectAsync } from "./fair-claim.js";
import { type FlowState, admit } from "./flow-admission.js";
import { GroupCommitter, type SyncCommits } from "./group-commit.js";
import { PreparedPaths, type SyncSql } from "./sqlite/prepared-paths.js";
import { monthOf, remainingAfterOne, startOfNextMonth } from "./quota.js";
import {
  RETRIES_DROPPED,
  SUPERSEDED_BY_NEXT_TICK,
  cancelledColumns,
  dueForClaimSql,
  generatorColumns,
  isFirstTick,
  jobColumns,
  needsFlowAdmission,
  newExecutionRow,
  newJobRow,
  toClaimedTrigger,
} from "./row-builders.js";
import { createIdGenerator, idFloorAt } from "./ids.js";
import type { Store } from "./store.js";
import type {
  ApiKeyRecord,
  AttemptResult,
  BatchOutcome,
  BulkAction,
  BulkFilter,
  BulkStepRequest,
  BulkStepResult,
  AttemptTiming,
  CallbackRequest,
  CancelInput,
  ClaimedTrigger,
  ExecutionFilter,
  ExecutionRecord,
  FlowLimits,
  FlowRecord,
  GeneratorRecord,
  KeyOwner,
  Page,
  PageRequest,
  ProjectChanges,
  ProjectDefaults,
  ProjectEgressRules,
  ProjectRecord,
  ScheduleInputBase,
  TriggerListKind,
  TriggerOrigin,
  ScheduleGeneratorInput,
  ScheduleJobInput,
  ScheduleResult,
  StatusCounts,
  StoreEngine,
  TriggerStatus,
  TriggerFilter,
  TriggerRecord,
} from "./types.js";
import { NO_PROJECT_DEFAULTS } from "./types.js";
import { GENERATOR_STATUS, TRIGGER_STATUS } from "./types.js";

/** What differs between database engines, as flags rather than `if (sqlite)` branches. */
export interface DialectCapabilities {
  /** `SELECT … FOR UPDATE SKIP LOCKED` lets several dispatchers claim without blocking each other. */
  skipLocked: boolean;
  /**
   * Other writers run at the same time (PostgreSQL, READ COMMITTED): a read whose answer decides
   * a write — a quota's count, a generator's state — locks its rows (`FOR UPDATE`, or an upsert)
   * until the transaction ends. SQLite has one writer at a time: nothing to lock.
   */
  rowLocks: boolean;
  /**
   * An error after which the whole transaction is run again from its start: PostgreSQL's
   * deadlock victim (concurrent nodes may lock the same rows in opposite orders).
   */
  rerunsTransaction: (error: unknown) => boolean;
  /**
   * The engine's synchronous connection (better-sqlite3), or null. When present, the hot paths
   * run as prepared statements in synchronous group commits instead of through Kysely.
   */
  sync: SyncSql | null;
  /** Bytes of the engine's own write-ahead log (SQLite's `-wal` file); 0 where it has none. */
  walBytes: () => number;
  /** Which engine this is, for the operator's health view. */
  engine: StoreEngine;
  /**
   * The engine's asynchronous hot paths (PostgreSQL's prepared statements in group commits of
   * their own), built with the store's row factories; absent where the engine has none.
   */
  fastPaths?: (rows: FastPathRows) => FastPaths;
}

/** What the store lends its {@link FastPaths}: ids, and execution rows as it stamps them. */
export interface FastPathRows {
  newId: () => string;
  executionRow: (result: AttemptResult) => ReturnType<typeof newExecutionRow>;
}

/**
 * An engine's asynchronous hot paths: each writes exactly what the store's Kysely path for the
 * same operation writes, and resolves once committed.
 */
export interface FastPaths {
  /** A new one-shot without a trigger id or custom key. */
  insertJob(input: ScheduleJobInput): Promise<ScheduleResult>;
  /** claimDue; null, having written nothing, when the batch holds a generator's first tick or a trigger its flow must admit. */
  claimDue(now: number, dueBy: number, limit: number, leaseMarginMs: number, slots: SlotUsage | undefined, rotation: number): Promise<ClaimedTrigger[] | null>;
  /** finishAttempt without callbacks to queue, of a trigger without a flow. */
  finishAttempt(result: AttemptResult): Promise<void>;
  /** Resolves once nothing accepted is left uncommitted. */
  flush(): Promise<void>;
}

export interface StoreOptions {
  /** `ttr-run-missed: all`: the most catch-up runs after one downtime. */
  runMissedCap: number;
  /** A generator tick claimed later than this after its time counts as missed. */
  missedGraceMs: number;
}

type Trx = Transaction<Database>;

/**
 * Thrown inside a transaction when a concurrent one took a custom key first, or released the one
 * it found: the transaction is run again from its savepoint (with a fresh view of the keys).
 */
class CustomKeyRace extends Error {}
/** Thrown inside a transaction when a concurrent one created the same API key first: run again, it finds that key. */
class ApiKeyRace extends Error {}

const MAX_TRANSACTION_RETRIES = 5;
const GROUP_COMMIT_MAX_BATCH = 256;
/** New one-shots may wait a few turns for more /schedule requests to share their commit. */
const GATHER = { gather: true } as const;
/**
 * The status lists are SQL literals, never bound parameters: the partial indexes
 * (`triggers_due`, `triggers_due_by_project`, `triggers_finished`) repeat them, and SQLite only
 * uses a partial index when the query's WHERE term matches the index's literally. With `IN (?, ?)`
 * the claim scanned every row — at a million pending triggers, most of a second per wake-up.
 */
const isLive = (column: "status" | "triggers.status" = "status") => sql<boolean>`${sql.ref(column)} IN ('registered', 'running')`;
const isFinished = (column: "status" | "t.status") => sql<boolean>`${sql.ref(column)} IN ('succeeded', 'failed', 'cancelled')`;
/**
 * A generator's pending instance: its next tick, never attempted. The same terms as the partial
 * unique index `triggers_one_pending_per_generator`; a run-now instance or a tick waiting for a
 * retry is history, never the pending instance.
 */
const isPendingTick = sql<boolean>`status = 'registered' AND origin = 'tick' AND attempts = 0`;
/**
 * The origins of each listed kind, as literals like the status lists: the generator kind is served
 * by the partial index `triggers_of_generators`, which SQLite uses only for its literal terms.
 */
const ORIGINS_BY_KIND: Record<TriggerListKind, RawBuilder<boolean>> = {
  job: sql<boolean>`triggers.origin = 'job'`,
  generator: sql<boolean>`triggers.origin IN ('tick', 'run')`,
  callback: sql<boolean>`triggers.origin = 'callback'`,
};
const CRON_CACHE_SIZE = 1000;
/** Selections one claim makes at most when flows hold back what it selected (see admitByFlows). */
const MAX_FLOW_ROUNDS = 4;
/** The due time of a trigger parked by its flow: out of every due scan (see flow-admission.ts). */
const PARKED_DUE_AT = Number.MAX_SAFE_INTEGER;
/** Parked triggers one event un-parks at most: each that starts and ends un-parks more. */
const MAX_UNPARKED = 1000;

/**
 * The one Store implementation, through Kysely; engine differences are {@link DialectCapabilities}.
 * On an engine with a synchronous connection the hot paths go to {@link PreparedPaths} instead.
 */
export class KyselyStore implements Store {
  private readonly newId = createIdGenerator();
  /** Executions have their own sequence, stamped with each attempt's end (see executionRow). */
  private readonly newExecutionId = createIdGenerator();
  private readonly cronCache = new Map<string, CronSchedule>();
  /** Claims so far: which project comes first in a claim rotates with it. */
  private claims = 0;
  private readonly committer: GroupCommitter<Database>;
  /** The hot paths as prepared statements, when the engine has a synchronous connection. */
  private readonly prepared: PreparedPaths | null;
  /** The hot paths of an engine without one, when it has them (PostgreSQL). */
  private readonly fast: FastPaths | null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly options: StoreOptions,
    /** Runs after Kysely is destroyed: releases what the driver may not own (a file handle, a lock, a thread). */
    private readonly release: () => void | Promise<void> = () => {},
  ) {
    const sync = capabilities.sync;
    let syncCommits: SyncCommits | null = null;
    this.prepared = null;
    this.fast = capabilities.fastPaths?.({ newId: this.newId, executionRow: (result) => this.executionRow(result) }) ?? null;
    if (sync !== null) {
      const prepared = new PreparedPaths(sync, { newId: this.newId, executionRow: (result) => this.executionRow(result) });
      this.prepared = prepared;
      // The prepared paths run without a savepoint each (two statements fewer per item): every
      // error they throw on purpose — a refused quota, an HourglassError — comes before their
      // first write; any other error fails the whole group commit (see SyncCommits).
      syncCommits = { connection: sync, isRefusal: (error) => error instanceof HourglassError, hooks: prepared };
    }
    this.committer = new GroupCommitter(
      db,
      GROUP_COMMIT_MAX_BATCH,
      (error) => error instanceof CustomKeyRace || error instanceof ApiKeyRace,
      MAX_TRANSACTION_RETRIES,
      syncCommits,
      capabilities.rerunsTransaction,
    );
  }

  async ensureApiKey(keyHash: string, keyPrefix: string, now: number): Promise<string> {
    return this.transaction((trx) => this.ensureKeyIn(trx, keyHash, keyPrefix, now));
  }

  async provisionApiKeys(keys: readonly { hash: string; prefix: string }[], now: number): Promise<string[]> {
    return this.transaction(async (trx) => {
      for (const key of keys) {
        await this.ensureKeyIn(trx, key.hash, key.prefix, now);
        await trx.insertInto("configured_api_keys").values({ key_hash: key.hash }).onConflict((oc) => oc.doNothing()).execute();
      }
      const listed = new Set(keys.map((key) => key.hash));
      const unlisted = (
        await trx
          .selectFrom("configured_api_keys")
          .innerJoin("api_keys", "api_keys.key_hash", "configured_api_keys.key_hash")
          .select(["api_keys.id", "api_keys.key_hash", "api_keys.key_prefix"])
          .where("api_keys.revoked_at", "is", null)
          .execute()
      ).filter((row) => !listed.has(row.key_hash));
      for (const row of unlisted) await trx.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", row.id).execute();
      return unlisted.map((row) => row.key_prefix);
    });
  }

  private async ensureKeyIn(trx: Trx, keyHash: string, keyPrefix: string, now: number): Promise<string> {
    const existing = await trx.selectFrom("api_keys").select("project_id").where("key_hash", "=", keyHash).executeTakeFirst();
    if (existing) return existing.project_id;
    const projectId = this.newId();
    await trx.insertInto("projects").values({ id: projectId, name: `project ${keyPrefix}`, created_at: now }).execute();
    // Nodes starting together with the same HOURGLASS_API_KEYS: the first to insert the key wins,
    // the others run again from their savepoint (dropping their project) and find it.
    const inserted = await trx
      .insertInto("api_keys")
      .values({ id: this.newId(), project_id: projectId, key_hash: keyHash, key_prefix: keyPrefix, created_at: now, revoked_at: null })
      .onConflict((oc) => oc.column("key_hash").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new ApiKeyRace();
    return projectId;
  }

  async findApiKey(keyHash: string): Promise<KeyOwner | null> {
    const row = await this.db
      .selectFrom("api_keys")
      .innerJoin("projects", "projects.id", "api_keys.project_id")
      .select(["api_keys.id", "api_keys.project_id", "api_keys.key_hash", "projects.rate_limit"])
      .where("api_keys.key_hash", "=", keyHash)
      .where("api_keys.revoked_at", "is", null)
      .executeTakeFirst();
    if (!row) return null;
    return { projectId: row.project_id, keyId: row.id, keyHash: row.key_hash, rateLimit: row.rate_limit === null ? null : Number(row.rate_limit) };
  }

  async createProject(name: string, now: number): Promise<ProjectRecord> {
    const id = this.newId();
    await this.db.insertInto("projects").values({ id, name, created_at: now }).execute();
    return {
      id,
      name,
      createdAt: now,
      monthQuota: null,
      rateLimit: null,
      usedThisMonth: 0,
      egress: { allowedTargets: [], allowedPorts: [] },
      defaults: { ...NO_PROJECT_DEFAULTS },
    };
  }

  async listProjects(now: number): Promise<ProjectRecord[]> {
    const rows = await this.db
      .selectFrom("projects")
      .leftJoin("project_usage", (join) =>
        join.onRef("project_usage.project_id", "=", "projects.id").on("project_usage.month", "=", monthOf(now)),
      )
      .leftJoin("project_egress", "project_egress.project_id", "projects.id")
      .select(["projects.id", "projects.name", "projects.created_at", "projects.month_quota", "projects.rate_limit", "project_usage.created"])
      .select(["project_egress.allowed_targets", "project_egress.allowed_ports"])
      .select(PROJECT_DEFAULT_COLUMNS)
      .orderBy("projects.id")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: Number(row.created_at),
      monthQuota: row.month_quota === null ? null : Number(row.month_quota),
      rateLimit: row.rate_limit === null ? null : Number(row.rate_limit),
      usedThisMonth: Number(row.created ?? 0),
      egress: egressRules(row.allowed_targets, row.allowed_ports),
      defaults: projectDefaults(row),
    }));
  }

  async getProjectDefaults(projectId: string): Promise<ProjectDefaults> {
    const row = await this.db.selectFrom("projects").select(PROJECT_DEFAULT_COLUMNS).where("id", "=", projectId).executeTakeFirst();
    return row === undefined ? { ...NO_PROJECT_DEFAULTS } : projectDefaults(row);
  }

  async getProjectEgress(projectId: string): Promise<ProjectEgressRules> {
    const row = await this.db
      .selectFrom("project_egress")
      .select(["allowed_targets", "allowed_ports"])
      .where("project_id", "=", projectId)
      .executeTakeFirst();
    return egressRules(row?.allowed_targets ?? null, row?.allowed_ports ?? null);
  }

  async updateProject(projectId: string, changes: ProjectChanges, now: number): Promise<ProjectRecord> {
    const set: Updateable<Database["projects"]> = {};
    const defaults = changes.defaults ?? {};
    if (defaults.retries !== undefined) set.default_retries = defaults.retries;
    if (defaults.retryDelayMs !== undefined) set.default_retry_delay_ms = defaults.retryDelayMs;
    if (defaults.timeoutMs !== undefined) set.default_timeout_ms = defaults.timeoutMs;
    if (defaults.callbackUrl !== undefined) set.default_callback_url = defaults.callbackUrl;
    if (defaults.failureUrl !== undefined) set.default_failure_url = defaults.failureUrl;
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.monthQuota !== undefined) set.month_quota = changes.monthQuota;
    if (changes.rateLimit !== undefined) set.rate_limit = changes.rateLimit;
    if (Object.keys(set).length > 0) await this.db.updateTable("projects").set(set).where("id", "=", projectId).execute();
    const egress: { allowed_targets?: string; allowed_ports?: string } = {};
    if (changes.allowedTargets !== undefined) egress.allowed_targets = JSON.stringify(changes.allowedTargets);
    if (changes.allowedPorts !== undefined) egress.allowed_ports = JSON.stringify(changes.allowedPorts);
    const known = await this.db.selectFrom("projects").select("id").where("id", "=", projectId).executeTakeFirst();
    if (known && Object.keys(egress).length > 0) {
      await this.db
        .insertInto("project_egress")
        .values({ project_id: projectId, ...egress })
        .onConflict((oc) => oc.column("project_id").doUpdateSet(egress))
        .execute();
    }
    const project = (await this.listProjects(now)).find((p) => p.id === projectId);
    if (!project) throw new NotFoundError("project_not_found", `No project ${projectId}.`);
    return project;
  }

  async createApiKey(projectId: string, keyHash: string, keyPrefix: string, now: number): Promise<ApiKeyRecord> {
    const project = await this.db.selectFrom("projects").select("id").where("id", "=", projectId).executeTakeFirst();
    if (!project) throw new NotFoundError("project_not_found", `No project ${projectId}.`);
    const id = this.newId();
    await this.db
      .insertInto("api_keys")
      .values({ id, project_id: projectId, key_hash: keyHash, key_prefix: keyPrefix, created_at: now, revoked_at: null })
      .execute();
    return { id, projectId, prefix: keyPrefix, createdAt: now, revokedAt: null };
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom("api_keys").selectAll().where("project_id", "=", projectId).orderBy("id").execute();
    return rows.map((row) => ({
      id: row.id,
      projectId: row.project_id,
      prefix: row.key_prefix,
      createdAt: Number(row.created_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    }));
  }

  async revokeApiKey(keyId: string, now: number): Promise<void> {
    // One conditional statement: of two concurrent revocations, one revokes and the other is told 410.
    const revoked = await this.db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", keyId).where("revoked_at", "is", null).executeTakeFirst();
    if (revoked.numUpdatedRows === 1n) return;
    const row = await this.db.selectFrom("api_keys").select("id").where("id", "=", keyId).executeTakeFirst();
    if (!row) throw new NotFoundError("key_not_found", `No API key ${keyId}.`);
    throw new GoneError("key_revoked", `API key ${keyId} is already revoked.`);
  }

  async countApiKeys(): Promise<number> {
    const row = await this.db
      .selectFrom("api_keys")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("revoked_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async scheduleJob(input: ScheduleJobInput): Promise<ScheduleResult> {
    const prepared = this.prepared;
    // The hot path: a new one-shot that changes no flow's limits.
    const plain = input.triggerId === null && input.customKey === null && (input.flowLimits ?? null) === null;
    if (prepared !== null && plain) return this.committer.runSync(() => prepared.insertJob(input), GATHER);
    if (this.fast !== null && plain) return this.fast.insertJob(input);
    return this.transaction((trx) => this.scheduleJobIn(trx, input));
  }

  async scheduleBatch(inputs: readonly ScheduleJobInput[]): Promise<BatchOutcome[]> {
    return this.transaction(async (trx) => {
      const outcomes: BatchOutcome[] = [];
      for (const input of inputs) outcomes.push(await refusable(trx, () => this.scheduleJobIn(trx, input)));
      return outcomes;
    });
  }

  async bulkStep(projectId: string, action: BulkAction, filter: BulkFilter, step: BulkStepRequest): Promise<BulkStepResult> {
    return this.transaction(async (trx) => {
      // A window of the project's triggers, newest first: every step reads a bounded number of
      // rows, however few of them match.
      let scan = trx.selectFrom("triggers").select("id").where("project_id", "=", projectId);
      if (step.cursor !== null) scan = scan.where("id", "<", step.cursor);
      const window = (await scan.orderBy("id", "desc").limit(step.window).execute()).map((r) => r.id);
      if (window.length === 0) return { matched: 0, affected: 0, nextCursor: null };
      const nextCursor = window.length < step.window ? null : (window[window.length - 1] as string);
      const matched = await trx
        .selectFrom("triggers")
        .select("id")
        .where("id", "in", window)
        .where((eb) => bulkTerms(eb, projectId, action, filter))
        .orderBy("id", "desc")
        .execute();
      if (step.dryRun) return { matched: matched.length, affected: 0, nextCursor };
      let affected = 0;
      for (const { id } of matched) {
        const act = async (): Promise<void> => {
          if (action === "cancel") await this.cancelById(trx, projectId, id, step.now);
          else await this.replayIn(trx, projectId, id, step.now);
        };
        if ((await refusable(trx, act)).ok) affected++;
      }
      return { matched: matched.length, affected, nextCursor };
    });
  }

  async editJob(projectId: string, id: string, edit: (current: TriggerRecord) => ScheduleJobInput): Promise<ScheduleResult> {
    return this.transaction(async (trx) => {
      const row = await this.findEditableJob(trx, projectId, id, null);
      const input = edit(toTriggerRecord(row));
      assertSameKey(row.id, row.custom_key, input.customKey);
      await this.applyFlowLimits(trx, input);
      return this.updateJob(trx, row.id, input);
    });
  }

  async editGenerator(
    projectId: string,
    id: string,
    edit: ((current: GeneratorRecord) => ScheduleGeneratorInput) | null,
    paused: boolean | null,
    now: number,
  ): Promise<void> {
    await this.transaction(async (trx) => {
      // Paused first, so the edit materializes no tick; resumed last, from the edited schedule.
      if (paused === true) await this.setPausedIn(trx, projectId, id, true, now);
      if (edit !== null) {
        const row = await this.findEditableGenerator(trx, projectId, id, null);
        const pending = await this.pendingInstances(trx, [row.id]);
        const input = edit(toGeneratorRecord(row, pending.get(row.id)));
        assertSameKey(row.id, row.custom_key, input.customKey);
        await this.applyFlowLimits(trx, input);
        await this.updateGenerator(trx, row.id, input, this.firstTick(input));
      }
      if (paused === false) await this.setPausedIn(trx, projectId, id, false, now);
    });
  }

  private async scheduleJobIn(trx: Trx, input: ScheduleJobInput): Promise<ScheduleResult> {
    await this.applyFlowLimits(trx, input);
    if (input.triggerId !== null) {
      const row = await this.findEditableJob(trx, input.projectId, input.triggerId, input.customKey);
      return this.updateJob(trx, row.id, input);
    }
    if (input.customKey !== null) {
      const owner = await this.findKeyOwner(trx, input.projectId, input.customKey);
      if (owner?.owner_kind === "job") return this.updateJob(trx, owner.owner_id, input, true);
      if (owner?.owner_kind === "generator") {
        await this.cancelGeneratorRow(trx, owner.owner_id, input.now, "replaced by a one-shot trigger with the same custom key");
      }
    }
    return this.insertJob(trx, input);
  }

  /** A generator's first tick after `now`; refuses an expression that never fires again. */
  private firstTick(input: ScheduleGeneratorInput): number {
    const firstAt = this.cron(input.cronExpr, input.cronTz).nextAfter(input.now);
    if (firstAt === null) {
      throw new InvalidInputError("cron_never_fires", `cron(${input.cronExpr}) never fires after now.`);
    }
    if (input.endsAt !== null && firstAt > input.endsAt) {
      throw new InvalidInputError(
        "invalid_ends_at",
        `ttr-ends-at ${new Date(input.endsAt).toISOString()} is before the first tick, ${new Date(firstAt).toISOString()}: the generator would never fire. Cancel it instead.`,
      );
    }
    return firstAt;
  }

  async scheduleGenerator(input: ScheduleGeneratorInput): Promise<ScheduleResult> {
    const firstAt = this.firstTick(input);
    return this.transaction(async (trx) => {
      await this.applyFlowLimits(trx, input);
      if (input.triggerId !== null) {
        const generator = await this.findEditableGenerator(trx, input.projectId, input.triggerId, input.customKey);
        return this.updateGenerator(trx, generator.id, input, firstAt);
      }
      if (input.customKey !== null) {
        const owner = await this.findKeyOwner(trx, input.projectId, input.customKey);
        if (owner?.owner_kind === "generator") return this.updateGenerator(trx, owner.owner_id, input, firstAt);
        if (owner?.owner_kind === "job") {
          await this.cancelWaitingTrigger(trx, owner.owner_id, input.now, "replaced by a generator with the same custom key");
        }
      }
      return this.insertGenerator(trx, input, firstAt);
    });
  }

  async cancel(input: CancelInput): Promise<void> {
    await this.transaction(async (trx) => {
      if (input.triggerId !== null) return this.cancelById(trx, input.projectId, input.triggerId, input.now);
      if (input.customKey !== null) return this.cancelByKey(trx, input.projectId, input.customKey, input.now);
      throw new InvalidInputError("missing_identifier", "Give exactly one of ttr-trigger-id or ttr-custom-key.");
    });
  }

  async claimDue(now: number, limit: number, leaseMarginMs: number, slots?: SlotUsage, dueBy = now): Promise<ClaimedTrigger[]> {
    if (dueBy < now) throw new RangeError("claimDue: dueBy is earlier than now");
    const rotation = this.claims++;
    const prepared = this.prepared;
    if (prepared !== null) {
      const claimed = await this.committer.runSync(() => prepared.claimDue(now, dueBy, limit, leaseMarginMs, slots, rotation));
      if (claimed !== null) return claimed;
    }
    if (this.fast !== null) {
      const claimed = await this.fast.claimDue(now, dueBy, limit, leaseMarginMs, slots, rotation);
      if (claimed !== null) return claimed;
    }
    return this.transaction(async (trx) => {
      const rows: TriggerRow[] = [];
      // Triggers their flow holds back leave the due scan: look again for others due, a few times.
      for (let round = 0; round < MAX_FLOW_ROUNDS && rows.length < limit; round++) {
        const selected = await this.selectDueFairly(trx, now, dueBy, limit - rows.length, slots && withClaimed(slots, rows), rotation);
        const admitted = await this.admitByFlows(trx, await this.withoutBusyGenerators(trx, selected, now), now);
        if (admitted.length > 0) {
          // The lease outlives the attempt's own timeout, so a slow target never causes a second claim.
          await trx
            .updateTable("triggers")
            .set((eb) => ({
              status: "running",
              due_at: eb("timeout_ms", "+", dueBy + leaseMarginMs),
              attempts: eb("attempts", "+", 1),
              updated_at: now,
              flow_window: null,
            }))
            .where("id", "in", admitted.map((r) => r.id))
            .execute();
          rows.push(...admitted);
        }
        if (admitted.length === selected.length || selected.length === 0) break;
      }
      if (rows.length === 0) return [];

      // Only the first claim of a tick advances its generator; retries, replays and claims that
      // take over an expired lease do not.
      const firstTicks = rows.filter(isFirstTick);
      const { skipped, superseded } = await this.advanceGenerators(trx, firstTicks, now);

      return rows
        .filter((r) => !skipped.has(r.id))
        .map((r) => {
          const claim = toClaimedTrigger(r, dueBy + leaseMarginMs + Number(r.timeout_ms));
          const ids = superseded.get(r.id);
          return ids === undefined ? claim : { ...claim, supersedes: { ids, reason: SUPERSEDED_BY_NEXT_TICK } };
        });
    });
  }

  /**
   * Where other nodes write concurrently: locks what claiming a generator's first tick writes
   * besides the tick — its generator (advanced) and its project's quota count for this month
   * (the next tick is counted) — leaving out the ticks whose generator or count another
   * transaction holds: an edit, a pause, a cancel (which may replace that very tick), a
   * /schedule of the same project. They are claimed next time, if still pending. A claim never
   * waits for a lock while it holds its triggers' rows: waiting there deadlocked with edits whose
   * transaction (a group commit) held the count and waited for a claimed tick.
   */
  private async withoutBusyGenerators(trx: Trx, rows: TriggerRow[], now: number): Promise<TriggerRow[]> {
    if (!this.capabilities.rowLocks) return rows;
    const ticks = rows.filter(isFirstTick);
    if (ticks.length === 0) return rows;
    const generatorIds = [...new Set(ticks.map((r) => r.generator_id as string))];
    const freeGenerators = new Set(
      (await trx.selectFrom("generators").select("id").where("id", "in", generatorIds).forUpdate().skipLocked().execute()).map((g) => g.id),
    );
    const projectIds = [...new Set(ticks.filter((r) => freeGenerators.has(r.generator_id as string)).map((r) => r.project_id))];
    const freeProjects = projectIds.length === 0 ? new Set<string>() : await this.lockUsageSkipping(trx, projectIds, monthOf(now));
    return rows.filter((r) => !isFirstTick(r) || (freeGenerators.has(r.generator_id as string) && freeProjects.has(r.project_id)));
  }

  /**
   * Flow control (flow-admission.ts) of a claim's rows: returns those that start now. Of the
   * others, in the same transaction, those over their flow's parallelism are parked and those
   * over its rate wait for a later window. A retry counts as an attempt; a running row whose
   * lease expired was admitted already. Where other nodes claim too, a flow another transaction
   * holds is left for the next claim: its rows stay due, untouched.
   */
  private async admitByFlows(trx: Trx, rows: TriggerRow[], now: number): Promise<TriggerRow[]> {
    const governed = rows.filter(needsFlowAdmission);
    if (governed.length === 0) return rows;
    const flowId = (r: { project_id: string; flow_key: string | null }) => `${r.project_id}\u0000${r.flow_key}`;
    const keys = new Map(governed.map((r) => [flowId(r), { projectId: r.project_id, key: r.flow_key as string }]));
    const read = (only: Iterable<{ projectId: string; key: string }>) =>
      trx
        .selectFrom("flows")
        .selectAll()
        .where((eb) => eb.or([...only].map(({ projectId, key }) => eb.and([eb("project_id", "=", projectId), eb("flow_key", "=", key)]))));
    const locked = await (this.capabilities.skipLocked ? read(keys.values()).forUpdate().skipLocked() : read(keys.values())).execute();
    const flows = new Map<string, FlowState>();
    for (const flow of locked) {
      keys.delete(flowId(flow));
      if (flow.parallelism === null && flow.rate === null) continue;
      const running = flow.parallelism === null ? 0 : await this.runningInFlow(trx, flow.project_id, flow.flow_key);
      flows.set(flowId(flow), { parallelism: flow.parallelism, rate: flow.rate, window: Number(flow.rate_window), taken: Number(flow.rate_taken), running });
    }
    // A flow without a row has no limits (a key given alone); one whose row another transaction
    // holds (where rows lock) is left for the next claim.
    const held = new Set(keys.size === 0 || !this.capabilities.skipLocked ? [] : (await read(keys.values()).execute()).map(flowId));
    const candidates = governed.filter((r) => !held.has(flowId(r)));
    const decisions = admit(
      candidates.map((r) => ({ id: r.id, flow: flowId(r), reservedWindow: r.flow_window === null ? null : Number(r.flow_window) })),
      flows,
      now,
    );
    const parked: string[] = [];
    const waiting = new Map<number, string[]>();
    for (const [id, decision] of decisions) {
      if (decision.kind === "park") parked.push(id);
      if (decision.kind === "wait") waiting.set(decision.window, [...(waiting.get(decision.window) ?? []), id]);
    }
    if (parked.length > 0) {
      await trx
        .updateTable("triggers")
        .set((eb) => ({ flow_parked_due: eb.ref("due_at"), due_at: PARKED_DUE_AT, updated_at: now }))
        .where("id", "in", parked)
        .execute();
    }
    for (const [window, ids] of waiting) {
      await trx.updateTable("triggers").set({ due_at: window, flow_window: window, updated_at: now }).where("id", "in", ids).execute();
    }
    for (const flow of locked) {
      const state = flows.get(flowId(flow));
      if (state === undefined || state.rate === null || (state.window === Number(flow.rate_window) && state.taken === Number(flow.rate_taken))) continue;
      await trx
        .updateTable("flows")
        .set({ rate_window: state.window, rate_taken: state.taken })
        .where("project_id", "=", flow.project_id)
        .where("flow_key", "=", flow.flow_key)
        .execute();
    }
    return rows.filter((r) => !needsFlowAdmission(r) || decisions.get(r.id)?.kind === "start");
  }

  /** The flow's attempts in flight: its running triggers. */
  private async runningInFlow(trx: Trx, projectId: string, flowKey: string): Promise<number> {
    const row = await trx
      .selectFrom("triggers")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("project_id", "=", projectId)
      .where("flow_key", "=", flowKey)
      .where(sql<boolean>`status = 'running' AND flow_key IS NOT NULL`)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * An attempt of the flow ended, or its limits changed: un-parks as many of its parked triggers
   * as it has places free now, longest parked first, each due again at the time it had. The flow
   * is locked first (where nodes claim concurrently), so no claim is parking triggers meanwhile.
   */
  private async unparkFlow(trx: Trx, projectId: string, flowKey: string): Promise<void> {
    const flow = await this.locking(
      trx.selectFrom("flows").select("parallelism").where("project_id", "=", projectId).where("flow_key", "=", flowKey),
    ).executeTakeFirst();
    const parallelism = flow?.parallelism ?? null;
    const free = parallelism === null ? MAX_UNPARKED : Math.min(MAX_UNPARKED, parallelism - (await this.runningInFlow(trx, projectId, flowKey)));
    if (free <= 0) return;
    // One statement: the longest parked of the flow, due again at the time each had.
    await trx
      .updateTable("triggers")
      .set((eb) => ({ due_at: eb.fn.coalesce("flow_parked_due", eb.ref("due_at")), flow_parked_due: null }))
      .where("id", "in", (eb) =>
        eb
          .selectFrom("triggers as p")
          .select("p.id")
          .where("p.project_id", "=", projectId)
          .where("p.flow_key", "=", flowKey)
          .where("p.flow_parked_due", "is not", null)
          .where("p.status", "=", "registered")
          .orderBy("p.flow_parked_due")
          .limit(free),
      )
      .execute();
  }

  /** Sets the limits an input gives its flow (creating the flow), replacing the flow's; then un-parks what they let start. */
  private async applyFlowLimits(trx: Trx, input: ScheduleInputBase): Promise<void> {
    const limits = input.flowLimits ?? null;
    const flowKey = input.delivery.flowKey;
    if (limits === null || flowKey === null) return;
    const { projectId, now } = input;
    await trx
      .insertInto("flows")
      .values({ project_id: projectId, flow_key: flowKey, parallelism: limits.parallelism, rate: limits.rate, updated_at: now })
      .onConflict((oc) => oc.columns(["project_id", "flow_key"]).doUpdateSet({ parallelism: limits.parallelism, rate: limits.rate, updated_at: now }))
      .execute();
    await this.unparkFlow(trx, projectId, flowKey);
  }

  /** Locks the quota counts of `projectIds` for `month` that no other transaction holds; returns those projects. */
  private async lockUsageSkipping(trx: Trx, projectIds: string[], month: string): Promise<Set<string>> {
    const usage = (eb: Trx) => eb.selectFrom("project_usage").select("project_id").where("month", "=", month).where("project_id", "in", projectIds);
    const existing = new Set((await usage(trx).execute()).map((r) => r.project_id));
    const missing = projectIds.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      await trx
        .insertInto("project_usage")
        .values(missing.map((projectId) => ({ project_id: projectId, month, created: 0 })))
        .onConflict((oc) => oc.columns(["project_id", "month"]).doNothing())
        .execute();
    }
    return new Set((await usage(trx).forUpdate().skipLocked().execute()).map((r) => r.project_id));
  }

  /** {@link fairSelection} through Kysely (row locks skipped where the engine has them). */
  private async selectDueFairly(trx: Trx, now: number, dueBy: number, limit: number, slots: SlotUsage | undefined, rotation: number): Promise<TriggerRow[]> {
    // Two epoch-millisecond numbers, written as literals: this path is not a prepared one.
    const dueForClaim = (t: "" | "triggers.") => sql<boolean>`${sql.raw(dueForClaimSql(t, String(Number(now)), String(Number(dueBy))))}`;
    return selectAsync(fairSelection<TriggerRow>(limit, slots, rotation), async (query) => {
      if (query.kind === "projects") {
        const rows = await trx
          .selectFrom("projects")
          .select("id")
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom("triggers")
                .select("triggers.id")
                .whereRef("triggers.project_id", "=", "projects.id")
                .where(isLive("triggers.status"))
                .where(dueForClaim("triggers.")),
            ),
          )
          .execute();
        return rows.map((r) => r.id);
      }
      let due = trx.selectFrom("triggers").selectAll().where(isLive()).where(dueForClaim("")).orderBy("due_at").limit(query.take);
      if (query.projectId !== null) due = due.where("project_id", "=", query.projectId);
      if (query.except.length > 0) due = due.where("id", "not in", query.except);
      if (this.capabilities.skipLocked) due = due.forUpdate().skipLocked();
      return due.execute();
    });
  }

  async finishAttempt(result: AttemptResult): Promise<void> {
    const prepared = this.prepared;
    const flowKey = result.flowKey ?? null;
    const simple = result.callbacks.length === 0 && flowKey === null;
    if (prepared !== null && simple) return this.committer.runSync(() => prepared.finishAttempt(result));
    if (this.fast !== null && simple) return this.fast.finishAttempt(result);
    await this.transaction(async (trx) => {
      await this.recordOutcome(trx, result);
      // Its place in the flow is free now, whether or not this attempt still owned the trigger.
      if (flowKey !== null) await this.unparkFlow(trx, result.projectId, flowKey);
    });
  }

  /** finishAttempt's writes: the execution, and the trigger moved on if this attempt still owns it. */
  private async recordOutcome(trx: Trx, result: AttemptResult): Promise<void> {
    const execution = this.executionRow(result);
    await trx.insertInto("executions").values(execution).execute();
    // Fenced by the attempt number: if this attempt's lease expired and another claim took the
    // trigger over, the execution is still recorded but the newer attempt owns the state.
    const fenced = trx
      .updateTable("triggers")
      .where("id", "=", result.triggerId)
      .where("status", "=", "running")
      .where("attempts", "=", result.attempt);
    if (result.retryAt !== null) {
      const retried = await fenced
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("generators as g")
                .select("g.id")
                .whereRef("g.id", "=", "triggers.generator_id")
                .where("g.status", "=", "cancelled")
                .where("g.end_reason", "is", null),
            ),
          ),
        )
        .set((eb) => ({ status: "registered", due_at: result.retryAt as number, retries_left: eb("retries_left", "-", 1), updated_at: result.finishedAt }))
        .executeTakeFirst();
      if (retried.numUpdatedRows === 0n) {
        // Cancelled now if this attempt still owns the trigger; either way no retry was scheduled.
        await fenced.set(cancelledColumns(result.finishedAt, RETRIES_DROPPED)).executeTakeFirst();
        await trx.updateTable("executions").set({ retry_at: null }).where("id", "=", execution.id).execute();
      }
      return;
    }
    // Released when the attempt moved the trigger, as on the prepared path: deleting the key of a
    // trigger that never had one deletes nothing.
    const moved = await fenced.set({ status: result.outcome, finished_at: result.finishedAt, updated_at: result.finishedAt }).executeTakeFirst();
    if (moved.numUpdatedRows === 0n) return;
    await this.releaseKey(trx, result.triggerId);
    for (const callback of result.callbacks) {
      await this.insertCallback(trx, result.triggerId, result.projectId, callback, result.finishedAt);
    }
  }

  /** Execution ids are stamped with the attempt's end, so pruning by age is a range of the primary key. */
  private executionRow(result: AttemptResult) {
    return newExecutionRow(this.newExecutionId(result.finishedAt), result);
  }

  async replay(projectId: string, triggerId: string, now: number): Promise<{ scheduledAt: number }> {
    return this.transaction((trx) => this.replayIn(trx, projectId, triggerId, now));
  }

  private async replayIn(trx: Trx, projectId: string, triggerId: string, now: number): Promise<{ scheduledAt: number }> {
    const row = await trx
      .selectFrom("triggers")
      .select(["id", "status", "custom_key"])
      .where("project_id", "=", projectId)
      .where("id", "=", triggerId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError("trigger_not_found", `No trigger ${triggerId} in this project.`);
    if (row.status !== "succeeded" && row.status !== "failed") {
      throw new ConflictError(
        "trigger_not_executed",
        `Trigger ${triggerId} is ${row.status}; only an executed (succeeded or failed) trigger can be replayed.`,
      );
    }
    // Live again, it owns its custom key again — unless another live trigger took the key meanwhile.
    if (row.custom_key !== null) {
      const owner = await this.findKeyOwner(trx, projectId, row.custom_key);
      if (owner) {
        throw new ConflictError(
          "custom_key_in_use",
          `Custom key "${row.custom_key}" now belongs to ${owner.owner_kind === "job" ? "trigger" : "generator"} ${owner.owner_id}; cancel it before replaying ${triggerId}.`,
        );
      }
      await this.claimKey(trx, projectId, row.custom_key, "job", triggerId);
    }
    // Conditional, for a concurrent replay of the same trigger on another node: one of them replays it.
    const replayed = await trx
      .updateTable("triggers")
      .set((eb) => ({ status: "registered", due_at: now, retries_left: eb.ref("retries"), finished_at: null, updated_at: now }))
      .where("id", "=", triggerId)
      .where("status", "in", ["succeeded", "failed"])
      .executeTakeFirst();
    if (replayed.numUpdatedRows !== 1n) {
      throw new ConflictError("trigger_not_executed", `Trigger ${triggerId} is being replayed already; only an executed trigger can be replayed.`);
    }
    return { scheduledAt: now };
  }


  async setGeneratorPaused(projectId: string, generatorId: string, paused: boolean, now: number): Promise<void> {
    await this.transaction((trx) => this.setPausedIn(trx, projectId, generatorId, paused, now));
  }

  private async setPausedIn(trx: Trx, projectId: string, generatorId: string, paused: boolean, now: number): Promise<void> {
    const generator = await this.findLiveGenerator(trx, projectId, generatorId);
    if (paused && generator.status === "active") {
      const pending = await this.pendingInstances(trx, [generator.id]);
      await trx
        .updateTable("generators")
        .set({ status: "paused", resume_at: pending.get(generator.id)?.scheduled_at ?? null, updated_at: now })
        .where("id", "=", generator.id)
        .execute();
      await this.withdrawPendingTick(trx, generator.id, now, "generator paused");
    }
    if (!paused && generator.status === "paused") {
      // The tick that was pending comes back; if its time passed during the pause, the claim
      // treats it (and the ticks after it) as missed, per ttr-run-missed.
      const resumeAt = generator.resume_at ?? this.cron(generator.cron_expr, generator.cron_tz).nextAfter(now);
      await trx
        .updateTable("generators")
        .set({ status: "active", resume_at: null, catchup_left: null, updated_at: now })
        .where("id", "=", generator.id)
        .execute();
      if (resumeAt === null) return this.cancelGeneratorRow(trx, generator.id, now, "its cron expression fires no more");
      await this.materializeTick(trx, generator, Number(resumeAt), now, null);
    }
  }

  async runGeneratorNow(projectId: string, generatorId: string, now: number): Promise<{ triggerId: string; scheduledAt: number }> {
    return this.transaction(async (trx) => {
      const generator = await this.findLiveGenerator(trx, projectId, generatorId);
      await this.consumeQuota(trx, projectId, now);
      const triggerId = await this.insertInstance(trx, generator, now, now, "run");
      return { triggerId, scheduledAt: now };
    });
  }

  async getSigningSecrets(projectId: string): Promise<string[]> {
    const row = await this.db.selectFrom("projects").select("signing_secrets").where("id", "=", projectId).executeTakeFirst();
    return row ? (JSON.parse(row.signing_secrets) as string[]) : [];
  }

  async setSigningSecrets(projectId: string, secrets: string[]): Promise<void> {
    await this.db.updateTable("projects").set({ signing_secrets: JSON.stringify(secrets) }).where("id", "=", projectId).execute();
  }

  async pruneHistory(before: number, limit: number): Promise<number> {
    return this.transaction(async (trx) => {
      const executions = await trx
        .deleteFrom("executions")
        .where("id", "in", (eb) => eb.selectFrom("executions").select("id").where("id", "<", idFloorAt(before)).orderBy("id").limit(limit))
        .executeTakeFirst();
      const removed = Number(executions.numDeletedRows);
      if (removed >= limit) return removed;
      // A finished trigger goes once nothing refers to it any more: no execution, no callback
      // trigger still waiting, no callback of its own left.
      const prunable = await trx
        .selectFrom("triggers as t")
        .select("t.id")
        .where(isFinished("t.status"))
        .where("t.finished_at", "<", before)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("executions as e").select("e.id").whereRef("e.trigger_id", "=", "t.id"))),
        )
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("triggers as c").select("c.id").whereRef("c.parent_trigger_id", "=", "t.id"))),
        )
        .limit(limit - removed)
        .execute();
      if (prunable.length === 0) return removed;
      const ids = prunable.map((r) => r.id);
      await trx.deleteFrom("trigger_tags").where("trigger_id", "in", ids).execute();
      const triggers = await trx.deleteFrom("triggers").where("id", "in", ids).executeTakeFirst();
      return removed + Number(triggers.numDeletedRows);
    });
  }

  async releaseClaims(triggerIds: string[], now: number, dueAt = now): Promise<void> {
    if (triggerIds.length === 0) return;
    await this.db
      .updateTable("triggers")
      .set((eb) => ({ due_at: dueAt, attempts: eb("attempts", "-", 1), updated_at: now }))
      .where("id", "in", triggerIds)
      .where("status", "=", "running")
      .execute();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom("triggers")
      .select((eb) => eb.fn.min("due_at").as("due"))
      .where(isLive())
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? null : Number(row.due);
  }

  async getTrigger(projectId: string, id: string): Promise<TriggerRecord | null> {
    const row = await this.db
      .selectFrom("triggers")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toTriggerRecord(row) : null;
  }

  async listTriggers(projectId: string, filter: TriggerFilter, page: PageRequest): Promise<Page<TriggerRecord>> {
    // Every filter has an index ordered by id within the project. A tag filter walks its tag's rows
    // newest first and looks each trigger up: a CROSS JOIN, because SQLite keeps its order.
    let query = filter.tag
      ? this.db
          .selectFrom("trigger_tags as tt")
          .crossJoin("triggers")
          .whereRef("triggers.id", "=", "tt.trigger_id")
          .where("tt.project_id", "=", projectId)
          .where("tt.tag", "=", filter.tag)
          .selectAll("triggers")
          .where("triggers.project_id", "=", projectId)
      : this.db.selectFrom("triggers").selectAll("triggers").where("triggers.project_id", "=", projectId);
    const order = filter.tag ? "tt.trigger_id" : "triggers.id";
    if (filter.status) query = query.where("triggers.status", "=", filter.status);
    if (filter.kind) query = query.where(ORIGINS_BY_KIND[filter.kind]);
    if (filter.generatorId) query = query.where("triggers.generator_id", "=", filter.generatorId);
    if (filter.customKey) query = query.where("triggers.custom_key", "=", filter.customKey);
    // The terms of the partial index triggers_flow_waiting, then the status.
    if (filter.waitingFor === "flow") {
      query = query.where(sql<boolean>`(triggers.flow_parked_due IS NOT NULL OR triggers.flow_window IS NOT NULL)`).where("triggers.status", "=", "registered");
    }
    if (filter.search) {
      const pattern = containsPattern(filter.search);
      query = query.where(sql<boolean>`(lower(coalesce(triggers.title, '')) LIKE ${pattern} ESCAPE '\\' OR lower(triggers.url) LIKE ${pattern} ESCAPE '\\')`);
      if (filter.searchNewest !== undefined) {
        // The id of the Nth newest trigger, read from the (project_id, id) index; fewer than N: all.
        const oldest = this.db
          .selectFrom("triggers")
          .select("id")
          .where("project_id", "=", projectId)
          .orderBy("id", "desc")
          .limit(1)
          .offset(Math.max(0, filter.searchNewest - 1));
        query = query.where(sql<boolean>`triggers.id >= coalesce((${oldest}), '')`);
      }
    }
    if (page.cursor) query = query.where(sql.ref(order), "<", page.cursor);
    const rows = await query.orderBy(sql.ref(order), "desc").limit(page.limit + 1).execute();
    return paginate(rows, page.limit, toTriggerRecord);
  }

  async listFlows(projectId: string, limit: number): Promise<FlowRecord[]> {
    const flows = await this.db.selectFrom("flows").selectAll().where("project_id", "=", projectId).orderBy("flow_key").limit(limit).execute();
    if (flows.length === 0) return [];
    const keys = flows.map((f) => f.flow_key);
    const counts = (rows: { flow_key: string | null; n: number | string | bigint }[]) => new Map(rows.map((r) => [r.flow_key, Number(r.n)]));
    const inFlight = counts(
      await this.db
        .selectFrom("triggers")
        .select((eb) => ["flow_key", eb.fn.countAll<number>().as("n")])
        .where("project_id", "=", projectId)
        .where("flow_key", "in", keys)
        .where(sql<boolean>`status = 'running' AND flow_key IS NOT NULL`)
        .groupBy("flow_key")
        .execute(),
    );
    const waiting = counts(
      await this.db
        .selectFrom("triggers")
        .select((eb) => ["flow_key", eb.fn.countAll<number>().as("n")])
        .where("project_id", "=", projectId)
        .where(sql<boolean>`(flow_parked_due IS NOT NULL OR flow_window IS NOT NULL)`)
        .where("status", "=", "registered")
        .where("flow_key", "in", keys)
        .groupBy("flow_key")
        .execute(),
    );
    return flows.map((f) => ({
      key: f.flow_key,
      parallelism: f.parallelism === null ? null : Number(f.parallelism),
      rate: f.rate === null ? null : Number(f.rate),
      inFlight: inFlight.get(f.flow_key) ?? 0,
      waiting: waiting.get(f.flow_key) ?? 0,
    }));
  }

  async getGenerator(projectId: string, id: string): Promise<GeneratorRecord | null> {
    const row = await this.db
      .selectFrom("generators")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return null;
    const pending = await this.pendingInstances(this.db, [row.id]);
    return toGeneratorRecord(row, pending.get(row.id));
  }

  async listGenerators(projectId: string, page: PageRequest): Promise<Page<GeneratorRecord>> {
    let query = this.db.selectFrom("generators").selectAll().where("project_id", "=", projectId);
    if (page.cursor) query = query.where("id", "<", page.cursor);
    const rows = await query.orderBy("id", "desc").limit(page.limit + 1).execute();
    const pending = await this.pendingInstances(this.db, rows.map((r) => r.id));
    return paginate(rows, page.limit, (row) => toGeneratorRecord(row, pending.get(row.id)));
  }

  async listExecutions(projectId: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>> {
    let query = this.db.selectFrom("executions").selectAll().where("project_id", "=", projectId);
    if (filter.triggerId) query = query.where("trigger_id", "=", filter.triggerId);
    if (page.cursor) query = query.where("id", "<", page.cursor);
    const rows = await query.orderBy("id", "desc").limit(page.limit + 1).execute();
    return paginate(rows, page.limit, toExecutionRecord);
  }

  async countByStatus(projectId: string, cap?: number): Promise<StatusCounts> {
    const [triggers, generators] = await Promise.all([
      cap === undefined
        ? this.db
            .selectFrom("triggers")
            .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
            .where("project_id", "=", projectId)
            .groupBy("status")
            .execute()
        : this.countTriggersUpTo(projectId, cap),
      this.db
        .selectFrom("generators")
        .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
        .where("project_id", "=", projectId)
        .groupBy("status")
        .execute(),
    ]);
    const counts: StatusCounts = {
      triggers: Object.fromEntries(Object.keys(TRIGGER_STATUS).map((s) => [s, 0])) as StatusCounts["triggers"],
      generators: Object.fromEntries(Object.keys(GENERATOR_STATUS).map((s) => [s, 0])) as StatusCounts["generators"],
    };
    for (const row of triggers) counts.triggers[row.status] = Number(row.n);
    for (const row of generators) counts.generators[row.status] = Number(row.n);
    return counts;
  }

  /** Each status's triggers counted up to `cap`: at most `cap` entries of the (project_id, status, id) index read per status. */
  private async countTriggersUpTo(projectId: string, cap: number): Promise<{ status: TriggerStatus; n: number }[]> {
    return Promise.all(
      (Object.keys(TRIGGER_STATUS) as TriggerStatus[]).map(async (status) => {
        const capped = this.db.selectFrom("triggers").select("id").where("project_id", "=", projectId).where("status", "=", status).limit(cap);
        const row = await this.db
          .selectFrom(capped.as("capped"))
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow();
        return { status, n: Number(row.n) };
      }),
    );
  }

  async listUpcoming(projectId: string, from: number, until: number, limit: number): Promise<TriggerRecord[]> {
    const rows = await this.db
      .selectFrom("triggers")
      .selectAll()
      .where("project_id", "=", projectId)
      .where(isLive())
      .where("status", "=", "registered")
      .where("due_at", ">=", from)
      .where("due_at", "<", until)
      .orderBy("due_at")
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map(toTriggerRecord);
  }

  async listFailures(projectId: string, since: number, limit: number): Promise<TriggerRecord[]> {
    const rows = await this.db
      .selectFrom("triggers")
      .selectAll()
      .where(isFinished("status"))
      .where("status", "=", "failed")
      .where("project_id", "=", projectId)
      .where("finished_at", ">=", since)
      .orderBy("finished_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(toTriggerRecord);
  }

  async listAttemptTimings(projectId: string, since: number, limit: number): Promise<AttemptTiming[]> {
    // An execution's id is stamped with its finished_at: "finished since" is a range of the index.
    const rows = await this.db
      .selectFrom("executions as e")
      .innerJoin("triggers as t", "t.id", "e.trigger_id")
      .select(["e.attempt", "t.scheduled_at", "e.started_at", "e.finished_at", "e.outcome"])
      .where("e.project_id", "=", projectId)
      .where("e.id", ">=", idFloorAt(since))
      .orderBy("e.id", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      attempt: Number(row.attempt),
      scheduledAt: Number(row.scheduled_at),
      startedAt: Number(row.started_at),
      finishedAt: Number(row.finished_at),
      outcome: row.outcome,
    }));
  }

  async ensureServerSecret(name: string, candidate: string, now: number): Promise<string> {
    return this.transaction(async (trx) => {
      await trx.insertInto("server_secrets").values({ name, value: candidate, created_at: now }).onConflict((oc) => oc.column("name").doNothing()).execute();
      const row = await trx.selectFrom("server_secrets").select("value").where("name", "=", name).executeTakeFirstOrThrow();
      return row.value;
    });
  }

  walBytes(): number {
    return this.capabilities.walBytes();
  }

  engine(): StoreEngine {
    return this.capabilities.engine;
  }

  async close(): Promise<void> {
    await this.fast?.flush();
    await this.committer.flush();
    await this.db.destroy();
    await this.release();
  }

  // ---- one-shot triggers -------------------------------------------------------------------

  private async insertJob(trx: Trx, input: ScheduleJobInput): Promise<ScheduleResult> {
    const monthQuotaRemaining = await this.consumeQuota(trx, input.projectId, input.now);
    const id = this.newId();
    if (input.customKey !== null) await this.claimKey(trx, input.projectId, input.customKey, "job", id);
    await trx.insertInto("triggers").values(newJobRow(id, input)).execute();
    await this.writeTags(trx, input.projectId, id, input.tags);
    return { operation: "schedule", kind: "job", id, scheduledAt: input.scheduledAt, monthQuotaRemaining };
  }

  /** `byKey`: the trigger was found as its custom key's owner. */
  private async updateJob(trx: Trx, id: string, input: ScheduleJobInput, byKey = false): Promise<ScheduleResult> {
    const result = await trx
      .updateTable("triggers")
      .set({ ...jobColumns(input), flow_parked_due: null, flow_window: null, updated_at: input.now })
      .where("id", "=", id)
      .where("status", "=", "registered")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      const row = await trx.selectFrom("triggers").select(["id", "status"]).where("id", "=", id).executeTakeFirstOrThrow();
      // A finished owner frees its key in the same transaction: this one finished after the key
      // was read (another node), so the key is free now — run again, to take it.
      if (byKey && row.status !== "running") throw new CustomKeyRace();
      assertStillWaiting(row);
    }
    await trx.deleteFrom("trigger_tags").where("trigger_id", "=", id).execute();
    await this.writeTags(trx, input.projectId, id, input.tags);
    const monthQuotaRemaining = await this.quotaRemaining(trx, input.projectId, input.now);
    return { operation: "reschedule", kind: "job", id, scheduledAt: input.scheduledAt, monthQuotaRemaining };
  }

  private async findEditableJob(trx: Trx, projectId: string, id: string, customKey: string | null): Promise<TriggerRow> {
    // Locked where nodes write concurrently: a JSON edit merges its fields into this row.
    const row = await this.locking(trx.selectFrom("triggers").selectAll().where("project_id", "=", projectId).where("id", "=", id)).executeTakeFirst();
    if (!row) {
      if (await this.generatorExists(trx, projectId, id)) {
        throw new InvalidInputError(
          "kind_mismatch",
          `${id} is a recurring generator; a one-shot ttr-scheduled-at cannot replace it by id. Cancel it, or use a ttr-custom-key to switch kinds.`,
        );
      }
      throw new NotFoundError("trigger_not_found", `No trigger ${id} in this project.`);
    }
    if (row.generator_id !== null) {
      throw new InvalidInputError(
        "generator_instance",
        `Trigger ${id} is an instance of generator ${row.generator_id}; edit the generator instead.`,
      );
    }
    assertStillWaiting(row);
    assertSameKey(id, row.custom_key, customKey);
    return row;
  }

  /** Cancels a waiting trigger and frees its key; one in flight (409) or finished (410) is refused. */
  private async cancelWaitingTrigger(trx: Trx, id: string, now: number, reason: string): Promise<void> {
    const result = await trx
      .updateTable("triggers")
      .set(cancelledColumns(now, reason))
      .where("id", "=", id)
      .where("status", "=", "registered")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      assertStillWaiting(await trx.selectFrom("triggers").select(["id", "status"]).where("id", "=", id).executeTakeFirstOrThrow());
    }
    await this.releaseKey(trx, id);
  }

  // ---- generators --------------------------------------------------------------------------

  private async insertGenerator(trx: Trx, input: ScheduleGeneratorInput, firstAt: number): Promise<ScheduleResult> {
    const monthQuotaRemaining = await this.consumeQuota(trx, input.projectId, input.now);
    const id = this.newId();
    if (input.customKey !== null) await this.claimKey(trx, input.projectId, input.customKey, "generator", id);
    await trx
      .insertInto("generators")
      .values({
        id,
        project_id: input.projectId,
        custom_key: input.customKey,
        ...generatorColumns(input),
        status: "active",
        created_at: input.now,
        updated_at: input.now,
      })
      .execute();
    const generator = await trx.selectFrom("generators").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    // The creation counted this first tick (consumeQuota above).
    await this.insertInstance(trx, generator, firstAt, input.now, "tick", monthOf(input.now));
    return { operation: "schedule", kind: "generator", id, scheduledAt: firstAt, monthQuotaRemaining };
  }

  private async updateGenerator(
    trx: Trx,
    id: string,
    input: ScheduleGeneratorInput,
    firstAt: number,
  ): Promise<ScheduleResult> {
    // The UPDATE below locks the generator (until the transaction ends) before its state is read; a
    // generator cancelled since it was found freed its key: run again, to take the key.
    const { runs } = await trx.selectFrom("generators").select("runs").where("id", "=", id).executeTakeFirstOrThrow();
    if (input.maxRuns !== null && input.maxRuns <= Number(runs)) {
      throw new InvalidInputError(
        "invalid_max_runs",
        `ttr-max-runs ${input.maxRuns} is reached already: generator ${id} has fired ${runs} tick${Number(runs) === 1 ? "" : "s"}. Raise it, or cancel the generator.`,
      );
    }
    const updated = await trx
      .updateTable("generators")
      .set({ ...generatorColumns(input), updated_at: input.now })
      .where("id", "=", id)
      .where("status", "!=", "cancelled")
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) throw new CustomKeyRace();
    const generator = await trx.selectFrom("generators").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const result = async (scheduledAt: number): Promise<ScheduleResult> => ({
      operation: "reschedule",
      kind: "generator",
      id,
      scheduledAt,
      monthQuotaRemaining: await this.quotaRemaining(trx, input.projectId, input.now),
    });
    // A paused generator stays paused; on resume it starts from the edited schedule.
    if (generator.status === "paused") return result(firstAt);
    // The edit is free, and mints nothing past the quota: the replaced tick's count is given back,
    // and the new one is counted — or deferred to next month — like any tick.
    await this.withdrawPendingTick(trx, id, input.now, "replaced by an edit of its generator");
    return result((await this.materializeTick(trx, generator, firstAt, input.now, null)) ?? firstAt);
  }

  private async findEditableGenerator(
    trx: Trx,
    projectId: string,
    id: string,
    customKey: string | null,
  ): Promise<GeneratorRow> {
    const row = await this.locking(trx.selectFrom("generators").selectAll().where("project_id", "=", projectId).where("id", "=", id)).executeTakeFirst();
    if (!row) {
      const trigger = await trx
        .selectFrom("triggers")
        .select("id")
        .where("project_id", "=", projectId)
        .where("id", "=", id)
        .executeTakeFirst();
      if (trigger) {
        throw new InvalidInputError(
          "kind_mismatch",
          `${id} is a one-shot trigger; a cron() schedule cannot replace it by id. Cancel it, or use a ttr-custom-key to switch kinds.`,
        );
      }
      throw new NotFoundError("generator_not_found", `No trigger or generator ${id} in this project.`);
    }
    if (row.status === "cancelled") throw new GoneError("already_cancelled", `Generator ${id} has ${row.end_reason ?? "been cancelled"}.`);
    assertSameKey(id, row.custom_key, customKey);
    return row;
  }

  /** An instance (the pending tick, or an extra run): a snapshot of the generator's request and policy. */
  private async insertInstance(
    trx: Trx,
    generator: GeneratorRow,
    scheduledAt: number,
    now: number,
    origin: "tick" | "run",
    /** The month whose quota counted this instance, if one did (see withdrawPendingTick). */
    quotaMonth: string | null = null,
  ): Promise<string> {
    const id = this.newId();
    await trx
      .insertInto("triggers")
      .values({
        id,
        project_id: generator.project_id,
        generator_id: generator.id,
        origin,
        parent_trigger_id: null,
        custom_key: null,
        method: generator.method,
        url: generator.url,
        headers: generator.headers,
        body: generator.body,
        title: generator.title,
        tags: generator.tags,
        retries: generator.retries,
        retries_left: generator.retries,
        retry_delay_ms: generator.retry_delay_ms,
        timeout_ms: generator.timeout_ms,
        callback_url: generator.callback_url,
        failure_url: generator.failure_url,
        success_status: generator.success_status,
        retry_on: generator.retry_on,
        flow_key: generator.flow_key,
        scheduled_at: scheduledAt,
        due_at: scheduledAt,
        status: "registered",
        created_at: now,
        updated_at: now,
        finished_at: null,
        cancel_reason: null,
        quota_month: quotaMonth,
      })
      .execute();
    await this.writeTags(trx, generator.project_id, id, decodeTags(generator.tags));
    return id;
  }

  /** The outcome report of `parentId`, as a trigger of its own, due now. */
  private async insertCallback(trx: Trx, parentId: string, projectId: string, callback: CallbackRequest, now: number): Promise<void> {
    await trx
      .insertInto("triggers")
      .values({
        id: this.newId(),
        project_id: projectId,
        generator_id: null,
        origin: "callback",
        parent_trigger_id: parentId,
        custom_key: null,
        method: "POST",
        url: callback.url,
        headers: encodeHeaders([["Content-Type", "application/json"]]),
        body: Buffer.from(callback.body.buffer, callback.body.byteOffset, callback.body.byteLength),
        title: null,
        tags: "",
        ...deliveryColumns(callback.delivery),
        retries_left: callback.delivery.retries,
        scheduled_at: now,
        due_at: now,
        status: "registered",
        created_at: now,
        updated_at: now,
        finished_at: null,
        cancel_reason: null,
      })
      .execute();
  }

  /** Cancels a generator and everything of it still waiting (its pending tick, runs and retries). */
  private async cancelGeneratorRow(trx: Trx, id: string, now: number, reason: string): Promise<void> {
    await trx.updateTable("generators").set({ status: "cancelled", resume_at: null, updated_at: now }).where("id", "=", id).execute();
    await this.withdrawPendingTick(trx, id, now, reason);
    await trx
      .updateTable("triggers")
      .set(cancelledColumns(now, reason))
      .where("generator_id", "=", id)
      .where("status", "=", "registered")
      .execute();
    await this.releaseKey(trx, id);
  }

  /**
   * Ends a generator that reached its `ttr-ends-at` or `ttr-max-runs`: no more ticks, its key
   * freed. Unlike a cancel, its instances still waiting (extra runs, retries) go on.
   */
  private async endGeneratorRow(trx: Trx, id: string, now: number, reason: string): Promise<void> {
    await trx
      .updateTable("generators")
      .set({ status: "cancelled", end_reason: reason, resume_at: null, catchup_left: null, updated_at: now })
      .where("id", "=", id)
      .execute();
    await this.withdrawPendingTick(trx, id, now, reason);
    await this.releaseKey(trx, id);
  }

  /**
   * Cancels a generator's pending tick, and gives it back to the quota of the month that counted
   * it: replacing the pending tick (an edit, a pause, a skip, the generator cancelled) is free.
   */
  private async withdrawPendingTick(trx: Trx, generatorId: string, now: number, reason: string): Promise<void> {
    const pending = await trx
      .selectFrom("triggers")
      .select(["id", "project_id", "quota_month"])
      .where("generator_id", "=", generatorId)
      .where(isPendingTick)
      .executeTakeFirst();
    if (!pending) return;
    // Still pending when the row lock is had: a claim on another node may have taken it meanwhile.
    const withdrawn = await trx.updateTable("triggers").set(cancelledColumns(now, reason)).where("id", "=", pending.id).where(isPendingTick).executeTakeFirst();
    if (withdrawn.numUpdatedRows !== 1n) return;
    if (pending.quota_month !== null) await this.uncountInstance(trx, pending.project_id, pending.quota_month);
  }

  private async findLiveGenerator(trx: Trx, projectId: string, id: string): Promise<GeneratorRow> {
    const row = await this.locking(trx.selectFrom("generators").selectAll().where("project_id", "=", projectId).where("id", "=", id)).executeTakeFirst();
    if (!row) throw new NotFoundError("generator_not_found", `No generator ${id} in this project.`);
    if (row.status === "cancelled") throw new GoneError("already_cancelled", `Generator ${id} has been cancelled.`);
    return row;
  }

  /**
   * Materializes the next instance of each generator whose instance was just claimed, from the
   * claimed instance's nominal time (no drift). Returns the claimed triggers that must not fire
   * (`ttr-run-missed: skip`, `ttr-overlap: skip`, or an earlier instance cancelled by
   * `ttr-overlap: cancel-previous`), which are recorded as cancelled, and by claimed tick the
   * earlier instances it cancelled.
   */
  private async advanceGenerators(
    trx: Trx,
    claimed: TriggerRow[],
    now: number,
  ): Promise<{ skipped: Set<string>; superseded: Map<string, string[]> }> {
    const skipped = new Set<string>();
    const superseded = new Map<string, string[]>();
    if (claimed.length === 0) return { skipped, superseded };
    const generators = await trx
      .selectFrom("generators")
      .selectAll()
      .where("id", "in", claimed.map((r) => r.generator_id as string))
      .where("status", "=", "active")
      .execute();
    const byId = new Map(generators.map((g) => [g.id, g]));
    for (const instance of claimed) {
      const generator = byId.get(instance.generator_id as string);
      if (!generator) continue;
      const cron = this.cron(generator.cron_expr, generator.cron_tz);
      const plan = planNextInstance({
        policy: generator.run_missed,
        nominalAt: Number(instance.scheduled_at),
        now,
        next: (after) => cron.nextAfter(after),
        missedGraceMs: this.options.missedGraceMs,
        catchupLeft: generator.catchup_left,
        catchupCap: this.options.runMissedCap,
      });
      let skipReason: string | null = plan.fireClaimed ? null : "missed while Hourglass was down (ttr-run-missed: skip)";
      if (skipReason === null && generator.overlap === "skip" && (await this.hasRunInFlight(trx, generator.id, instance.id))) {
        skipReason = "skipped: the previous run was still in flight (ttr-overlap: skip)";
      }
      if (skipReason === null && generator.cancel_previous) {
        const cancelled = await this.cancelRunsInFlight(trx, generator.id, instance.id, now);
        // One claimed in this very batch (a retry falling due with the tick) is not sent.
        for (const id of cancelled) skipped.add(id);
        if (cancelled.length > 0) superseded.set(instance.id, cancelled);
      }
      if (skipReason !== null) {
        skipped.add(instance.id);
        await trx
          .updateTable("triggers")
          .set(cancelledColumns(now, skipReason))
          .where("id", "=", instance.id)
          .execute();
      } else {
        await trx.updateTable("generators").set((eb) => ({ runs: eb("runs", "+", 1) })).where("id", "=", generator.id).execute();
      }
      const runs = Number(generator.runs) + (skipReason === null ? 1 : 0);
      if (plan.nextAt === null) {
        await this.cancelGeneratorRow(trx, generator.id, now, "its cron expression fires no more");
      } else {
        await this.materializeTick(trx, { ...generator, runs }, plan.nextAt, now, plan.catchupLeft);
      }
    }
    return { skipped, superseded };
  }

  /**
   * `ttr-overlap: cancel-previous`: cancels the generator's other instances in flight — running,
   * or waiting for a retry — with the reason. A running one's attempt then finds its trigger no
   * longer running: its outcome is recorded, fenced off the trigger, and gets no retry (see
   * finishAttempt), on whichever node delivers it. Returns their ids.
   */
  private async cancelRunsInFlight(trx: Trx, generatorId: string, exceptId: string, now: number): Promise<string[]> {
    const rows = await trx
      .updateTable("triggers")
      .set(cancelledColumns(now, SUPERSEDED_BY_NEXT_TICK))
      .where("generator_id", "=", generatorId)
      .where("id", "!=", exceptId)
      .where((eb) => eb.or([eb("status", "=", "running"), eb.and([eb("status", "=", "registered"), eb("attempts", ">", 0)])]))
      .returning(["id", "project_id", "flow_key"])
      .execute();
    // Their places in the flow are free now: their attempts may never report (a dead node's).
    const flow = rows.find((r) => r.flow_key !== null);
    if (flow !== undefined) await this.unparkFlow(trx, flow.project_id, flow.flow_key as string);
    return rows.map((r) => r.id);
  }

  /**
   * Creates a generator's next tick, counted against the monthly quota. Past the quota the tick
   * moves to the generator's first tick of next month (the skipped ticks never materialize) and
   * the generator records why; it resumes by itself when that tick comes.
   */
  private async materializeTick(trx: Trx, generator: GeneratorRow, at: number, now: number, catchupLeft: number | null): Promise<number | null> {
    const { quota, used } = await this.quotaState(trx, generator.project_id, monthOf(now));
    let tickAt = at;
    let note: string | null = null;
    if (quota !== null && used >= quota) {
      const resumeFrom = startOfNextMonth(now);
      const deferred = at >= resumeFrom ? at : this.cron(generator.cron_expr, generator.cron_tz).nextAfter(resumeFrom - 1);
      if (deferred === null) {
        await this.cancelGeneratorRow(trx, generator.id, now, "its cron expression fires no more");
        return null;
      }
      tickAt = deferred;
      note = `monthly quota of ${quota} trigger instances reached in ${monthOf(now)}; ticks resume on ${new Date(tickAt).toISOString()}`;
    }
    const endsAt = generator.ends_at === null ? null : Number(generator.ends_at);
    const maxRuns = generator.max_runs === null ? null : Number(generator.max_runs);
    const end = endOfSchedule({ nextAt: tickAt, endsAt, maxRuns, runs: Number(generator.runs) });
    if (end !== null) {
      await this.endGeneratorRow(trx, generator.id, now, end);
      return null;
    }
    const month = monthOf(Math.max(now, tickAt));
    await this.countInstance(trx, generator.project_id, month);
    await this.insertInstance(trx, generator, tickAt, now, "tick", month);
    await trx.updateTable("generators").set({ catchup_left: catchupLeft, note }).where("id", "=", generator.id).execute();
    return tickAt;
  }

  // ---- monthly quota -----------------------------------------------------------------------

  /**
   * The project's quota and its count for `month`. Where other nodes write concurrently and the
   * project has a quota, the count's row is locked (an upsert that changes nothing) and read
   * again, until the transaction ends: every decision on the quota, and every count, of the
   * project and month then waits its turn. Without a quota there is nothing to decide.
   */
  private async quotaState(trx: Trx, projectId: string, month: string): Promise<{ quota: number | null; used: number }> {
    const read = () =>
      trx
        .selectFrom("projects")
        .leftJoin("project_usage", (join) => join.onRef("project_usage.project_id", "=", "projects.id").on("project_usage.month", "=", month))
        .select(["projects.month_quota", "project_usage.created"])
        .where("projects.id", "=", projectId)
        .executeTakeFirst();
    let row = await read();
    if (this.capabilities.rowLocks && row?.month_quota != null) {
      await trx
        .insertInto("project_usage")
        .values({ project_id: projectId, month, created: 0 })
        .onConflict((oc) => oc.columns(["project_id", "month"]).doUpdateSet((eb) => ({ created: eb.ref("project_usage.created") })))
        .execute();
      row = await read();
    }
    return { quota: row?.month_quota == null ? null : Number(row.month_quota), used: Number(row?.created ?? 0) };
  }

  private async countInstance(trx: Trx, projectId: string, month: string): Promise<void> {
    await trx
      .insertInto("project_usage")
      .values({ project_id: projectId, month, created: 1 })
      .onConflict((oc) => oc.columns(["project_id", "month"]).doUpdateSet((eb) => ({ created: eb(eb.ref("project_usage.created"), "+", 1) })))
      .execute();
  }

  private async uncountInstance(trx: Trx, projectId: string, month: string): Promise<void> {
    await trx
      .updateTable("project_usage")
      .set((eb) => ({ created: eb("created", "-", 1) }))
      .where("project_id", "=", projectId)
      .where("month", "=", month)
      .where("created", ">", 0)
      .execute();
  }

  /** Counts one new instance for this month, or refuses it (402) when the quota is used up; returns what is left. */
  private async consumeQuota(trx: Trx, projectId: string, now: number): Promise<number | null> {
    const month = monthOf(now);
    const { quota, used } = await this.quotaState(trx, projectId, month);
    const remaining = remainingAfterOne(quota, used, now);
    await this.countInstance(trx, projectId, month);
    return remaining;
  }

  private async quotaRemaining(trx: Trx, projectId: string, now: number): Promise<number | null> {
    const { quota, used } = await this.quotaState(trx, projectId, monthOf(now));
    return quota === null ? null : Math.max(0, quota - used);
  }

  /** Is another instance of the generator running, or waiting for a retry? */
  private async hasRunInFlight(trx: Trx, generatorId: string, exceptId: string): Promise<boolean> {
    const row = await trx
      .selectFrom("triggers")
      .select("id")
      .where("generator_id", "=", generatorId)
      .where("id", "!=", exceptId)
      .where((eb) => eb.or([eb("status", "=", "running"), eb.and([eb("status", "=", "registered"), eb("attempts", ">", 0)])]))
      .executeTakeFirst();
    return row !== undefined;
  }

  private async pendingInstances(
    db: Kysely<Database>,
    generatorIds: string[],
  ): Promise<Map<string, { id: string; scheduled_at: number }>> {
    if (generatorIds.length === 0) return new Map();
    const rows = await db
      .selectFrom("triggers")
      .select(["id", "generator_id", "scheduled_at"])
      .where("generator_id", "in", generatorIds)
      .where(isPendingTick)
      .execute();
    return new Map(rows.map((r) => [r.generator_id as string, { id: r.id, scheduled_at: Number(r.scheduled_at) }]));
  }

  private async generatorExists(trx: Trx, projectId: string, id: string): Promise<boolean> {
    const row = await trx
      .selectFrom("generators")
      .select("id")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row !== undefined;
  }

  // ---- cancel ------------------------------------------------------------------------------

  private async cancelById(trx: Trx, projectId: string, id: string, now: number): Promise<void> {
    const generator = await this.locking(
      trx.selectFrom("generators").select(["id", "status"]).where("project_id", "=", projectId).where("id", "=", id),
    ).executeTakeFirst();
    if (generator) {
      if (generator.status === "cancelled") throw new GoneError("already_cancelled", `Generator ${id} has already been cancelled.`);
      return this.cancelGeneratorRow(trx, id, now, "cancelled");
    }
    const trigger = await trx
      .selectFrom("triggers")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!trigger) throw new NotFoundError("trigger_not_found", `No trigger or generator ${id} in this project.`);
    const wasPendingTick = trigger.origin === "tick" && Number(trigger.attempts) === 0;
    // The generator is locked before its tick, in the order an edit locks them.
    const generatorRow =
      trigger.generator_id === null || !wasPendingTick
        ? undefined
        : await this.locking(trx.selectFrom("generators").selectAll().where("id", "=", trigger.generator_id).where("status", "=", "active")).executeTakeFirst();
    await this.cancelWaitingTrigger(trx, id, now, "cancelled");
    // Cancelling the pending tick skips that occurrence; the generator keeps its one pending instance.
    if (!generatorRow) return;
    if (trigger.quota_month !== null) await this.uncountInstance(trx, trigger.project_id, trigger.quota_month);
    const nextAt = this.cron(generatorRow.cron_expr, generatorRow.cron_tz).nextAfter(Math.max(Number(trigger.scheduled_at), now));
    if (nextAt === null) return this.cancelGeneratorRow(trx, generatorRow.id, now, "its cron expression fires no more");
    await this.materializeTick(trx, generatorRow, nextAt, now, generatorRow.catchup_left);
  }

  private async cancelByKey(trx: Trx, projectId: string, customKey: string, now: number): Promise<void> {
    const owner = await this.findKeyOwner(trx, projectId, customKey);
    if (owner?.owner_kind === "generator") return this.cancelGeneratorRow(trx, owner.owner_id, now, "cancelled");
    if (owner?.owner_kind === "job") return this.cancelWaitingTrigger(trx, owner.owner_id, now, "cancelled");
    const pastTrigger = await trx
      .selectFrom("triggers")
      .select("id")
      .where("project_id", "=", projectId)
      .where("custom_key", "=", customKey)
      .executeTakeFirst();
    const pastGenerator = await trx
      .selectFrom("generators")
      .select("id")
      .where("project_id", "=", projectId)
      .where("custom_key", "=", customKey)
      .executeTakeFirst();
    if (pastTrigger || pastGenerator) {
      throw new GoneError("custom_key_not_live", `Nothing waiting has custom key "${customKey}": its trigger already executed or was cancelled.`);
    }
    throw new NotFoundError("custom_key_not_found", `No trigger or generator with custom key "${customKey}" in this project.`);
  }

  /** The rows a tag filter reads (see listTriggers): one per tag of the trigger. */
  private async writeTags(trx: Trx, projectId: string, triggerId: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await trx
      .insertInto("trigger_tags")
      .values(tags.map((tag) => ({ project_id: projectId, tag, trigger_id: triggerId })))
      .execute();
  }

  // ---- custom keys -------------------------------------------------------------------------

  private async findKeyOwner(trx: Trx, projectId: string, customKey: string) {
    return trx
      .selectFrom("custom_keys")
      .select(["owner_kind", "owner_id"])
      .where("project_id", "=", projectId)
      .where("custom_key", "=", customKey)
      .executeTakeFirst();
  }

  private async claimKey(trx: Trx, projectId: string, customKey: string, kind: "job" | "generator", ownerId: string) {
    const result = await trx
      .insertInto("custom_keys")
      .values({ project_id: projectId, custom_key: customKey, owner_kind: kind, owner_id: ownerId })
      .onConflict((oc) => oc.columns(["project_id", "custom_key"]).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new CustomKeyRace();
  }

  private async releaseKey(trx: Trx, ownerId: string): Promise<void> {
    await trx.deleteFrom("custom_keys").where("owner_id", "=", ownerId).execute();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** `query … FOR UPDATE` where other nodes write concurrently: its rows stay as read until the transaction ends. */
  private locking<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return this.capabilities.rowLocks ? query.forUpdate() : query;
  }

  private cron(expr: string, tz: string): CronSchedule {
    const cacheKey = `${tz}\u0000${expr}`;
    let cron = this.cronCache.get(cacheKey);
    if (!cron) {
      if (this.cronCache.size >= CRON_CACHE_SIZE) this.cronCache.clear();
      cron = CronSchedule.parse(expr, tz);
      this.cronCache.set(cacheKey, cron);
    }
    return cron;
  }

  /**
   * Runs `fn` in a short transaction — shared with whatever other work arrived meanwhile (group
   * commit), in a savepoint of its own — and again from its savepoint when it lost a custom-key
   * race. Resolves once the transaction is committed.
   */
  private transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.committer.run(fn);
  }
}

const PROJECT_DEFAULT_COLUMNS = [
  "projects.default_retries",
  "projects.default_retry_delay_ms",
  "projects.default_timeout_ms",
  "projects.default_callback_url",
  "projects.default_failure_url",
] as const;

function projectDefaults(row: {
  default_retries: number | null;
  default_retry_delay_ms: number | null;
  default_timeout_ms: number | null;
  default_callback_url: string | null;
  default_failure_url: string | null;
}): ProjectDefaults {
  const numberOrNull = (value: number | null) => (value === null ? null : Number(value));
  return {
    retries: numberOrNull(row.default_retries),
    retryDelayMs: numberOrNull(row.default_retry_delay_ms),
    timeoutMs: numberOrNull(row.default_timeout_ms),
    callbackUrl: row.default_callback_url,
    failureUrl: row.default_failure_url,
  };
}

function egressRules(targets: string | null, ports: string | null): ProjectEgressRules {
  return { allowedTargets: targets === null ? [] : (JSON.parse(targets) as string[]), allowedPorts: ports === null ? [] : (JSON.parse(ports) as string[]) };
}

/** `slots` with the rows a claim took already counted in (as the dispatcher will count them). */
function withClaimed(slots: SlotUsage, claimed: readonly TriggerRow[]): SlotUsage {
  if (claimed.length === 0) return slots;
  const inFlight = new Map(slots.inFlight);
  for (const row of claimed) inFlight.set(row.project_id, (inFlight.get(row.project_id) ?? 0) + 1);
  return { capacity: slots.capacity, inFlight };
}

function assertStillWaiting(row: Pick<TriggerRow, "id" | "status">): void {
  switch (row.status) {
    case "registered":
      return;
    case "running":
      throw new ConflictError("trigger_running", `Trigger ${row.id} is being delivered right now; try again once the attempt is over.`);
    case "cancelled":
      throw new GoneError("already_cancelled", `Trigger ${row.id} has already been cancelled.`);
    default:
      throw new GoneError("already_executed", `Trigger ${row.id} has already executed (${row.status}).`);
  }
}

function assertSameKey(id: string, current: string | null, given: string | null): void {
  if (given !== null && given !== current) {
    throw new InvalidInputError(
      "conflicting_identifiers",
      `ttr-custom-key "${given}" does not belong to ${id}; send one identifier, or the key it already has.`,
    );
  }
}

function paginate<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items: items.map(map), nextCursor: hasMore ? (items[items.length - 1]?.id ?? null) : null };
}

/**
 * Runs `act` in a savepoint of its own: a refusal (an HourglassError) undoes only its writes and is
 * answered as a value; anything else (a lost custom-key race, a failure of ours) fails the
 * transaction, which runs or fails as a whole.
 */
async function refusable<T>(trx: Trx, act: () => Promise<T>): Promise<{ ok: true; result: T } | { ok: false; error: HourglassError }> {
  await sql`SAVEPOINT item`.execute(trx);
  try {
    const result = await act();
    await sql`RELEASE SAVEPOINT item`.execute(trx);
    return { ok: true, result };
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT item`.execute(trx);
    await sql`RELEASE SAVEPOINT item`.execute(trx);
    if (!(error instanceof HourglassError)) throw error;
    return { ok: false, error };
  }
}

/** What a bulk action matches: the triggers it can act on (waiting ones to cancel, executed ones to replay), narrowed by every term of the filter. */
function bulkTerms(eb: ExpressionBuilder<Database, "triggers">, projectId: string, action: BulkAction, filter: BulkFilter) {
  const terms: Expression<SqlBool>[] = [action === "cancel" ? eb("status", "=", "registered") : eb("status", "in", ["succeeded", "failed"])];
  if (filter.status !== undefined) terms.push(eb("status", "=", filter.status));
  if (filter.kind !== undefined) terms.push(ORIGINS_BY_KIND[filter.kind]);
  if (filter.generatorId !== undefined) terms.push(eb("generator_id", "=", filter.generatorId));
  if (filter.customKeyPrefix !== undefined) terms.push(sql<boolean>`custom_key LIKE ${prefixPattern(filter.customKeyPrefix)} ESCAPE '\\'`);
  if (filter.scheduledFrom !== undefined) terms.push(eb("scheduled_at", ">=", filter.scheduledFrom));
  if (filter.scheduledBefore !== undefined) terms.push(eb("scheduled_at", "<", filter.scheduledBefore));
  if (filter.tag !== undefined) {
    const tag = filter.tag;
    terms.push(
      eb.exists(
        eb.selectFrom("trigger_tags as tt").select("tt.trigger_id").whereRef("tt.trigger_id", "=", "triggers.id").where("tt.project_id", "=", projectId).where("tt.tag", "=", tag),
      ),
    );
  }
  return eb.and(terms);
}

/** A LIKE pattern for values starting with `prefix` (its own wildcards taken literally). */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
