import type { HourglassError } from "../errors.js";
import type { DeliveryPolicy, FlowLimits, OverlapPolicy, RunMissedPolicy } from "../schedule/types.js";

export type { DeliveryPolicy, FlowLimits, OverlapPolicy } from "../schedule/types.js";

/** A header as sent: original name case, original order; duplicates are separate pairs. */
export type HeaderPair = [name: string, value: string];

/** The request Hourglass replays: exactly what the client sent to `/schedule`, minus what is not forwarded. */
export interface RequestTemplate {
  method: string;
  url: string;
  headers: HeaderPair[];
  /** Raw body bytes (possibly empty); `null` when the method carries none (GET/HEAD/OPTIONS). */
  body: Uint8Array | null;
}

/**
 * Trigger states. A trigger moves registered → running → succeeded | failed, or to cancelled
 * from registered. A running trigger whose lease expires (its process died) is claimed again.
 */
export const TRIGGER_STATUS = {
  /** Waiting for its time. */
  registered: "registered",
  /** Claimed by a dispatcher under a lease; the request is being (or about to be) sent. */
  running: "running",
  /** The target answered 2xx or 3xx. */
  succeeded: "succeeded",
  /** The last attempt failed (network error, timeout, or a non-success status). */
  failed: "failed",
  /** Cancelled before it ran (by `/cancel`, by an edit that replaced it, or a generator ending). */
  cancelled: "cancelled",
} as const;
export type TriggerStatus = (typeof TRIGGER_STATUS)[keyof typeof TRIGGER_STATUS];

/** Generator states. Only an active generator has (exactly one) pending instance. */
export const GENERATOR_STATUS = {
  /** Materializes its next instance each time the current one is claimed. */
  active: "active",
  /** Keeps no pending instance; resuming materializes the tick that was pending, per `ttr-run-missed`. */
  paused: "paused",
  /** Cancelled, or ended by `ttr-ends-at` / `ttr-max-runs` (then `endReason` says so): no pending instance, never again. */
  cancelled: "cancelled",
} as const;
export type GeneratorStatus = (typeof GENERATOR_STATUS)[keyof typeof GENERATOR_STATUS];

/** What `/schedule` created: a one-shot job, or a recurring generator. */
export type TriggerKind = "job" | "generator";

/**
 * Where a trigger came from: `job` a one-shot; `tick` a generator's scheduled instance; `run` a
 * generator's extra run (`POST /generators/:id/run`); `callback` the outcome report of another trigger.
 */
export type TriggerOrigin = "job" | "tick" | "run" | "callback";



export interface TriggerRecord extends RequestTemplate {
  id: string;
  projectId: string;
  origin: TriggerOrigin;
  /** Set on instances materialized by a generator. */
  generatorId: string | null;
  /** For a callback: the trigger whose outcome it reports. */
  parentTriggerId: string | null;
  delivery: DeliveryPolicy;
  /** Retries not used yet in the current round (a replay starts a new round). */
  retriesLeft: number;
  customKey: string | null;
  title: string | null;
  tags: string[];
  /** The nominal time it is due (for a generator instance: the cron tick). */
  scheduledAt: number;
  status: TriggerStatus;
  /** How many times it has been claimed (attempts started). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  /** When it reached succeeded/failed/cancelled. */
  finishedAt: number | null;
  /** Why it was cancelled, when it was. */
  cancelReason: string | null;
  /**
   * Registered but held back by its flow (`delivery.flowKey`): `parallelism` while the flow has
   * its most attempts in flight, `rate` until its turn in a later second; null otherwise.
   */
  flowWaiting: FlowWaiting | null;
}

/** Why a trigger that is due waits for its flow. */
export type FlowWaiting = "parallelism" | "rate";

/** A project's flow: its limits, and its triggers in flight and waiting. */
export interface FlowRecord extends FlowLimits {
  key: string;
  inFlight: number;
  waiting: number;
}

export interface GeneratorRecord extends RequestTemplate {
  id: string;
  projectId: string;
  customKey: string | null;
  cronExpr: string;
  cronTz: string;
  runMissed: RunMissedPolicy;
  overlap: OverlapPolicy;
  delivery: DeliveryPolicy;
  title: string | null;
  tags: string[];
  status: GeneratorStatus;
  /** Why the schedule is held back, when it is (e.g. the monthly quota). */
  note: string | null;
  /** `ttr-ends-at`: no tick after this instant. */
  endsAt: number | null;
  /** `ttr-max-runs`: the generator ends once this many ticks have fired. */
  maxRuns: number | null;
  /** Ticks fired so far (claimed for delivery, not skipped; extra runs and retries do not count). */
  runs: number;
  /** Set when the generator ended by reaching `endsAt` or `maxRuns` (its status is then `cancelled`). */
  endReason: string | null;
  createdAt: number;
  updatedAt: number;
  /** The pending instance, when the generator is active. */
  pendingTriggerId: string | null;
  /** Nominal time of the pending instance. */
  nextAt: number | null;
}

export type ExecutionOutcome = "succeeded" | "failed";

export interface ExecutionRecord {
  id: string;
  triggerId: string;
  projectId: string;
  /** 1-based attempt number of the trigger. */
  attempt: number;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  outcome: ExecutionOutcome;
  httpStatus: number | null;
  error: string | null;
  /** A subset of the target's response headers. */
  responseHeaders: HeaderPair[];
  /** The start of the response body, capped, decoded as UTF-8 (lossy). */
  responseExcerpt: string | null;
  /** When this attempt failed and another was scheduled: when it is due. */
  retryAt: number | null;
}

/** A trigger the dispatcher now owns until `leaseUntil`. */
export interface ClaimedTrigger extends RequestTemplate {
  id: string;
  projectId: string;
  origin: TriggerOrigin;
  generatorId: string | null;
  customKey: string | null;
  title: string | null;
  tags: string[];
  scheduledAt: number;
  attempt: number;
  /** Retries left if this attempt fails. */
  retriesLeft: number;
  delivery: DeliveryPolicy;
  /** The claim is owned until then: always later than the attempt's timeout. */
  leaseUntil: number;
  /**
   * The attempt starts no earlier than this: the time the trigger was due when it was claimed,
   * which is later than the claim's `now` when it was claimed ahead (see `Store.claimDue`).
   */
  startAt: number;
  /**
   * Earlier instances of the generator this claim cancelled (`ttr-overlap: cancel-previous`),
   * with why: the dispatcher aborts those of them it is delivering.
   */
  supersedes?: { ids: readonly string[]; reason: string };
}

/** Input of `Store.scheduleJob` / `Store.scheduleGenerator`. */
export interface ScheduleInputBase {
  projectId: string;
  customKey: string | null;
  triggerId: string | null;
  request: RequestTemplate;
  delivery: DeliveryPolicy;
  /** The limits to set on the flow `delivery.flowKey` names (replacing its limits); absent or null: leave them. */
  flowLimits?: FlowLimits | null;
  title: string | null;
  tags: string[];
  now: number;
}

export interface ScheduleJobInput extends ScheduleInputBase {
  scheduledAt: number;
}

export interface ScheduleGeneratorInput extends ScheduleInputBase {
  cronExpr: string;
  cronTz: string;
  runMissed: RunMissedPolicy;
  overlap: OverlapPolicy;
  /** `ttr-ends-at` (epoch ms); `null`: none. */
  endsAt: number | null;
  /** `ttr-max-runs`; `null`: none. */
  maxRuns: number | null;
}

export type ScheduleOperation = "schedule" | "reschedule";

/** One item of {@link Store.scheduleBatch}: its result, or the refusal that undid it alone. */
export type BatchOutcome = { ok: true; result: ScheduleResult } | { ok: false; error: HourglassError };

/** The database engines a store runs on. */
export type StoreEngine = "sqlite" | "postgresql";

export interface ScheduleResult {
  operation: ScheduleOperation;
  kind: TriggerKind;
  /** The trigger id, or the generator id for a recurring trigger. */
  id: string;
  /** When it (or, for a generator, its pending instance) is due. */
  scheduledAt: number;
  /** Instances the project may still create this month; null without a quota. */
  monthQuotaRemaining: number | null;
}

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: number;
  /** Trigger instances per calendar month (UTC); null: no quota. */
  monthQuota: number | null;
  /** /schedule and /cancel requests per second; null: no limit. */
  rateLimit: number | null;
  /** Instances created this month. */
  usedThisMonth: number;
  /** The project's own egress allowlist, on top of the global one (see {@link ProjectEgressRules}). */
  egress: ProjectEgressRules;
  /** What a trigger of the project gets when its request does not say. */
  defaults: ProjectDefaults;
}

/**
 * A project's delivery defaults, applied when a `/schedule` or JSON API request does not give
 * its own value; each null: the server's default (`HOURGLASS_DEFAULT_*`; no callback or failure URL).
 */
export interface ProjectDefaults {
  retries: number | null;
  retryDelayMs: number | null;
  timeoutMs: number | null;
  callbackUrl: string | null;
  failureUrl: string | null;
}

/** A project with none of its own defaults. */
export const NO_PROJECT_DEFAULTS: Readonly<ProjectDefaults> = Object.freeze({
  retries: null,
  retryDelayMs: null,
  timeoutMs: null,
  callbackUrl: null,
  failureUrl: null,
});

/** Egress a project may use beyond HOURGLASS_ALLOWED_TARGETS / HOURGLASS_ALLOWED_PORTS, in their entry syntax. */
export interface ProjectEgressRules {
  allowedTargets: string[];
  allowedPorts: string[];
}

/** Changes to a project; an absent field is left as it is. */
export interface ProjectChanges {
  name?: string;
  /** null removes the quota. */
  monthQuota?: number | null;
  /** null removes the limit. */
  rateLimit?: number | null;
  /** Replaces the project's allowed targets ([] removes them). */
  allowedTargets?: string[];
  /** Replaces the project's allowed ports ([] removes them). */
  allowedPorts?: string[];
  /** Sets the defaults given (null removes one); the others are left as they are. */
  defaults?: Partial<ProjectDefaults>;
}

export interface ApiKeyRecord {
  id: string;
  projectId: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** What a request's API key resolves to. */
export interface KeyOwner {
  projectId: string;
  /** The key's id (as in {@link ApiKeyRecord}): what a dashboard session remembers, to notice a revocation. */
  keyId: string;
  keyHash: string;
  rateLimit: number | null;
}

export interface CancelInput {
  projectId: string;
  triggerId: string | null;
  customKey: string | null;
  now: number;
}

export interface AttemptResult {
  triggerId: string;
  projectId: string;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: ExecutionOutcome;
  httpStatus: number | null;
  error: string | null;
  responseHeaders: HeaderPair[];
  responseExcerpt: string | null;
  /** A failed attempt that will be retried: when. `null`: this outcome is final. */
  retryAt: number | null;
  /** The trigger's flow (its attempt frees a place in it); null or absent: none. */
  flowKey?: string | null;
  /** With a final outcome: the outcome reports to queue as callback triggers. */
  callbacks: CallbackRequest[];
}

/** An outcome report to deliver as a trigger of its own (origin `callback`). */
export interface CallbackRequest {
  url: string;
  /** JSON bytes. */
  body: Uint8Array;
  delivery: DeliveryPolicy;
}

/** Listing filter `kind`: one-shot jobs, generator instances (ticks and runs), or callbacks. */
export type TriggerListKind = "job" | "generator" | "callback";

export interface TriggerFilter {
  status?: TriggerStatus;
  kind?: TriggerListKind;
  generatorId?: string;
  customKey?: string;
  tag?: string;
  /** Text the title or the URL contains, case-insensitively (ASCII). */
  search?: string;
  /**
   * With `search`: look only among the project's newest `searchNewest` triggers. The text match
   * cannot use an index, so this bounds what one page reads (the dashboard's search).
   */
  searchNewest?: number;
  /** `flow`: only triggers held back by their flow (see {@link TriggerRecord.flowWaiting}). */
  waitingFor?: "flow";
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

export interface ExecutionFilter {
  triggerId?: string;
}

/** A project's triggers and generators counted by status (every status present, 0 when none). */
export interface StatusCounts {
  triggers: Record<TriggerStatus, number>;
  generators: Record<GeneratorStatus, number>;
}

/** When one attempt ran, against when its trigger was due: the dashboard's activity charts. */
export interface AttemptTiming {
  attempt: number;
  /** The trigger's nominal time (lateness of a first attempt is `startedAt - scheduledAt`). */
  scheduledAt: number;
  startedAt: number;
  finishedAt: number;
  outcome: ExecutionOutcome;
}

/** Which triggers a bulk cancel or replay acts on: every term given must hold. */
export interface BulkFilter {
  tag?: string;
  customKeyPrefix?: string;
  status?: TriggerStatus;
  kind?: TriggerListKind;
  generatorId?: string;
  /** Nominal time at or after this instant (epoch ms). */
  scheduledFrom?: number;
  /** Nominal time before this instant (epoch ms). */
  scheduledBefore?: number;
}

/** `cancel` acts on waiting triggers, `replay` on executed (succeeded or failed) ones. */
export type BulkAction = "cancel" | "replay";

/** One bounded step of a bulk action. */
export interface BulkStepRequest {
  /** Where the previous step stopped (the newest trigger not yet looked at is older); null to start. */
  cursor: string | null;
  /** How many of the project's triggers this step looks at. */
  window: number;
  /** Only count what matches. */
  dryRun: boolean;
  now: number;
}

export interface BulkStepResult {
  /** Triggers in the step's window the action can act on. */
  matched: number;
  /** Of those, how many it cancelled or replayed (a replay whose custom key another trigger holds is not). */
  affected: number;
  /** Pass as `cursor` for the next step; null when every trigger has been looked at. */
  nextCursor: string | null;
}
