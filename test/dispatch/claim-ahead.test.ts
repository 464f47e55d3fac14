import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/clock.js";
import type { DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { Dispatcher } from "../../src/dispatch/dispatcher.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import type { ClaimedTrigger, RequestTemplate } from "../../src/store/types.js";
import { DELIVERY, generatorInput, jobInput, request } from "../store/store-contract.js";
import { AttemptLog } from "../support/attempts.js";
import { type DispatchFixture, interceptClaims, openDispatchFixture } from "../support/dispatch-fixture.js";

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const AHEAD_MS = 20;
const silent = pino({ level: "silent" });
const log = { error: silent.error.bind(silent), debug: silent.debug.bind(silent) };

/** Lets every callback queued so far run (timers of the manual clock do not move). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The dispatcher claims plain attempts `claimAheadMs` before they are due and starts each at its
 * due instant by its clock (a manual one here, over a real SQLite store).
 */
describe("dispatcher: claiming ahead of the due time", () => {
  let fixture: DispatchFixture;
  let store: KyselyStore;
  let clock: ManualClock;
  let projectId: string;
  let sends: { url: string; at: number }[];
  /** Every claim's result, as the dispatcher got it, with the clock at the call. */
  let claims: { at: number; claimed: ClaimedTrigger[] }[];
  let claimed: (() => void) | null;
  let dispatcher: Dispatcher;
  let attempts: AttemptLog;

  beforeEach(async () => {
    fixture = await openDispatchFixture(T0);
    ({ store, clock, projectId } = fixture);
    sends = [];
    claims = [];
    claimed = null;
    const recordingStore = interceptClaims(store, async (_args, claim) => {
      const at = clock.now();
      const result = await claim();
      claims.push({ at, claimed: result });
      claimed?.();
      return result;
    });
    const deliver = async (req: RequestTemplate): Promise<DeliveryOutcome> => {
      const at = clock.now();
      sends.push({ url: req.url, at });
      return { ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: at, finishedAt: at };
    };
    dispatcher = new Dispatcher(
      recordingStore,
      clock,
      deliver,
      { concurrency: 16, batchSize: 16, leaseMarginMs: 30_000, maxIdleMs: 60_000, claimAheadMs: AHEAD_MS, callbackPolicy: DELIVERY, signingSecretsTtlMs: 1_000 },
      log,
    );
    attempts = new AttemptLog(dispatcher);
    dispatcher.start();
    await nextClaim();
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await fixture.dispose();
  });

  /** Resolves once the dispatcher's next claim has come back. */
  const nextClaim = () =>
    new Promise<void>((resolve) => {
      claimed = () => {
        claimed = null;
        resolve();
      };
    });
  const scheduleJob = async (url: string, at: number): Promise<string> => {
    const { id } = await store.scheduleJob(jobInput(projectId, { now: clock.now(), scheduledAt: at, request: request({ url }) }));
    dispatcher.notify(at);
    return id;
  };
  /** Moves the clock to `at` and waits for the claim that wakes the dispatcher then. */
  const claimAt = async (at: number): Promise<ClaimedTrigger[]> => {
    const claim = nextClaim();
    clock.set(at);
    await claim;
    return claims[claims.length - 1]?.claimed ?? [];
  };

  it("claims a one-shot ahead and starts it at its due instant; until then a cancel is refused as running", async () => {
    const due = T0 + 10_000;
    const id = await scheduleJob("https://target.example/a", due);
    expect((await claimAt(due - AHEAD_MS)).map((c) => [c.id, c.startAt])).toEqual([[id, due]]);
    expect((await store.getTrigger(projectId, id))?.status).toBe("running");
    await expect(store.cancel({ projectId, triggerId: id, customKey: null, now: clock.now() })).rejects.toMatchObject({ code: "trigger_running" });
    clock.set(due - 1);
    await settle();
    expect(sends).toEqual([]);
    const attempt = attempts.waitFor((e) => e.claim.id === id);
    clock.set(due);
    await attempt;
    expect(sends).toEqual([{ url: "https://target.example/a", at: due }]);
  });

  it("claims a generator's first tick only at its due instant, without claiming again meanwhile", async () => {
    const created = await store.scheduleGenerator(generatorInput(projectId, { now: clock.now(), request: request({ url: "https://target.example/tick" }) }));
    dispatcher.notify(created.scheduledAt);
    const due = created.scheduledAt;
    expect(await claimAt(due - AHEAD_MS)).toEqual([]);
    await settle();
    const claimsBeforeDue = claims.length;
    clock.set(due - 1);
    await settle();
    expect(claims.length, "claimed again before the tick was due").toBe(claimsBeforeDue);
    const attempt = attempts.waitFor((e) => e.claim.generatorId === created.id);
    expect((await claimAt(due)).map((c) => c.startAt)).toEqual([due]);
    await attempt;
    expect(sends).toEqual([{ url: "https://target.example/tick", at: due }]);
  });

  it("gives back, due at its own due time, a claim still waiting when shutdown's grace is over, and never sends it", async () => {
    const due = T0 + 10_000;
    const id = await scheduleJob("https://target.example/b", due);
    await claimAt(due - AHEAD_MS);
    await dispatcher.stop(0);
    clock.set(due);
    await settle();
    expect(sends).toEqual([]);
    expect(await store.claimDue(due - 1, 10, 30_000)).toEqual([]);
    expect(await store.claimDue(due, 10, 30_000)).toEqual([expect.objectContaining({ id, attempt: 1 })]);
  });
});
