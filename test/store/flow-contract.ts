import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WINDOW_MS, windowOf } from "../../src/store/flow-admission.js";
import type { Store } from "../../src/store/store.js";
import type { ClaimedTrigger, FlowLimits, ScheduleJobInput } from "../../src/store/types.js";
import { DELIVERY, type StoreFactory, finished, generatorInput, jobInput } from "./store-contract.js";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const LEASE = 30_000;
const KEY = "api.example.com";

/**
 * Flow control (`ttr-flow-key`, `ttr-flow-parallelism`, `ttr-flow-rate`) as every Store must
 * hold it: triggers over their flow's limits stay registered and wait — parked, or for a later
 * second — never start early, and are never lost.
 */
export function describeFlowContract(name: string, factory: StoreFactory): void {
  describe(`Flow control: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let project: string;
    let other: string;

    beforeEach(async () => {
      ({ store, dispose } = await factory());
      project = await store.ensureApiKey("a".repeat(64), "hg_aaaa", T0);
      other = await store.ensureApiKey("b".repeat(64), "hg_bbbb", T0);
    });
    afterEach(async () => {
      await dispose();
    });

    /** A one-shot of the flow, due at `at`; `limits` set the flow's. */
    const flowJob = (at: number, limits: FlowLimits | null = null, over: Partial<ScheduleJobInput> = {}) =>
      store.scheduleJob(jobInput(project, { scheduledAt: at, delivery: { ...DELIVERY, flowKey: KEY }, flowLimits: limits, ...over }));
    const claim = (now: number, limit = 50) => store.claimDue(now, limit, LEASE);
    const ids = (claims: ClaimedTrigger[]) => claims.map((c) => c.id);
    const succeed = (c: ClaimedTrigger, at: number) =>
      store.finishAttempt(finished(c, project, "succeeded", { startedAt: at, finishedAt: at, flowKey: KEY }));
    const waiting = async () => (await store.listTriggers(project, { waitingFor: "flow" }, { limit: 100 })).items;

    it("parallelism: starts at most N, parks the rest, and each attempt that ends lets the longest due one start", async () => {
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push((await flowJob(T0 + i, { parallelism: 2, rate: null })).id);
      const first = await claim(T0 + 10);
      expect(ids(first)).toEqual(jobs.slice(0, 2));
      // Parked: registered, visible as waiting, out of the due scans.
      expect((await waiting()).map((t) => [t.id, t.status, t.flowWaiting]).sort()).toEqual(
        jobs.slice(2).map((id) => [id, "registered", "parallelism"]).sort(),
      );
      expect(await claim(T0 + 20)).toEqual([]);
      expect(await store.listFlows(project, 10)).toEqual([{ key: KEY, parallelism: 2, rate: null, inFlight: 2, waiting: 3 }]);

      await succeed(first[0] as ClaimedTrigger, T0 + 30);
      const next = await claim(T0 + 40);
      expect(ids(next)).toEqual([jobs[2]]);
      // Un-parked at the time it was due: its nominal time is unchanged.
      expect(next[0]?.scheduledAt).toBe(T0 + 2);
      expect(await claim(T0 + 50)).toEqual([]);
      expect((await store.getTrigger(project, jobs[3] as string))?.flowWaiting).toBe("parallelism");
    });

    it("parallelism: a retry is an attempt of the flow, and waiting for it frees a place", async () => {
      const a = (await flowJob(T0, { parallelism: 1, rate: null })).id;
      const b = (await flowJob(T0 + 1)).id;
      const [claimA] = await claim(T0 + 10);
      expect(claimA?.id).toBe(a);
      // A fails and waits for its retry: B starts meanwhile.
      await store.finishAttempt(
        finished(claimA as ClaimedTrigger, project, "failed", { startedAt: T0 + 10, finishedAt: T0 + 20, retryAt: T0 + 100, flowKey: KEY }),
      );
      const [claimB] = await claim(T0 + 30);
      expect(claimB?.id).toBe(b);
      // A's retry is due but the flow is full: it is parked, not started, until B ends.
      expect(await claim(T0 + 100)).toEqual([]);
      expect((await store.getTrigger(project, a))?.flowWaiting).toBe("parallelism");
      await succeed(claimB as ClaimedTrigger, T0 + 150);
      const [retry] = await claim(T0 + 160);
      expect(retry).toMatchObject({ id: a, attempt: 2 });
    });

    it("parallelism: a released claim, an expired lease, a cancel and an edit keep the count right", async () => {
      const a = (await flowJob(T0, { parallelism: 1, rate: null })).id;
      const b = (await flowJob(T0 + 1)).id;
      const c = (await flowJob(T0 + 2)).id;
      expect(ids(await claim(T0 + 10))).toEqual([a]);
      // Given back at shutdown: A is due again and the first to start.
      await store.releaseClaims([a], T0 + 20);
      const [again] = await claim(T0 + 30);
      expect(again?.id).toBe(a);
      // A's node dies: its lease expires and A is claimed again, still the flow's one attempt.
      const afterLease = (again?.leaseUntil as number) + 1;
      expect(ids(await claim(afterLease))).toEqual([a]);
      // A parked trigger can be cancelled or edited: it no longer waits.
      await store.cancel({ projectId: project, triggerId: b, customKey: null, now: afterLease });
      expect((await store.getTrigger(project, b))).toMatchObject({ status: "cancelled", flowWaiting: null });
      await store.scheduleJob(jobInput(project, { triggerId: c, scheduledAt: afterLease + 1000, delivery: { ...DELIVERY, flowKey: KEY }, now: afterLease }));
      expect((await store.getTrigger(project, c))).toMatchObject({ status: "registered", scheduledAt: afterLease + 1000, flowWaiting: null });
      expect(await store.nextDueAt()).toBe(afterLease + 1000);
    });

    it("parallelism: raising the limit lets parked triggers start at once", async () => {
      for (let i = 0; i < 4; i++) await flowJob(T0 + i, { parallelism: 1, rate: null });
      expect(await claim(T0 + 10)).toHaveLength(1);
      expect(await waiting()).toHaveLength(3);
      await flowJob(T0 + 60_000, { parallelism: 3, rate: null });
      expect(await claim(T0 + 20)).toHaveLength(2);
      expect(await store.listFlows(project, 10)).toEqual([{ key: KEY, parallelism: 3, rate: null, inFlight: 3, waiting: 1 }]);
    });

    it("rate: at most N start in each second; the others wait for a later one, never starting early", async () => {
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push((await flowJob(T0, { parallelism: null, rate: 2 })).id);
      expect(await claim(T0 + 100)).toHaveLength(2);
      const held = await waiting();
      expect(held.map((t) => t.flowWaiting)).toEqual(["rate", "rate", "rate"]);
      expect(await claim(T0 + 999)).toEqual([]);
      expect(await store.nextDueAt()).toBe(T0 + WINDOW_MS);
      expect(await claim(T0 + WINDOW_MS)).toHaveLength(2);
      expect(await claim(T0 + WINDOW_MS + 500)).toEqual([]);
      expect(await claim(T0 + 2 * WINDOW_MS)).toHaveLength(1);
      expect(await waiting()).toEqual([]);
    });

    it("a flow is the project's own, a key alone sets no limit, and a callback is never held back", async () => {
      await flowJob(T0, { parallelism: 1, rate: null });
      // The same key in another project is another flow, without limits.
      for (let i = 0; i < 3; i++) {
        await store.scheduleJob(jobInput(other, { scheduledAt: T0, delivery: { ...DELIVERY, flowKey: KEY } }));
      }
      // A key no request gave limits to holds nothing back.
      for (let i = 0; i < 2; i++) await store.scheduleJob(jobInput(project, { scheduledAt: T0, delivery: { ...DELIVERY, flowKey: "free" } }));
      const claimed = await claim(T0 + 10);
      expect(claimed).toHaveLength(6);
      const limited = claimed.find((c) => c.projectId === project && c.delivery.flowKey === KEY) as ClaimedTrigger;
      await store.finishAttempt(
        finished(limited, project, "succeeded", {
          flowKey: KEY,
          callbacks: [{ url: "https://example.com/cb", body: new Uint8Array([123, 125]), delivery: { ...DELIVERY, flowKey: null } }],
        }),
      );
      const [callback] = await claim(T0 + 20);
      expect(callback).toMatchObject({ origin: "callback", delivery: { flowKey: null } });
    });

    it("a generator's instances belong to its flow; a parked tick does not advance the generator", async () => {
      await flowJob(T0, { parallelism: 1, rate: null });
      const gen = await store.scheduleGenerator(
        generatorInput(project, { delivery: { ...DELIVERY, flowKey: KEY }, cronExpr: "*/10 * * * * *", now: T0 }),
      );
      expect(await claim(T0 + 10_000)).toHaveLength(1);
      // The tick is parked behind the one-shot: still the generator's one pending instance.
      const pending = await store.listTriggers(project, { generatorId: gen.id }, { limit: 10 });
      expect(pending.items.map((t) => [t.status, t.flowWaiting, t.delivery.flowKey])).toEqual([["registered", "parallelism", KEY]]);
      expect((await store.getGenerator(project, gen.id))?.pendingTriggerId).toBe(pending.items[0]?.id);
    });

    it("never early and never over the limits, over random schedules, limits and claim times", async () => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      for (let round = 0; round < 3; round++) {
        const key = `flow-${round}`;
        const limits = { parallelism: random() < 0.3 ? null : 1 + Math.floor(random() * 3), rate: random() < 0.3 ? null : 1 + Math.floor(random() * 4) };
        const due = new Map<string, number>();
        for (let i = 0; i < 12; i++) {
          const at = T0 + Math.floor(random() * 3000);
          const r = await store.scheduleJob(jobInput(project, { scheduledAt: at, delivery: { ...DELIVERY, flowKey: key }, flowLimits: limits }));
          due.set(r.id, at);
        }
        const inFlight: ClaimedTrigger[] = [];
        const startsByWindow = new Map<number, number>();
        const done = new Set<string>();
        let now = T0;
        // Under 40 s in all: no lease (60 s) expires while its attempt is in flight here.
        for (let step = 0; step < 200 && done.size < due.size; step++) {
          now += Math.floor(random() * 200);
          for (const c of await claim(now, 1 + Math.floor(random() * 8))) {
            expect(now).toBeGreaterThanOrEqual(due.get(c.id) as number);
            startsByWindow.set(windowOf(now), (startsByWindow.get(windowOf(now)) ?? 0) + 1);
            inFlight.push(c);
          }
          if (limits.parallelism !== null) expect(inFlight.length).toBeLessThanOrEqual(limits.parallelism);
          while (inFlight.length > 0 && random() < 0.6) {
            const c = inFlight.splice(Math.floor(random() * inFlight.length), 1)[0] as ClaimedTrigger;
            await store.finishAttempt(finished(c, project, "succeeded", { startedAt: now, finishedAt: now, flowKey: key }));
            done.add(c.id);
          }
        }
        expect(done.size).toBe(due.size);
        if (limits.rate !== null) for (const n of startsByWindow.values()) expect(n).toBeLessThanOrEqual(limits.rate);
      }
    });
  });
}
