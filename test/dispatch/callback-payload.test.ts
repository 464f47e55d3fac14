import { describe, expect, it } from "vitest";
import { callbacksFor } from "../../src/dispatch/callback-payload.js";
import type { ClaimedTrigger } from "../../src/store/types.js";

const POLICY = { retries: 3, retryDelayMs: 10_000, timeoutMs: 30_000, callbackUrl: null, failureUrl: null, successStatus: null, retryOn: null, flowKey: null };
const claim = (over: Partial<ClaimedTrigger> = {}): ClaimedTrigger => ({
  id: "01HZY3J5W9M8Q2R4T6V8X0Z2B4",
  projectId: "p",
  origin: "job",
  generatorId: null,
  customKey: "order-42",
  title: "Reminder",
  tags: ["a"],
  method: "POST",
  url: "https://target.example/hook",
  headers: [],
  body: null,
  scheduledAt: Date.UTC(2026, 0, 1),
  attempt: 2,
  retriesLeft: 0,
  delivery: { ...POLICY, callbackUrl: "https://cb.example/all", failureUrl: "https://cb.example/failed" },
  leaseUntil: 0,
  startAt: Date.UTC(2026, 0, 1),
  ...over,
});
const attempt = (outcome: "succeeded" | "failed") => ({
  triggerId: "01HZY3J5W9M8Q2R4T6V8X0Z2B4",
  projectId: "p",
  attempt: 2,
  startedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  finishedAt: Date.UTC(2026, 0, 1, 0, 0, 1, 250),
  outcome,
  httpStatus: outcome === "succeeded" ? 200 : 503,
  error: outcome === "succeeded" ? null : "HTTP 503",
  responseHeaders: [],
  responseExcerpt: "busy",
});

describe("outcome callbacks", () => {
  it("reports a success to the callback URL only", () => {
    const callbacks = callbacksFor(claim(), attempt("succeeded"), POLICY);
    expect(callbacks.map((c) => c.url)).toEqual(["https://cb.example/all"]);
    expect(JSON.parse(new TextDecoder().decode(callbacks[0]?.body))).toEqual({
      type: "trigger.succeeded",
      trigger: {
        id: "01HZY3J5W9M8Q2R4T6V8X0Z2B4",
        generatorId: null,
        customKey: "order-42",
        title: "Reminder",
        tags: ["a"],
        method: "POST",
        url: "https://target.example/hook",
        scheduledAt: "2026-01-01T00:00:00.000Z",
        status: "succeeded",
        attempts: 2,
      },
      lastAttempt: {
        attempt: 2,
        startedAt: "2026-01-01T00:00:01.000Z",
        finishedAt: "2026-01-01T00:00:01.250Z",
        durationMs: 250,
        httpStatus: 200,
        error: null,
        responseExcerpt: "busy",
      },
    });
  });

  it("reports a failure to both URLs, and a callback's own outcome to nobody", () => {
    expect(callbacksFor(claim(), attempt("failed"), POLICY).map((c) => c.url)).toEqual(["https://cb.example/all", "https://cb.example/failed"]);
    expect(callbacksFor(claim({ origin: "callback" }), attempt("failed"), POLICY)).toEqual([]);
    expect(callbacksFor(claim({ delivery: POLICY }), attempt("failed"), POLICY)).toEqual([]);
  });
});
