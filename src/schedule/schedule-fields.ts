import { BoundedCache } from "../bounded-cache.js";
import { parseRetryOn, parseSuccessStatus } from "../dispatch/outcome-rules.js";
import { InvalidInputError } from "../errors.js";
import { parseCronSpec, parseScheduledAt } from "./scheduled-at.js";
import { type FlowLimits, OVERLAP_POLICIES, type OverlapPolicy, type ParsedUrlHeader, RUN_MISSED, type RunMissedPolicy, type ScheduleSpec, type When } from "./types.js";
import { isValidTimeZone } from "./zoned-time.js";

/*
 * The rules of a schedule's fields, one function each, shared by both front doors: the `ttr-`
 * headers of `/schedule` (ttr-headers.ts) and the JSON API (http/json-schedule.ts). Values
 * arrive as the header's text; the JSON API turns its numbers into that text first, so one rule
 * reads both. Only the names in error messages differ.
 */

/** Defaults of the delivery policy (the server's, or a project's over them), and its bounds. */
export interface DeliveryDefaults {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** The callback and failure URLs of a trigger that names none (a project's defaults); absent: none. */
  callbackUrl?: string | null;
  failureUrl?: string | null;
}

export const MAX_RETRIES = 20;
/** The largest `ttr-max-runs`. */
export const MAX_MAX_RUNS = 1_000_000_000;
export const MIN_DURATION_MS = 100;
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
export const MAX_TIMEOUT_MS = 15 * 60_000;
export const MAX_URL_LENGTH = 2048;
export const MAX_CUSTOM_KEY_LENGTH = 256;
export const MAX_TITLE_LENGTH = 200;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 64;
export const MAX_FLOW_KEY_LENGTH = 256;
/** The largest `ttr-flow-parallelism`: attempts of one flow in flight at once. */
export const MAX_FLOW_PARALLELISM = 1000;
/** The largest `ttr-flow-rate`: attempts of one flow started per second. */
export const MAX_FLOW_RATE = 10_000;

const DURATION = /^(\d{1,9})\s*(ms|s|m|h)?$/i;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
const CONTROL_CHARS = /[\x00-\x1F\x7F]/;
const USERINFO = /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i;

/**
 * A schedule's fields as text, each absent when not given. `scheduledAt` is the full
 * `ttr-scheduled-at` grammar; `cron` (the JSON API's generators) is what goes inside `cron(…)`.
 * `tags` is already a list (the header splits its commas first).
 */
export interface ScheduleFields {
  url?: string;
  scheduledAt?: string;
  cron?: string;
  timezone?: string;
  customKey?: string;
  triggerId?: string;
  title?: string;
  tags?: readonly string[];
  runMissed?: string;
  overlap?: string;
  endsAt?: string;
  maxRuns?: string;
  retries?: string;
  retryDelay?: string;
  timeout?: string;
  callbackUrl?: string;
  failureUrl?: string;
  successStatus?: string;
  retryOn?: string;
  flowKey?: string;
  flowParallelism?: string;
  flowRate?: string;
}

/** How each field is named in error messages (`ttr-url`, or `url`). */
export type ScheduleFieldNames = Record<keyof ScheduleFields, string>;

/**
 * Validates a schedule's fields into a {@link ScheduleSpec}. `url` and one of `scheduledAt` /
 * `cron` are required. Throws InvalidInputError: `missing_header` (for a missing required
 * field, whichever front door), `invalid_url`, `invalid_custom_key`, `invalid_trigger_id`,
 * `invalid_timezone`, `invalid_title`, `invalid_tags`, `invalid_run_missed`, `invalid_overlap`,
 * `invalid_retries`, `invalid_retry_delay`, `invalid_timeout`, and the codes of
 * {@link parseScheduledAt}.
 */
export function parseScheduleFields(
  fields: ScheduleFields,
  names: ScheduleFieldNames,
  ctx: { now: number; defaults: DeliveryDefaults },
): ScheduleSpec {
  const urlValue = required(fields.url, names.url);
  const timezone = parseTimezone(fields.timezone, names.timezone);
  const when = parseWhen(fields, names, ctx.now, timezone);
  for (const [field, code] of CRON_ONLY) {
    if (when.kind === "once" && fields[field] !== undefined) {
      throw new InvalidInputError(code, `${names[field]} applies to cron(…) schedules only; remove it for a one-shot ${names.scheduledAt}.`);
    }
  }
  const urls: ParsedUrlHeader[] = [];
  const url = parseUrl(urlValue, names.url, urls);
  const flow = parseFlow(fields, names, urls[0]?.url as Readonly<URL>);
  return {
    when,
    url,
    customKey: parseCustomKey(fields.customKey, names.customKey),
    triggerId: parseTriggerId(fields.triggerId, names.triggerId),
    title: parseTitle(fields.title, names.title),
    tags: parseTags(fields.tags, names.tags),
    runMissed: parseRunMissed(fields.runMissed, names.runMissed),
    overlap: parseOverlap(fields.overlap, names.overlap),
    endsAt: fields.endsAt === undefined ? null : parseEndsAt(fields.endsAt, names, ctx.now, timezone),
    maxRuns: fields.maxRuns === undefined ? null : parseMaxRuns(fields.maxRuns, names.maxRuns),
    delivery: {
      retries: parseRetries(fields.retries, names.retries, ctx.defaults.retries),
      retryDelayMs: parseDuration(fields.retryDelay, names.retryDelay, "invalid_retry_delay", ctx.defaults.retryDelayMs, MAX_RETRY_DELAY_MS),
      timeoutMs: parseDuration(fields.timeout, names.timeout, "invalid_timeout", ctx.defaults.timeoutMs, MAX_TIMEOUT_MS),
      callbackUrl: fields.callbackUrl === undefined ? (ctx.defaults.callbackUrl ?? null) : parseUrl(fields.callbackUrl, names.callbackUrl, urls),
      failureUrl: fields.failureUrl === undefined ? (ctx.defaults.failureUrl ?? null) : parseUrl(fields.failureUrl, names.failureUrl, urls),
      successStatus: fields.successStatus === undefined ? null : parseSuccessStatus(fields.successStatus, names.successStatus),
      retryOn: fields.retryOn === undefined ? null : parseRetryOn(fields.retryOn, names.retryOn),
      flowKey: flow.key,
    },
    flowLimits: flow.limits,
    urls,
  };
}

/** The delivery fields a project may set defaults for (the admin API). */
export type DeliveryDefaultFields = Pick<ScheduleFields, "retries" | "retryDelay" | "timeout" | "callbackUrl" | "failureUrl">;

/**
 * Validates a project's delivery defaults with the rules of the same fields of a schedule; an
 * absent field stays absent. The URLs given are added to `urls` (for the egress check). Throws
 * InvalidInputError `invalid_retries`, `invalid_retry_delay`, `invalid_timeout`, `invalid_url`.
 */
export function parseDeliveryDefaults(
  fields: DeliveryDefaultFields,
  names: Record<keyof DeliveryDefaultFields, string>,
  urls: ParsedUrlHeader[],
): { retries?: number; retryDelayMs?: number; timeoutMs?: number; callbackUrl?: string; failureUrl?: string } {
  const parsed: ReturnType<typeof parseDeliveryDefaults> = {};
  if (fields.retries !== undefined) parsed.retries = parseRetries(fields.retries, names.retries, 0);
  if (fields.retryDelay !== undefined) {
    parsed.retryDelayMs = parseDuration(fields.retryDelay, names.retryDelay, "invalid_retry_delay", 0, MAX_RETRY_DELAY_MS);
  }
  if (fields.timeout !== undefined) parsed.timeoutMs = parseDuration(fields.timeout, names.timeout, "invalid_timeout", 0, MAX_TIMEOUT_MS);
  if (fields.callbackUrl !== undefined) parsed.callbackUrl = parseUrl(fields.callbackUrl, names.callbackUrl, urls);
  if (fields.failureUrl !== undefined) parsed.failureUrl = parseUrl(fields.failureUrl, names.failureUrl, urls);
  return parsed;
}

/**
 * `ttr-flow-key`, `ttr-flow-parallelism`, `ttr-flow-rate`. A limit given without a key names the
 * flow of the target's origin; a key given alone joins its flow as the flow's limits are.
 */
function parseFlow(fields: ScheduleFields, names: ScheduleFieldNames, target: Readonly<URL>): { key: string | null; limits: FlowLimits | null } {
  const parallelism = parseWholeNumber(fields.flowParallelism, names.flowParallelism, "invalid_flow_parallelism", MAX_FLOW_PARALLELISM);
  const rate = parseWholeNumber(fields.flowRate, names.flowRate, "invalid_flow_rate", MAX_FLOW_RATE);
  const limits = parallelism === null && rate === null ? null : { parallelism, rate };
  if (fields.flowKey === undefined) return { key: limits === null ? null : target.origin, limits };
  if (fields.flowKey.length < 1 || fields.flowKey.length > MAX_FLOW_KEY_LENGTH || !PRINTABLE_ASCII.test(fields.flowKey)) {
    throw new InvalidInputError(
      "invalid_flow_key",
      `${names.flowKey} must be 1 to ${MAX_FLOW_KEY_LENGTH} printable ASCII characters; got ${fields.flowKey.length} characters.`,
    );
  }
  return { key: fields.flowKey, limits };
}

/** A whole number from 1 to `max`; null when absent. */
function parseWholeNumber(value: string | undefined, name: string, code: string, max: number): number | null {
  if (value === undefined) return null;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max)) throw new InvalidInputError(code, `${name} "${truncate(value)}" must be a whole number from 1 to ${max}.`);
  return n;
}

/** Fields only a `cron(…)` schedule takes, with the error code of each on a one-shot. */
const CRON_ONLY = [
  ["runMissed", "invalid_run_missed"],
  ["overlap", "invalid_overlap"],
  ["endsAt", "invalid_ends_at"],
  ["maxRuns", "invalid_max_runs"],
] as const;

/** `ttr-ends-at` / `endsAt`: an instant in the `ttr-scheduled-at` grammar, not a cron. */
function parseEndsAt(value: string, names: ScheduleFieldNames, now: number, timezone: string | null): number {
  let when: When;
  try {
    when = parseScheduledAt(value, { now, timezone, names: { value: names.endsAt, timezone: names.timezone } });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new InvalidInputError("invalid_ends_at", `${names.endsAt} takes an instant in the grammar of ttr-scheduled-at: ${error.message}`, { cause: error });
  }
  if (when.kind !== "once") {
    throw new InvalidInputError("invalid_ends_at", `${names.endsAt} "${truncate(value)}" must be an instant (an ISO-8601 time or now | add …), not cron(…).`);
  }
  return when.at;
}

function parseMaxRuns(value: string, name: string): number {
  const runs = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(runs >= 1 && runs <= MAX_MAX_RUNS)) {
    throw new InvalidInputError("invalid_max_runs", `${name} "${truncate(value)}" must be a whole number from 1 to ${MAX_MAX_RUNS}.`);
  }
  return runs;
}

function parseWhen(fields: ScheduleFields, names: ScheduleFieldNames, now: number, timezone: string | null): When {
  if (fields.cron !== undefined) {
    return parseCronSpec(fields.cron, { timezone, names: { value: names.cron, timezone: names.timezone } });
  }
  const scheduledAt = required(fields.scheduledAt, names.scheduledAt);
  return parseScheduledAt(scheduledAt, { now, timezone, names: { value: names.scheduledAt, timezone: names.timezone } });
}

/** `ttr-trigger-id` / an id field: a ULID, upper-cased; null when absent. */
export function parseTriggerId(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  if (!ULID.test(value)) {
    throw new InvalidInputError("invalid_trigger_id", `${name} "${truncate(value)}" is not a ULID (26 Crockford base32 characters).`);
  }
  return value.toUpperCase();
}

/** `ttr-custom-key` / `customKey`: 1–256 printable ASCII characters; null when absent. */
export function parseCustomKey(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  if (value.length < 1 || value.length > MAX_CUSTOM_KEY_LENGTH || !PRINTABLE_ASCII.test(value)) {
    throw new InvalidInputError(
      "invalid_custom_key",
      `${name} must be 1 to ${MAX_CUSTOM_KEY_LENGTH} printable ASCII characters; got ${value.length} characters.`,
    );
  }
  return value;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new InvalidInputError("missing_header", `${name} is required.`);
  return value;
}

function parseRetries(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const retries = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (!(retries >= 0 && retries <= MAX_RETRIES)) {
    throw new InvalidInputError("invalid_retries", `${name} "${truncate(value)}" must be a whole number from 0 to ${MAX_RETRIES}.`);
  }
  return retries;
}

/** `500ms`, `10s`, `5m`, `1h`, or a bare number of seconds. */
function parseDuration(value: string | undefined, name: string, code: string, fallback: number, maxMs: number): number {
  if (value === undefined) return fallback;
  const match = DURATION.exec(value);
  const ms = match ? Number(match[1]) * (DURATION_UNIT_MS[(match[2] ?? "s").toLowerCase()] ?? Number.NaN) : Number.NaN;
  if (!(ms >= MIN_DURATION_MS && ms <= maxMs)) {
    throw new InvalidInputError(
      code,
      `${name} "${truncate(value)}" must be a duration such as 500ms, 10s, 5m or 1h (bare numbers are seconds), from ${MIN_DURATION_MS} ms to ${maxMs / 60_000} min.`,
    );
  }
  return ms;
}

function parseOverlap(value: string | undefined, name: string): OverlapPolicy {
  if (value === undefined) return "allow";
  const policy = OVERLAP_POLICIES.find((candidate) => candidate === value.toLowerCase());
  if (policy === undefined) {
    throw new InvalidInputError("invalid_overlap", `${name} "${truncate(value)}" must be allow, skip or cancel-previous.`);
  }
  return policy;
}

/** Most URLs {@link parseUrl} remembers as valid; the oldest is forgotten first. */
const MAX_REMEMBERED_URLS = 1024;
/**
 * URLs that passed validation, by the value they were parsed from: most /schedule calls target
 * a few endpoints, and parsing one costs more than a map lookup. Shared between requests, so
 * nothing may change them (they are only read: their href, and their parts by the egress check).
 */
const validUrls = new BoundedCache<string, Readonly<URL>>(MAX_REMEMBERED_URLS);

/** Validates an http(s) URL into its normalized form, and adds the parsed URL to `parsed`. */
function parseUrl(value: string, name: string, parsed: ParsedUrlHeader[]): string {
  const known = validUrls.get(value);
  if (known !== undefined) {
    parsed.push({ header: name, url: known });
    return known.href;
  }
  const url = validateUrl(value, name);
  validUrls.set(value, url);
  parsed.push({ header: name, url });
  return url.href;
}

function validateUrl(value: string, name: string): URL {
  const invalid = (why: string): InvalidInputError =>
    new InvalidInputError("invalid_url", `${name} "${truncate(value)}" ${why}.`);
  if (value.length > MAX_URL_LENGTH) throw invalid(`is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("is not an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("must use http: or https:");
  if (url.username !== "" || url.password !== "" || USERINFO.test(value)) {
    throw invalid("must not contain credentials (user:password@)");
  }
  if (url.href.length > MAX_URL_LENGTH) throw invalid(`is longer than ${MAX_URL_LENGTH} characters once encoded`);
  return url;
}

function parseTimezone(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  if (!isValidTimeZone(value)) {
    throw new InvalidInputError("invalid_timezone", `${name} "${truncate(value)}" is not a known IANA time zone such as "Europe/Paris".`);
  }
  return value;
}

function parseTitle(value: string | undefined, name: string): string | null {
  if (value === undefined || value === "") return null;
  if (value.length > MAX_TITLE_LENGTH || CONTROL_CHARS.test(value)) {
    throw new InvalidInputError(
      "invalid_title",
      `${name} must be at most ${MAX_TITLE_LENGTH} characters without control characters; got ${value.length} characters.`,
    );
  }
  return value;
}

/** Trimmed, de-duplicated, empty ones dropped; at most 20 of at most 64 characters, no control characters. */
function parseTags(values: readonly string[] | undefined, name: string): string[] {
  if (values === undefined) return [];
  const tags = [...new Set(values.map((tag) => tag.trim()).filter((tag) => tag !== ""))];
  const bad = tags.find((tag) => tag.length > MAX_TAG_LENGTH || CONTROL_CHARS.test(tag) || tag.includes(","));
  if (bad !== undefined) {
    throw new InvalidInputError(
      "invalid_tags",
      `${name}: tag "${truncate(bad)}" is longer than ${MAX_TAG_LENGTH} characters, has control characters or a comma.`,
    );
  }
  if (tags.length > MAX_TAGS) {
    throw new InvalidInputError("invalid_tags", `${name} has ${tags.length} distinct tags; at most ${MAX_TAGS} are allowed.`);
  }
  return tags;
}

function parseRunMissed(value: string | undefined, name: string): RunMissedPolicy {
  if (value === undefined) return RUN_MISSED.once;
  const policy = Object.values(RUN_MISSED).find((candidate) => candidate === value.toLowerCase());
  if (policy === undefined) {
    throw new InvalidInputError("invalid_run_missed", `${name} "${truncate(value)}" must be skip, once or all.`);
  }
  return policy;
}

/** A value quoted in a message, cut at 80 characters. */
export function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
