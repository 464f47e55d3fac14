/** The most any single retry waits for, whatever the backoff grows to. */
export const MAX_BACKOFF_MS = 60 * 60_000;
/** A `Retry-After` longer than this is treated as this long. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;
/** Backoff jitter: each delay is stretched by up to this fraction (never shortened). */
const JITTER = 0.25;

/** What one attempt came to, as far as retrying is concerned. */
export interface AttemptFacts {
  /** The target's status, or null when no response arrived (network error, timeout, blocked). */
  httpStatus: number | null;
  /** The egress policy refused the target: retrying cannot help. */
  blocked: boolean;
  /** The target's `Retry-After`, already turned into milliseconds from now. */
  retryAfterMs: number | null;
}

export interface RetryInput {
  facts: AttemptFacts;
  /** Retries still allowed (0: this was the last attempt). */
  retriesLeft: number;
  /** Which retry the next one would be: 1 for the first. */
  retryNumber: number;
  /** `ttr-retry-delay`: the first retry's delay. */
  firstDelayMs: number;
  now: number;
  /** Uniform in [0, 1); injected so tests are exact. */
  random: number;
  /** The verdict of the trigger's own rules (outcome-rules.ts `judgeAttempt`); absent: {@link isSuccess} and {@link isRetryable}. */
  retryable?: boolean;
}

/** Success = 2xx or 3xx (redirects are recorded, never followed). */
export function isSuccess(httpStatus: number | null): boolean {
  return httpStatus !== null && httpStatus >= 200 && httpStatus < 400;
}

/** Network errors, timeouts, 408, 429 and 5xx may succeed later; other failures will not. */
export function isRetryable(facts: AttemptFacts): boolean {
  if (facts.blocked) return false;
  const status = facts.httpStatus;
  if (status === null) return true;
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The delay before retry number `retryNumber` (1-based): the first delay doubled each time,
 * stretched by up to 25% of jitter, capped at {@link MAX_BACKOFF_MS}.
 */
export function backoffMs(retryNumber: number, firstDelayMs: number, random: number): number {
  const doubled = firstDelayMs * 2 ** Math.min(retryNumber - 1, 30);
  return Math.min(MAX_BACKOFF_MS, Math.round(doubled * (1 + JITTER * random)));
}

/**
 * When to try again after a failed attempt, or `null` when the failure is final (not retryable,
 * or no retries left). A `Retry-After` from the target is honoured: the retry is never earlier.
 */
export function nextRetryAt(input: RetryInput): number | null {
  const retryable = input.retryable ?? (!isSuccess(input.facts.httpStatus) && isRetryable(input.facts));
  if (input.retriesLeft <= 0 || !retryable) return null;
  const backoff = backoffMs(input.retryNumber, input.firstDelayMs, input.random);
  const retryAfter = Math.min(input.facts.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return input.now + Math.max(backoff, retryAfter);
}

/**
 * Parses a `Retry-After` header — delay-seconds or an HTTP-date — into milliseconds from `now`
 * (0 for a date in the past); `null` when absent or unparsable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone
  // would also take "-5" for a year.
  if (!/[a-z]{3}/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
