import { describe, expect, it } from "vitest";
import { ManualClock, systemClock } from "../../src/clock.js";
import type { DeliveryOutcome, LocalTarget } from "../../src/dispatch/deliver.js";
import type { Dispatcher } from "../../src/dispatch/dispatcher.js";
import { REHEARSAL_MAX_MS, rehearseBurst } from "../../src/dispatch/rehearsal.js";
import { openScratch } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { DELIVERY } from "../store/store-contract.js";

const DISPATCH = { concurrency: 64, batchSize: 64, leaseMarginMs: 30_000, maxIdleMs: 60_000, callbackPolicy: DELIVERY, signingSecretsTtlMs: 1_000, claimAheadMs: 20 };

/** A target answering 200 at once, counting what it was sent, and how many had been when it was told to reconnect. */
function countingTarget(): LocalTarget & { sent: number; reconnectedAfter: number[] } {
  const target = {
    url: "http://127.0.0.1:1/rehearsal",
    sent: 0,
    reconnectedAfter: [] as number[],
    deliver: async (): Promise<DeliveryOutcome> => {
      target.sent++;
      const at = Date.now();
      return { ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: at, finishedAt: at };
    },
    reconnect: async () => {
      target.reconnectedAfter.push(target.sent);
    },
  };
  return target;
}

/** Opens scratch stores (as the server does) and keeps what the rehearsal scheduled on each, and how far ahead. */
function scratchStores(): { open: () => Store; opened: { scheduled: number }[]; leadsMs: Set<number> } {
  const opened: { scheduled: number }[] = [];
  const leadsMs = new Set<number>();
  return {
    opened,
    leadsMs,
    open: () => {
      const store = openScratch();
      const seen = { scheduled: 0 };
      opened.push(seen);
      const scheduleJob = store.scheduleJob.bind(store);
      store.scheduleJob = (input) => {
        seen.scheduled++;
        leadsMs.add(input.scheduledAt - input.now);
        return scheduleJob(input);
      };
      return store;
    },
  };
}

describe("the start-up rehearsal of a burst", () => {
  // A large burst runs in rounds of at most 1,000, each on a new store (what a closed store freed
  // stays resident), after a first round of 64 whose connections are closed before the others.
  it.each([
    { count: 40, rounds: [{ scheduled: 40 }] },
    { count: 300, rounds: [{ scheduled: 64 }, { scheduled: 236 }] },
    { count: 2_500, rounds: [{ scheduled: 64 }, { scheduled: 1_000 }, { scheduled: 1_000 }, { scheduled: 436 }] },
  ])("claims, delivers, records and observes each of $count triggers once, in rounds on new stores", async ({ count, rounds }) => {
    const target = countingTarget();
    const stores = scratchStores();
    let observed = 0;
    const observe = (dispatcher: Dispatcher): void => {
      dispatcher.on("attempt", () => observed++);
    };
    const recorded = await rehearseBurst({ count, clock: systemClock, dispatcher: DISPATCH, openStore: stores.open, target, observe, stop: () => false });
    expect(recorded).toBe(count);
    expect(target.sent).toBe(count);
    expect(observed).toBe(count);
    expect(stores.opened).toEqual(rounds);
    // Reconnected after the first round when another round follows (the target closes at the end anyway).
    expect(target.reconnectedAfter).toEqual(count > 64 ? [64] : []);
    // Due beyond the claiming-ahead reach, as a real burst is: claims made ahead wait for the due time.
    expect([...stores.leadsMs].every((lead) => lead > DISPATCH.claimAheadMs)).toBe(true);
  });

  it("ends once its time is up, even though its target never answers", async () => {
    const boundClock = new ManualClock(Date.UTC(2026, 11, 5));
    let firstSend!: () => void;
    const sending = new Promise<void>((resolve) => {
      firstSend = resolve;
    });
    const target: LocalTarget = {
      url: "http://127.0.0.1:1/rehearsal",
      deliver: () => {
        firstSend();
        return new Promise<DeliveryOutcome>(() => {});
      },
      reconnect: async () => {},
    };
    let ended = false;
    const options = { count: 100, clock: systemClock, boundClock, dispatcher: DISPATCH, openStore: scratchStores().open, target, stop: () => false };
    const rehearsal = rehearseBurst(options).finally(() => {
      ended = true;
    });
    await sending;
    boundClock.advance(REHEARSAL_MAX_MS - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    boundClock.advance(1);
    expect(await rehearsal).toBe(0);
  });

  it("gives way as soon as it is told to: it sends nothing more", async () => {
    const target = countingTarget();
    const stores = scratchStores();
    const recorded = await rehearseBurst({ count: 20_000, clock: systemClock, dispatcher: DISPATCH, openStore: stores.open, target, stop: () => target.sent >= 50 });
    expect(target.sent).toBe(50);
    expect(stores.opened).toHaveLength(1);
    expect(recorded).toBeLessThanOrEqual(50 + DISPATCH.concurrency);
  });
});
