import { BoundedCache } from "../bounded-cache.js";
import { parseRetryOn, parseSuccessStatus } from "../dispatch/outcome-rules.js";
import { InvalidInputError } from "../errors.js";
import { parseScheduledAt } from "./scheduled-at.js";
import { type ParsedUrlHeader, RUN_MISSED, type RunMissedPolicy, type ScheduleSpec, type When } from "./types.js";
import { isValidTimeZone } from "./zoned-time.js";

/** Every `ttr-` header name of the protocol (lower case). Any other `ttr-` header is refused. */
export const KNOWN_TTR_HEADERS: readonly string[] = [
  "ttr-api-key",
  "ttr-url",
  "ttr-scheduled-at",
  "ttr-custom-key",
  "ttr-trigger-id",
  "ttr-timezone",
  "ttr-title",
  "ttr-tags",
  "ttr-run-missed",
  "ttr-overlap",
  "ttr-ends-at",
  "ttr-max-runs",
  "ttr-retries",
  "ttr-retry-delay",
  "ttr-timeout",
  "ttr-callback-url",
  "ttr-failure-url",
  "ttr-success-status",
  "ttr-retry-on",
];

/** Defaults of the delivery policy, and its bounds. */
export interface DeliveryDefaults {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
}

export const MAX_RETRIES = 20;
/** The largest `ttr-max-runs`. */
export const MAX_MAX_RUNS = 1_000_000_000;
export const MIN_DURATION_MS = 100;
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
export const MAX_TIMEOUT_MS = 15 * 60_000;
const DURATION = /^(\d{1,9})\s*(ms|s|m|h)?$/i;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const KNOWN = new Set(KNOWN_TTR_HEADERS);
/** Headers that only a `cron(…)` schedule takes, with the error code of each on a one-shot. */
const CRON_ONLY = [
  ["ttr-run-missed", "invalid_run_missed"],
  ["ttr-overlap", "invalid_overlap"],
  ["ttr-ends-at", "invalid_ends_at"],
  ["ttr-max-runs", "invalid_max_runs"],
] as const;
const MAX_URL_LENGTH = 2048;
const MAX_CUSTOM_KEY_LENGTH = 256;
const MAX_TITLE_LENGTH = 200;
const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 64;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
const CONTROL_CHARS = /[\x00-\x1F\x7F]/;
const USERINFO = /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i;

/** The `ttr-` headers of one request: lowercased name → every value sent under that name. */
export type TtrHeaders = ReadonlyMap<string, readonly string[]>;

/**
 * Validates the `ttr-` headers of a `/schedule` request into a {@link ScheduleSpec}
 * (DESIGN §1). `ttr-api-key` is accepted as known but checked elsewhere. Throws
 * InvalidInputError: `unknown_ttr_header`, `duplicate_ttr_header`, `missing_header`,
 * `invalid_url`, `invalid_custom_key`, `invalid_trigger_id`, `invalid_timezone`, `invalid_title`,
 * `invalid_tags`, `invalid_run_missed`, `invalid_overlap`, `invalid_ends_at`, `invalid_max_runs`, `invalid_retries`,
 * `invalid_retry_delay`, `invalid_timeout`, `invalid_success_status`, `invalid_retry_on`, and the codes of {@link parseScheduledAt}.
 */
export function parseScheduleHeaders(ttr: TtrHeaders, ctx: { now: number; defaults: DeliveryDefaults }): ScheduleSpec {
  const headers = singleValues(ttr);
  const urlValue = required(headers, "ttr-url");
  const scheduledAt = required(headers, "ttr-scheduled-at");
  const timezone = parseTimezone(headers.get("ttr-timezone"));
  const when = parseScheduledAt(scheduledAt, { now: ctx.now, timezone });
  const runMissedValue = headers.get("ttr-run-missed");
  const overlapValue = headers.get("ttr-overlap");
  const endsAtValue = headers.get("ttr-ends-at");
  const maxRunsValue = headers.get("ttr-max-runs");
  if (when.kind === "once") {
    for (const [name, value] of CRON_ONLY) {
      if (headers.has(name)) {
        throw new InvalidInputError(value, `${name} applies to cron(…) schedules only; remove it for a one-shot ttr-scheduled-at.`);
      }
    }
  }
  const urls: ParsedUrlHeader[] = [];
  return {
    when,
    url: parseUrl(urlValue, "ttr-url", urls),
    customKey: parseCustomKey(headers.get("ttr-custom-key")),
    triggerId: parseTriggerId(headers.get("ttr-trigger-id")),
    title: parseTitle(headers.get("ttr-title")),
    tags: parseTags(headers.get("ttr-tags")),
    runMissed: parseRunMissed(runMissedValue),
    overlap: parseOverlap(overlapValue),
    endsAt: endsAtValue === undefined ? null : parseEndsAt(endsAtValue, ctx.now, timezone),
    maxRuns: maxRunsValue === undefined ? null : parseMaxRuns(maxRunsValue),
    delivery: {
      retries: parseRetries(headers.get("ttr-retries"), ctx.defaults.retries),
      retryDelayMs: parseDuration(headers.get("ttr-retry-delay"), "ttr-retry-delay", "invalid_retry_delay", ctx.defaults.retryDelayMs, MAX_RETRY_DELAY_MS),
      timeoutMs: parseDuration(headers.get("ttr-timeout"), "ttr-timeout", "invalid_timeout", ctx.defaults.timeoutMs, MAX_TIMEOUT_MS),
      callbackUrl: optionalUrl(headers.get("ttr-callback-url"), "ttr-callback-url", urls),
      failureUrl: optionalUrl(headers.get("ttr-failure-url"), "ttr-failure-url", urls),
      successStatus: optional(headers.get("ttr-success-status"), parseSuccessStatus),
      retryOn: optional(headers.get("ttr-retry-on"), parseRetryOn),
    },
    urls,
  };
}

/**
 * Validates the `ttr-` headers of `DELETE /cancel`: exactly one of `ttr-trigger-id` and
 * `ttr-custom-key`. Throws InvalidInputError `unknown_ttr_header`, `duplicate_ttr_header`,
 * `missing_header`, `ambiguous_cancel`, `invalid_trigger_id` or `invalid_custom_key`.
 */
export function parseCancelHeaders(ttr: TtrHeaders): { triggerId: string | null; customKey: string | null } {
  const headers = singleValues(ttr);
  const triggerId = parseTriggerId(headers.get("ttr-trigger-id"));
  const customKey = parseCustomKey(headers.get("ttr-custom-key"));
  if (triggerId === null && customKey === null) {
    throw new InvalidInputError("missing_header", "Send ttr-trigger-id or ttr-custom-key to say what to cancel.");
  }
  if (triggerId !== null && customKey !== null) {
    throw new InvalidInputError("ambiguous_cancel", "Send either ttr-trigger-id or ttr-custom-key, not both.");
  }
  return { triggerId, customKey };
}

/** Refuses unknown and repeated `ttr-` headers; returns each one's single trimmed value. */
function singleValues(ttr: TtrHeaders): Map<string, string> {
  const values = new Map<string, string>();
  for (const [rawName, list] of ttr) {
    const name = rawName.toLowerCase();
    if (!KNOWN.has(name)) {
      throw new InvalidInputError(
        "unknown_ttr_header",
        `Unknown header ${name}; the known ttr- headers are ${KNOWN_TTR_HEADERS.join(", ")}.`,
      );
    }
    if (list.length > 1 || (list.length === 1 && values.has(name))) {
      throw new InvalidInputError("duplicate_ttr_header", `${name} was sent more than once; send it once.`);
    }
    const [value] = list;
    if (value !== undefined) values.set(name, value.trim());
  }
  return values;
}

function parseRetries(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const retries = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (!(retries >= 0 && retries <= MAX_RETRIES)) {
    throw new InvalidInputError("invalid_retries", `ttr-retries "${truncate(value)}" must be a whole number from 0 to ${MAX_RETRIES}.`);
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

function parseOverlap(value: string | undefined): "allow" | "skip" {
  if (value === undefined) return "allow";
  const policy = value.toLowerCase();
  if (policy !== "allow" && policy !== "skip") {
    throw new InvalidInputError("invalid_overlap", `ttr-overlap "${truncate(value)}" must be allow or skip.`);
  }
  return policy;
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | null {
  return value === undefined ? null : parse(value);
}

function required(headers: Map<string, string>, name: string): string {
  const value = headers.get(name);
  if (value === undefined) throw new InvalidInputError("missing_header", `${name} is required.`);
  return value;
}

function optionalUrl(value: string | undefined, name: string, parsed: ParsedUrlHeader[]): string | null {
  return value === undefined ? null : parseUrl(value, name, parsed);
}

/** Most URLs {@link parseUrl} remembers as valid; the oldest is forgotten first. */
const MAX_REMEMBERED_URLS = 1024;
/**
 * URLs that passed validation, by the header value they were parsed from: most /schedule calls
 * target a few endpoints, and parsing one costs more than a map lookup. Shared between requests,
 * so nothing may change them (they are only read: their href, and their parts by the egress check).
 */
const validUrls = new BoundedCache<string, Readonly<URL>>(MAX_REMEMBERED_URLS);

/** Validates an http(s) URL header into its normalized form, and adds the parsed URL to `parsed`. */
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

function parseCustomKey(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length < 1 || value.length > MAX_CUSTOM_KEY_LENGTH || !PRINTABLE_ASCII.test(value)) {
    throw new InvalidInputError(
      "invalid_custom_key",
      `ttr-custom-key must be 1 to ${MAX_CUSTOM_KEY_LENGTH} printable ASCII characters; got ${value.length} characters.`,
    );
  }
  return value;
}

function parseTriggerId(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!ULID.test(value)) {
    throw new InvalidInputError("invalid_trigger_id", `ttr-trigger-id "${truncate(value)}" is not a ULID (26 Crockford base32 characters).`);
  }
  return value.toUpperCase();
}

function parseTimezone(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!isValidTimeZone(value)) {
    throw new InvalidInputError("invalid_timezone", `ttr-timezone "${truncate(value)}" is not a known IANA time zone such as "Europe/Paris".`);
  }
  return value;
}

function parseTitle(value: string | undefined): string | null {
  if (value === undefined || value === "") return null;
  if (value.length > MAX_TITLE_LENGTH || CONTROL_CHARS.test(value)) {
    throw new InvalidInputError(
      "invalid_title",
      `ttr-title must be at most ${MAX_TITLE_LENGTH} characters without control characters; got ${value.length} characters.`,
    );
  }
  return value;
}

function parseTags(value: string | undefined): string[] {
  if (value === undefined) return [];
  const tags = [...new Set(value.split(",").map((tag) => tag.trim()).filter((tag) => tag !== ""))];
  const bad = tags.find((tag) => tag.length > MAX_TAG_LENGTH || CONTROL_CHARS.test(tag));
  if (bad !== undefined) {
    throw new InvalidInputError("invalid_tags", `ttr-tags: tag "${truncate(bad)}" is longer than ${MAX_TAG_LENGTH} characters or has control characters.`);
  }
  if (tags.length > MAX_TAGS) {
    throw new InvalidInputError("invalid_tags", `ttr-tags has ${tags.length} distinct tags; at most ${MAX_TAGS} are allowed.`);
  }
  return tags;
}

/** An instant in the one-shot grammar of ttr-scheduled-at (`2026-12-31T23:59:59Z`, `now | add 30d`). */
function parseEndsAt(value: string, now: number, timezone: string | null): number {
  let when: When;
  try {
    when = parseScheduledAt(value, { now, timezone });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new InvalidInputError("invalid_ends_at", `ttr-ends-at takes an instant in the grammar of ttr-scheduled-at: ${error.message}`, { cause: error });
  }
  if (when.kind !== "once") {
    throw new InvalidInputError("invalid_ends_at", `ttr-ends-at "${truncate(value)}" must be an instant (an ISO-8601 time or now | add …), not cron(…).`);
  }
  return when.at;
}

function parseMaxRuns(value: string): number {
  const runs = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(runs >= 1 && runs <= MAX_MAX_RUNS)) {
    throw new InvalidInputError("invalid_max_runs", `ttr-max-runs "${truncate(value)}" must be a whole number from 1 to ${MAX_MAX_RUNS}.`);
  }
  return runs;
}

function parseRunMissed(value: string | undefined): RunMissedPolicy {
  if (value === undefined) return RUN_MISSED.once;
  const policy = Object.values(RUN_MISSED).find((candidate) => candidate === value.toLowerCase());
  if (policy === undefined) {
    throw new InvalidInputError("invalid_run_missed", `ttr-run-missed "${truncate(value)}" must be skip, once or all.`);
  }
  return policy;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
