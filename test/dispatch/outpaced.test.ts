import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/clock.js";
import type { DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { Dispatcher } from "../../src/dispatch/dispatcher.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import type { RequestTemplate } from "../../src/store/types.js";
import { DELIVERY, jobInput, request } from "../store/store-contract.js";
import { AttemptLog } from "../support/attempts.js";
import { type DispatchFixture, interceptClaims, openDispatchFixture } from "../support/dispatch-fixture.js";

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const OUTPACED_DELAY_MS = 10;
const silent = pino({ level: "silent" });
const log = { error: silent.error.bind(silent), debug: silent.debug.bind(silent) };

interface Node {
  name: string;
  dispatcher: Dispatcher;
  attempts: AttemptLog;
  /** The `now` of each claim this node made, with what it got. */
  claims: { now: number; claimed: number }[];
}

/**
 * Two dispatchers on one store and one clock, as two nodes of a cluster: once one of them finds
 * that the other claimed the trigger it woke for, it looks for later triggers OUTPACED_DELAY_MS
 * after their due time — one claim per trigger instead of one per node — until it claims one.
 */
describe("dispatcher: a node outpaced by another backs off", () => {
  let fixture: DispatchFixture;
  let store: KyselyStore;
  let clock: ManualClock;
  let projectId: string;
  let nodes: Node[];

  const node = (name: string): Node => {
    const claims: Node["claims"] = [];
    const recording = interceptClaims(store, async ([now], claim) => {
      const entry = { now, claimed: 0 };
      claims.push(entry);
      const claimed = await claim();
      entry.claimed = claimed.length;
      return claimed;
    });
    const deliver = async (req: RequestTemplate): Promise<DeliveryOutcome> => {
      void req;
      const at = clock.now();
      return { ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: at, finishedAt: at };
    };
    const options = { concurrency: 16, batchSize: 16, leaseMarginMs: 30_000, maxIdleMs: 60_000, callbackPolicy: DELIVERY, signingSecretsTtlMs: 1_000 };
    const dispatcher = new Dispatcher(recording, clock, deliver, { ...options, outpacedDelayMs: () => OUTPACED_DELAY_MS }, log);
    const attempts = new AttemptLog(dispatcher);
    dispatcher.start();
    return { name, dispatcher, attempts, claims };
  };

  beforeEach(async () => {
    fixture = await openDispatchFixture(T0);
    ({ store, clock, projectId } = fixture);
    nodes = [node("A"), node("B")];
    await Promise.all(nodes.map((n) => n.dispatcher.whenIdle()));
  });
  afterEach(async () => {
    for (const n of nodes) await n.dispatcher.stop(0);
    await fixture.dispose();
  });

  /** A one-shot due at `at`, announced to `to` as /schedule and the cluster's messages do. */
  const schedule = async (at: number, to: Node[]): Promise<string> => {
    const { id } = await store.scheduleJob(jobInput(projectId, { now: clock.now(), scheduledAt: at, request: request({ url: `https://target.example/${at}` }) }));
    for (const n of to) n.dispatcher.notify(at);
    return id;
  };
  const claimsAt = (n: Node, at: number) => n.claims.filter((c) => c.now === at);

  it("wakes after the others for what is due until it claims something, then on time again", async () => {
    await schedule(T0 + 100, nodes);
    clock.set(T0 + 100);
    await Promise.all(nodes.map((n) => n.dispatcher.whenIdle()));
    // Both woke at the due instant; one of them claimed the trigger.
    expect(nodes.map((n) => claimsAt(n, T0 + 100).length)).toEqual([1, 1]);
    const winner = nodes.find((n) => claimsAt(n, T0 + 100)[0]?.claimed === 1) as Node;
    const loser = nodes.find((n) => n !== winner) as Node;
    expect(claimsAt(loser, T0 + 100)[0]?.claimed).toBe(0);

    // The next trigger: the winner claims it at its due instant, the loser looks 10 ms later.
    const second = await schedule(T0 + 200, nodes);
    clock.set(T0 + 200);
    await winner.attempts.waitFor((e) => e.claim.id === second);
    expect(claimsAt(loser, T0 + 200)).toEqual([]);
    clock.set(T0 + 200 + OUTPACED_DELAY_MS);
    await loser.dispatcher.whenIdle();
    expect(claimsAt(loser, T0 + 200 + OUTPACED_DELAY_MS)).toEqual([{ now: T0 + 200 + OUTPACED_DELAY_MS, claimed: 0 }]);

    // The winner is gone: the loser takes the next trigger 10 ms late, then is on time again.
    await winner.dispatcher.stop(0);
    const third = await schedule(T0 + 300, [loser]);
    clock.set(T0 + 300);
    expect(claimsAt(loser, T0 + 300)).toEqual([]);
    clock.set(T0 + 300 + OUTPACED_DELAY_MS);
    await loser.attempts.waitFor((e) => e.claim.id === third);
    const fourth = await schedule(T0 + 400, [loser]);
    clock.set(T0 + 400);
    await loser.attempts.waitFor((e) => e.claim.id === fourth);
    expect(claimsAt(loser, T0 + 400)).toEqual([{ now: T0 + 400, claimed: 1 }]);
  });
});
