import { EventEmitter } from "node:events";
import type { Clock } from "../clock.js";
import { type SlotUsage, fairShare, reservedSlots } from "../store/fair-claim.js";
import type { Store } from "../store/store.js";
import type { AttemptResult, ClaimedTrigger, DeliveryPolicy, RequestTemplate } from "../store/types.js";
import { callbacksFor } from "./callback-payload.js";
import type { DeliveryOutcome } from "./deliver.js";
import { judgeAttempt } from "./outcome-rules.js";
import { nextRetryAt, parseRetryAfter } from "./retry-policy.js";
import { signatureHeaders, webhookIdOf } from "./webhook-signature.js";

/** Test-only crash points (test/support/failpoint-main.mjs): after the claim commits, or after the target answered. */
export type Failpoint = "after-claim" | "after-send";

export interface DispatcherOptions {
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Most triggers claimed per round trip. */
  batchSize: number;
  /** A claim is owned for the trigger's timeout plus this margin, so a slow target never causes a second claim. */
  leaseMarginMs: number;
  /** Longest sleep without looking at the store (a safety net; wake-ups normally come from `notify`). */
  maxIdleMs: number;
  /**
   * How long before a due time this dispatcher claims what falls due then (0: at the due time);
   * each attempt still starts at its due time by this clock. A claim costs a round trip and a
   * commit, on PostgreSQL in another process that may not get a core at once: made ahead, it
   * leaves the attempt's lateness. Only plain attempts are claimed ahead (see `Store.claimDue`).
   */
  claimAheadMs?: number;
  /** How outcome callbacks are themselves delivered. */
  callbackPolicy: DeliveryPolicy;
  /** How long a project's signing secrets are cached. */
  signingSecretsTtlMs: number;
  /** Backoff jitter source, uniform in [0, 1). */
  random?: () => number;
  /** Crash deliberately at this point (fault tests only). */
  failpoint?: { at: Failpoint; crash: () => void } | undefined;
  /**
   * How much later than their due time this dispatcher looks for triggers after another node
   * claimed the ones it woke for (0 when it is alone): see {@link Dispatcher.outpaced}.
   */
  outpacedDelayMs?: () => number;
}

/** Sends one request; never rejects on HTTP or network failure (outcomes are values). */
export type DeliverFn = (
  request: RequestTemplate,
  options: { timeoutMs: number; projectId: string; signal?: AbortSignal },
) => Promise<DeliveryOutcome>;

export interface DispatcherLog {
  error(details: object, message: string): void;
  debug(details: object, message: string): void;
}

/** Emitted after each attempt's outcome is committed. */
export interface AttemptEvent {
  claim: ClaimedTrigger;
  result: AttemptResult;
}

const ERROR_BACKOFF_MS = 1000;
/** While due triggers are held back for fairness, the longest wait before claiming again. */
const HELD_BACK_RECHECK_MS = 1000;

/**
 * The claim loop. It keeps no per-trigger timers: one timer is armed for the earliest due time
 * in the store and moved earlier by {@link notify} when a sooner trigger is committed, so a
 * million pending triggers cost disk, not memory. When it wakes it claims due triggers in
 * batches under a lease, up to `concurrency` in flight, and records every attempt.
 *
 * Events: `attempt` ({@link AttemptEvent}) after an outcome is committed; `error` is never
 * emitted (failures are logged and retried), so an unhandled-error crash cannot happen here.
 */
export class Dispatcher extends EventEmitter<{ attempt: [AttemptEvent] }> {
  private started = false;
  private stopping = false;
  private ticking = false;
  /** The tick in progress, if one is. */
  private currentTick: Promise<void> | null = null;
  private rerun = false;
  /** Saturated when the last tick ended: a finishing delivery must tick again. */
  private awaitingSlots = false;
  private armedAt: number | null = null;
  /** This tick began because the timer armed for a due time went off. */
  private wokeForDue = false;
  /**
   * The last time this dispatcher woke for a due trigger, another node had claimed it already.
   * Until it claims something again it wakes `outpacedDelayMs` later for each due time: of
   * several idle nodes, the one that claimed last claims the next trigger alone, instead of every
   * node running a claim at the same instant for one trigger (they share the database, and often a
   * machine). Should that node be gone or busy, the others take the trigger that much later (still
   * ahead of its due time when the delay is shorter than `claimAheadMs`).
   */
  private outpaced = false;
  private disarm: (() => void) | null = null;
  /** Earliest time announced by `notify` while a tick was running (it may predate its read). */
  private notifiedDuringTick: number | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Aborts each delivery in flight, by trigger id: a later tick may cancel it (`ttr-overlap: cancel-previous`). */
  private readonly aborts = new Map<string, AbortController>();
  /** Deliveries in flight per project: claims share the slots fairly between projects (fair-claim.ts). */
  private readonly inFlightByProject = new Map<string, number>();
  private readonly slots: SlotUsage;
  /** The last claim that came back with fewer triggers than it asked for: its `now` and how far ahead it reached. */
  private lastShortClaim: { now: number; dueBy: number } | null = null;
  /** Claimed ahead and waiting for their due time, by trigger id: when each may start, and how to give it up. */
  private readonly waitingToStart = new Map<string, { startAt: number; giveUp: () => void }>();
  /**
   * Each project's signing secrets, as the one look-up every delivery of the project awaits until
   * it expires: a batch of 256 claims starting at once (after a restart, or when the entry expires
   * in a burst) costs one query, not 256 queued on the connection.
   */
  private readonly secrets = new Map<string, { secrets: Promise<string[]>; expiresAt: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly deliver: DeliverFn,
    private readonly options: DispatcherOptions,
    private readonly log: DispatcherLog,
  ) {
    super();
    this.slots = { capacity: options.concurrency, inFlight: this.inFlightByProject };
  }

  /** Starts claiming: due triggers (and leases expired by a previous crash) are claimed at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.tick();
  }

  /** A trigger due at `dueAt` was committed: wake up by then. Cheap; called on every /schedule. */
  notify(notifiedAt: number): void {
    if (!this.started || this.stopping) return;
    const dueAt = notifiedAt + this.backOff() - this.claimAhead();
    if (this.ticking) {
      this.notifiedDuringTick = Math.min(this.notifiedDuringTick ?? dueAt, dueAt);
      return;
    }
    if (this.armedAt === null || dueAt < this.armedAt) this.arm(dueAt, true);
  }

  /**
   * Resolves once the dispatcher has nothing left to do now: no claim in progress, no delivery in
   * flight (their outcomes recorded), and nothing due by its clock. For the virtual clock, which
   * moves time only when the work due so far is done.
   */
  async whenIdle(): Promise<void> {
    let fruitless = 0;
    let lastDue: number | null = null;
    while (!this.stopping) {
      if (this.currentTick !== null) {
        await this.currentTick;
      } else if (this.inFlight.size > 0) {
        fruitless = 0;
        await Promise.allSettled([...this.inFlight.values()]);
      } else {
        const next = await this.store.nextDueAt();
        if (next === null || next > this.clock.now()) return;
        // The same trigger still due, yet claims start nothing (the store keeps failing): report it rather than spin.
        fruitless = next === lastDue ? fruitless + 1 : 0;
        lastDue = next;
        if (fruitless > 3) throw new Error("due triggers could not be claimed; see the log");
        await this.tick();
      }
    }
  }

  /** Drops the cached signing secrets of `projectId` (null: of every project): they changed, perhaps on another node. */
  forgetSigningSecrets(projectId: string | null): void {
    if (projectId === null) this.secrets.clear();
    else this.secrets.delete(projectId);
  }

  /** Deliveries currently in flight. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Stops claiming, lets in-flight deliveries finish for up to `graceMs`, then gives the leases
   * of those still running back to the store (they are due again, delivered at least once).
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.disarm?.();
    this.armedAt = null;
    // A claim being committed now ends first: its triggers are then either in flight (and drained
    // below) or given back — never sent after the drain.
    await this.currentTick;
    let expire: (() => void) | undefined;
    const graceOver = new Promise<void>((resolve) => {
      expire = this.clock.setTimer(this.clock.now() + graceMs, resolve);
    });
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), graceOver]);
    expire?.();
    const unfinished = [...this.inFlight.keys()];
    if (unfinished.length > 0) {
      this.log.error({ triggers: unfinished.length }, "shutdown grace over: releasing leases of unfinished deliveries");
      const claims = unfinished.map((id) => ({ id, startAt: this.waitingToStart.get(id)?.startAt ?? 0 }));
      // Those still waiting for their due time are never sent now: given back, they are due then.
      for (const { id } of claims) this.waitingToStart.get(id)?.giveUp();
      await this.release(claims);
    }
  }

  /** Gives claims back, each due again at once or, if it was claimed ahead and is not due yet, at its due time. */
  private async release(claims: { id: string; startAt: number }[]): Promise<void> {
    const now = this.clock.now();
    const byDue = new Map<number, string[]>();
    for (const { id, startAt } of claims) {
      const dueAt = Math.max(now, startAt);
      const group = byDue.get(dueAt);
      if (group === undefined) byDue.set(dueAt, [id]);
      else group.push(id);
    }
    for (const [dueAt, group] of byDue) await this.store.releaseClaims(group, now, dueAt);
  }

  private arm(at: number, forDue: boolean): void {
    this.disarm?.();
    this.armedAt = at;
    this.disarm = this.clock.setTimer(at, () => {
      this.armedAt = null;
      this.disarm = null;
      this.wokeForDue = forDue;
      void this.tick();
    });
  }

  /** How much later than due this dispatcher looks for what is due (see {@link outpaced}). */
  private backOff(): number {
    return this.outpaced ? (this.options.outpacedDelayMs?.() ?? 0) : 0;
  }

  private claimAhead(): number {
    return this.options.claimAheadMs ?? 0;
  }

  /** The claimed request, with Standard Webhooks headers when the project has signing secrets. */
  private async signed(claim: ClaimedTrigger): Promise<RequestTemplate> {
    const secrets = await this.secretsOf(claim.projectId);
    if (secrets.length === 0) return claim;
    const signature = signatureHeaders({
      webhookId: webhookIdOf(claim.id),
      timestampSeconds: Math.floor(this.clock.now() / 1000),
      body: claim.body,
      secrets,
    });
    return { ...claim, headers: [...claim.headers, ...signature] };
  }

  private secretsOf(projectId: string): Promise<string[]> {
    const now = this.clock.now();
    const cached = this.secrets.get(projectId);
    if (cached && cached.expiresAt > now) return cached.secrets;
    const entry = { secrets: this.store.getSigningSecrets(projectId), expiresAt: now + this.options.signingSecretsTtlMs };
    this.secrets.set(projectId, entry);
    // A failed look-up is not cached: the deliveries awaiting it fail (and keep their leases);
    // the next one asks again.
    entry.secrets.catch(() => {
      if (this.secrets.get(projectId) === entry) this.secrets.delete(projectId);
    });
    return entry.secrets;
  }

  /** What the attempt came to: succeeded, failed for good (with callbacks), or failed with a retry due. */
  private resultOf(claim: ClaimedTrigger, outcome: DeliveryOutcome, aborted: boolean): AttemptResult {
    const retryAfter = outcome.responseHeaders.find(([name]) => name === "retry-after")?.[1];
    const blocked = outcome.error?.startsWith("blocked") ?? false;
    const verdict = judgeAttempt(outcome, blocked, claim.delivery);
    // An aborted attempt's trigger was cancelled: it gets neither a retry nor callbacks.
    const retryAt = verdict.succeeded || aborted
      ? null
      : nextRetryAt({
          facts: { httpStatus: outcome.httpStatus, blocked, retryAfterMs: parseRetryAfter(retryAfter, outcome.finishedAt) },
          retriesLeft: claim.retriesLeft,
          retryNumber: claim.delivery.retries - claim.retriesLeft + 1,
          firstDelayMs: claim.delivery.retryDelayMs,
          now: outcome.finishedAt,
          random: (this.options.random ?? Math.random)(),
          retryable: verdict.retryable,
        });
    const attempt = {
      triggerId: claim.id,
      projectId: claim.projectId,
      attempt: claim.attempt,
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
      outcome: verdict.succeeded ? ("succeeded" as const) : ("failed" as const),
      httpStatus: outcome.httpStatus,
      error: verdict.error,
      responseHeaders: outcome.responseHeaders,
      responseExcerpt: outcome.responseExcerpt,
    };
    const callbacks = retryAt === null && !aborted ? callbacksFor(claim, attempt, this.options.callbackPolicy) : [];
    return { ...attempt, retryAt, callbacks, flowKey: claim.delivery.flowKey };
  }

  private saturated(): boolean {
    return this.inFlight.size >= this.options.concurrency;
  }

  /**
   * After saturation — every slot busy, or all but the reserve a claim keeps free for other
   * projects — claiming resumes once a quarter of the slots more are free (or all of them, when
   * concurrency is tiny): one claim transaction per 64 finished deliveries rather than one per
   * delivery, which halved the throughput of a 5,000-trigger burst.
   */
  private refillThreshold(): number {
    const { concurrency } = this.options;
    return Math.max(0, concurrency - reservedSlots(concurrency) - Math.max(1, Math.floor(concurrency / 4)));
  }

  private tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.ticking) {
      this.rerun = true;
      return Promise.resolve();
    }
    this.ticking = true;
    const run = this.runTick().finally(() => {
      this.ticking = false;
      this.currentTick = null;
    });
    this.currentTick = run;
    return run;
  }

  private async runTick(): Promise<void> {
    try {
      do {
        this.rerun = false;
        const wokeForDue = this.wokeForDue;
        this.wokeForDue = false;
        const claimed = await this.claimAndSend();
        if (claimed > 0) this.outpaced = false;
        const missed = claimed === 0 && wokeForDue;
        // Saturated: deliveries finishing tick again (see send); no timer needed meanwhile.
        if (this.saturated()) {
          if (missed) this.outpaced = true;
          this.awaitingSlots = true;
        } else await this.armForNextDue(missed);
      } while (this.rerun && !this.stopping);
    } catch (error) {
      this.log.error({ err: error }, "dispatcher tick failed; retrying shortly");
      if (!this.stopping) this.arm(this.clock.now() + ERROR_BACKOFF_MS, false);
    }
  }

  /** Claims and sends until saturated or nothing more is due; resolves to the number of triggers claimed. */
  private async claimAndSend(): Promise<number> {
    this.lastShortClaim = null;
    let claimedInAll = 0;
    while (!this.stopping && !this.saturated()) {
      const limit = Math.min(this.options.batchSize, this.options.concurrency - this.inFlight.size);
      const now = this.clock.now();
      const dueBy = now + this.claimAhead();
      const claimed = await this.store.claimDue(now, limit, this.options.leaseMarginMs, this.slots, dueBy);
      if (this.stopping) {
        // Shutdown began while this claim was being committed: nothing may be sent after the
        // drain, so the claim is given back (due again when it was due, for the next start).
        await this.release(claimed);
        return claimedInAll;
      }
      claimedInAll += claimed.length;
      if (claimed.length > 0 && this.options.failpoint?.at === "after-claim") this.options.failpoint.crash();
      for (const claim of claimed) this.send(claim);
      if (claimed.length < limit) {
        this.lastShortClaim = { now, dueBy };
        return claimedInAll;
      }
    }
    return claimedInAll;
  }

  /** `missed`: this tick woke for a due time and claimed nothing. */
  private async armForNextDue(missed: boolean): Promise<void> {
    this.notifiedDuringTick = null;
    const nextDue = await this.store.nextDueAt();
    const now = this.clock.now();
    const short = this.lastShortClaim;
    // Due within the reach of the last claim, yet not claimed: it waits for its due time (a
    // generator's first tick or a flow's trigger, never claimed ahead; or held by another node).
    // Claimed nothing for a due time and nothing waits so: another node claimed it first.
    const waitsForItsTime = nextDue !== null && short !== null && nextDue > short.now && nextDue <= short.dueBy;
    if (missed && !waitsForItsTime) this.outpaced = true;
    const ceiling = now + this.options.maxIdleMs;
    const dueAt = nextDue === null ? null : nextDue + this.backOff() - (waitsForItsTime ? 0 : this.claimAhead());
    let at = dueAt === null ? ceiling : Math.min(dueAt, ceiling);
    // Due when the last claim ran, yet not claimed with slots free: held back because its
    // project has its share of the slots. A delivery that ends ticks again (see send); the
    // timer only re-checks now and then.
    if (nextDue !== null && short !== null && nextDue <= short.now && this.inFlight.size > 0) {
      this.awaitingSlots = true;
      at = Math.min(ceiling, now + HELD_BACK_RECHECK_MS);
    }
    if (this.notifiedDuringTick !== null) at = Math.min(at, this.notifiedDuringTick);
    if (!this.stopping) this.arm(at, at === dueAt || at === this.notifiedDuringTick);
  }

  private send(claim: ClaimedTrigger): void {
    // Instances this claim cancelled: their attempts here stop now (elsewhere, they are fenced).
    for (const id of claim.supersedes?.ids ?? []) this.aborts.get(id)?.abort(new Error(claim.supersedes?.reason));
    const { projectId } = claim;
    this.inFlightByProject.set(projectId, (this.inFlightByProject.get(projectId) ?? 0) + 1);
    const delivery = this.deliverAndRecord(claim).finally(() => {
      this.inFlight.delete(claim.id);
      const left = (this.inFlightByProject.get(projectId) ?? 1) - 1;
      if (left === 0) this.inFlightByProject.delete(projectId);
      else this.inFlightByProject.set(projectId, left);
      // While waiting for slots, the delivery that frees enough of them ticks again — or one that
      // leaves its project under its fair share, which may have more due: slow deliveries of
      // other projects must not keep it waiting for a quarter of the slots.
      if (this.awaitingSlots && !this.stopping) {
        const underShare = left < fairShare(this.options.concurrency, this.inFlightByProject.size);
        if (this.inFlight.size <= this.refillThreshold() || underShare) {
          this.awaitingSlots = false;
          void this.tick();
        }
      }
    });
    this.inFlight.set(claim.id, delivery);
  }

  /** Resolves at the claim's start time (it was claimed ahead of it) to true, or to false if shutdown gave the claim back first. */
  private startTime(claim: ClaimedTrigger): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const end = (started: boolean) => {
        this.waitingToStart.delete(claim.id);
        resolve(started);
      };
      const disarm = this.clock.setTimer(claim.startAt, () => end(true));
      this.waitingToStart.set(claim.id, {
        startAt: claim.startAt,
        giveUp: () => {
          disarm();
          end(false);
        },
      });
    });
  }

  // MUST settle: every claimed trigger either gets its outcome recorded here, or keeps its lease
  // and is claimed again when the lease expires. Nothing here may throw past the catch.
  private async deliverAndRecord(claim: ClaimedTrigger): Promise<void> {
    // Only a generator's instance can be superseded by its next tick (ttr-overlap:
    // cancel-previous): a one-shot's delivery goes without an abort signal, which costs.
    const abort = claim.generatorId === null ? null : new AbortController();
    if (abort !== null) this.aborts.set(claim.id, abort);
    try {
      if (claim.startAt > this.clock.now() && !(await this.startTime(claim))) return;
      const request = await this.signed(claim);
      const options = { timeoutMs: claim.delivery.timeoutMs, projectId: claim.projectId };
      const outcome = await this.deliver(request, abort === null ? options : { ...options, signal: abort.signal });
      this.aborts.delete(claim.id);
      if (this.options.failpoint?.at === "after-send") this.options.failpoint.crash();
      const result = this.resultOf(claim, outcome, abort?.signal.aborted ?? false);
      await this.store.finishAttempt(result);
      // The timer is armed for this claim's lease expiry; a retry or a callback is due sooner.
      if (result.retryAt !== null) this.notify(result.retryAt);
      if (result.callbacks.length > 0) this.notify(result.finishedAt);
      this.log.debug(
        { triggerId: claim.id, attempt: claim.attempt, status: outcome.httpStatus, lateMs: outcome.startedAt - claim.scheduledAt },
        "attempt recorded",
      );
      this.emit("attempt", { claim, result });
    } catch (error) {
      this.log.error({ err: error, triggerId: claim.id }, "could not record an attempt; the lease will expire and it will be retried");
    } finally {
      this.aborts.delete(claim.id);
    }
  }
}
