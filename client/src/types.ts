/*
 * The shapes of Hourglass's HTTP API, as its OpenAPI document (GET /openapi.json) describes them.
 * Written by hand from src/http/openapi.ts; the client's tests run against a real server whose
 * answers the server's own tests validate against that document.
 */

/** A ULID, as every id of the API. */
export type Id = string;
/** An ISO-8601 UTC time with milliseconds, e.g. `2026-11-23T19:01:54.425Z`. */
export type IsoTime = string;
/** Headers in order, duplicates kept: `[name, value]` pairs. */
export type HeaderPairs = [string, string][];

/** Trigger states: waiting, in flight, and the three final ones. */
export type TriggerStatus = "registered" | "running" | "succeeded" | "failed" | "cancelled";
/** Generator states. */
export type GeneratorStatus = "active" | "paused" | "cancelled";
/** What a trigger belongs to in lists: a one-shot, a generator's instance, or an outcome callback. */
export type TriggerKind = "job" | "generator" | "callback";
/** Where a trigger came from: `tick` a generator's scheduled instance, `run` an extra run now. */
export type TriggerOrigin = "job" | "tick" | "run" | "callback";
export type RunMissed = "skip" | "once" | "all";
export type Overlap = "allow" | "skip" | "cancel-previous";

/** What `/schedule`, `POST /triggers` and `POST /generators` answer. */
export interface ScheduleResponse {
  /** The trigger's id, or the generator's for a cron schedule. */
  triggerId: Id;
  /** When it fires (a generator: its first pending tick). */
  scheduledAt: IsoTime;
  /** `reschedule` when a custom key or trigger id made it an edit. */
  operation: "schedule" | "reschedule";
  kind: "job" | "generator";
  /** null when the project has no monthly quota. */
  monthQuotaRemaining: number | null;
}

interface DeliveryView {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  callbackUrl: string | null;
  failureUrl: string | null;
  /** The statuses that succeed (`ttr-success-status`; default `2xx,3xx`). */
  successStatus: string;
  /** The failures retried (`ttr-retry-on`; default `408,429,5xx,network`). */
  retryOn: string;
  /** The project's flow whose limits hold its attempts (`ttr-flow-key`); null: none. */
  flowKey: string | null;
}

/** A trigger as `GET /triggers` shows it (secret-bearing header values masked unless revealed). */
export interface Trigger extends DeliveryView {
  id: Id;
  kind: TriggerKind;
  origin: TriggerOrigin;
  generatorId: Id | null;
  parentTriggerId: Id | null;
  customKey: string | null;
  status: TriggerStatus;
  scheduledAt: IsoTime;
  method: string;
  url: string;
  headers: HeaderPairs;
  bodySize: number;
  title: string | null;
  tags: string[];
  attempts: number;
  retriesLeft: number;
  createdAt: IsoTime;
  updatedAt: IsoTime;
  finishedAt: IsoTime | null;
  cancelReason: string | null;
  /** Registered but held back by its flow: while it has its most attempts in flight, or until a later second; null otherwise. */
  flowWaiting: "parallelism" | "rate" | null;
}

/** `GET /flows`: a flow of the project, its limits (null: none), attempts in flight and triggers waiting. */
export interface Flow {
  key: string;
  parallelism: number | null;
  rate: number | null;
  inFlight: number;
  waiting: number;
}

/** `GET /triggers/:id`: the trigger with its body and its attempts, oldest first. */
export interface TriggerDetail extends Trigger {
  bodyBase64: string | null;
  executions: Execution[];
}

/** A generator as `GET /generators` shows it. */
export interface Generator extends DeliveryView {
  id: Id;
  customKey: string | null;
  status: GeneratorStatus;
  cron: string;
  timezone: string;
  runMissed: RunMissed;
  overlap: Overlap;
  /** Its pending tick's time; null when paused or cancelled. */
  nextAt: IsoTime | null;
  note: string | null;
  /** `ttr-ends-at`: no tick after it. */
  endsAt: IsoTime | null;
  /** `ttr-max-runs`: it ends after this many ticks. */
  maxRuns: number | null;
  /** Ticks fired so far. */
  runs: number;
  /** Set when a limit ended it (its status is then `cancelled`). */
  endReason: string | null;
  pendingTriggerId: Id | null;
  method: string;
  url: string;
  headers: HeaderPairs;
  bodySize: number;
  title: string | null;
  tags: string[];
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** `GET /generators/:id`: with the body. */
export interface GeneratorDetail extends Generator {
  bodyBase64: string | null;
}

/** One delivery attempt. */
export interface Execution {
  id: Id;
  triggerId: Id;
  attempt: number;
  startedAt: IsoTime;
  finishedAt: IsoTime;
  durationMs: number;
  outcome: "succeeded" | "failed";
  httpStatus: number | null;
  error: string | null;
  responseHeaders: HeaderPairs;
  responseExcerpt: string | null;
  retryAt: IsoTime | null;
}

/** A duration as `ttr-retry-delay` takes it (`500ms`, `10s`, `5m`, `1h`), or a number of seconds. */
export type Duration = string | number;

/** Fields every JSON create and edit takes (`null` clears an optional field on an edit). */
interface RequestFields {
  /** The target: an absolute http(s) URL. */
  url?: string;
  /** Default `POST`. */
  method?: string;
  /** `[name, value]` pairs in order, or an object. */
  headers?: HeaderPairs | Record<string, string>;
  /** Text, sent as UTF-8 (not with bodyBase64). */
  body?: string | null;
  /** Bytes as standard padded base64 (not with body). */
  bodyBase64?: string | null;
  timezone?: string | null;
  customKey?: string | null;
  title?: string | null;
  tags?: string[] | null;
  retries?: number | string | null;
  retryDelay?: Duration | null;
  timeout?: Duration | null;
  callbackUrl?: string | null;
  failureUrl?: string | null;
  /** Statuses that succeed, as `ttr-success-status` (`"2xx,409"`). */
  successStatus?: string | null;
  /** Failures to retry, as `ttr-retry-on` (`"429,5xx,network"`). */
  retryOn?: string | null;
  /** The flow, as `ttr-flow-key`. */
  flowKey?: string | null;
  /** 1–1,000, as `ttr-flow-parallelism`: sets the flow's limits. */
  flowParallelism?: number | string | null;
  /** 1–10,000, as `ttr-flow-rate`: sets the flow's limits. */
  flowRate?: number | string | null;
}

/** `POST /triggers` (and each batch item). */
export interface TriggerCreate extends RequestFields {
  url: string;
  /** The `ttr-scheduled-at` grammar without cron(…): `now | add 10m`, an ISO-8601 time. */
  scheduledAt: string;
}

/** `PATCH /triggers/:id`: the fields given change, the others stay. */
export interface TriggerEdit extends RequestFields {
  scheduledAt?: string;
}

interface GeneratorFields {
  /** What goes inside cron(…): `0 9 * * 1-5` or `0 9 * * 1-5, Europe/Paris`. */
  cron?: string;
  runMissed?: RunMissed | null;
  overlap?: Overlap | null;
  /** No tick after this instant, as `ttr-ends-at`. */
  endsAt?: string | null;
  /** End after this many ticks, as `ttr-max-runs`. */
  maxRuns?: number | string | null;
}

/** `POST /generators`. */
export interface GeneratorCreate extends RequestFields, GeneratorFields {
  url: string;
  cron: string;
}

/** `PATCH /generators/:id`: any create field, and/or `paused`. */
export interface GeneratorEdit extends RequestFields, GeneratorFields {
  paused?: boolean;
}

/** What a bulk cancel or replay acts on: every term given must hold (`all: true` for every trigger). */
export interface BulkFilter {
  tag?: string;
  customKeyPrefix?: string;
  status?: TriggerStatus;
  kind?: TriggerKind;
  generatorId?: Id;
  /** Nominal time at or after this instant (the `ttr-scheduled-at` grammar). */
  scheduledFrom?: string;
  /** Nominal time before this instant. */
  scheduledBefore?: string;
  timezone?: string;
  all?: boolean;
  /** Only count what matches. */
  dryRun?: boolean;
}

/** What a bulk cancel or replay matched and affected. */
export interface BulkResult {
  action: "cancel" | "replay";
  dryRun: boolean;
  matched: number;
  affected: number;
}

/** One item's answer in `POST /triggers/batch`: its schedule answer, or its error. */
export type BatchResult = ScheduleResponse | { error: string; message: string; status: number };

/** `POST /triggers/:id/replay` and `POST /generators/:id/run`. */
export interface QueuedRun {
  triggerId: Id;
  scheduledAt: IsoTime;
}

/** A page of a list; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: Id | null;
}

/** Page size and position, for one page. */
export interface PageQuery {
  /** 1–500 (default 50). */
  limit?: number;
  cursor?: Id;
}

/** Filters of `GET /triggers`. */
export interface TriggerFilter {
  status?: TriggerStatus;
  kind?: TriggerKind;
  generatorId?: Id;
  customKey?: string;
  tag?: string;
  /** `flow`: only triggers their flow holds back. */
  waitingFor?: "flow";
  /** Show secret-bearing header values unmasked (`?reveal=headers`). */
  revealHeaders?: boolean;
}

/** `POST /signing-secret`: the new secret (shown once), and how many secrets now sign. */
export interface SigningSecret {
  secret: string;
  signingWith: number;
}

/** A project, as the admin API shows it. */
export interface Project {
  id: Id;
  name: string;
  createdAt: IsoTime;
  monthQuota: number | null;
  usedThisMonth: number;
  rateLimit: number | null;
  allowedTargets: string[];
  allowedPorts: string[];
  /** What the project's triggers get when their request does not say; `null`: not set. */
  defaults: {
    retries: number | null;
    retryDelayMs: number | null;
    timeoutMs: number | null;
    callbackUrl: string | null;
    failureUrl: string | null;
  };
}

/** `PATCH /admin/projects/:id`: `null` removes a limit, `[]` the project's egress entries. */
export interface ProjectChanges {
  name?: string;
  monthQuota?: number | null;
  rateLimit?: number | null;
  allowedTargets?: (string | number)[];
  allowedPorts?: (string | number)[];
  /** Delivery defaults (durations as `10s` or seconds); a field left out is kept, `null` removes it. */
  defaults?: {
    retries?: number | string | null;
    retryDelay?: number | string | null;
    timeout?: number | string | null;
    callbackUrl?: string | null;
    failureUrl?: string | null;
  };
}

/** An API key as issued: `key` is shown this once. */
export interface IssuedKey {
  id: Id;
  prefix: string;
  key: string;
}

/** An API key as listed (never the key itself). */
export interface ApiKeyView {
  id: Id;
  prefix: string;
  createdAt: IsoTime;
  revokedAt: IsoTime | null;
}

/** What `GET /preview` is asked: a `ttr-scheduled-at` value, its zone, how many fire times, from when. */
export interface PreviewQuery {
  scheduledAt: string;
  timezone?: string;
  /** Fire times of a cron (1–1,000, default 10). */
  count?: number;
  /** Where the fire times start (default now), an instant in the same grammar. */
  from?: string;
}

/** One fire time of a cron, with how DST moved it (null: not at all). */
export type FireTime = { at: IsoTime; local: string } & (
  | { dst: null }
  | { dst: "gap"; wallTime: string; shiftMs: number }
  | { dst: "overlap"; pass: number; firesOnBothPasses: boolean }
  | { dst: "skipped"; skipped: { count: number; first: string; last: string } }
);

/** `GET /preview`: a one-shot's instant, or a cron's next fire times. */
export type Preview =
  | { kind: "once"; scheduledAt: IsoTime; timezone: string; local: string }
  | { kind: "cron"; cron: string; timezone: string; pattern: "wall-clock" | "cadence"; from: IsoTime; fireTimes: FireTime[] };

/** The virtual clock (`HOURGLASS_CLOCK=manual`); `attempts` counts what a move fired. */
export interface ClockState {
  mode: "manual";
  now: IsoTime;
  attempts?: number;
}
