import { InvalidInputError } from "../errors.js";
import {
  type DeliveryDefaults,
  type ScheduleFieldNames,
  type ScheduleFields,
  parseCustomKey,
  parseScheduleFields,
  parseTriggerId,
} from "./schedule-fields.js";
import type { ScheduleSpec } from "./types.js";

export { type DeliveryDefaults, MAX_RETRIES, MAX_RETRY_DELAY_MS, MAX_TIMEOUT_MS, MIN_DURATION_MS } from "./schedule-fields.js";

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
  "ttr-flow-key",
  "ttr-flow-parallelism",
  "ttr-flow-rate",
];

const KNOWN = new Set(KNOWN_TTR_HEADERS);

/** How the schedule's fields are named on this front door. */
const HEADER_FIELD_NAMES: ScheduleFieldNames = {
  url: "ttr-url",
  scheduledAt: "ttr-scheduled-at",
  cron: "ttr-scheduled-at",
  timezone: "ttr-timezone",
  customKey: "ttr-custom-key",
  triggerId: "ttr-trigger-id",
  title: "ttr-title",
  tags: "ttr-tags",
  runMissed: "ttr-run-missed",
  overlap: "ttr-overlap",
  endsAt: "ttr-ends-at",
  maxRuns: "ttr-max-runs",
  retries: "ttr-retries",
  retryDelay: "ttr-retry-delay",
  timeout: "ttr-timeout",
  callbackUrl: "ttr-callback-url",
  failureUrl: "ttr-failure-url",
  successStatus: "ttr-success-status",
  retryOn: "ttr-retry-on",
  flowKey: "ttr-flow-key",
  flowParallelism: "ttr-flow-parallelism",
  flowRate: "ttr-flow-rate",
};

/** The `ttr-` headers of one request: lowercased name → every value sent under that name. */
export type TtrHeaders = ReadonlyMap<string, readonly string[]>;

/**
 * Validates the `ttr-` headers of a `/schedule` request into a {@link ScheduleSpec}
 * (DESIGN §1). `ttr-api-key` is accepted as known but checked elsewhere. Throws
 * InvalidInputError: `unknown_ttr_header`, `duplicate_ttr_header`, `missing_header`,
 * `invalid_url`, `invalid_custom_key`, `invalid_trigger_id`, `invalid_timezone`, `invalid_title`,
 * `invalid_tags`, `invalid_run_missed`, `invalid_overlap`, `invalid_ends_at`, `invalid_max_runs`, `invalid_retries`,
 * `invalid_retry_delay`, `invalid_timeout`, `invalid_success_status`, `invalid_retry_on`,
 * `invalid_flow_key`, `invalid_flow_parallelism`, `invalid_flow_rate`, and the codes of {@link parseScheduledAt}.
 */
export function parseScheduleHeaders(ttr: TtrHeaders, ctx: { now: number; defaults: DeliveryDefaults }): ScheduleSpec {
  const headers = singleValues(ttr);
  const tags = headers.get("ttr-tags");
  const fields: ScheduleFields = {
    url: headers.get("ttr-url"),
    scheduledAt: headers.get("ttr-scheduled-at"),
    timezone: headers.get("ttr-timezone"),
    customKey: headers.get("ttr-custom-key"),
    triggerId: headers.get("ttr-trigger-id"),
    title: headers.get("ttr-title"),
    tags: tags?.split(","),
    runMissed: headers.get("ttr-run-missed"),
    overlap: headers.get("ttr-overlap"),
    endsAt: headers.get("ttr-ends-at"),
    maxRuns: headers.get("ttr-max-runs"),
    retries: headers.get("ttr-retries"),
    retryDelay: headers.get("ttr-retry-delay"),
    timeout: headers.get("ttr-timeout"),
    callbackUrl: headers.get("ttr-callback-url"),
    failureUrl: headers.get("ttr-failure-url"),
    successStatus: headers.get("ttr-success-status"),
    retryOn: headers.get("ttr-retry-on"),
    flowKey: headers.get("ttr-flow-key"),
    flowParallelism: headers.get("ttr-flow-parallelism"),
    flowRate: headers.get("ttr-flow-rate"),
  };
  return parseScheduleFields(fields, HEADER_FIELD_NAMES, ctx);
}

/**
 * Validates the `ttr-` headers of `DELETE /cancel`: exactly one of `ttr-trigger-id` and
 * `ttr-custom-key`. Throws InvalidInputError `unknown_ttr_header`, `duplicate_ttr_header`,
 * `missing_header`, `ambiguous_cancel`, `invalid_trigger_id` or `invalid_custom_key`.
 */
export function parseCancelHeaders(ttr: TtrHeaders): { triggerId: string | null; customKey: string | null } {
  const headers = singleValues(ttr);
  const triggerId = parseTriggerId(headers.get("ttr-trigger-id"), "ttr-trigger-id");
  const customKey = parseCustomKey(headers.get("ttr-custom-key"), "ttr-custom-key");
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
