import { describe, expect, it } from "vitest";
import { judgeAttempt, parseRetryOn, parseSuccessStatus } from "../../src/dispatch/outcome-rules.js";
import { isRetryable, isSuccess } from "../../src/dispatch/retry-policy.js";

/** An outcome as deliver() reports it: a complete response, or none (`error` given). */
const answered = (httpStatus: number) => ({
  ok: httpStatus >= 200 && httpStatus < 400,
  httpStatus,
  error: httpStatus >= 200 && httpStatus < 400 ? null : `HTTP ${httpStatus}`,
});
const noResponse = (error: string, httpStatus: number | null = null) => ({ ok: false, httpStatus, error });
const DEFAULT_RULES = { successStatus: null, retryOn: null };
const rules = (successStatus: string | null, retryOn: string | null) => ({
  successStatus: successStatus === null ? null : parseSuccessStatus(successStatus),
  retryOn: retryOn === null ? null : parseRetryOn(retryOn),
});

describe("judgeAttempt", () => {
  it("without rules, is exactly the default policy for every status, and for no response", () => {
    const outcomes = [
      ...Array.from({ length: 400 }, (_, i) => answered(200 + i)),
      noResponse("timeout after 100 ms"),
      noResponse("timeout after 100 ms", 200),
      noResponse("connect ECONNREFUSED 127.0.0.1:1"),
      noResponse("blocked: private address"),
    ];
    for (const outcome of outcomes) {
      const blocked = outcome.error?.startsWith("blocked") ?? false;
      expect(judgeAttempt(outcome, blocked, DEFAULT_RULES)).toEqual({
        succeeded: outcome.ok,
        error: outcome.error,
        retryable: !outcome.ok && !isSuccess(outcome.httpStatus) && isRetryable({ httpStatus: outcome.httpStatus, blocked, retryAfterMs: null }),
      });
    }
  });

  it("the defaults written out as rules judge every complete response as the defaults do", () => {
    const explicit = rules("2xx,3xx", "408,429,5xx,network");
    for (let status = 200; status < 600; status++) {
      expect(judgeAttempt(answered(status), false, explicit)).toEqual(judgeAttempt(answered(status), false, DEFAULT_RULES));
    }
  });

  it("ttr-success-status: a listed status succeeds, an unlisted one fails with its status recorded", () => {
    const conflictIsDone = rules("2xx,409", null);
    expect(judgeAttempt(answered(409), false, conflictIsDone)).toEqual({ succeeded: true, error: null, retryable: false });
    expect(judgeAttempt(answered(302), false, conflictIsDone)).toEqual({ succeeded: false, error: "HTTP 302", retryable: false });
    expect(judgeAttempt(answered(503), false, conflictIsDone)).toEqual({ succeeded: false, error: "HTTP 503", retryable: true });
    const only204 = rules("204", null);
    expect(judgeAttempt(answered(200), false, only204)).toEqual({ succeeded: false, error: "HTTP 200", retryable: false });
  });

  it("ttr-retry-on: only what it lists is retried; network covers timeouts, errors and responses cut short", () => {
    const rateLimitsOnly = rules(null, "429");
    expect(judgeAttempt(answered(429), false, rateLimitsOnly).retryable).toBe(true);
    expect(judgeAttempt(answered(500), false, rateLimitsOnly).retryable).toBe(false);
    expect(judgeAttempt(noResponse("timeout after 100 ms"), false, rateLimitsOnly).retryable).toBe(false);

    const withNetwork = rules(null, "4xx,network");
    expect(judgeAttempt(answered(404), false, withNetwork).retryable).toBe(true);
    expect(judgeAttempt(answered(500), false, withNetwork).retryable).toBe(false);
    expect(judgeAttempt(noResponse("connect ECONNREFUSED 127.0.0.1:1"), false, withNetwork).retryable).toBe(true);
    // Headers arrived, then the deadline: no complete response, so never a success, and `network`.
    expect(judgeAttempt(noResponse("timeout after 100 ms", 200), false, withNetwork)).toEqual({
      succeeded: false,
      error: "timeout after 100 ms",
      retryable: true,
    });
  });

  it("a success status wins over retry-on, and a target refused by the egress policy is never retried", () => {
    expect(judgeAttempt(answered(409), false, rules("2xx,409", "4xx")).succeeded).toBe(true);
    expect(judgeAttempt(noResponse("blocked: private address"), true, rules(null, "network")).retryable).toBe(false);
  });
});

describe("parseSuccessStatus / parseRetryOn", () => {
  it("canonicalize: lower case, trimmed, first occurrence kept", () => {
    expect(parseSuccessStatus(" 2XX , 409,2xx ")).toBe("2xx,409");
    expect(parseRetryOn("NETWORK, 5xx ,429,network")).toBe("network,5xx,429");
  });
});
