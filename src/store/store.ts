import type {
  ApiKeyRecord,
  AttemptResult,
  BulkAction,
  BulkFilter,
  BulkStepRequest,
  BulkStepResult,
  BatchOutcome,
  AttemptTiming,
  CancelInput,
  ClaimedTrigger,
  ExecutionFilter,
  ExecutionRecord,
  FlowRecord,
  GeneratorRecord,
  KeyOwner,
  Page,
  PageRequest,
  ProjectChanges,
  ProjectDefaults,
  ProjectEgressRules,
  ProjectRecord,
  ScheduleGeneratorInput,
  ScheduleJobInput,
  ScheduleResult,
  StatusCounts,
  StoreEngine,
  TriggerFilter,
  TriggerRecord,
} from "./types.js";
import type { SlotUsage } from "./fair-claim.js";

/**
 * Everything Hourglass keeps, behind one interface. `http/` and `dispatch/` see only this;
 * only `main.ts` knows which database implements it. Every method that changes state commits
 * before its promise resolves: a resolved promise is a durable fact.
 */
export interface Store {
  /** Creates the project owning `keyHash` if no key has that digest; returns the project id. */
  ensureApiKey(keyHash: string, keyPrefix: string, now: number): Promise<string>;
  /**
   * Makes `keys` (HOURGLASS_API_KEYS) the configured keys: ensures each (as {@link ensureApiKey};
   * a key revoked earlier stays revoked) and revokes every key configured before that is no
   * longer listed. Keys never configured (admin API, generated) are not touched. Returns the
   * prefixes of the keys it revoked.
   */
  provisionApiKeys(keys: readonly { hash: string; prefix: string }[], now: number): Promise<string[]>;
  /** The live (unrevoked) key with this SHA-256 hex digest and its project's rate limit, or null. */
  findApiKey(keyHash: string): Promise<KeyOwner | null>;
  /** Number of live API keys in the store. */
  countApiKeys(): Promise<number>;

  createProject(name: string, now: number): Promise<ProjectRecord>;
  listProjects(now: number): Promise<ProjectRecord[]>;
  /** Sets the name, monthly quota, rate limit (null removes them) and egress allowlist; NotFound for an unknown project. */
  updateProject(projectId: string, changes: ProjectChanges, now: number): Promise<ProjectRecord>;
  /** The project's own egress allowlist (empty lists when it has none, or is unknown). */
  getProjectEgress(projectId: string): Promise<ProjectEgressRules>;
  /** The project's delivery defaults (all null when it has none, or is unknown). */
  getProjectDefaults(projectId: string): Promise<ProjectDefaults>;
  /** Adds a key (by digest) to a project; NotFound for an unknown project. */
  createApiKey(projectId: string, keyHash: string, keyPrefix: string, now: number): Promise<ApiKeyRecord>;
  listApiKeys(projectId: string): Promise<ApiKeyRecord[]>;
  /** Revokes a key; NotFound when unknown, Gone when already revoked. */
  revokeApiKey(keyId: string, now: number): Promise<void>;

  /**
   * Creates or edits a one-shot trigger. By `triggerId`: edits it (NotFound / Gone / Invalid
   * when it is a generator instance or a generator). By `customKey`: edits the live owner, or
   * creates one — replacing a generator that owned the key.
   */
  scheduleJob(input: ScheduleJobInput): Promise<ScheduleResult>;
  /**
   * Creates or edits a generator and materializes its first pending instance, all in one
   * transaction. A one-shot that owned the custom key is cancelled.
   */
  scheduleGenerator(input: ScheduleGeneratorInput): Promise<ScheduleResult>;
  /**
   * {@link scheduleJob} for each input, in one transaction: an item refused (an HourglassError:
   * quota, a key's owner in flight, …) is undone alone and reported in its place; the others commit.
   */
  scheduleBatch(inputs: readonly ScheduleJobInput[]): Promise<BatchOutcome[]>;
  /**
   * Edits a waiting one-shot in one transaction: `edit` turns the current trigger into the full
   * input to store (a partial update, read and written atomically). Refused as an edit by id
   * through {@link scheduleJob} would be.
   */
  editJob(projectId: string, id: string, edit: (current: TriggerRecord) => ScheduleJobInput): Promise<ScheduleResult>;
  /**
   * Edits a generator (`edit` as in {@link editJob}; null: no change) and/or pauses or resumes it
   * (`paused`; null: no change), in one transaction.
   */
  editGenerator(
    projectId: string,
    id: string,
    edit: ((current: GeneratorRecord) => ScheduleGeneratorInput) | null,
    paused: boolean | null,
    now: number,
  ): Promise<void>;
  /** Cancels a generator (and its pending instance) or a registered trigger. */
  cancel(input: CancelInput): Promise<void>;

  /**
   * Claims up to `limit` triggers whose due time is ≤ `now` — registered ones, and running ones
   * whose lease expired — under a lease until `dueBy + timeout + leaseMarginMs` (per trigger). For each generator instance
   * claimed from `registered`, the generator's next instance is materialized in the same
   * transaction. With `slots`, what the claiming dispatcher's delivery slots hold, the batch
   * shares them fairly between projects (see fair-claim.ts).
   *
   * With `dueBy` later than `now`, it also claims ahead: plain attempts (not a generator's first
   * tick, not a flow's trigger; see dueForClaimSql) due by `dueBy`. Each claim's `startAt` says
   * when its attempt may start; `now` stays the present for everything else the claim decides.
   */
  claimDue(now: number, limit: number, leaseMarginMs: number, slots?: SlotUsage, dueBy?: number): Promise<ClaimedTrigger[]>;
  /**
   * Records an attempt: inserts the execution and, when the trigger is still running under this
   * attempt (its lease was not taken over), moves it on: back to registered at `retryAt` for a
   * retry, or to succeeded/failed — freeing its custom key and queueing its callbacks in the
   * same transaction.
   */
  finishAttempt(result: AttemptResult): Promise<void>;
  /** Fires an executed (succeeded/failed) trigger again now, as a new round of attempts. */
  replay(projectId: string, triggerId: string, now: number): Promise<{ scheduledAt: number }>;
  /**
   * One bounded step of a bulk cancel or replay (see {@link BulkStepRequest}): looks at the
   * project's next `window` triggers, newest first, and cancels (waiting ones) or replays
   * (executed ones) those matching `filter`, in one transaction — or only counts them. Call again
   * with `nextCursor` until it is null; each step is short, so ingest and dispatch go on between.
   */
  bulkStep(projectId: string, action: BulkAction, filter: BulkFilter, step: BulkStepRequest): Promise<BulkStepResult>;
  /** Pauses (drops the pending instance) or resumes (restores it, per `ttr-run-missed`) a generator. */
  setGeneratorPaused(projectId: string, generatorId: string, paused: boolean, now: number): Promise<void>;
  /** Adds one extra run of a generator, due now; the schedule is untouched. */
  runGeneratorNow(projectId: string, generatorId: string, now: number): Promise<{ triggerId: string; scheduledAt: number }>;
  /** The project's Standard Webhooks secrets, current first (empty: requests are not signed). */
  getSigningSecrets(projectId: string): Promise<string[]>;
  /** Replaces the project's signing secrets (current first). */
  setSigningSecrets(projectId: string, secrets: string[]): Promise<void>;
  /**
   * Deletes up to `limit` executions, and finished triggers with no live dependants, older than
   * `before`. Returns how many rows went; call again while it returns `limit`.
   */
  pruneHistory(before: number, limit: number): Promise<number>;
  /** Gives back the lease of claimed-but-unsent triggers so they are due again at `dueAt` (by default `now`). */
  releaseClaims(triggerIds: string[], now: number, dueAt?: number): Promise<void>;
  /** Earliest due time among registered triggers and running leases, or null when none. */
  nextDueAt(): Promise<number | null>;

  getTrigger(projectId: string, id: string): Promise<TriggerRecord | null>;
  listTriggers(projectId: string, filter: TriggerFilter, page: PageRequest): Promise<Page<TriggerRecord>>;
  getGenerator(projectId: string, id: string): Promise<GeneratorRecord | null>;
  listGenerators(projectId: string, page: PageRequest): Promise<Page<GeneratorRecord>>;
  listExecutions(projectId: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>>;
  /** The project's flows (those given limits), by key (at most `limit`), each with its attempts in flight and triggers waiting. */
  listFlows(projectId: string, limit: number): Promise<FlowRecord[]>;

  /**
   * The project's triggers and generators counted by status. With `cap`, each trigger status is
   * counted only up to it (`cap` means "at least `cap`"), so the count reads a bounded slice.
   */
  countByStatus(projectId: string, cap?: number): Promise<StatusCounts>;
  /** Up to `limit` registered triggers due in [`from`, `until`), soonest first. */
  listUpcoming(projectId: string, from: number, until: number, limit: number): Promise<TriggerRecord[]>;
  /** Up to `limit` triggers that ended failed at `since` or later, latest first. */
  listFailures(projectId: string, since: number, limit: number): Promise<TriggerRecord[]>;
  /** Up to `limit` attempts that finished at `since` or later, latest first, with their trigger's nominal time. */
  listAttemptTimings(projectId: string, since: number, limit: number): Promise<AttemptTiming[]>;
  /**
   * The server secret called `name`: `candidate` becomes it when there is none yet. Every process
   * on the database gets the same value, however many ask at once.
   */
  ensureServerSecret(name: string, candidate: string, now: number): Promise<string>;

  /** Bytes of the store's write-ahead log waiting to be checkpointed, for /metrics; 0 where it has none. */
  walBytes(): number;
  /** Which database engine holds the store. */
  engine(): StoreEngine;

  close(): Promise<void>;
}
