import type { ColumnType, Selectable } from "kysely";
import type { RunMissedPolicy } from "../schedule/types.js";
import type {
  ExecutionOutcome,
  ExecutionRecord,
  FlowWaiting,
  GeneratorRecord,
  GeneratorStatus,
  DeliveryPolicy,
  HeaderPair,
  OverlapPolicy,
  TriggerKind,
  TriggerOrigin,
  TriggerRecord,
  TriggerStatus,
} from "./types.js";

/** Table shapes as Kysely sees them (mirrors migrations/sqlite/). */
export interface Database {
  projects: {
    id: string;
    name: string;
    created_at: number;
    signing_secrets: ColumnType<string, string | undefined, string>;
    month_quota: ColumnType<number | null, number | null | undefined, number | null>;
    rate_limit: ColumnType<number | null, number | null | undefined, number | null>;
    default_retries: ColumnType<number | null, number | null | undefined, number | null>;
    default_retry_delay_ms: ColumnType<number | null, number | null | undefined, number | null>;
    default_timeout_ms: ColumnType<number | null, number | null | undefined, number | null>;
    default_callback_url: ColumnType<string | null, string | null | undefined, string | null>;
    default_failure_url: ColumnType<string | null, string | null | undefined, string | null>;
  };
  project_egress: {
    project_id: string;
    allowed_targets: ColumnType<string, string | undefined, string>;
    allowed_ports: ColumnType<string, string | undefined, string>;
  };
  project_usage: { project_id: string; month: string; created: number };
  api_keys: {
    id: string;
    project_id: string;
    key_hash: string;
    key_prefix: string;
    created_at: number;
    revoked_at: number | null;
  };
  configured_api_keys: { key_hash: string };
  generators: {
    id: string;
    project_id: string;
    custom_key: string | null;
    cron_expr: string;
    cron_tz: string;
    run_missed: RunMissedPolicy;
    catchup_left: number | null;
    /** `allow` or `skip`; `cancel-previous` is stored as `allow` with {@link cancel_previous} set (0007). */
    overlap: "allow" | "skip";
    cancel_previous: ColumnType<number, number | undefined, number>;
    resume_at: number | null;
    note: ColumnType<string | null, string | null | undefined, string | null>;
    method: string;
    url: string;
    headers: string;
    body: Uint8Array | null;
    title: string | null;
    tags: string;
    retries: number;
    retry_delay_ms: number;
    timeout_ms: number;
    callback_url: string | null;
    failure_url: string | null;
    success_status: ColumnType<string | null, string | null | undefined, string | null>;
    retry_on: ColumnType<string | null, string | null | undefined, string | null>;
    flow_key: ColumnType<string | null, string | null | undefined, string | null>;
    ends_at: ColumnType<number | null, number | null | undefined, number | null>;
    max_runs: ColumnType<number | null, number | null | undefined, number | null>;
    runs: ColumnType<number, number | undefined, number>;
    end_reason: ColumnType<string | null, string | null | undefined, string | null>;
    status: GeneratorStatus;
    created_at: number;
    updated_at: number;
  };
  triggers: {
    id: string;
    project_id: string;
    generator_id: string | null;
    origin: TriggerOrigin;
    parent_trigger_id: string | null;
    custom_key: string | null;
    method: string;
    url: string;
    headers: string;
    body: Uint8Array | null;
    title: string | null;
    tags: string;
    retries: number;
    retries_left: number;
    retry_delay_ms: number;
    timeout_ms: number;
    callback_url: string | null;
    failure_url: string | null;
    success_status: ColumnType<string | null, string | null | undefined, string | null>;
    retry_on: ColumnType<string | null, string | null | undefined, string | null>;
    scheduled_at: number;
    due_at: number;
    status: TriggerStatus;
    attempts: ColumnType<number, number | undefined, number>;
    created_at: number;
    updated_at: number;
    finished_at: number | null;
    cancel_reason: string | null;
    /** The month whose quota counted this generator tick, if one did. */
    quota_month: ColumnType<string | null, string | null | undefined, string | null>;
    flow_key: ColumnType<string | null, string | null | undefined, string | null>;
    /** Parked by its flow's parallelism: the due time it had (see flow-admission.ts). */
    flow_parked_due: ColumnType<number | null, number | null | undefined, number | null>;
    /** Waiting for a place in this window of its flow's rate. */
    flow_window: ColumnType<number | null, number | null | undefined, number | null>;
  };
  flows: {
    project_id: string;
    flow_key: string;
    parallelism: number | null;
    rate: number | null;
    rate_window: ColumnType<number, number | undefined, number>;
    rate_taken: ColumnType<number, number | undefined, number>;
    updated_at: number;
  };
  trigger_tags: { project_id: string; tag: string; trigger_id: string };
  server_secrets: { name: string; value: string; created_at: number };
  custom_keys: { project_id: string; custom_key: string; owner_kind: TriggerKind; owner_id: string };
  executions: {
    id: string;
    trigger_id: string;
    project_id: string;
    attempt: number;
    started_at: number;
    finished_at: number;
    duration_ms: number;
    outcome: ExecutionOutcome;
    http_status: number | null;
    error: string | null;
    response_headers: string | null;
    response_excerpt: string | null;
    retry_at: number | null;
  };
}

export type TriggerRow = Selectable<Database["triggers"]>;
export type GeneratorRow = Selectable<Database["generators"]>;
export type ExecutionRow = Selectable<Database["executions"]>;

/** Tags are stored as ",a,b," so that one LIKE finds a whole tag on every engine. */
export function encodeTags(tags: string[]): string {
  return tags.length === 0 ? "" : `,${tags.join(",")},`;
}

export function decodeTags(stored: string): string[] {
  return stored.split(",").filter((t) => t.length > 0);
}

/** A LIKE pattern matching lower-cased text that contains `text` (lower-cased: the search is case-insensitive). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function encodeHeaders(headers: HeaderPair[]): string {
  return JSON.stringify(headers);
}

export function decodeHeaders(stored: string): HeaderPair[] {
  return JSON.parse(stored) as HeaderPair[];
}

/** Engines hand back Buffers (a Uint8Array subclass) or plain Uint8Arrays; callers see Uint8Array. */
export function decodeBody(stored: Uint8Array | null): Uint8Array | null {
  return stored === null ? null : new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
}

/** The delivery-policy columns shared by triggers and generators. */
export function deliveryColumns(policy: DeliveryPolicy) {
  return {
    retries: policy.retries,
    retry_delay_ms: policy.retryDelayMs,
    timeout_ms: policy.timeoutMs,
    callback_url: policy.callbackUrl,
    failure_url: policy.failureUrl,
    success_status: policy.successStatus,
    retry_on: policy.retryOn,
    flow_key: policy.flowKey,
  };
}

export function toDeliveryPolicy(row: TriggerRow | GeneratorRow): DeliveryPolicy {
  return {
    retries: Number(row.retries),
    retryDelayMs: Number(row.retry_delay_ms),
    timeoutMs: Number(row.timeout_ms),
    callbackUrl: row.callback_url,
    failureUrl: row.failure_url,
    successStatus: row.success_status,
    retryOn: row.retry_on,
    flowKey: row.flow_key,
  };
}

export function toTriggerRecord(row: TriggerRow): TriggerRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    origin: row.origin,
    generatorId: row.generator_id,
    parentTriggerId: row.parent_trigger_id,
    delivery: toDeliveryPolicy(row),
    retriesLeft: Number(row.retries_left),
    customKey: row.custom_key,
    method: row.method,
    url: row.url,
    headers: decodeHeaders(row.headers),
    body: decodeBody(row.body),
    title: row.title,
    tags: decodeTags(row.tags),
    scheduledAt: Number(row.scheduled_at),
    status: row.status,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    cancelReason: row.cancel_reason,
    flowWaiting: flowWaiting(row),
  };
}

/** Why a registered trigger waits for its flow, if it does (see flow-admission.ts). */
function flowWaiting(row: Pick<TriggerRow, "status" | "flow_parked_due" | "flow_window">): FlowWaiting | null {
  if (row.status !== "registered") return null;
  if (row.flow_parked_due !== null) return "parallelism";
  return row.flow_window === null ? null : "rate";
}

export function toGeneratorRecord(
  row: GeneratorRow,
  pending: { id: string; scheduled_at: number } | undefined,
): GeneratorRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    customKey: row.custom_key,
    cronExpr: row.cron_expr,
    cronTz: row.cron_tz,
    runMissed: row.run_missed,
    overlap: row.cancel_previous ? "cancel-previous" : row.overlap,
    delivery: toDeliveryPolicy(row),
    method: row.method,
    url: row.url,
    headers: decodeHeaders(row.headers),
    body: decodeBody(row.body),
    title: row.title,
    tags: decodeTags(row.tags),
    status: row.status,
    note: row.note,
    endsAt: row.ends_at === null ? null : Number(row.ends_at),
    maxRuns: row.max_runs === null ? null : Number(row.max_runs),
    runs: Number(row.runs),
    endReason: row.end_reason,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    pendingTriggerId: pending?.id ?? null,
    nextAt: pending ? Number(pending.scheduled_at) : null,
  };
}

export function toExecutionRecord(row: ExecutionRow): ExecutionRecord {
  return {
    id: row.id,
    triggerId: row.trigger_id,
    projectId: row.project_id,
    attempt: Number(row.attempt),
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: row.error,
    responseHeaders: row.response_headers === null ? [] : decodeHeaders(row.response_headers),
    responseExcerpt: row.response_excerpt,
    retryAt: row.retry_at === null ? null : Number(row.retry_at),
  };
}
