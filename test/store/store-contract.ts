import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GoneError, InvalidInputError, NotFoundError, QuotaExceededError } from "../../src/errors.js";
import type { Store } from "../../src/store/store.js";
import type {
  AttemptResult,
  BulkAction,
  BulkFilter,
  BulkStepResult,
  DeliveryPolicy,
  RequestTemplate,
  ScheduleGeneratorInput,
  ScheduleJobInput,
  TriggerFilter,
} from "../../src/store/types.js";

/** Creates a fresh, empty store; `dispose` closes and removes it. */
export type StoreFactory = () => Promise<{ store: Store; dispose: () => Promise<void> }>;

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const SUPERSEDED = "the next tick came due while this run was in flight (ttr-overlap: cancel-previous)";
/** Lease margin; with the default 30 s timeout a claim is owned for LEASE + 30 s. */
const LEASE = 30_000;
const TIMEOUT = 30_000;
export const DELIVERY: DeliveryPolicy = { retries: 3, retryDelayMs: 10_000, timeoutMs: TIMEOUT, callbackUrl: null, failureUrl: null, successStatus: null, retryOn: null, flowKey: null };

export function request(overrides: Partial<RequestTemplate> = {}): RequestTemplate {
  return {
    method: "POST",
    url: "https://example.com/hook?a=1",
    headers: [
      ["Content-Type", "application/json"],
      ["X-Dup", "1"],
      ["x-dup", "2"],
    ],
    body: new Uint8Array([0x7b, 0x7d]),
    ...overrides,
  };
}

/** A final attempt result for `claim` (no retry, no callbacks). */
export function finished(
  claim: { id: string; attempt: number },
  projectId: string,
  outcome: "succeeded" | "failed",
  over: Partial<AttemptResult> = {},
): AttemptResult {
  return {
    triggerId: claim.id,
    projectId,
    attempt: claim.attempt,
    startedAt: T0,
    finishedAt: T0 + 5,
    outcome,
    httpStatus: outcome === "succeeded" ? 200 : 500,
    error: outcome === "succeeded" ? null : "HTTP 500",
    responseHeaders: [],
    responseExcerpt: null,
    retryAt: null,
    callbacks: [],
    ...over,
  };
}

/**
 * The behaviour every Store must have. Run by each implementation's test file, so SQLite and
 * PostgreSQL are held to the same contract.
 */
/** What every schedule input below starts from: no key or id, the default request and delivery, at T0. */
function commonInput(projectId: string) {
  return { projectId, customKey: null, triggerId: null, request: request(), delivery: DELIVERY, title: null, tags: [], now: T0 };
}

/** A one-shot's store input for `projectId`, due 10 s after T0. */
export function jobInput(projectId: string, over: Partial<ScheduleJobInput> = {}): ScheduleJobInput {
  return { ...commonInput(projectId), scheduledAt: T0 + 10_000, ...over };
}

/** A generator's store input for `projectId`: every 10 s in UTC, missed runs once, overlap allowed. */
export function generatorInput(projectId: string, over: Partial<ScheduleGeneratorInput> = {}): ScheduleGeneratorInput {
  return { ...commonInput(projectId), cronExpr: "*/10 * * * * *", cronTz: "UTC", runMissed: "once", overlap: "allow", endsAt: null, maxRuns: null, ...over };
}

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let projectA: string;
    let projectB: string;

    const job = (over: Partial<ScheduleJobInput> = {}): ScheduleJobInput => jobInput(projectA, over);
    const generator = (over: Partial<ScheduleGeneratorInput> = {}): ScheduleGeneratorInput => generatorInput(projectA, over);
    const pendingOf = async (generatorId: string) =>
      (await store.listTriggers(projectA, { generatorId, status: "registered" }, { limit: 10 })).items;

    beforeEach(async () => {
      ({ store, dispose } = await factory());
      projectA = await store.ensureApiKey("a".repeat(64), "hg_aaaa", T0);
      projectB = await store.ensureApiKey("b".repeat(64), "hg_bbbb", T0);
    });
    afterEach(async () => {
      await dispose();
    });

    describe("projects and keys", () => {
      it("ensures a key once and finds its project by digest", async () => {
        expect(await store.ensureApiKey("a".repeat(64), "hg_aaaa", T0)).toBe(projectA);
        expect(projectA).not.toBe(projectB);
        expect(await store.findApiKey("a".repeat(64))).toEqual({ projectId: projectA, keyId: expect.any(String), keyHash: "a".repeat(64), rateLimit: null });
        expect(await store.findApiKey("c".repeat(64))).toBeNull();
        expect(await store.countApiKeys()).toBe(2);
      });

      it("revokes a configured key once it is no longer configured, and never a key it did not configure", async () => {
        const [c, d] = [{ hash: "c".repeat(64), prefix: "hg_cccc" }, { hash: "d".repeat(64), prefix: "hg_dddd" }];
        expect(await store.provisionApiKeys([c, d], T0)).toEqual([]);
        const projectC = (await store.findApiKey(c.hash))?.projectId;
        expect(await store.provisionApiKeys([c], T0 + 1)).toEqual(["hg_dddd"]);
        expect(await store.findApiKey(d.hash)).toBeNull();
        expect((await store.findApiKey(c.hash))?.projectId).toBe(projectC);
        // "a" and "b" were ensured but never configured: an empty list leaves them alone.
        expect(await store.provisionApiKeys([], T0 + 2)).toEqual(["hg_cccc"]);
        expect(await store.findApiKey("a".repeat(64))).not.toBeNull();
        // A revoked key listed again stays revoked: revocation is not undone by configuration.
        expect(await store.provisionApiKeys([d], T0 + 3)).toEqual([]);
        expect(await store.findApiKey(d.hash)).toBeNull();
      });
    });

    describe("project defaults", () => {
      it("stores a project's delivery defaults: set, kept when not named, removed by null", async () => {
        const none = { retries: null, retryDelayMs: null, timeoutMs: null, callbackUrl: null, failureUrl: null };
        expect(await store.getProjectDefaults(projectA)).toEqual(none);
        const set = { retries: 5, retryDelayMs: 60_000, timeoutMs: 5_000, callbackUrl: "https://example.com/cb", failureUrl: "https://example.com/f" };
        expect((await store.updateProject(projectA, { defaults: set }, T0)).defaults).toEqual(set);
        expect(await store.getProjectDefaults(projectA)).toEqual(set);
        await store.updateProject(projectA, { name: "renamed", defaults: { retries: null, callbackUrl: null } }, T0);
        expect(await store.getProjectDefaults(projectA)).toEqual({ ...set, retries: null, callbackUrl: null });
        expect((await store.listProjects(T0)).find((p) => p.id === projectB)?.defaults).toEqual(none);
        expect(await store.getProjectDefaults("01ARZ3NDEKTSV4RRFFQ69G5FAV")).toEqual(none);
      });
    });

    describe("one-shot triggers", () => {
      it("stores the request byte-exact: non-UTF-8 body, header order, duplicates and case", async () => {
        const body = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a, 0x0d]);
        const result = await store.scheduleJob(job({ request: request({ body }) }));
        expect(result).toEqual({
          operation: "schedule",
          kind: "job",
          id: expect.any(String),
          scheduledAt: T0 + 10_000,
          monthQuotaRemaining: null,
        });
        const stored = await store.getTrigger(projectA, result.id);
        expect(stored?.body).toEqual(body);
        expect(stored?.headers).toEqual(request().headers);
        expect(stored?.status).toBe("registered");
      });

      it("keeps its success and retry rules, created alone, with a key, and edited", async () => {
        const delivery = { ...DELIVERY, successStatus: "2xx,409", retryOn: "5xx", flowKey: null };
        const alone = await store.scheduleJob(job({ delivery }));
        const keyed = await store.scheduleJob(job({ delivery, customKey: "rules" }));
        expect((await store.getTrigger(projectA, alone.id))?.delivery).toEqual(delivery);
        expect((await store.getTrigger(projectA, keyed.id))?.delivery).toEqual(delivery);
        await store.scheduleJob(job({ customKey: "rules", now: T0 + 1 }));
        expect((await store.getTrigger(projectA, keyed.id))?.delivery).toEqual(DELIVERY);
        const claimed = await store.claimDue(T0 + 10_000, 10, LEASE);
        expect(claimed.find((c) => c.id === alone.id)?.delivery).toEqual(delivery);
      });

      it("keeps a null body apart from an empty one", async () => {
        const none = await store.scheduleJob(job({ request: request({ method: "GET", body: null }) }));
        const empty = await store.scheduleJob(job({ request: request({ body: new Uint8Array(0) }) }));
        expect((await store.getTrigger(projectA, none.id))?.body).toBeNull();
        expect((await store.getTrigger(projectA, empty.id))?.body).toEqual(new Uint8Array(0));
      });

      it("edits in place by custom key, then frees the key once the trigger has executed", async () => {
        const first = await store.scheduleJob(job({ customKey: "order-42" }));
        const again = await store.scheduleJob(
          job({ customKey: "order-42", scheduledAt: T0 + 20_000, title: "moved", request: request({ method: "PUT" }) }),
        );
        expect(again).toMatchObject({ id: first.id, operation: "reschedule", scheduledAt: T0 + 20_000 });
        const edited = await store.getTrigger(projectA, first.id);
        expect(edited).toMatchObject({ method: "PUT", title: "moved", scheduledAt: T0 + 20_000 });

        const [claim] = await store.claimDue(T0 + 20_000, 10, LEASE);
        // In flight: the key still belongs to it, and it cannot be edited.
        await expect(store.scheduleJob(job({ customKey: "order-42" }))).rejects.toMatchObject({ code: "trigger_running" });
        await store.finishAttempt(finished(claim!, projectA, "succeeded"));
        const fresh = await store.scheduleJob(job({ customKey: "order-42" }));
        expect(fresh.operation).toBe("schedule");
        expect(fresh.id).not.toBe(first.id);
      });

      it("collapses concurrent creates with one new custom key into one trigger", async () => {
        const results = await Promise.all(
          Array.from({ length: 25 }, () => store.scheduleJob(job({ customKey: "race" }))),
        );
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        expect(results.filter((r) => r.operation === "schedule")).toHaveLength(1);
        expect((await store.listTriggers(projectA, { customKey: "race" }, { limit: 50 })).items).toHaveLength(1);
      });

      it("edits by trigger id, and refuses unknown, foreign, executed and cancelled ids", async () => {
        const { id } = await store.scheduleJob(job());
        const edited = await store.scheduleJob(job({ triggerId: id, scheduledAt: T0 + 5_000 }));
        expect(edited).toMatchObject({ id, operation: "reschedule", scheduledAt: T0 + 5_000 });

        await expect(store.scheduleJob(job({ triggerId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.scheduleJob(job({ projectId: projectB, triggerId: id }))).rejects.toBeInstanceOf(NotFoundError);

        await store.claimDue(T0 + 5_000, 10, LEASE);
        await expect(store.scheduleJob(job({ triggerId: id }))).rejects.toMatchObject({ code: "trigger_running" });

        const other = await store.scheduleJob(job());
        await store.cancel({ projectId: projectA, triggerId: other.id, customKey: null, now: T0 });
        await expect(store.scheduleJob(job({ triggerId: other.id }))).rejects.toBeInstanceOf(GoneError);
      });

      it("refuses a trigger id together with a custom key it does not have", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "k1" }));
        await expect(store.scheduleJob(job({ triggerId: id, customKey: "k2" }))).rejects.toMatchObject({
          code: "conflicting_identifiers",
        });
        await expect(store.scheduleJob(job({ triggerId: id, customKey: "k1" }))).resolves.toMatchObject({ id });
      });
    });

    describe("batches and partial edits (the JSON API)", () => {
      it("schedules a batch in one transaction, undoing a refused item alone", async () => {
        await store.updateProject(projectA, { monthQuota: 2 }, T0);
        const outcomes = await store.scheduleBatch([
          job({ customKey: "b1" }),
          job({ triggerId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }),
          job({ customKey: "b2" }),
          job({ customKey: "b3" }),
          job({ customKey: "b1", scheduledAt: T0 + 60_000 }),
        ]);
        expect(outcomes.map((o) => (o.ok ? o.result.operation : o.error.code))).toEqual([
          "schedule",
          "trigger_not_found",
          "schedule",
          "quota_exceeded",
          "reschedule",
        ]);
        const stored = (await store.listTriggers(projectA, {}, { limit: 10 })).items;
        expect(stored.map((t) => [t.customKey, t.scheduledAt]).sort()).toEqual([
          ["b1", T0 + 60_000],
          ["b2", T0 + 10_000],
        ]);
      });

      it("edits a waiting one-shot from its current state, refusing what an edit by id refuses", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "k", title: "before" }));
        const seen: string[] = [];
        const result = await store.editJob(projectA, id, (current) => {
          seen.push(`${current.title}@${current.scheduledAt}`);
          return job({ customKey: current.customKey, title: "after", scheduledAt: current.scheduledAt + 1_000 });
        });
        expect(seen).toEqual([`before@${T0 + 10_000}`]);
        expect(result).toMatchObject({ id, operation: "reschedule", scheduledAt: T0 + 11_000 });
        expect(await store.getTrigger(projectA, id)).toMatchObject({ title: "after", customKey: "k" });
        await expect(store.editJob(projectA, id, () => job({ customKey: "other" }))).rejects.toMatchObject({ code: "conflicting_identifiers" });
        await expect(store.editJob(projectB, id, () => job())).rejects.toBeInstanceOf(NotFoundError);
        const { id: generatorId } = await store.scheduleGenerator(generator());
        await expect(store.editJob(projectA, generatorId, () => job())).rejects.toMatchObject({ code: "kind_mismatch" });
        await store.claimDue(T0 + 11_000, 10, LEASE);
        await expect(store.editJob(projectA, id, () => job())).rejects.toMatchObject({ code: "trigger_running" });
      });

      it("edits and pauses a generator in one transaction, and resumes it on the edited schedule", async () => {
        const { id } = await store.scheduleGenerator(generator());
        await store.editGenerator(projectA, id, (current) => generator({ cronExpr: "0 * * * * *", title: `${current.cronExpr}!` }), true, T0);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "paused", cronExpr: "0 * * * * *", title: "*/10 * * * * *!", nextAt: null });
        expect(await pendingOf(id)).toEqual([]);
        await store.editGenerator(projectA, id, null, false, T0);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "active", nextAt: T0 + 60_000 });
        await expect(store.editGenerator(projectA, id, null, true, T0).then(() => store.editGenerator(projectB, id, null, false, T0))).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("claiming", () => {
      it("never claims before the due instant, claims at it, in due order", async () => {
        const late = await store.scheduleJob(job({ scheduledAt: T0 + 2_000 }));
        const early = await store.scheduleJob(job({ scheduledAt: T0 + 1_000 }));
        expect(await store.claimDue(T0 + 999, 10, LEASE)).toEqual([]);
        expect(await store.nextDueAt()).toBe(T0 + 1_000);
        const claimed = await store.claimDue(T0 + 2_000, 10, LEASE);
        expect(claimed.map((c) => c.id)).toEqual([early.id, late.id]);
        expect(claimed[0]).toMatchObject({ attempt: 1, leaseUntil: T0 + 2_000 + LEASE + TIMEOUT, method: "POST" });
        expect(claimed[0]?.body).toEqual(request().body);
      });

      it("respects the batch limit", async () => {
        for (let i = 0; i < 5; i++) await store.scheduleJob(job({ scheduledAt: T0 + i }));
        expect(await store.claimDue(T0 + 10, 3, LEASE)).toHaveLength(3);
        expect(await store.claimDue(T0 + 10, 3, LEASE)).toHaveLength(2);
        expect(await store.claimDue(T0 + 10, 3, LEASE)).toHaveLength(0);
      });

      it("claims an expired lease again as a new attempt, and fences the stale attempt's outcome", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        const [first] = await store.claimDue(T0, 10, LEASE);
        const leaseEnd = T0 + LEASE + TIMEOUT;
        expect(await store.claimDue(leaseEnd - 1, 10, LEASE)).toEqual([]);
        expect(await store.nextDueAt()).toBe(leaseEnd);
        const [second] = await store.claimDue(leaseEnd, 10, LEASE);
        expect(second).toMatchObject({ id, attempt: 2 });

        const attempt = (n: number, outcome: "succeeded" | "failed") => ({
          triggerId: id,
          projectId: projectA,
          attempt: n,
          startedAt: T0,
          finishedAt: T0 + 5,
          outcome,
          httpStatus: outcome === "succeeded" ? 200 : 500,
          error: null,
          responseHeaders: [],
          responseExcerpt: "ok",
          retryAt: null,
          callbacks: [],
        });
        await store.finishAttempt(attempt(first?.attempt ?? 0, "failed"));
        expect((await store.getTrigger(projectA, id))?.status).toBe("running");
        await store.finishAttempt(attempt(2, "succeeded"));
        const done = await store.getTrigger(projectA, id);
        expect(done).toMatchObject({ status: "succeeded", finishedAt: T0 + 5, attempts: 2 });
        const history = await store.listExecutions(projectA, { triggerId: id }, { limit: 10 });
        expect(history.items.map((e) => [e.attempt, e.outcome, e.httpStatus, e.durationMs])).toEqual([
          [2, "succeeded", 200, 5],
          [1, "failed", 500, 5],
        ]);
        expect(await store.nextDueAt()).toBeNull();
      });

      it("releases claims so they are due again at once", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        await store.claimDue(T0, 10, LEASE);
        await store.releaseClaims([id], T0 + 1);
        const [again] = await store.claimDue(T0 + 1, 10, LEASE);
        expect(again).toMatchObject({ id, attempt: 1 });
      });
    });

    /*
     * Claiming ahead: claimDue(now, …, dueBy) also takes plain attempts due by `dueBy`, each with
     * the time it may start; what a claim decides about generators, flows and leases stays at `now`.
     */
    describe("claiming ahead of the due time", () => {
      it("takes one-shots, retries and callbacks due by dueBy, each with its start time, leased from dueBy", async () => {
        const oneShot = await store.scheduleJob(job({ scheduledAt: T0 + 10_000 }));
        const retried = await store.scheduleJob(job({ scheduledAt: T0 }));
        const [first] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(first!, projectA, "failed", { finishedAt: T0 + 5, retryAt: T0 + 10_005 }));
        const beyond = await store.scheduleJob(job({ scheduledAt: T0 + 10_021 }));
        const claimed = await store.claimDue(T0 + 10_000 - 20, 10, LEASE, undefined, T0 + 10_020);
        expect(claimed.map((c) => [c.id, c.attempt, c.startAt, c.leaseUntil])).toEqual([
          [oneShot.id, 1, T0 + 10_000, T0 + 10_020 + LEASE + TIMEOUT],
          [retried.id, 2, T0 + 10_005, T0 + 10_020 + LEASE + TIMEOUT],
        ]);
        expect((await store.getTrigger(projectA, oneShot.id))?.status).toBe("running");
        expect(await store.nextDueAt()).toBe(T0 + 10_021);
        expect((await store.claimDue(T0 + 10_021, 10, LEASE)).map((c) => c.id)).toEqual([beyond.id]);
      });

      it("takes them ahead for several projects at once, fairly", async () => {
        const a = await store.scheduleJob(job({ scheduledAt: T0 + 10_000 }));
        const b = await store.scheduleJob(job({ projectId: projectB, scheduledAt: T0 + 10_010 }));
        const claimed = await store.claimDue(T0 + 9_990, 10, LEASE, { capacity: 10, inFlight: new Map() }, T0 + 10_010);
        expect(claimed.map((c) => [c.id, c.startAt]).sort()).toEqual([[a.id, T0 + 10_000], [b.id, T0 + 10_010]].sort());
      });

      it("takes a generator's first tick, a flow's trigger and an expired lease only once due by now", async () => {
        const { id: generatorId } = await store.scheduleGenerator(generator());
        const [tick] = await pendingOf(generatorId);
        const flowed = await store.scheduleJob(job({ scheduledAt: T0 + 10_000, delivery: { ...DELIVERY, flowKey: "f" } }));
        const leased = await store.scheduleJob(job({ scheduledAt: T0 - LEASE - TIMEOUT + 10_000 }));
        await store.claimDue(T0 - LEASE - TIMEOUT + 10_000, 10, LEASE);
        expect(await store.claimDue(T0 + 9_999, 10, LEASE, undefined, T0 + 10_050)).toEqual([]);
        // Due by now, with a plain one-shot due ahead: all of them in one claim.
        const plain = await store.scheduleJob(job({ scheduledAt: T0 + 10_030 }));
        const claimed = await store.claimDue(T0 + 10_000, 10, LEASE, undefined, T0 + 10_050);
        expect(claimed.map((c) => [c.id, c.attempt, c.startAt]).sort()).toEqual(
          [
            [tick!.id, 1, T0 + 10_000],
            [flowed.id, 1, T0 + 10_000],
            [leased.id, 2, T0 + 10_000],
            [plain.id, 1, T0 + 10_030],
          ].sort(),
        );
        // The tick's claim materialized the next one, from the tick's own time.
        expect((await pendingOf(generatorId)).map((t) => t.scheduledAt)).toEqual([T0 + 20_000]);
      });

      it("gives a claim made ahead back due at its own due time", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 + 10_000 }));
        await store.claimDue(T0 + 9_990, 10, LEASE, undefined, T0 + 10_010);
        await store.releaseClaims([id], T0 + 9_995, T0 + 10_000);
        expect(await store.claimDue(T0 + 9_999, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(T0 + 10_000, 10, LEASE)).toEqual([expect.objectContaining({ id, attempt: 1, startAt: T0 + 10_000 })]);
      });
    });

    /*
     * Never early (issue 15 item 8): claimDue(now) must not return a trigger whose due instant is
     * after `now`, whatever made it due. Each case claims one millisecond before the due instant
     * (nothing of it may come back) and then at it (it must). A store that compares
     * `due_at <= now + δ` for any δ > 0 fails all of them.
     */
    describe("never early: nothing is claimed before its due instant", () => {
      /** Claims at `due - 1` (must not return `id`), then at `due` (must return it, as attempt `attempt`). */
      const expectDueAt = async (id: string, due: number, attempt: number) => {
        const before = await store.claimDue(due - 1, 10, LEASE);
        expect(before.filter((c) => c.id === id), `claimed at ${due - 1}, due at ${due}`).toEqual([]);
        const at = await store.claimDue(due, 10, LEASE);
        expect(at.filter((c) => c.id === id).map((c) => c.attempt)).toEqual([attempt]);
        return at;
      };

      it("a one-shot's first attempt", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 + 10_000 }));
        await expectDueAt(id, T0 + 10_000, 1);
      });

      it("a one-shot moved later by an edit: due at its new time, not its old one", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "moved", scheduledAt: T0 + 10_000 }));
        await store.scheduleJob(job({ customKey: "moved", scheduledAt: T0 + 20_000 }));
        expect((await store.claimDue(T0 + 10_000, 10, LEASE)).map((c) => c.id)).not.toContain(id);
        await expectDueAt(id, T0 + 20_000, 1);
      });

      it("a retry", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "failed", { finishedAt: T0 + 5, retryAt: T0 + 10_000 }));
        await expectDueAt(id, T0 + 10_000, 2);
      });

      it("a generator's tick, and the next tick its claim materializes", async () => {
        const { id } = await store.scheduleGenerator(generator({ now: T0 + 1 }));
        const [first] = await pendingOf(id);
        await expectDueAt(first!.id, T0 + 10_000, 1);
        const [next] = await pendingOf(id);
        expect(next?.scheduledAt).toBe(T0 + 20_000);
        await expectDueAt(next!.id, T0 + 20_000, 1);
      });

      it("a generator's tick after an edit moved its schedule later", async () => {
        const { id } = await store.scheduleGenerator(generator({ customKey: "g" }));
        await store.scheduleGenerator(generator({ customKey: "g", cronExpr: "*/30 * * * * *", now: T0 + 1 }));
        expect(await store.claimDue(T0 + 10_000, 10, LEASE)).toEqual([]);
        const [pending] = await pendingOf(id);
        await expectDueAt(pending!.id, T0 + 30_000, 1);
      });

      it("a generator instance's retry, while its next tick waits", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        await store.finishAttempt(finished(first!, projectA, "failed", { finishedAt: T0 + 10_005, retryAt: T0 + 15_000 }));
        await expectDueAt(first!.id, T0 + 15_000, 2);
        const [tick] = await pendingOf(id);
        await expectDueAt(tick!.id, T0 + 20_000, 1);
      });

      it("a generator's extra run, due when it was asked for", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const run = await store.runGeneratorNow(projectA, id, T0 + 5_000);
        expect(run.scheduledAt).toBe(T0 + 5_000);
        await expectDueAt(run.triggerId, T0 + 5_000, 1);
      });

      it("a replay, due when it was asked for", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "succeeded"));
        expect(await store.replay(projectA, id, T0 + 1_000)).toEqual({ scheduledAt: T0 + 1_000 });
        await expectDueAt(id, T0 + 1_000, 2);
      });

      it("an outcome callback, due when its trigger's outcome was recorded", async () => {
        const delivery = { ...DELIVERY, callbackUrl: "https://cb.example/all" };
        await store.scheduleJob(job({ scheduledAt: T0, delivery }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        const callbacks = [{ url: "https://cb.example/all", body: new Uint8Array([123, 125]), delivery: DELIVERY }];
        await store.finishAttempt(finished(claim!, projectA, "succeeded", { finishedAt: T0 + 2_000, callbacks }));
        const [callback] = (await store.listTriggers(projectA, { kind: "callback" }, { limit: 10 })).items;
        await expectDueAt(callback!.id, T0 + 2_000, 1);
      });

      it("an expired lease, taken over only once it has expired", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        await store.claimDue(T0, 10, LEASE);
        await expectDueAt(id, T0 + LEASE + TIMEOUT, 2);
      });

      it("a released claim, due when it was released", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        await store.claimDue(T0, 10, LEASE);
        await store.releaseClaims([id], T0 + 3_000);
        await expectDueAt(id, T0 + 3_000, 1);
      });

      it("a batch claimed at `now` holds only what is due by `now`, for every project", async () => {
        // Due every 7 ms from T0 in two projects; claims every 5 ms take exactly what has come due.
        const dueOf = new Map<string, number>();
        for (let i = 0; i < 40; i++) {
          const at = T0 + i * 7;
          dueOf.set((await store.scheduleJob(job({ scheduledAt: at }))).id, at);
          dueOf.set((await store.scheduleJob(job({ projectId: projectB, scheduledAt: at + 3 }))).id, at + 3);
        }
        const claimedAt = new Map<string, number>();
        for (let now = T0 - 5; claimedAt.size < dueOf.size; now += 5) {
          for (const c of await store.claimDue(now, 8, LEASE)) claimedAt.set(c.id, now);
        }
        for (const [id, now] of claimedAt) expect(dueOf.get(id)).toBeLessThanOrEqual(now);
      });
    });

    describe("generators", () => {
      it("materializes exactly one pending instance, the next one in the claim, from the nominal time", async () => {
        const created = await store.scheduleGenerator(generator({ now: T0 + 1 }));
        expect(created).toMatchObject({ kind: "generator", operation: "schedule", scheduledAt: T0 + 10_000 });
        expect(await pendingOf(created.id)).toHaveLength(1);

        // Claimed 3.5 s late: the next tick still comes from the nominal time, not from now.
        const [claimed] = await store.claimDue(T0 + 13_500, 10, LEASE);
        expect(claimed).toMatchObject({ generatorId: created.id, scheduledAt: T0 + 10_000 });
        const pending = await pendingOf(created.id);
        expect(pending.map((t) => t.scheduledAt)).toEqual([T0 + 20_000]);
        expect((await store.getGenerator(projectA, created.id))?.nextAt).toBe(T0 + 20_000);
      });

      it("keeps the invariant over many ticks", async () => {
        const { id } = await store.scheduleGenerator(generator());
        for (let tick = 1; tick <= 12; tick++) {
          // A lease longer than the test: the earlier instances stay claimed, never re-claimed.
          const claimed = await store.claimDue(T0 + tick * 10_000, 10, 3_600_000);
          expect(claimed.filter((c) => c.generatorId === id).map((c) => c.scheduledAt)).toEqual([T0 + tick * 10_000]);
          expect(await pendingOf(id)).toHaveLength(1);
        }
        const all = await store.listTriggers(projectA, { generatorId: id }, { limit: 100 });
        expect(all.items).toHaveLength(13);
      });

      it("snapshots the generator's request into each instance", async () => {
        const body = new Uint8Array([1, 2, 3, 255]);
        const delivery = { ...DELIVERY, successStatus: "2xx,409", retryOn: "429,network", flowKey: null };
        const { id } = await store.scheduleGenerator(generator({ request: request({ body, method: "PATCH" }), tags: ["t1"], delivery }));
        const [instance] = await pendingOf(id);
        expect(instance).toMatchObject({ method: "PATCH", tags: ["t1"], customKey: null, delivery });
        expect(instance?.body).toEqual(body);
        expect((await store.getGenerator(projectA, id))?.delivery).toEqual(delivery);
        const [claimed] = await store.claimDue(T0 + 10_000, 10, LEASE);
        expect(claimed?.delivery).toEqual(delivery);
      });

      it("replaces the pending instance on edit and leaves past instances alone", async () => {
        const { id } = await store.scheduleGenerator(generator({ customKey: "daily" }));
        const [claimed] = await store.claimDue(T0 + 10_000, 10, LEASE);
        const before = await pendingOf(id);
        const edited = await store.scheduleGenerator(
          generator({ customKey: "daily", cronExpr: "0 0 * * *", now: T0 + 11_000, request: request({ url: "https://example.com/v2" }) }),
        );
        expect(edited).toMatchObject({ id, operation: "reschedule", scheduledAt: Date.UTC(2026, 5, 2) });
        const after = await pendingOf(id);
        expect(after).toHaveLength(1);
        expect(after[0]?.id).not.toBe(before[0]?.id);
        expect(after[0]?.url).toBe("https://example.com/v2");
        expect((await store.getTrigger(projectA, before[0]?.id ?? ""))?.status).toBe("cancelled");
        expect((await store.getTrigger(projectA, claimed?.id ?? ""))?.status).toBe("running");
      });

      it("refuses to edit one instance of a generator by id", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [pending] = await pendingOf(id);
        await expect(
          store.scheduleJob(job({ triggerId: pending?.id ?? "" })),
        ).rejects.toMatchObject({ code: "generator_instance" });
      });

      it("switches kinds through a custom key, both ways", async () => {
        const oneShot = await store.scheduleJob(job({ customKey: "switch" }));
        const gen = await store.scheduleGenerator(generator({ customKey: "switch" }));
        expect(gen).toMatchObject({ operation: "schedule", kind: "generator" });
        expect((await store.getTrigger(projectA, oneShot.id))?.status).toBe("cancelled");

        const back = await store.scheduleJob(job({ customKey: "switch" }));
        expect(back).toMatchObject({ operation: "schedule", kind: "job" });
        expect((await store.getGenerator(projectA, gen.id))?.status).toBe("cancelled");
        expect(await pendingOf(gen.id)).toHaveLength(0);
      });

      it("refuses to change kind by id", async () => {
        const oneShot = await store.scheduleJob(job());
        const gen = await store.scheduleGenerator(generator());
        await expect(store.scheduleGenerator(generator({ triggerId: oneShot.id }))).rejects.toMatchObject({ code: "kind_mismatch" });
        await expect(store.scheduleJob(job({ triggerId: gen.id }))).rejects.toMatchObject({ code: "kind_mismatch" });
      });

      describe("ticks missed while down (ttr-run-missed)", () => {
        // Every 10 s from T0+10s; Hourglass comes back at T0+95s: ticks 10..90 (9) were missed.
        const comeBack = T0 + 95_000;
        const runAll = async (id: string, now: number) => {
          const fired: number[] = [];
          for (;;) {
            const claimed = (await store.claimDue(now, 10, LEASE)).filter((c) => c.generatorId === id);
            if (claimed.length === 0) return fired;
            fired.push(...claimed.map((c) => c.scheduledAt));
          }
        };

        it("once: one run for all missed ticks, then back on schedule", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "once" }));
          expect(await runAll(id, comeBack)).toEqual([T0 + 10_000]);
          expect((await pendingOf(id))[0]?.scheduledAt).toBe(T0 + 100_000);
        });

        it("skip: no run for missed ticks", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "skip" }));
          expect(await runAll(id, comeBack + 60_000)).toEqual([]);
          expect((await pendingOf(id))[0]?.scheduledAt).toBe(T0 + 160_000);
        });

        it("all: every missed tick runs, oldest first", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "all" }));
          expect(await runAll(id, comeBack + 60_000)).toEqual(
            Array.from({ length: 15 }, (_, i) => T0 + (i + 1) * 10_000),
          );
          expect((await pendingOf(id))[0]?.scheduledAt).toBe(T0 + 160_000);
        });
      });
    });

    describe("generators that end (ttr-ends-at, ttr-max-runs)", () => {
      /** Claims everything due at `now` until nothing is left; the ticks of `id` that fired. */
      const fireAll = async (id: string, now: number) => {
        const fired: number[] = [];
        for (;;) {
          const claimed = (await store.claimDue(now, 10, LEASE)).filter((c) => c.generatorId === id);
          if (claimed.length === 0) return fired;
          fired.push(...claimed.filter((c) => c.origin === "tick").map((c) => c.scheduledAt));
        }
      };
      /** Claims each tick on time, one by one, until the generator stops making them (20 at most). */
      const fireOnTime = async (id: string) => {
        const fired: number[] = [];
        for (let pending = await pendingOf(id); pending.length > 0 && fired.length < 20; pending = await pendingOf(id)) {
          const at = pending[0]?.scheduledAt ?? 0;
          fired.push(...(await fireAll(id, at)));
        }
        return fired;
      };

      it("ttr-max-runs: ends after that many ticks fired; extra runs do not count; the key is freed", async () => {
        const { id } = await store.scheduleGenerator(generator({ maxRuns: 3, customKey: "three" }));
        await store.runGeneratorNow(projectA, id, T0 + 1);
        expect(await fireAll(id, T0 + 1)).toEqual([]);
        expect(await fireOnTime(id)).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000]);
        expect(await store.getGenerator(projectA, id)).toMatchObject({
          status: "cancelled",
          runs: 3,
          maxRuns: 3,
          nextAt: null,
          endReason: "ended: ttr-max-runs reached (3 runs)",
        });
        const again = await store.scheduleGenerator(generator({ customKey: "three", now: T0 + 31_000 }));
        expect(again).toMatchObject({ operation: "schedule" });
        expect(again.id).not.toBe(id);
      });

      it("ttr-ends-at: a tick at the end fires, none after it materializes", async () => {
        const { id } = await store.scheduleGenerator(generator({ endsAt: T0 + 30_000 }));
        expect(await fireOnTime(id)).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000]);
        expect(await store.getGenerator(projectA, id)).toMatchObject({
          status: "cancelled",
          runs: 3,
          endsAt: T0 + 30_000,
          endReason: "ended: ttr-ends-at reached (2026-06-01T12:00:30.000Z)",
        });
        const all = await store.listTriggers(projectA, { generatorId: id }, { limit: 10 });
        expect(all.items.map((t) => t.scheduledAt).sort()).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000]);
      });

      it("refuses an end before the first tick, and a limit of runs an edit has already reached", async () => {
        await expect(store.scheduleGenerator(generator({ endsAt: T0 + 9_999 }))).rejects.toMatchObject({ code: "invalid_ends_at" });
        const { id } = await store.scheduleGenerator(generator({ customKey: "edit", maxRuns: 5 }));
        await fireAll(id, T0 + 10_000);
        await fireAll(id, T0 + 20_000);
        await expect(store.scheduleGenerator(generator({ customKey: "edit", maxRuns: 2, now: T0 + 21_000 }))).rejects.toMatchObject({
          code: "invalid_max_runs",
        });
        // Editing keeps the count; re-posting without the headers removes the limits.
        await store.scheduleGenerator(generator({ customKey: "edit", maxRuns: 3, now: T0 + 21_000 }));
        expect(await store.getGenerator(projectA, id)).toMatchObject({ runs: 2, maxRuns: 3, status: "active" });
        expect(await fireOnTime(id)).toEqual([T0 + 30_000]);
        expect((await store.getGenerator(projectA, id))?.status).toBe("cancelled");
        await expect(store.scheduleGenerator(generator({ triggerId: id, now: T0 + 31_000 }))).rejects.toMatchObject({
          code: "already_cancelled",
          message: expect.stringContaining("ended: ttr-max-runs reached"),
        });
        const { id: other } = await store.scheduleGenerator(generator({ customKey: "clear", maxRuns: 1, endsAt: T0 + 50_000 }));
        await store.scheduleGenerator(generator({ customKey: "clear", now: T0 + 1 }));
        expect(await store.getGenerator(projectA, other)).toMatchObject({ maxRuns: null, endsAt: null });
      });

      it("keeps retrying the last run after the generator ended (a user's cancel would drop them)", async () => {
        const { id } = await store.scheduleGenerator(generator({ maxRuns: 1 }));
        const [last] = await store.claimDue(T0 + 10_000, 10, LEASE);
        expect((await store.getGenerator(projectA, id))?.status).toBe("cancelled");
        await store.finishAttempt(finished(last!, projectA, "failed", { finishedAt: T0 + 10_005, retryAt: T0 + 20_000 }));
        expect(await store.getTrigger(projectA, last!.id)).toMatchObject({ status: "registered", retriesLeft: 2 });
        expect((await store.claimDue(T0 + 20_000, 10, LEASE)).map((c) => [c.id, c.attempt])).toEqual([[last!.id, 2]]);
      });

      describe("with ticks missed while down", () => {
        // Every 10 s from T0+10s; Hourglass comes back at T0+95s: ticks 10..90 (9) were missed.
        const comeBack = T0 + 95_000;

        it("all: the catch-up stops at ttr-max-runs", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "all", maxRuns: 4 }));
          expect(await fireAll(id, comeBack)).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + 40_000]);
          expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "cancelled", runs: 4 });
        });

        it("all: the catch-up runs the missed ticks up to ttr-ends-at, and no further", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "all", endsAt: T0 + 50_000 }));
          expect(await fireAll(id, comeBack)).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + 40_000, T0 + 50_000]);
          expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "cancelled", runs: 5 });
        });

        it("once: the one catch-up run counts once, and the next tick past ttr-ends-at ends it", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "once", endsAt: T0 + 50_000 }));
          expect(await fireAll(id, comeBack)).toEqual([T0 + 10_000]);
          expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "cancelled", runs: 1, nextAt: null });
        });

        it("skip: skipped ticks do not count as runs", async () => {
          const { id } = await store.scheduleGenerator(generator({ runMissed: "skip", maxRuns: 1 }));
          expect(await fireAll(id, comeBack)).toEqual([]);
          expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "active", runs: 0, nextAt: T0 + 100_000 });
          expect(await fireAll(id, T0 + 100_000)).toEqual([T0 + 100_000]);
          expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "cancelled", runs: 1 });
        });
      });

      it("resumed after ttr-ends-at: the tick that was pending runs per ttr-run-missed, then it ends", async () => {
        const { id } = await store.scheduleGenerator(generator({ runMissed: "once", endsAt: T0 + 20_000 }));
        await store.setGeneratorPaused(projectA, id, true, T0 + 1);
        await store.setGeneratorPaused(projectA, id, false, T0 + 100_000);
        expect(await fireAll(id, T0 + 100_000)).toEqual([T0 + 10_000]);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "cancelled", runs: 1 });
      });
    });

    describe("cancel", () => {
      it("cancels by id and by key, then answers 410 for the same again", async () => {
        const byId = await store.scheduleJob(job());
        await store.cancel({ projectId: projectA, triggerId: byId.id, customKey: null, now: T0 });
        expect(await store.getTrigger(projectA, byId.id)).toMatchObject({ status: "cancelled", cancelReason: "cancelled" });
        await expect(store.cancel({ projectId: projectA, triggerId: byId.id, customKey: null, now: T0 })).rejects.toMatchObject({
          code: "already_cancelled",
        });

        const byKey = await store.scheduleJob(job({ customKey: "k" }));
        await store.cancel({ projectId: projectA, triggerId: null, customKey: "k", now: T0 });
        expect((await store.getTrigger(projectA, byKey.id))?.status).toBe("cancelled");
        await expect(store.cancel({ projectId: projectA, triggerId: null, customKey: "k", now: T0 })).rejects.toBeInstanceOf(GoneError);
        await expect(store.cancel({ projectId: projectA, triggerId: null, customKey: "never", now: T0 })).rejects.toBeInstanceOf(NotFoundError);
        // The key is free again.
        expect((await store.scheduleJob(job({ customKey: "k" }))).operation).toBe("schedule");
      });

      it("refuses to cancel or replace by key a one-shot that is being delivered, and keeps its key", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "busy", scheduledAt: T0 }));
        await store.claimDue(T0, 10, LEASE);
        await expect(store.cancel({ projectId: projectA, triggerId: null, customKey: "busy", now: T0 })).rejects.toMatchObject({
          code: "trigger_running",
        });
        await expect(store.scheduleGenerator(generator({ customKey: "busy" }))).rejects.toMatchObject({ code: "trigger_running" });
        expect((await store.listGenerators(projectA, { limit: 10 })).items).toEqual([]);
        await expect(store.scheduleJob(job({ customKey: "busy" }))).rejects.toMatchObject({ code: "trigger_running" });
        expect((await store.getTrigger(projectA, id))?.status).toBe("running");
      });

      it("answers 410 for an executed trigger and 404 for an unknown one", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        await store.claimDue(T0, 10, LEASE);
        await expect(store.cancel({ projectId: projectA, triggerId: id, customKey: null, now: T0 })).rejects.toMatchObject({
          code: "trigger_running",
        });
        await expect(
          store.cancel({ projectId: projectA, triggerId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", customKey: null, now: T0 }),
        ).rejects.toBeInstanceOf(NotFoundError);
      });

      it("cancels a generator with its pending instance; a cancelled instance skips one tick", async () => {
        const { id } = await store.scheduleGenerator(generator({ customKey: "g" }));
        const [first] = await pendingOf(id);
        await store.cancel({ projectId: projectA, triggerId: first?.id ?? "", customKey: null, now: T0 });
        const [second] = await pendingOf(id);
        expect(second?.scheduledAt).toBe(T0 + 20_000);

        await store.cancel({ projectId: projectA, triggerId: null, customKey: "g", now: T0 });
        expect((await store.getGenerator(projectA, id))?.status).toBe("cancelled");
        expect(await pendingOf(id)).toHaveLength(0);
        expect(await store.nextDueAt()).toBeNull();
        await expect(store.cancel({ projectId: projectA, triggerId: id, customKey: null, now: T0 })).rejects.toBeInstanceOf(GoneError);
      });

      it("needs an identifier", async () => {
        await expect(store.cancel({ projectId: projectA, triggerId: null, customKey: null, now: T0 })).rejects.toBeInstanceOf(
          InvalidInputError,
        );
      });
    });

    describe("retries, callbacks and replays", () => {
      it("puts a retried trigger back as registered, cancellable, with its key still owned", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "retry-me", scheduledAt: T0 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "failed", { finishedAt: T0 + 5, retryAt: T0 + 10_000 }));
        expect(await store.getTrigger(projectA, id)).toMatchObject({ status: "registered", attempts: 1, retriesLeft: 2 });
        expect(await store.nextDueAt()).toBe(T0 + 10_000);
        expect(await store.claimDue(T0 + 9_999, 10, LEASE)).toEqual([]);
        // Posting the key again edits the trigger that is waiting for its retry.
        expect(await store.scheduleJob(job({ customKey: "retry-me", scheduledAt: T0 + 20_000 }))).toMatchObject({ id, operation: "reschedule" });
        await store.cancel({ projectId: projectA, triggerId: null, customKey: "retry-me", now: T0 + 1 });
        expect(await store.getTrigger(projectA, id)).toMatchObject({ status: "cancelled" });
        const history = await store.listExecutions(projectA, { triggerId: id }, { limit: 5 });
        expect(history.items[0]).toMatchObject({ attempt: 1, outcome: "failed", retryAt: T0 + 10_000 });
      });

      it("queues callbacks with a final outcome, in the same transaction, and none for a retry", async () => {
        const delivery = { ...DELIVERY, callbackUrl: "https://cb.example/all", failureUrl: "https://cb.example/failed" };
        const { id } = await store.scheduleJob(job({ scheduledAt: T0, delivery }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        const callback = (url: string) => ({ url, body: new TextEncoder().encode('{"type":"trigger.failed"}'), delivery: DELIVERY });
        await store.finishAttempt(
          finished(claim!, projectA, "failed", { callbacks: [callback("https://cb.example/all"), callback("https://cb.example/failed")] }),
        );
        const callbacks = (await store.listTriggers(projectA, { kind: "callback" }, { limit: 10 })).items;
        expect(callbacks.map((t) => [t.url, t.parentTriggerId, t.method, t.status, t.origin])).toEqual([
          ["https://cb.example/failed", id, "POST", "registered", "callback"],
          ["https://cb.example/all", id, "POST", "registered", "callback"],
        ]);
        expect(new TextDecoder().decode(callbacks[0]?.body ?? new Uint8Array())).toBe('{"type":"trigger.failed"}');
        expect(callbacks[0]?.headers).toEqual([["Content-Type", "application/json"]]);
        // The callbacks are due at once and are claimed like any trigger.
        expect((await store.claimDue(T0 + 5, 10, LEASE)).map((c) => c.origin)).toEqual(["callback", "callback"]);
      });

      it("replays an executed trigger as a new round of attempts, and refuses one that has not executed", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        await expect(store.replay(projectA, id, T0)).rejects.toMatchObject({ code: "trigger_not_executed" });
        await expect(store.replay(projectB, id, T0)).rejects.toBeInstanceOf(NotFoundError);
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "succeeded"));
        expect(await store.replay(projectA, id, T0 + 100)).toEqual({ scheduledAt: T0 + 100 });
        expect(await store.getTrigger(projectA, id)).toMatchObject({ status: "registered", finishedAt: null, retriesLeft: 3 });
        const [again] = await store.claimDue(T0 + 100, 10, LEASE);
        expect(again).toMatchObject({ id, attempt: 2 });
      });
    });

    describe("generator controls", () => {
      it("keeps one pending tick while an earlier instance waits for a retry", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        await store.finishAttempt(finished(first!, projectA, "failed", { retryAt: T0 + 25_000 }));
        const waiting = (await store.listTriggers(projectA, { generatorId: id, status: "registered" }, { limit: 10 })).items;
        expect(waiting.map((t) => [t.scheduledAt, t.attempts])).toEqual([
          [T0 + 20_000, 0],
          [T0 + 10_000, 1],
        ]);
        // Both come due; only the never-attempted tick advances the generator.
        const claimed = await store.claimDue(T0 + 25_000, 10, LEASE);
        expect(claimed.map((c) => [c.scheduledAt, c.attempt])).toEqual([
          [T0 + 20_000, 1],
          [T0 + 10_000, 2],
        ]);
        expect((await pendingOf(id)).map((t) => t.scheduledAt)).toEqual([T0 + 30_000]);
      });

      it("skips a tick while the previous run is in flight with ttr-overlap: skip, and records why", async () => {
        const { id } = await store.scheduleGenerator(generator({ overlap: "skip" }));
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        expect(await store.claimDue(T0 + 20_000, 10, LEASE)).toEqual([]);
        const skipped = (await store.listTriggers(projectA, { generatorId: id, status: "cancelled" }, { limit: 10 })).items;
        expect(skipped.map((t) => [t.scheduledAt, t.cancelReason])).toEqual([
          [T0 + 20_000, "skipped: the previous run was still in flight (ttr-overlap: skip)"],
        ]);
        await store.finishAttempt(finished(first!, projectA, "succeeded"));
        expect((await store.claimDue(T0 + 30_000, 10, LEASE)).map((c) => c.scheduledAt)).toEqual([T0 + 30_000]);
      });

      it("cancels the running instance when the next tick comes due with ttr-overlap: cancel-previous", async () => {
        const { id } = await store.scheduleGenerator(generator({ overlap: "cancel-previous" }));
        expect(await store.getGenerator(projectA, id)).toMatchObject({ overlap: "cancel-previous" });
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        expect(first!.supersedes).toBeUndefined();
        const [second] = await store.claimDue(T0 + 20_000, 10, LEASE);
        expect(second).toMatchObject({ scheduledAt: T0 + 20_000, supersedes: { ids: [first!.id], reason: SUPERSEDED } });
        expect(await store.getTrigger(projectA, first!.id)).toMatchObject({ status: "cancelled", finishedAt: T0 + 20_000, cancelReason: SUPERSEDED });
        // The aborted attempt is recorded, and its outcome (here: a retry) is fenced off the cancelled trigger.
        await store.finishAttempt(finished(first!, projectA, "failed", { finishedAt: T0 + 20_001, error: `aborted: ${SUPERSEDED}`, retryAt: T0 + 30_000 }));
        expect(await store.getTrigger(projectA, first!.id)).toMatchObject({ status: "cancelled", cancelReason: SUPERSEDED });
        const [execution] = (await store.listExecutions(projectA, { triggerId: first!.id }, { limit: 5 })).items;
        expect(execution).toMatchObject({ outcome: "failed", error: `aborted: ${SUPERSEDED}`, retryAt: null });
        // A success reported late (another node, not aborted) does not revive it either.
        await store.finishAttempt(finished(second!, projectA, "succeeded", { finishedAt: T0 + 20_002 }));
        expect(await store.getTrigger(projectA, second!.id)).toMatchObject({ status: "succeeded" });
        expect((await store.claimDue(T0 + 30_000, 10, LEASE)).map((c) => [c.scheduledAt, c.supersedes])).toEqual([[T0 + 30_000, undefined]]);
      });

      it("cancels an instance waiting for a retry when the next tick comes due with ttr-overlap: cancel-previous", async () => {
        const { id } = await store.scheduleGenerator(generator({ overlap: "cancel-previous" }));
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        await store.finishAttempt(finished(first!, projectA, "failed", { retryAt: T0 + 20_000 }));
        // The retry and the next tick come due together: the retry is cancelled, not sent.
        const claimed = await store.claimDue(T0 + 20_000, 10, LEASE);
        expect(claimed.map((c) => [c.scheduledAt, c.supersedes?.ids])).toEqual([[T0 + 20_000, [first!.id]]]);
        expect(await store.getTrigger(projectA, first!.id)).toMatchObject({ status: "cancelled", cancelReason: SUPERSEDED });
        expect((await pendingOf(id)).map((t) => t.scheduledAt)).toEqual([T0 + 30_000]);
      });

      it("leaves earlier instances alone without ttr-overlap: cancel-previous", async () => {
        await store.scheduleGenerator(generator({ overlap: "allow" }));
        const [first] = await store.claimDue(T0 + 10_000, 10, LEASE);
        const [second] = await store.claimDue(T0 + 20_000, 10, LEASE);
        expect(second!.supersedes).toBeUndefined();
        expect(await store.getTrigger(projectA, first!.id)).toMatchObject({ status: "running" });
      });

      it("pauses (no pending instance) and resumes (the tick that was pending, then per ttr-run-missed)", async () => {
        const { id } = await store.scheduleGenerator(generator({ runMissed: "once" }));
        await store.setGeneratorPaused(projectA, id, true, T0 + 1_000);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "paused", nextAt: null });
        expect(await pendingOf(id)).toEqual([]);
        expect(await store.claimDue(T0 + 100_000, 10, LEASE)).toEqual([]);

        await store.setGeneratorPaused(projectA, id, false, T0 + 100_000);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "active", nextAt: T0 + 10_000 });
        // Paused for 9 ticks: with "once", one catch-up run, then back on schedule.
        expect((await store.claimDue(T0 + 100_000, 10, LEASE)).map((c) => c.scheduledAt)).toEqual([T0 + 10_000]);
        expect((await pendingOf(id)).map((t) => t.scheduledAt)).toEqual([T0 + 110_000]);
        await store.setGeneratorPaused(projectA, id, false, T0 + 100_000);
        expect(await pendingOf(id)).toHaveLength(1);
      });

      it("runs a generator once now without moving its schedule", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const run = await store.runGeneratorNow(projectA, id, T0 + 1);
        const claimed = await store.claimDue(T0 + 1, 10, LEASE);
        expect(claimed.map((c) => [c.id, c.origin, c.generatorId])).toEqual([[run.triggerId, "run", id]]);
        expect((await pendingOf(id)).map((t) => t.scheduledAt)).toEqual([T0 + 10_000]);
        await store.cancel({ projectId: projectA, triggerId: id, customKey: null, now: T0 + 2 });
        await expect(store.runGeneratorNow(projectA, id, T0 + 3)).rejects.toBeInstanceOf(GoneError);
        await expect(store.setGeneratorPaused(projectA, id, true, T0 + 3)).rejects.toBeInstanceOf(GoneError);
        await expect(store.runGeneratorNow(projectB, id, T0 + 3)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("unlucky sequences", () => {
      it("drops the retries of an instance whose generator is cancelled while its attempt is in flight", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [attempt] = await store.claimDue(T0 + 10_000, 10, LEASE);
        await store.cancel({ projectId: projectA, triggerId: id, customKey: null, now: T0 + 10_001 });
        await store.finishAttempt(finished(attempt!, projectA, "failed", { finishedAt: T0 + 10_005, retryAt: T0 + 20_000 }));
        expect(await store.getTrigger(projectA, attempt!.id)).toMatchObject({
          status: "cancelled",
          finishedAt: T0 + 10_005,
          cancelReason: "its generator was cancelled while this attempt was in flight; its retries were dropped",
        });
        const [execution] = (await store.listExecutions(projectA, { triggerId: attempt!.id }, { limit: 5 })).items;
        expect(execution).toMatchObject({ outcome: "failed", retryAt: null });
        expect(await store.claimDue(T0 + 1_000_000, 10, LEASE)).toEqual([]);
        expect(await store.nextDueAt()).toBeNull();
      });

      it("keeps retrying an instance of a generator that is only paused", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [attempt] = await store.claimDue(T0 + 10_000, 10, LEASE);
        await store.setGeneratorPaused(projectA, id, true, T0 + 10_001);
        await store.finishAttempt(finished(attempt!, projectA, "failed", { finishedAt: T0 + 10_005, retryAt: T0 + 12_000 }));
        expect((await store.claimDue(T0 + 12_000, 10, LEASE)).map((c) => [c.id, c.attempt])).toEqual([[attempt!.id, 2]]);
      });

      it("reports and restores the pending tick, never a run-now instance waiting for its retry", async () => {
        const { id } = await store.scheduleGenerator(generator());
        const [tick] = await pendingOf(id);
        const run = await store.runGeneratorNow(projectA, id, T0 + 1);
        const [attempt] = await store.claimDue(T0 + 1, 10, LEASE);
        expect(attempt?.id).toBe(run.triggerId);
        await store.finishAttempt(finished(attempt!, projectA, "failed", { finishedAt: T0 + 2, retryAt: T0 + 5_000 }));
        expect(await store.getGenerator(projectA, id)).toMatchObject({ pendingTriggerId: tick!.id, nextAt: T0 + 10_000 });
        expect((await store.listGenerators(projectA, { limit: 10 })).items[0]).toMatchObject({ nextAt: T0 + 10_000 });

        await store.setGeneratorPaused(projectA, id, true, T0 + 3);
        // Pausing leaves the run's retry alone: it is history, not the pending tick.
        expect(await store.getTrigger(projectA, run.triggerId)).toMatchObject({ status: "registered", attempts: 1 });
        await store.setGeneratorPaused(projectA, id, false, T0 + 4);
        expect(await store.getGenerator(projectA, id)).toMatchObject({ status: "active", nextAt: T0 + 10_000 });
        // Nothing unscheduled comes due: the run's retry at its time, then the tick at its own.
        expect(await store.claimDue(T0 + 4_999, 10, LEASE)).toEqual([]);
        expect((await store.claimDue(T0 + 5_000, 10, LEASE)).map((c) => c.id)).toEqual([run.triggerId]);
        expect(await store.claimDue(T0 + 9_999, 10, LEASE)).toEqual([]);
        expect((await store.claimDue(T0 + 10_000, 10, LEASE)).map((c) => c.scheduledAt)).toEqual([T0 + 10_000]);
      });

      it("gives a replayed trigger its custom key back, or refuses while another live trigger holds it", async () => {
        const { id } = await store.scheduleJob(job({ customKey: "replay-key", scheduledAt: T0 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "succeeded"));
        await store.replay(projectA, id, T0 + 100);
        // The key is the replayed trigger's again: posting it edits that trigger, cancelling by it cancels it.
        expect(await store.scheduleJob(job({ customKey: "replay-key", scheduledAt: T0 + 500 }))).toMatchObject({ id, operation: "reschedule" });
        await store.cancel({ projectId: projectA, triggerId: null, customKey: "replay-key", now: T0 + 200 });
        expect(await store.getTrigger(projectA, id)).toMatchObject({ status: "cancelled" });

        const second = await store.scheduleJob(job({ customKey: "other-key", scheduledAt: T0 + 1_000 }));
        const [secondClaim] = await store.claimDue(T0 + 1_000, 10, LEASE);
        await store.finishAttempt(finished(secondClaim!, projectA, "failed"));
        const taker = await store.scheduleJob(job({ customKey: "other-key", scheduledAt: T0 + 5_000 }));
        expect(taker.operation).toBe("schedule");
        await expect(store.replay(projectA, second.id, T0 + 2_000)).rejects.toMatchObject({ code: "custom_key_in_use" });
        expect(await store.getTrigger(projectA, second.id)).toMatchObject({ status: "failed" });
        const live = (await store.listTriggers(projectA, { customKey: "other-key", status: "registered" }, { limit: 10 })).items;
        expect(live.map((t) => t.id)).toEqual([taker.id]);
      });
    });

    describe("bulk actions", () => {
      /** Runs a bulk action to its end in steps of `window` triggers: what it matched and affected, and in how many steps. */
      const bulk = async (action: BulkAction, filter: BulkFilter, dryRun = false, window = 5, projectId = projectA) => {
        let cursor: string | null = null;
        let matched = 0;
        let affected = 0;
        let steps = 0;
        do {
          const step: BulkStepResult = await store.bulkStep(projectId, action, filter, { cursor, window, dryRun, now: T0 + 1 });
          matched += step.matched;
          affected += step.affected;
          cursor = step.nextCursor;
          steps++;
        } while (cursor !== null);
        return { matched, affected, steps };
      };
      const waiting = async (filter: TriggerFilter = {}) =>
        (await store.listTriggers(projectA, { ...filter, status: "registered" }, { limit: 100 })).items.map((t) => t.id);

      it("cancels the waiting triggers a filter matches, step by step, and only counts on a dry run", async () => {
        for (let i = 0; i < 12; i++) await store.scheduleJob(job({ tags: ["x"] }));
        const others = [await store.scheduleJob(job()), await store.scheduleJob(job({ tags: ["y"] }))];
        const foreign = await store.scheduleJob(jobInput(projectB, { tags: ["x"] }));
        expect(await bulk("cancel", { tag: "x" }, true)).toEqual({ matched: 12, affected: 0, steps: 3 });
        expect(await waiting({ tag: "x" })).toHaveLength(12);
        expect(await bulk("cancel", { tag: "x" })).toMatchObject({ matched: 12, affected: 12 });
        expect(await waiting({ tag: "x" })).toEqual([]);
        expect((await waiting()).sort()).toEqual(others.map((t) => t.id).sort());
        expect(await store.getTrigger(projectB, foreign.id)).toMatchObject({ status: "registered" });
        // Nothing left to match.
        expect(await bulk("cancel", { tag: "x" })).toMatchObject({ matched: 0, affected: 0 });
      });

      it("narrows by custom-key prefix (its wildcards literal), kind, generator and nominal time range", async () => {
        const keyed = await store.scheduleJob(job({ customKey: "order-1" }));
        await store.scheduleJob(job({ customKey: "orderx" }));
        await store.scheduleJob(job({ customKey: "order_2" }));
        expect(await bulk("cancel", { customKeyPrefix: "order-" }, true)).toMatchObject({ matched: 1 });
        expect(await bulk("cancel", { customKeyPrefix: "order_" }, true)).toMatchObject({ matched: 1 });
        const gen = await store.scheduleGenerator(generator());
        expect(await bulk("cancel", { kind: "generator" }, true)).toMatchObject({ matched: 1 });
        expect(await bulk("cancel", { generatorId: gen.id }, true)).toMatchObject({ matched: 1 });
        expect(await bulk("cancel", { kind: "job", scheduledFrom: T0 + 10_000, scheduledBefore: T0 + 10_001 }, true)).toMatchObject({ matched: 3 });
        expect(await bulk("cancel", { scheduledBefore: T0 + 10_000 }, true)).toMatchObject({ matched: 0 });
        // Cancelling by key frees the key, as /cancel does.
        expect(await bulk("cancel", { customKeyPrefix: "order-" })).toMatchObject({ affected: 1 });
        expect(await store.getTrigger(projectA, keyed.id)).toMatchObject({ status: "cancelled" });
        expect((await store.scheduleJob(job({ customKey: "order-1" }))).operation).toBe("schedule");
      });

      it("skips a generator's pending tick to the next one, as cancelling it by id does, without visiting the new one", async () => {
        const gen = await store.scheduleGenerator(generator({ tags: ["g"] }));
        expect(await bulk("cancel", { tag: "g" })).toMatchObject({ matched: 1, affected: 1 });
        expect((await store.getGenerator(projectA, gen.id))?.nextAt).toBe(T0 + 20_000);
      });

      it("replays the executed triggers a filter matches, leaving one whose custom key another live trigger holds", async () => {
        const ids: string[] = [];
        for (const customKey of ["r-1", "r-2", null]) ids.push((await store.scheduleJob(job({ tags: ["r"], customKey, scheduledAt: T0 }))).id);
        for (const claim of await store.claimDue(T0, 10, LEASE)) await store.finishAttempt(finished(claim, projectA, "failed"));
        await store.scheduleJob(job({ customKey: "r-2" })); // takes the freed key
        expect(await bulk("replay", { tag: "r" }, true)).toMatchObject({ matched: 3, affected: 0 });
        expect(await bulk("replay", { tag: "r", status: "failed" })).toMatchObject({ matched: 3, affected: 2 });
        expect((await store.getTrigger(projectA, ids[0] as string))?.status).toBe("registered");
        expect((await store.getTrigger(projectA, ids[1] as string))?.status).toBe("failed");
        expect((await store.getTrigger(projectA, ids[2] as string))?.status).toBe("registered");
        expect((await store.claimDue(T0 + 1, 10, LEASE)).map((c) => c.id).sort()).toEqual([ids[0], ids[2]].sort());
      });
    });

    describe("signing secrets and history", () => {
      it("stores a project's signing secrets, current first", async () => {
        expect(await store.getSigningSecrets(projectA)).toEqual([]);
        await store.setSigningSecrets(projectA, ["whsec_new", "whsec_old"]);
        expect(await store.getSigningSecrets(projectA)).toEqual(["whsec_new", "whsec_old"]);
        expect(await store.getSigningSecrets(projectB)).toEqual([]);
      });

      it("prunes old executions and finished triggers in batches, never live ones", async () => {
        const delivery = { ...DELIVERY, callbackUrl: "https://cb.example/" };
        const done = await store.scheduleJob(job({ scheduledAt: T0, delivery }));
        const live = await store.scheduleJob(job({ scheduledAt: T0 + 1_000_000 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(
          finished(claim!, projectA, "succeeded", {
            callbacks: [{ url: "https://cb.example/", body: new Uint8Array([123, 125]), delivery: DELIVERY }],
          }),
        );
        // The callback is still waiting: its parent stays.
        let removed = 0;
        while (true) {
          const n = await store.pruneHistory(T0 + 60_000, 1);
          removed += n;
          if (n < 1) break;
        }
        expect(removed).toBe(1);
        expect(await store.getTrigger(projectA, done.id)).not.toBeNull();
        const [cb] = await store.claimDue(T0 + 10, 10, LEASE);
        await store.finishAttempt(finished(cb!, projectA, "succeeded"));
        while ((await store.pruneHistory(T0 + 60_000, 1)) > 0);
        expect(await store.getTrigger(projectA, done.id)).toBeNull();
        expect(await store.getTrigger(projectA, cb!.id)).toBeNull();
        expect(await store.getTrigger(projectA, live.id)).not.toBeNull();
      });
    });

    describe("history retention boundary", () => {
      it("prunes an execution only once it finished before the cutoff", async () => {
        const { id } = await store.scheduleJob(job({ scheduledAt: T0 }));
        const [claim] = await store.claimDue(T0, 10, LEASE);
        await store.finishAttempt(finished(claim!, projectA, "succeeded", { startedAt: T0 + 1, finishedAt: T0 + 5 }));
        const executions = () => store.listExecutions(projectA, { triggerId: id }, { limit: 10 });
        while ((await store.pruneHistory(T0 + 5, 10)) > 0);
        expect((await executions()).items).toHaveLength(1);
        expect(await store.getTrigger(projectA, id)).not.toBeNull();
        while ((await store.pruneHistory(T0 + 6, 10)) > 0);
        expect((await executions()).items).toHaveLength(0);
        expect(await store.getTrigger(projectA, id)).toBeNull();
      });
    });

    describe("quotas and fairness", () => {
      it("holds a monthly quota exactly under concurrent schedules, keyed or not, and counts per project", async () => {
        await store.updateProject(projectA, { monthQuota: 5 }, T0);
        const results = await Promise.allSettled([
          ...Array.from({ length: 6 }, () => store.scheduleJob(job({ scheduledAt: T0 + 1_000 }))),
          ...Array.from({ length: 2 }, (_, i) => store.scheduleJob(job({ scheduledAt: T0 + 1_000, customKey: `quota-${i}` }))),
          ...Array.from({ length: 3 }, () => store.scheduleJob(job({ projectId: projectB, scheduledAt: T0 + 1_000 }))),
        ]);
        const ofA = results.slice(0, 8);
        expect(ofA.filter((r) => r.status === "fulfilled")).toHaveLength(5);
        for (const refused of ofA.filter((r) => r.status === "rejected")) {
          expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
        }
        const remaining = ofA.flatMap((r) => (r.status === "fulfilled" ? [r.value.monthQuotaRemaining] : []));
        expect([...remaining].sort()).toEqual([0, 1, 2, 3, 4]);
        expect(results.slice(8).every((r) => r.status === "fulfilled")).toBe(true);
        const projects = await store.listProjects(T0);
        expect(projects.find((p) => p.id === projectA)?.usedThisMonth).toBe(5);
        expect(projects.find((p) => p.id === projectB)?.usedThisMonth).toBe(3);
        expect((await store.listTriggers(projectA, {}, { limit: 100 })).items).toHaveLength(5);
        await expect(store.scheduleJob(job({ scheduledAt: T0 + 1_000 }))).rejects.toBeInstanceOf(QuotaExceededError);
      });

      it("defers a generator past its monthly quota to next month's first tick, with a recorded reason", async () => {
        await store.updateProject(projectA, { monthQuota: 2 }, T0);
        const { id, monthQuotaRemaining } = await store.scheduleGenerator(generator({ cronExpr: "0 * * * *", now: T0 }));
        expect(monthQuotaRemaining).toBe(1);
        // Claiming the 13:00 tick materializes 14:00: the second instance of the month.
        await store.claimDue(Date.UTC(2026, 5, 1, 13), 10, LEASE);
        expect((await store.getGenerator(projectA, id))?.nextAt).toBe(Date.UTC(2026, 5, 1, 14));
        // Claiming 14:00 would materialize a third: it moves to July's first tick instead.
        await store.claimDue(Date.UTC(2026, 5, 1, 14), 10, LEASE);
        const held = await store.getGenerator(projectA, id);
        expect(held).toMatchObject({ status: "active", nextAt: Date.UTC(2026, 6, 1, 0) });
        expect(held?.note).toMatch(/monthly quota of 2 .* reached in 2026-06; ticks resume on 2026-07-01T00:00:00.000Z/);
        expect((await store.listProjects(T0)).find((p) => p.id === projectA)?.usedThisMonth).toBe(2);
        await expect(store.scheduleJob(job())).rejects.toMatchObject({ code: "quota_exceeded" });
        await expect(store.runGeneratorNow(projectA, id, T0)).rejects.toMatchObject({ code: "quota_exceeded" });
      });

      it("never mints a delivery past the monthly quota by editing, pausing, resuming or skipping a generator's tick", async () => {
        await store.updateProject(projectA, { monthQuota: 3 }, T0);
        const hourly = (now: number) => generator({ cronExpr: "0 * * * *", customKey: "hourly", now });
        const usedInJune = async () => (await store.listProjects(T0)).find((p) => p.id === projectA)?.usedThisMonth;
        const { id } = await store.scheduleGenerator(hourly(T0));
        await store.scheduleJob(job());
        await store.scheduleJob(job());
        expect(await usedInJune()).toBe(3);
        // Edits are free: the pending 13:00 tick was counted within the quota and stays so.
        for (let i = 1; i <= 3; i++) {
          expect(await store.scheduleGenerator(hourly(T0 + i))).toMatchObject({ operation: "reschedule", scheduledAt: Date.UTC(2026, 5, 1, 13) });
        }
        expect(await usedInJune()).toBe(3);
        // Claiming 13:00 would materialize a fourth instance in June: 14:00 moves to July.
        for (const claim of await store.claimDue(Date.UTC(2026, 5, 1, 13), 10, LEASE)) {
          await store.finishAttempt(finished(claim, projectA, "succeeded"));
        }
        const july = Date.UTC(2026, 6, 1, 0);
        expect((await store.getGenerator(projectA, id))?.nextAt).toBe(july);
        // Re-posting, pausing and resuming, skipping the pending tick: nothing comes due in June.
        for (let i = 1; i <= 3; i++) {
          expect(await store.scheduleGenerator(hourly(Date.UTC(2026, 5, 1, 13, i)))).toMatchObject({ operation: "reschedule", scheduledAt: july });
        }
        await store.setGeneratorPaused(projectA, id, true, Date.UTC(2026, 5, 1, 13, 30));
        await store.setGeneratorPaused(projectA, id, false, Date.UTC(2026, 5, 1, 13, 31));
        expect((await store.getGenerator(projectA, id))?.nextAt).toBe(july);
        const pending = (await store.getGenerator(projectA, id))?.pendingTriggerId as string;
        await store.cancel({ projectId: projectA, triggerId: pending, customKey: null, now: Date.UTC(2026, 5, 1, 13, 32) });
        expect((await store.getGenerator(projectA, id))?.nextAt).toBe(Date.UTC(2026, 6, 1, 1));
        expect(await store.claimDue(Date.UTC(2026, 5, 30, 23, 59), 10, LEASE)).toEqual([]);
        expect(await usedInJune()).toBe(3);
      });

      it("gives every project with due triggers a share of each claim", async () => {
        for (let i = 0; i < 30; i++) await store.scheduleJob(job({ scheduledAt: T0 + i }));
        const quiet = await store.scheduleJob(job({ projectId: projectB, scheduledAt: T0 + 100 }));
        const claimed = await store.claimDue(T0 + 1_000, 10, LEASE);
        expect(claimed).toHaveLength(10);
        expect(claimed.map((c) => c.id)).toContain(quiet.id);
        expect(claimed.filter((c) => c.projectId === projectA)).toHaveLength(9);
        // Within the batch, still in due order.
        expect(claimed.map((c) => c.scheduledAt)).toEqual([...claimed.map((c) => c.scheduledAt)].sort((a, b) => a - b));
      });
    });

    describe("tenant isolation", () => {
      it("never shows, edits or cancels another project's triggers, keys or generators", async () => {
        const mine = await store.scheduleJob(job({ customKey: "shared-name" }));
        const gen = await store.scheduleGenerator(generator());
        expect(await store.getTrigger(projectB, mine.id)).toBeNull();
        expect(await store.getGenerator(projectB, gen.id)).toBeNull();
        expect((await store.listTriggers(projectB, {}, { limit: 10 })).items).toEqual([]);
        await expect(store.cancel({ projectId: projectB, triggerId: mine.id, customKey: null, now: T0 })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.cancel({ projectId: projectB, triggerId: gen.id, customKey: null, now: T0 })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.cancel({ projectId: projectB, triggerId: null, customKey: "shared-name", now: T0 })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        // The same key in another project is another trigger.
        const theirs = await store.scheduleJob(job({ projectId: projectB, customKey: "shared-name" }));
        expect(theirs.operation).toBe("schedule");
        expect(theirs.id).not.toBe(mine.id);
        expect((await store.getTrigger(projectA, mine.id))?.status).toBe("registered");
      });
    });

    describe("listing", () => {
      it("filters by status, kind, generator, key and tag, and pages with a cursor", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          ids.push((await store.scheduleJob(job({ tags: i % 2 === 0 ? ["even", "all"] : ["odd", "all"], customKey: `k${i}` }))).id);
        }
        const gen = await store.scheduleGenerator(generator());
        await store.cancel({ projectId: projectA, triggerId: ids[0] ?? "", customKey: null, now: T0 });

        const page1 = await store.listTriggers(projectA, { kind: "job" }, { limit: 3 });
        expect(page1.items.map((t) => t.id)).toEqual([ids[6], ids[5], ids[4]]);
        const page2 = await store.listTriggers(projectA, { kind: "job" }, { limit: 3, cursor: page1.nextCursor ?? "" });
        expect(page2.items.map((t) => t.id)).toEqual([ids[3], ids[2], ids[1]]);
        const page3 = await store.listTriggers(projectA, { kind: "job" }, { limit: 3, cursor: page2.nextCursor ?? "" });
        expect(page3.items.map((t) => t.id)).toEqual([ids[0]]);
        expect(page3.nextCursor).toBeNull();

        expect((await store.listTriggers(projectA, { tag: "even" }, { limit: 50 })).items).toHaveLength(4);
        expect((await store.listTriggers(projectA, { tag: "EVEN" }, { limit: 50 })).items).toHaveLength(0);
        expect((await store.listTriggers(projectA, { tag: "ev%" }, { limit: 50 })).items).toHaveLength(0);
        const odd = await store.scheduleJob(job({ tags: ["a_b", "50%"] }));
        await store.scheduleJob(job({ tags: ["axb", "500"] }));
        expect((await store.listTriggers(projectA, { tag: "a_b" }, { limit: 50 })).items.map((t) => t.id)).toEqual([odd.id]);
        expect((await store.listTriggers(projectA, { tag: "50%" }, { limit: 50 })).items.map((t) => t.id)).toEqual([odd.id]);
        expect((await store.listTriggers(projectA, { status: "cancelled" }, { limit: 50 })).items.map((t) => t.id)).toEqual([ids[0]]);
        expect((await store.listTriggers(projectA, { customKey: "k3" }, { limit: 50 })).items.map((t) => t.id)).toEqual([ids[3]]);
        expect((await store.listTriggers(projectA, { kind: "generator" }, { limit: 50 })).items).toHaveLength(1);
        expect((await store.listTriggers(projectA, { generatorId: gen.id }, { limit: 50 })).items).toHaveLength(1);
        expect((await store.listGenerators(projectA, { limit: 50 })).items.map((g) => g.id)).toEqual([gen.id]);
      });

      it("finds triggers by tag after an edit, on generator instances, page by page, and prunes their tags with them", async () => {
        const tagged = (tag: string, cursor?: string) =>
          store.listTriggers(projectA, { tag }, cursor === undefined ? { limit: 2 } : { limit: 2, cursor });
        const a = await store.scheduleJob(job({ tags: ["x", "y"], scheduledAt: T0 }));
        const b = await store.scheduleJob(job({ tags: ["y"], customKey: "kb" }));
        await store.scheduleJob(job({ tags: ["z"], customKey: "kb" })); // the edit replaces b's tags
        expect((await tagged("y")).items.map((t) => t.id)).toEqual([a.id]);
        expect((await tagged("z")).items.map((t) => t.id)).toEqual([b.id]);
        const gen = await store.scheduleGenerator(generator({ tags: ["g"] }));
        const [tick] = (await tagged("g")).items;
        expect(tick).toMatchObject({ generatorId: gen.id, tags: ["g"] });
        expect((await tagged("g", tick?.id)).items).toEqual([]);
        const more = [await store.scheduleJob(job({ tags: ["p"] })), await store.scheduleJob(job({ tags: ["p"] })), await store.scheduleJob(job({ tags: ["p"] }))];
        const first = await tagged("p");
        expect(first.items.map((t) => t.id)).toEqual([more[2]?.id, more[1]?.id]);
        expect((await tagged("p", first.nextCursor ?? "")).items.map((t) => t.id)).toEqual([more[0]?.id]);
        // Combined with another filter, still only the tag's rows.
        expect((await store.listTriggers(projectA, { tag: "y", status: "registered" }, { limit: 5 })).items.map((t) => t.id)).toEqual([a.id]);
        expect((await store.listTriggers(projectB, { tag: "y" }, { limit: 5 })).items).toEqual([]);

        const [claim] = await store.claimDue(T0, 1, LEASE);
        expect(claim?.id).toBe(a.id);
        await store.finishAttempt(finished(claim!, projectA, "succeeded"));
        expect(await store.pruneHistory(T0 + 100 * 86_400_000, 100)).toBeGreaterThanOrEqual(2);
        expect(await store.getTrigger(projectA, a.id)).toBeNull();
        expect((await tagged("x")).items).toEqual([]);
      });
    });

    describe("dashboard reads", () => {
      it("searches title and URL, case-insensitively, with LIKE's wildcards taken literally", async () => {
        const a = await store.scheduleJob(job({ title: "Nightly Report", request: request({ url: "https://a.example/x" }) }));
        const b = await store.scheduleJob(job({ title: null, request: request({ url: "https://b.example/REPORTS_100%" }) }));
        await store.scheduleJob(job({ title: "other", request: request({ url: "https://c.example/y" }) }));
        await store.scheduleJob(jobInput(projectB, { title: "report of B" }));
        const ids = async (search: string) => (await store.listTriggers(projectA, { search }, { limit: 50 })).items.map((t) => t.id);
        expect(await ids("REPORT")).toEqual([b.id, a.id]);
        expect(await ids("s_100%")).toEqual([b.id]);
        expect(await ids("s%100")).toEqual([]);
        expect(await ids("_")).toEqual([b.id]);
      });

      it("searches only among the project's newest N triggers when asked (searchNewest)", async () => {
        const old = await store.scheduleJob(job({ title: "needle old" }));
        const mid = await store.scheduleJob(job({ title: "needle mid" }));
        await store.scheduleJob(job({ title: "hay" }));
        await store.scheduleJob(jobInput(projectB, { title: "needle of B" }));
        const ids = async (searchNewest: number) => (await store.listTriggers(projectA, { search: "needle", searchNewest }, { limit: 50 })).items.map((t) => t.id);
        expect(await ids(2)).toEqual([mid.id]);
        expect(await ids(3)).toEqual([mid.id, old.id]);
        expect(await ids(1000)).toEqual([mid.id, old.id]);
        expect(await ids(1)).toEqual([]);
        expect((await store.listTriggers(projectA, { search: "needle", searchNewest: 3 }, { limit: 1 })).nextCursor).toBe(mid.id);
      });

      it("counts triggers and generators by status, per project", async () => {
        const one = await store.scheduleJob(job());
        await store.scheduleJob(job());
        await store.cancel({ projectId: projectA, triggerId: one.id, customKey: null, now: T0 });
        const gen = await store.scheduleGenerator(generator());
        await store.setGeneratorPaused(projectA, gen.id, true, T0);
        await store.scheduleJob(jobInput(projectB));
        expect(await store.countByStatus(projectA)).toEqual({
          triggers: { registered: 1, running: 0, succeeded: 0, failed: 0, cancelled: 2 },
          generators: { active: 0, paused: 1, cancelled: 0 },
        });
        // Capped: each trigger status counted up to the cap.
        expect(await store.countByStatus(projectA, 1)).toEqual({
          triggers: { registered: 1, running: 0, succeeded: 0, failed: 0, cancelled: 1 },
          generators: { active: 0, paused: 1, cancelled: 0 },
        });
        expect((await store.countByStatus(projectA, 100)).triggers.cancelled).toBe(2);
      });

      it("lists registered triggers due in a window, soonest first, and failures since a time, latest first", async () => {
        const late = await store.scheduleJob(job({ scheduledAt: T0 + 50_000 }));
        const soon = await store.scheduleJob(job({ scheduledAt: T0 + 20_000 }));
        await store.scheduleJob(job({ scheduledAt: T0 + 90_000 }));
        await store.scheduleJob(jobInput(projectB, { scheduledAt: T0 + 80_000 }));
        expect((await store.listUpcoming(projectA, T0, T0 + 60_000, 10)).map((t) => t.id)).toEqual([soon.id, late.id]);
        expect((await store.listUpcoming(projectA, T0, T0 + 60_000, 1)).map((t) => t.id)).toEqual([soon.id]);

        const [first] = await store.claimDue(T0 + 20_000, 1, LEASE);
        await store.finishAttempt(finished(first!, projectA, "failed", { startedAt: T0 + 20_100, finishedAt: T0 + 20_300 }));
        const [second] = await store.claimDue(T0 + 50_000, 1, LEASE);
        await store.finishAttempt(finished(second!, projectA, "succeeded", { startedAt: T0 + 50_200, finishedAt: T0 + 50_400 }));
        expect((await store.listFailures(projectA, T0, 10)).map((t) => t.id)).toEqual([soon.id]);
        expect(await store.listFailures(projectA, T0 + 20_301, 10)).toEqual([]);
        expect(await store.listFailures(projectB, T0, 10)).toEqual([]);
        expect(await store.listUpcoming(projectA, T0, T0 + 60_000, 10)).toEqual([]);
        expect(await store.listUpcoming(projectB, T0, T0 + 60_000, 10)).toEqual([]);

        expect(await store.listAttemptTimings(projectA, T0, 10)).toEqual([
          { attempt: 1, scheduledAt: T0 + 50_000, startedAt: T0 + 50_200, finishedAt: T0 + 50_400, outcome: "succeeded" },
          { attempt: 1, scheduledAt: T0 + 20_000, startedAt: T0 + 20_100, finishedAt: T0 + 20_300, outcome: "failed" },
        ]);
        expect((await store.listAttemptTimings(projectA, T0 + 20_301, 10)).map((t) => t.scheduledAt)).toEqual([T0 + 50_000]);
        expect(await store.listAttemptTimings(projectB, T0, 10)).toEqual([]);
      });

      it("keeps the first candidate of a server secret, for every caller", async () => {
        const answers = await Promise.all(["s1", "s2", "s3"].map((candidate) => store.ensureServerSecret("ui_session", candidate, T0)));
        expect(new Set(answers).size).toBe(1);
        expect(await store.ensureServerSecret("ui_session", "later", T0)).toBe(answers[0]);
        expect(await store.ensureServerSecret("other", "o", T0)).toBe("o");
      });

      it("names its engine", () => {
        expect(["sqlite", "postgresql"]).toContain(store.engine());
        expect(store.walBytes()).toBeGreaterThanOrEqual(0);
      });
    });
  });
}
