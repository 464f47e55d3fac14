import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/clock.js";
import { type DeliverFn, Dispatcher } from "../../src/dispatch/dispatcher.js";
import type { DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { HistoryPruner } from "../../src/dispatch/history-pruner.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import type { Store } from "../../src/store/store.js";
import { DELIVERY, finished, jobInput } from "../store/store-contract.js";
import { type DispatchFixture, interceptClaims, openDispatchFixture } from "../support/dispatch-fixture.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const DAY = 86_400_000;
const silent = pino({ level: "silent" });
const log = { error: silent.error.bind(silent), debug: silent.debug.bind(silent) };

describe("dispatcher shutdown and history pruning", () => {
  let fixture: DispatchFixture;
  let store: KyselyStore;
  let clock: ManualClock;
  let projectId: string;

  beforeEach(async () => {
    fixture = await openDispatchFixture(T0);
    ({ store, clock, projectId } = fixture);
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  const schedule = (scheduledAt: number) => store.scheduleJob(jobInput(projectId, { now: T0, scheduledAt }));
  /** A dispatcher on the manual clock, with `concurrency` slots claimed `concurrency` at a time. */
  const dispatcherOf = (on: Store, deliver: DeliverFn, concurrency: number) =>
    new Dispatcher(on, clock, deliver, {
      concurrency,
      batchSize: concurrency,
      leaseMarginMs: 30_000,
      maxIdleMs: 60_000,
      callbackPolicy: DELIVERY,
      signingSecretsTtlMs: 1_000,
    }, log);

  it("stops claiming, waits the grace period for in-flight deliveries, then releases their leases", async () => {
    const { id } = await schedule(T0);
    let delivered!: () => void;
    const started = new Promise<void>((resolve) => {
      delivered = resolve;
    });
    // A delivery that never finishes.
    const hang = () => {
      delivered();
      return new Promise<DeliveryOutcome>(() => undefined);
    };
    const dispatcher = dispatcherOf(store, hang, 4);
    dispatcher.start();
    await started;
    expect(dispatcher.inFlightCount).toBe(1);

    const stopping = dispatcher.stop(5_000);
    const late = await schedule(T0);
    dispatcher.notify(T0);
    clock.advance(4_999);
    expect((await store.getTrigger(projectId, id))?.status).toBe("running");
    clock.advance(1);
    await stopping;
    // No claim after stop: the trigger scheduled meanwhile was never touched.
    expect(await store.getTrigger(projectId, late.id)).toMatchObject({ status: "registered", attempts: 0 });
    // Released: due again at the end of the grace period, not when its lease (60 s) would expire.
    expect((await store.claimDue(T0 + 4_999, 10, 30_000)).map((c) => c.id)).toEqual([late.id]);
    expect(await store.claimDue(T0 + 5_000, 10, 30_000)).toEqual([expect.objectContaining({ id, attempt: 1 })]);
  });

  it("sends nothing that a claim in progress when shutdown began returns: it is given back", async () => {
    const { id } = await schedule(T0);
    let claimStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      claimStarted = resolve;
    });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    // The store as the dispatcher sees it, with the claim's commit held until the test opens the gate.
    const gated = interceptClaims(store, async (_args, claim) => {
      claimStarted();
      await gate;
      return claim();
    });
    const sent: string[] = [];
    const deliver = (req: { url: string }) => {
      sent.push(req.url);
      return Promise.resolve<DeliveryOutcome>({ ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: T0, finishedAt: T0 });
    };
    const dispatcher = dispatcherOf(gated, deliver, 4);
    dispatcher.start();
    await started;
    const stopping = dispatcher.stop(5_000);
    openGate();
    await stopping;
    expect(sent).toEqual([]);
    // Given back: due again at once, as the first attempt.
    expect(await store.claimDue(T0, 10, 30_000)).toEqual([expect.objectContaining({ id, attempt: 1 })]);
  });

  it("after saturation, claims again once a quarter of the slots are free, and delivers every trigger once", async () => {
    for (let i = 0; i < 20; i++) await schedule(T0);
    const pending: (() => void)[] = [];
    const sent: string[] = [];
    let sentSignal: () => void = () => undefined;
    const deliver = (req: { url: string; headers: [string, string][] }) =>
      new Promise<DeliveryOutcome>((resolve) => {
        sent.push(req.url);
        pending.push(() => resolve({ ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: T0, finishedAt: T0 }));
        sentSignal();
      });
    const sentCount = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (sent.length >= n ? resolve() : undefined);
        sentSignal = check;
        check();
      });
    const dispatcher = dispatcherOf(store, deliver, 8);
    let recorded = 0;
    const recordedCount = (n: number) =>
      new Promise<void>((resolve) => {
        if (recorded >= n) return resolve();
        const onAttempt = () => {
          if (recorded >= n) {
            dispatcher.off("attempt", onAttempt);
            resolve();
          }
        };
        dispatcher.on("attempt", onAttempt);
      });
    dispatcher.on("attempt", () => void recorded++);
    dispatcher.start();
    // A project alone fills all slots but the reserve kept for another project (1 of 8).
    await sentCount(7);
    expect(dispatcher.inFlightCount).toBe(7);

    // One slot more free (6 of 8 busy): no claim yet. (A claim would have run within these turns:
    // the store's synchronous commits run on setImmediate.)
    pending.shift()?.();
    await recordedCount(1);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(7);
    expect(dispatcher.inFlightCount).toBe(6);
    // Two more free (5 of 8: a quarter beyond the reserve): one claim refills both.
    pending.shift()?.();
    await sentCount(9);
    expect(dispatcher.inFlightCount).toBe(7);

    while (recorded < 20) {
      pending.shift()?.();
      await recordedCount(recorded + 1);
    }
    expect(sent).toHaveLength(20);
    const page = await store.listTriggers(projectId, { status: "succeeded" }, { limit: 100 });
    expect(page.items).toHaveLength(20);
    expect(page.items.every((t) => t.attempts === 1)).toBe(true);
    await dispatcher.stop(0);
  });

  it("prunes history older than the retention in small batches, then every interval", async () => {
    for (let i = 0; i < 7; i++) await schedule(T0);
    for (const claim of await store.claimDue(T0, 10, 30_000)) await store.finishAttempt(finished(claim, projectId, "succeeded"));
    const recent = await schedule(T0 + 40 * DAY);
    clock.set(T0 + 31 * DAY);
    const pruner = new HistoryPruner(store, clock, { retentionMs: 30 * DAY, intervalMs: 60_000, batchSize: 3 }, () => undefined);
    expect(await pruner.pruneOnce()).toBe(14);
    expect((await store.listTriggers(projectId, {}, { limit: 50 })).items.map((t) => t.id)).toEqual([recent.id]);
    expect((await store.listExecutions(projectId, {}, { limit: 50 })).items).toEqual([]);
    await pruner.stop();
  });
});
