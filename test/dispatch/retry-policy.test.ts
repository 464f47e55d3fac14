import { describe, expect, it } from "vitest";
import { MAX_BACKOFF_MS, backoffMs, isRetryable, isSuccess, nextRetryAt, parseRetryAfter } from "../../src/dispatch/retry-policy.js";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const facts = (httpStatus: number | null, over: { blocked?: boolean; retryAfterMs?: number | null } = {}) => ({
  httpStatus,
  blocked: over.blocked ?? false,
  retryAfterMs: over.retryAfterMs ?? null,
});
const input = (over: Partial<Parameters<typeof nextRetryAt>[0]> = {}) => ({
  facts: facts(500),
  retriesLeft: 3,
  retryNumber: 1,
  firstDelayMs: 10_000,
  now: NOW,
  random: 0,
  ...over,
});

describe("retry policy", () => {
  it.each([
    [200, true],
    [204, true],
    [301, true],
    [399, true],
    [400, false],
    [500, false],
    [null, false],
  ])("treats %s as success: %s", (status, ok) => {
    expect(isSuccess(status)).toBe(ok);
  });

  it.each([
    [null, true],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [404, false],
    [422, false],
  ])("retries status %s: %s", (status, retry) => {
    expect(isRetryable(facts(status))).toBe(retry);
  });

  it("never retries a target the egress policy refused", () => {
    expect(isRetryable(facts(null, { blocked: true }))).toBe(false);
    expect(nextRetryAt(input({ facts: facts(null, { blocked: true }) }))).toBeNull();
  });

  it("doubles the first delay, stretches it by at most 25% jitter, and caps it at one hour", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 10_000, 0))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(backoffMs(1, 10_000, 0.999_999)).toBe(12_500);
    expect(backoffMs(3, 10_000, 0.5)).toBe(45_000);
    expect(backoffMs(20, 10_000, 0)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(60, 10_000, 0.9)).toBe(MAX_BACKOFF_MS);
  });

  it("schedules the next attempt, or none when retries are used up or the failure is permanent", () => {
    expect(nextRetryAt(input())).toBe(NOW + 10_000);
    expect(nextRetryAt(input({ retryNumber: 3, random: 0.5 }))).toBe(NOW + 45_000);
    expect(nextRetryAt(input({ retriesLeft: 0 }))).toBeNull();
    expect(nextRetryAt(input({ facts: facts(404) }))).toBeNull();
    expect(nextRetryAt(input({ facts: facts(200) }))).toBeNull();
  });

  it("honours Retry-After: never earlier than it says, and never shorter than the backoff", () => {
    expect(nextRetryAt(input({ facts: facts(503, { retryAfterMs: 120_000 }) }))).toBe(NOW + 120_000);
    expect(nextRetryAt(input({ facts: facts(429, { retryAfterMs: 2_000 }) }))).toBe(NOW + 10_000);
    expect(nextRetryAt(input({ facts: facts(503, { retryAfterMs: 365 * 86_400_000 }) }))).toBe(NOW + 86_400_000);
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("2", NOW)).toBe(2_000);
    expect(parseRetryAfter(" 120 ", NOW)).toBe(120_000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter("soon", NOW)).toBeNull();
    expect(parseRetryAfter("-5", NOW)).toBeNull();
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
  });
});
