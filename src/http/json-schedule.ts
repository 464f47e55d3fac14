import type { Config } from "../config.js";
import { InvalidInputError } from "../errors.js";
import { isValidMethod, methodCarriesBody, splitHeaders } from "../request/captured-request.js";
import { type DeliveryDefaults, type ScheduleFieldNames, type ScheduleFields, parseScheduleFields } from "../schedule/schedule-fields.js";
import type { ScheduleSpec } from "../schedule/types.js";
import type { GeneratorRecord, HeaderPair, RequestTemplate, TriggerRecord } from "../store/types.js";
import { tooLarge } from "./read-body.js";

/*
 * The JSON API's bodies → the same ScheduleSpec and RequestTemplate `/schedule` builds from its
 * headers: every field goes through the rules of schedule/schedule-fields.ts, the headers
 * through the same splitting and not-forwarded rules, the body under the same limit. Pure.
 */

/** The fields of a one-shot: `POST /triggers`, its batch items, `PATCH /triggers/:id`. */
export const TRIGGER_FIELDS = [
  "url",
  "method",
  "headers",
  "body",
  "bodyBase64",
  "scheduledAt",
  "timezone",
  "customKey",
  "title",
  "tags",
  "retries",
  "retryDelay",
  "timeout",
  "callbackUrl",
  "failureUrl",
  "successStatus",
  "retryOn",
  "flowKey",
  "flowParallelism",
  "flowRate",
] as const;

/** The fields of a generator: `POST /generators`, `PATCH /generators/:id` (which adds `paused`). */
export const GENERATOR_FIELDS = [...TRIGGER_FIELDS.filter((field) => field !== "scheduledAt"), "cron", "runMissed", "overlap", "endsAt", "maxRuns"] as const;

/** Most items of one `POST /triggers/batch`. */
export const MAX_BATCH_ITEMS = 1000;

/** Fields named as the JSON API spells them. */
const JSON_FIELD_NAMES: ScheduleFieldNames = {
  url: "url",
  scheduledAt: "scheduledAt",
  cron: "cron",
  timezone: "timezone",
  customKey: "customKey",
  triggerId: "triggerId",
  title: "title",
  tags: "tags",
  runMissed: "runMissed",
  overlap: "overlap",
  endsAt: "endsAt",
  maxRuns: "maxRuns",
  retries: "retries",
  retryDelay: "retryDelay",
  timeout: "timeout",
  callbackUrl: "callbackUrl",
  failureUrl: "failureUrl",
  successStatus: "successStatus",
  retryOn: "retryOn",
  flowKey: "flowKey",
  flowParallelism: "flowParallelism",
  flowRate: "flowRate",
};

const TEXT_FIELDS = [
  "url", "scheduledAt", "cron", "timezone", "customKey", "title", "runMissed", "overlap", "endsAt",
  "callbackUrl", "failureUrl", "successStatus", "retryOn", "flowKey",
] as const;
const NUMBER_OR_TEXT_FIELDS = ["retries", "retryDelay", "timeout", "maxRuns", "flowParallelism", "flowRate"] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DEFAULT_METHOD = "POST";
const utf8 = new TextEncoder();

/** A JSON request body, already known to be an object. */
export type JsonObject = Record<string, unknown>;

/** What reading a JSON schedule needs to know. */
export interface JsonScheduleContext {
  now: number;
  defaults: DeliveryDefaults;
  limits: Pick<Config["limits"], "maxBodyBytes" | "maxHeaderCount" | "maxHeaderBytes">;
}

/** A validated one-shot or generator: what `/schedule` would have parsed, and the request to replay. */
export interface JsonSchedule {
  spec: ScheduleSpec;
  request: RequestTemplate;
}

/**
 * The largest JSON body a create or edit may have: room for a `HOURGLASS_MAX_BODY_BYTES` body in
 * base64, a full header list, and the other fields. The body itself is held to the exact limit
 * once decoded.
 */
export function maxScheduleJsonBytes(limits: Pick<Config["limits"], "maxBodyBytes" | "maxHeaderBytes" | "maxJsonBodyBytes">): number {
  return Math.ceil(limits.maxBodyBytes / 3) * 4 + 2 * limits.maxHeaderBytes + limits.maxJsonBodyBytes;
}

/** Refuses fields outside `allowed` (400 `invalid_body`, naming them and the known ones). */
export function checkKnownFields(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new InvalidInputError("invalid_body", `Unknown field ${unknown.join(", ")}; the fields are ${allowed.join(", ")}.`);
  }
}

/** `POST /triggers` (and each batch item): a one-shot. A `cron(…)` scheduledAt belongs to `POST /generators`. */
export function triggerFromJson(body: JsonObject, ctx: JsonScheduleContext): JsonSchedule {
  checkKnownFields(body, TRIGGER_FIELDS);
  return oneShot(merge({}, null, body, ctx));
}

/** `POST /generators`: a generator (`cron` required). */
export function generatorFromJson(body: JsonObject, ctx: JsonScheduleContext): JsonSchedule {
  checkKnownFields(body, GENERATOR_FIELDS);
  if (body.cron === undefined || body.cron === null) throw new InvalidInputError("missing_header", "cron is required.");
  return merge({}, null, body, ctx);
}

/** `PATCH /triggers/:id`: the trigger as it is, with the fields the patch gives (null clears an optional one). */
export function editedTrigger(current: TriggerRecord, patch: JsonObject, ctx: JsonScheduleContext): JsonSchedule {
  const fields: ScheduleFields = {
    url: current.url,
    scheduledAt: new Date(current.scheduledAt).toISOString(),
    ...currentCommonFields(current),
  };
  return oneShot(merge(fields, current, patch, ctx));
}

/** `PATCH /generators/:id`: the generator as it is, with the fields the patch gives; a new `cron` keeps the zone unless `timezone` is given too. */
export function editedGenerator(current: GeneratorRecord, patch: JsonObject, ctx: JsonScheduleContext): JsonSchedule {
  const fields: ScheduleFields = {
    url: current.url,
    cron: current.cronExpr,
    timezone: current.cronTz,
    runMissed: current.runMissed,
    overlap: current.overlap,
    ...(current.endsAt === null ? {} : { endsAt: new Date(current.endsAt).toISOString() }),
    ...(current.maxRuns === null ? {} : { maxRuns: String(current.maxRuns) }),
    ...currentCommonFields(current),
  };
  return merge(fields, current, patch, ctx);
}

/** The stored fields both kinds share, as the text the rules read (durations in ms, exact). */
function currentCommonFields(current: TriggerRecord | GeneratorRecord): ScheduleFields {
  const { delivery } = current;
  return {
    ...(current.customKey === null ? {} : { customKey: current.customKey }),
    ...(current.title === null ? {} : { title: current.title }),
    tags: current.tags,
    retries: String(delivery.retries),
    retryDelay: `${delivery.retryDelayMs}ms`,
    timeout: `${delivery.timeoutMs}ms`,
    ...(delivery.callbackUrl === null ? {} : { callbackUrl: delivery.callbackUrl }),
    ...(delivery.failureUrl === null ? {} : { failureUrl: delivery.failureUrl }),
    ...(delivery.successStatus === null ? {} : { successStatus: delivery.successStatus }),
    ...(delivery.retryOn === null ? {} : { retryOn: delivery.retryOn }),
    ...(delivery.flowKey === null ? {} : { flowKey: delivery.flowKey }),
  };
}

function oneShot(schedule: JsonSchedule): JsonSchedule {
  if (schedule.spec.when.kind !== "once") {
    throw new InvalidInputError("invalid_scheduled_at", "scheduledAt is a cron(…) schedule; create generators with POST /generators.");
  }
  return schedule;
}

/** `base` overlaid with the patch's fields, validated; the request from `current` overlaid likewise. */
function merge(base: ScheduleFields, current: RequestTemplate | null, patch: JsonObject, ctx: JsonScheduleContext): JsonSchedule {
  const fields: ScheduleFields = { ...base };
  const set = fields as Record<string, unknown>;
  for (const name of TEXT_FIELDS) {
    const value = patch[name];
    if (value === undefined) continue;
    if (value === null) delete set[name];
    else if (typeof value === "string") set[name] = value;
    else throw new InvalidInputError("invalid_body", `${name} must be a string.`);
  }
  for (const name of NUMBER_OR_TEXT_FIELDS) {
    const value = patch[name];
    if (value === undefined) continue;
    if (value === null) delete set[name];
    else if (typeof value === "string" || typeof value === "number") set[name] = String(value);
    else throw new InvalidInputError("invalid_body", `${name} must be a number or a string.`);
  }
  if (patch.tags !== undefined) fields.tags = tagsOf(patch.tags);
  const spec = parseScheduleFields(fields, JSON_FIELD_NAMES, ctx);
  return { spec, request: requestOf(current, patch, spec.url, ctx.limits) };
}

function tagsOf(value: unknown): string[] {
  if (value === null) return [];
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === "string")) {
    throw new InvalidInputError("invalid_body", "tags must be an array of strings.");
  }
  return value;
}

/** The request to replay: method, headers and body from the patch, else from `current`, else the defaults (POST, none, empty). */
function requestOf(current: RequestTemplate | null, patch: JsonObject, url: string, limits: JsonScheduleContext["limits"]): RequestTemplate {
  const method = patch.method === undefined ? (current?.method ?? DEFAULT_METHOD) : methodOf(patch.method);
  const headers = patch.headers === undefined ? (current?.headers ?? []) : headersOf(patch.headers, limits);
  const given = bodyOf(patch, limits.maxBodyBytes);
  if (!methodCarriesBody(method)) {
    if (given !== undefined && given.byteLength > 0) throw new InvalidInputError("invalid_body", `A ${method} request carries no body; remove body or bodyBase64.`);
    return { method, url, headers, body: null };
  }
  return { method, url, headers, body: given ?? current?.body ?? new Uint8Array(0) };
}

function methodOf(value: unknown): string {
  if (typeof value !== "string" || !isValidMethod(value)) {
    throw new InvalidInputError("invalid_body", "method must be an HTTP method token such as POST or GET.");
  }
  return value;
}

/**
 * `[[name, value], …]` in order (duplicates kept), or `{name: value}`; split by the rules of
 * `/schedule`: the same limits, name and value checks and not-forwarded headers. A `ttr-` header
 * configures Hourglass and has its JSON field instead: refused rather than silently dropped.
 */
function headersOf(value: unknown, limits: JsonScheduleContext["limits"]): HeaderPair[] {
  const raw: string[] = [];
  const invalid = () => new InvalidInputError("invalid_body", 'headers must be a list of [name, value] string pairs, or an object of string values.');
  if (Array.isArray(value)) {
    for (const pair of value) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") throw invalid();
      raw.push(pair[0], pair[1]);
    }
  } else if (value !== null && typeof value === "object") {
    for (const [name, headerValue] of Object.entries(value)) {
      if (typeof headerValue !== "string") throw invalid();
      raw.push(name, headerValue);
    }
  } else {
    throw invalid();
  }
  const { forwarded, ttr } = splitHeaders(raw, { maxCount: limits.maxHeaderCount, maxBytes: limits.maxHeaderBytes });
  const [configuring] = ttr.keys();
  if (configuring !== undefined) {
    throw new InvalidInputError("invalid_body", `headers: ${configuring} configures Hourglass; use the JSON fields instead of ttr- headers.`);
  }
  return forwarded;
}

/** `body` (text, sent as UTF-8) or `bodyBase64` (bytes); undefined when neither is given. */
function bodyOf(patch: JsonObject, maxBodyBytes: number): Uint8Array | undefined {
  const { body, bodyBase64 } = patch;
  if (body !== undefined && bodyBase64 !== undefined) throw new InvalidInputError("invalid_body", "Send body or bodyBase64, not both.");
  let bytes: Uint8Array | undefined;
  if (body === null || bodyBase64 === null) bytes = new Uint8Array(0);
  else if (body !== undefined) {
    if (typeof body !== "string") throw new InvalidInputError("invalid_body", "body must be a string (send bytes as bodyBase64).");
    bytes = utf8.encode(body);
  } else if (bodyBase64 !== undefined) {
    if (typeof bodyBase64 !== "string" || !BASE64.test(bodyBase64)) throw new InvalidInputError("invalid_body", "bodyBase64 must be standard padded base64.");
    bytes = Buffer.from(bodyBase64, "base64");
  }
  if (bytes !== undefined && bytes.byteLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
  return bytes;
}
