import { BoundedCache } from "../bounded-cache.js";
import { InvalidInputError } from "../errors.js";
import { isRetryable, isSuccess } from "./retry-policy.js";

/*
 * A trigger's own success and retry rules: `ttr-success-status` and `ttr-retry-on`, comma-
 * separated lists of status codes (`409`), status classes (`4xx`) and, for retries, `network`.
 * Stored in their canonical form (lower case, no spaces, no repeats); `null` means the default
 * rule, which the functions here apply exactly as Hourglass always has.
 */

/** `ttr-success-status` when absent: 2xx and 3xx succeed (redirects are recorded, never followed). */
export const DEFAULT_SUCCESS_STATUS = "2xx,3xx";
/** `ttr-retry-on` when absent: what may succeed later. `network` is a timeout or no complete response. */
export const DEFAULT_RETRY_ON = "408,429,5xx,network";

/** A parsed list: which statuses it names, and whether it names `network`. */
interface StatusList {
  classes: ReadonlySet<number>;
  codes: ReadonlySet<number>;
  network: boolean;
}

const MAX_LIST_LENGTH = 200;
const CODE = /^[2-5]\d\d$/;
const CLASS = /^[2-5]xx$/;

/**
 * Validates a `ttr-success-status` value (`2xx,409`): status codes 200–599 and classes
 * `2xx`–`5xx`. Returns its canonical form. Throws InvalidInputError `invalid_success_status`.
 */
export function parseSuccessStatus(value: string, name = "ttr-success-status"): string {
  return canonical(value, name, "invalid_success_status", false);
}

/**
 * Validates a `ttr-retry-on` value (`429,5xx,network`): status codes 200–599, classes
 * `2xx`–`5xx` and `network`. Returns its canonical form. Throws InvalidInputError `invalid_retry_on`.
 */
export function parseRetryOn(value: string, name = "ttr-retry-on"): string {
  return canonical(value, name, "invalid_retry_on", true);
}

/** The error recorded for a complete response whose status is not a success: `HTTP 500`. */
export function httpStatusError(httpStatus: number): string {
  return `HTTP ${httpStatus}`;
}

/** What an attempt came to under its trigger's rules. */
export interface AttemptVerdict {
  succeeded: boolean;
  /** What to record: `null` on success. */
  error: string | null;
  /** A failure that a retry may fix (whether retries are left is another matter). */
  retryable: boolean;
}

/**
 * Judges a delivery outcome by the trigger's `ttr-success-status` and `ttr-retry-on`. Only a
 * complete response can succeed; a timeout, a connection error or a response cut short is
 * `network`. With both rules absent this is exactly the default policy: deliver()'s own verdict,
 * and retry-policy.ts's `isRetryable`.
 */
export function judgeAttempt(
  outcome: { ok: boolean; httpStatus: number | null; error: string | null },
  blocked: boolean,
  rules: { successStatus: string | null; retryOn: string | null },
): AttemptVerdict {
  const { httpStatus } = outcome;
  if (rules.successStatus === null && rules.retryOn === null) {
    const retryable = !outcome.ok && !isSuccess(httpStatus) && isRetryable({ httpStatus, blocked, retryAfterMs: null });
    return { succeeded: outcome.ok, error: outcome.error, retryable };
  }
  const answered = httpStatus !== null && (outcome.ok || outcome.error === httpStatusError(httpStatus));
  const status = answered ? httpStatus : null;
  if (status !== null && isSuccessStatus(status, rules.successStatus)) return { succeeded: true, error: null, retryable: false };
  const retryable =
    rules.retryOn === null ? isRetryable({ httpStatus: status, blocked, retryAfterMs: null }) : isRetriedOn(status, blocked, rules.retryOn);
  return { succeeded: false, error: status === null ? outcome.error : httpStatusError(status), retryable };
}

/** Whether a complete response with `httpStatus` is a success under `successStatus` (`null`: the default). */
export function isSuccessStatus(httpStatus: number, successStatus: string | null): boolean {
  if (successStatus === null) return httpStatus >= 200 && httpStatus < 400;
  return matches(compiled(successStatus), httpStatus);
}

/**
 * Whether a failed attempt may be retried under `retryOn` (never when the egress policy refused
 * the target). `httpStatus` is that of a complete response, `null` when none arrived (`network`).
 * `retryOn` must not be `null`: the default rule is retry-policy.ts's `isRetryable`.
 */
export function isRetriedOn(httpStatus: number | null, blocked: boolean, retryOn: string): boolean {
  if (blocked) return false;
  const list = compiled(retryOn);
  return httpStatus === null ? list.network : matches(list, httpStatus);
}

function matches(list: StatusList, httpStatus: number): boolean {
  return list.codes.has(httpStatus) || list.classes.has(Math.floor(httpStatus / 100));
}

/** Lists parsed at dispatch, by canonical value: a project uses a few; parsing one costs more than a lookup. */
const parsedLists = new BoundedCache<string, StatusList>(256);

function compiled(value: string): StatusList {
  let list = parsedLists.get(value);
  if (list === undefined) {
    const items = value.split(",");
    list = {
      classes: new Set(items.filter((item) => CLASS.test(item)).map((item) => Number(item[0]))),
      codes: new Set(items.filter((item) => CODE.test(item)).map(Number)),
      network: items.includes("network"),
    };
    parsedLists.set(value, list);
  }
  return list;
}

function canonical(value: string, header: string, code: string, allowNetwork: boolean): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  const allowed = allowNetwork ? "status codes (409), classes (5xx) and network" : "status codes (409) and classes (2xx)";
  const fail = (why: string): never => {
    throw new InvalidInputError(code, `${header} "${shown}" ${why}; list ${allowed}, comma-separated, from 200 to 599.`);
  };
  if (value.length > MAX_LIST_LENGTH) fail(`is longer than ${MAX_LIST_LENGTH} characters`);
  const items = value.toLowerCase().split(",").map((item) => item.trim());
  for (const item of items) {
    if (item === "") fail("has an empty item");
    const ok = CODE.test(item) || CLASS.test(item) || (allowNetwork && item === "network");
    if (!ok) fail(`has "${item}", which is not one of them`);
  }
  return [...new Set(items)].join(",");
}
