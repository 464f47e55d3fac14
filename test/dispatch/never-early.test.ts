import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/clock.js";
import type { DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { type AttemptEvent, Dispatcher } from "../../src/dispatch/dispatcher.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import type { RequestTemplate } from "../../src/store/types.js";
import { DELIVERY, generatorInput, jobInput, request } from "../store/store-contract.js";
import { AttemptLog } from "../support/attempts.js";
import { type DispatchFixture, interceptClaims, openDispatchFixture } from "../support/dispatch-fixture.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
/**
 * A "pacer" is a one-shot due this long before the trigger under test: the dispatcher wakes and
 * claims then, so a claim that reaches ahead of its clock (or a store that returns what is due
 * a little later) takes the trigger under test early, and the send shows it.
 */
const PACER_LEAD_MS = 30;
const silent = pino({ level: "silent" });
const log = { error: silent.error.bind(silent), debug: silent.debug.bind(silent) };

/** One call of the store's claimDue: the `now` and `dueBy` it was given and the dispatcher's clock at the call. */
interface ClaimCall {
  now: number;
  dueBy: number | undefined;
  clockAt: number;
}

/** One call of deliver: the URL and the dispatcher's clock when the attempt started. */
interface Send {
  url: string;
  at: number;
}

/**
 * Never early (issue 15 item 8), at the dispatcher: with a manual clock, a real SQLite store
 * (wrapped to record each claimDue call) and a recording deliver function, no attempt of any
 * kind — a one-shot's first attempt, a retry, a generator tick, an extra run, a replay, an
 * outcome callback — is claimed with a `now` ahead of the clock, or sent before its due instant.
 * Also when the dispatcher claims ahead: by more than the pacer's lead, the trigger under test is
 * claimed with the pacer and must wait for its due instant.
 */
describe.each([0, PACER_LEAD_MS + 20])("dispatcher: never early, claiming %i ms ahead", (claimAheadMs) => {
  let fixture: DispatchFixture;
  let store: KyselyStore;
  let clock: ManualClock;
  let projectId: string;
  let claims: ClaimCall[];
  let sends: Send[];
  /** How the recording deliver answers (default: 200 at once). */
  let respond: (request: RequestTemplate) => Promise<{ status: number }> | { status: number };
  let dispatcher: Dispatcher;
  let attempts: AttemptLog;

  beforeEach(async () => {
    fixture = await openDispatchFixture(T0);
    ({ store, clock, projectId } = fixture);
    claims = [];
    sends = [];
    respond = () => ({ status: 200 });
    const recordingStore = interceptClaims(store, (args, claim) => {
      claims.push({ now: args[0], dueBy: args[4], clockAt: clock.now() });
      return claim();
    });
    const deliver = async (req: RequestTemplate): Promise<DeliveryOutcome> => {
      const startedAt = clock.now();
      sends.push({ url: req.url, at: startedAt });
      const { status } = await respond(req);
      const ok = status < 400;
      return { ok, httpStatus: status, error: ok ? null : `HTTP ${status}`, responseExcerpt: null, responseHeaders: [], startedAt, finishedAt: clock.now() };
    };
    dispatcher = new Dispatcher(recordingStore, clock, deliver, {
      concurrency: 16,
      batchSize: 16,
      leaseMarginMs: 30_000,
      maxIdleMs: 60_000,
      claimAheadMs,
      callbackPolicy: DELIVERY,
      signingSecretsTtlMs: 1_000,
      random: () => 0,
    }, log);
    attempts = new AttemptLog(dispatcher);
    dispatcher.start();
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await fixture.dispose();
  });

  /** Schedules a one-shot to `url` due at `at`, announcing it as /schedule does. */
  const schedule = async (url: string, at: number): Promise<string> => {
    const { id } = await store.scheduleJob(jobInput(projectId, { now: clock.now(), scheduledAt: at, request: request({ url }) }));
    dispatcher.notify(at);
    return id;
  };
  const attemptOf = (id: string, attempt: number): Promise<AttemptEvent> =>
    attempts.waitFor((e) => e.claim.id === id && e.claim.attempt === attempt);
  /** Moves the clock to `due - PACER_LEAD_MS` with a pacer due then, and waits for the pacer's attempt. */
  const claimJustBefore = async (due: number): Promise<void> => {
    const at = due - PACER_LEAD_MS;
    const pacer = await schedule(`https://pacer.example/${at}`, at);
    clock.set(at);
    await attemptOf(pacer, 1);
  };
  const sendsTo = (url: string): number[] => sends.filter((s) => s.url === url).map((s) => s.at);
  /** No claimDue call was given a `now` ahead of the dispatcher's clock at that moment, nor reached further ahead than it may. */
  const expectNoClaimAheadOfTheClock = () => {
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.filter((c) => c.now > c.clockAt), "claimDue called with now ahead of the clock").toEqual([]);
    expect(claims.filter((c) => (c.dueBy ?? c.now) > c.clockAt + claimAheadMs), "claimDue reached too far ahead").toEqual([]);
  };
  const expectNotBefore = (sentAt: number | undefined, due: number, what: string) => {
    expect(sentAt, `${what}: not sent`).toBeDefined();
    expect(sentAt, `${what} was sent ${due - (sentAt ?? 0)} ms before its due instant`).toBeGreaterThanOrEqual(due);
  };

  it("a one-shot's first attempt", async () => {
    const url = "https://target.example/one-shot";
    const due = T0 + 10_000;
    const id = await schedule(url, due);
    await claimJustBefore(due);
    clock.set(due);
    await attemptOf(id, 1);
    expectNotBefore(sendsTo(url)[0], due, "the first attempt");
    expectNoClaimAheadOfTheClock();
  });

  it("a retry", async () => {
    const url = "https://target.example/retry";
    let calls = 0;
    respond = (req) => ({ status: req.url === url && calls++ === 0 ? 503 : 200 });
    const id = await schedule(url, T0 + 1_000);
    clock.set(T0 + 1_000);
    const first = await attemptOf(id, 1);
    const retryAt = first.result.retryAt;
    // 10 s backoff with no jitter (random 0), from the end of the first attempt.
    expect(retryAt).toBe(T0 + 11_000);
    await claimJustBefore(retryAt!);
    clock.set(retryAt!);
    await attemptOf(id, 2);
    const [firstSent, retrySent] = sendsTo(url);
    expectNotBefore(firstSent, T0 + 1_000, "the first attempt");
    expectNotBefore(retrySent, retryAt!, "the retry");
    expectNoClaimAheadOfTheClock();
  });

  it("a generator's ticks, the first and the next one its claim materializes", async () => {
    const url = "https://target.example/tick";
    const created = await store.scheduleGenerator(generatorInput(projectId, { now: clock.now(), request: request({ url }) }));
    dispatcher.notify(created.scheduledAt);
    const ticks = [created.scheduledAt, created.scheduledAt + 10_000];
    expect(ticks[0]).toBe(T0 + 10_000);
    for (const tick of ticks) {
      await claimJustBefore(tick);
      clock.set(tick);
      await attempts.waitFor((e) => e.claim.generatorId === created.id && e.claim.scheduledAt === tick);
    }
    const sent = sendsTo(url);
    expectNotBefore(sent[0], ticks[0]!, "the first tick");
    expectNotBefore(sent[1], ticks[1]!, "the second tick");
    expectNoClaimAheadOfTheClock();
  });

  it("a generator's extra run, not before it was asked for", async () => {
    const url = "https://target.example/run";
    const { id } = await store.scheduleGenerator(generatorInput(projectId, { now: clock.now(), cronExpr: "0 0 * * *", request: request({ url }) }));
    clock.set(T0 + 5_000);
    const run = await store.runGeneratorNow(projectId, id, clock.now());
    dispatcher.notify(run.scheduledAt);
    await attemptOf(run.triggerId, 1);
    expectNotBefore(sendsTo(url)[0], run.scheduledAt, "the extra run");
    expectNoClaimAheadOfTheClock();
  });

  it("a replay, not before it was asked for", async () => {
    const url = "https://target.example/replay";
    const id = await schedule(url, T0 + 1_000);
    clock.set(T0 + 1_000);
    await attemptOf(id, 1);
    clock.set(T0 + 60_000);
    const { scheduledAt } = await store.replay(projectId, id, clock.now());
    dispatcher.notify(scheduledAt);
    await attemptOf(id, 2);
    const [firstSent, replaySent] = sendsTo(url);
    expectNotBefore(firstSent, T0 + 1_000, "the first attempt");
    expectNotBefore(replaySent, scheduledAt, "the replay");
    expectNoClaimAheadOfTheClock();
  });

  it("an outcome callback, not before its trigger's outcome was recorded", async () => {
    const url = "https://target.example/with-callback";
    const callbackUrl = "https://callbacks.example/done";
    // The target takes 2 s (of the manual clock) to answer: the outcome is known only then.
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let started!: () => void;
    const sent = new Promise<void>((resolve) => {
      started = resolve;
    });
    respond = async (req) => {
      if (req.url !== url) return { status: 200 };
      started();
      await answered;
      return { status: 200 };
    };
    const { id } = await store.scheduleJob(
      jobInput(projectId, { now: clock.now(), scheduledAt: T0 + 1_000, request: request({ url }), delivery: { ...DELIVERY, callbackUrl } }),
    );
    dispatcher.notify(T0 + 1_000);
    clock.set(T0 + 1_000);
    await sent;
    clock.set(T0 + 3_000);
    answer();
    const parent = await attemptOf(id, 1);
    expect(parent.result.finishedAt).toBe(T0 + 3_000);
    const callback = await attempts.waitFor((e) => e.claim.origin === "callback");
    expect(callback.claim.url).toBe(callbackUrl);
    expectNotBefore(sendsTo(callbackUrl)[0], parent.result.finishedAt, "the outcome callback");
    expectNoClaimAheadOfTheClock();
  });
});
