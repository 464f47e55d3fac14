import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import type { DeliveryOutcome, LocalTarget } from "../../src/dispatch/deliver.js";
import { rehearseBurst } from "../../src/dispatch/rehearsal.js";
import { DELIVERY } from "../store/store-contract.js";

const DISPATCH = { concurrency: 64, batchSize: 64, leaseMarginMs: 30_000, maxIdleMs: 60_000, callbackPolicy: DELIVERY, signingSecretsTtlMs: 1_000 };

/** A target answering 200 at once, counting what it was sent. */
function countingTarget(): LocalTarget & { sent: number } {
  const target = {
    url: "http://127.0.0.1:1/rehearsal",
    sent: 0,
    deliver: async (): Promise<DeliveryOutcome> => {
      target.sent++;
      const at = Date.now();
      return { ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: at, finishedAt: at };
    },
  };
  return target;
}

describe("the start-up rehearsal of a burst", () => {
  it("claims, delivers and records each of its triggers once", async () => {
    const target = countingTarget();
    const recorded = await rehearseBurst({ count: 300, clock: systemClock, dispatcher: DISPATCH, target, stop: () => false });
    expect(recorded).toBe(300);
    expect(target.sent).toBe(300);
  });

  it("gives way as soon as it is told to: it sends nothing more", async () => {
    const target = countingTarget();
    const recorded = await rehearseBurst({ count: 20_000, clock: systemClock, dispatcher: DISPATCH, target, stop: () => target.sent >= 50 });
    expect(target.sent).toBe(50);
    expect(recorded).toBeLessThanOrEqual(50 + DISPATCH.concurrency);
  });
});
