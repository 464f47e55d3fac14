import { DEFAULT_RETRY_ON, DEFAULT_SUCCESS_STATUS } from "../dispatch/outcome-rules.js";
import { maskSecretHeaders } from "../request/secret-headers.js";
import type { ExecutionRecord, FlowRecord, GeneratorRecord, TriggerListKind, TriggerOrigin, TriggerRecord } from "../store/types.js";

const KIND_BY_ORIGIN: Record<TriggerOrigin, TriggerListKind> = { job: "job", tick: "generator", run: "generator", callback: "callback" };

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const base64 = (body: Uint8Array | null): string | null => (body === null ? null : Buffer.from(body).toString("base64"));

/** How much of a stored request a view shows. */
export interface ViewOptions {
  /** Add the stored body as base64. */
  body?: boolean;
  /** Show secret-bearing header values (`?reveal=headers`); masked otherwise. */
  revealHeaders?: boolean;
}

/** A trigger as the read API shows it. */
export function triggerView(trigger: TriggerRecord, options: ViewOptions = {}) {
  return {
    id: trigger.id,
    kind: KIND_BY_ORIGIN[trigger.origin],
    origin: trigger.origin,
    generatorId: trigger.generatorId,
    parentTriggerId: trigger.parentTriggerId,
    customKey: trigger.customKey,
    status: trigger.status,
    scheduledAt: iso(trigger.scheduledAt),
    method: trigger.method,
    url: trigger.url,
    headers: options.revealHeaders ? trigger.headers : maskSecretHeaders(trigger.headers),
    bodySize: trigger.body?.byteLength ?? 0,
    ...(options.body ? { bodyBase64: base64(trigger.body) } : {}),
    title: trigger.title,
    tags: trigger.tags,
    attempts: trigger.attempts,
    retries: trigger.delivery.retries,
    retriesLeft: trigger.retriesLeft,
    retryDelayMs: trigger.delivery.retryDelayMs,
    timeoutMs: trigger.delivery.timeoutMs,
    callbackUrl: trigger.delivery.callbackUrl,
    failureUrl: trigger.delivery.failureUrl,
    successStatus: trigger.delivery.successStatus ?? DEFAULT_SUCCESS_STATUS,
    retryOn: trigger.delivery.retryOn ?? DEFAULT_RETRY_ON,
    flowKey: trigger.delivery.flowKey,
    flowWaiting: trigger.flowWaiting,
    createdAt: iso(trigger.createdAt),
    updatedAt: iso(trigger.updatedAt),
    finishedAt: isoOrNull(trigger.finishedAt),
    cancelReason: trigger.cancelReason,
  };
}

/** A generator as the read API shows it; `nextAt` is its pending instance's time. */
export function generatorView(generator: GeneratorRecord, options: ViewOptions = {}) {
  return {
    id: generator.id,
    customKey: generator.customKey,
    status: generator.status,
    cron: generator.cronExpr,
    timezone: generator.cronTz,
    runMissed: generator.runMissed,
    overlap: generator.overlap,
    endsAt: isoOrNull(generator.endsAt),
    maxRuns: generator.maxRuns,
    runs: generator.runs,
    nextAt: isoOrNull(generator.nextAt),
    note: generator.note,
    endReason: generator.endReason,
    pendingTriggerId: generator.pendingTriggerId,
    method: generator.method,
    url: generator.url,
    headers: options.revealHeaders ? generator.headers : maskSecretHeaders(generator.headers),
    bodySize: generator.body?.byteLength ?? 0,
    ...(options.body ? { bodyBase64: base64(generator.body) } : {}),
    title: generator.title,
    tags: generator.tags,
    retries: generator.delivery.retries,
    retryDelayMs: generator.delivery.retryDelayMs,
    timeoutMs: generator.delivery.timeoutMs,
    callbackUrl: generator.delivery.callbackUrl,
    failureUrl: generator.delivery.failureUrl,
    successStatus: generator.delivery.successStatus ?? DEFAULT_SUCCESS_STATUS,
    retryOn: generator.delivery.retryOn ?? DEFAULT_RETRY_ON,
    flowKey: generator.delivery.flowKey,
    createdAt: iso(generator.createdAt),
    updatedAt: iso(generator.updatedAt),
  };
}

/** A project's flow: its limits (null: none), its attempts in flight and its triggers waiting. */
export function flowView(flow: FlowRecord) {
  return { key: flow.key, parallelism: flow.parallelism, rate: flow.rate, inFlight: flow.inFlight, waiting: flow.waiting };
}

/** One delivery attempt (the response headers kept are never secrets; masked all the same, should that list grow). */
export function executionView(execution: ExecutionRecord) {
  return {
    id: execution.id,
    triggerId: execution.triggerId,
    attempt: execution.attempt,
    startedAt: iso(execution.startedAt),
    finishedAt: iso(execution.finishedAt),
    durationMs: execution.durationMs,
    outcome: execution.outcome,
    httpStatus: execution.httpStatus,
    error: execution.error,
    responseHeaders: maskSecretHeaders(execution.responseHeaders),
    responseExcerpt: execution.responseExcerpt,
    retryAt: isoOrNull(execution.retryAt),
  };
}
