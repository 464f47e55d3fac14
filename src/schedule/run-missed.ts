import type { RunMissedPolicy } from "./types.js";

/** What the dispatcher knows when it claims a generator instance. */
export interface PlanInput {
  /** The generator's `ttr-run-missed` policy. */
  policy: RunMissedPolicy;
  /** Nominal time (the cron tick) of the claimed instance. */
  nominalAt: number;
  /** The claim time. */
  now: number;
  /** The generator's schedule: first tick strictly after `after`, or `null` when it ends. */
  next: (after: number) => number | null;
  /** A tick is missed when `now - tick > missedGraceMs`. */
  missedGraceMs: number;
  /** Missed runs the current `all` catch-up still allows (as returned by the previous plan); `null` outside one. */
  catchupLeft: number | null;
  /** Most missed instances that fire in one `all` catch-up (at least 1). */
  catchupCap: number;
}

/** The decision for one claimed generator instance. */
export interface InstancePlan {
  /** Whether the claimed instance is delivered (`false`: record it as cancelled). */
  fireClaimed: boolean;
  /** Nominal time of the next instance to materialize; `null` when the schedule has ended. */
  nextAt: number | null;
  /** To store on the generator for the next claim. */
  catchupLeft: number | null;
}

/**
 * Decides whether a claimed generator instance fires and when the next instance is due. A tick
 * is missed when `now - tick > missedGraceMs`; the candidate is `next(nominalAt)`, the tick
 * after the claimed one (computed from the nominal time, so the schedule never drifts).
 *
 * - `skip`: a missed claimed instance does not fire. The next instance is the candidate, or
 *   `next(now)` when the candidate is missed too.
 * - `once`: the claimed instance fires. The next instance is the candidate, or `next(now)` when
 *   the candidate is missed: every missed tick collapses into this one run.
 * - `all`: the claimed instance fires and the next instance is the candidate, so missed ticks
 *   run one after another, oldest first, at most `catchupCap` of them per catch-up. The first
 *   missed claim opens a catch-up and leaves `catchupCap - 1` runs; each further missed claim
 *   uses one more. The claim that uses the last one, when its candidate is still missed, ends
 *   the catch-up: the remaining missed ticks are dropped and the next instance is `next(now)`.
 *   `catchupLeft` is `null` whenever no catch-up is under way (the claimed instance was on
 *   time, the candidate is not missed, or the catch-up was cut short).
 */
export function planNextInstance(input: PlanInput): InstancePlan {
  const claimedMissed = isMissed(input, input.nominalAt);
  const candidate = input.next(input.nominalAt);
  const candidateMissed = candidate !== null && isMissed(input, candidate);
  switch (input.policy) {
    case "skip":
    case "once": {
      const nextAt = candidateMissed ? input.next(input.now) : candidate;
      return { fireClaimed: input.policy === "once" || !claimedMissed, nextAt, catchupLeft: null };
    }
    case "all":
      return planCatchUp(input, claimedMissed, candidate, candidateMissed);
  }
}

function planCatchUp(
  input: PlanInput,
  claimedMissed: boolean,
  candidate: number | null,
  candidateMissed: boolean,
): InstancePlan {
  if (!claimedMissed || !candidateMissed) return { fireClaimed: true, nextAt: candidate, catchupLeft: null };
  const left = (input.catchupLeft ?? Math.max(input.catchupCap, 1)) - 1;
  if (left <= 0) return { fireClaimed: true, nextAt: input.next(input.now), catchupLeft: null };
  return { fireClaimed: true, nextAt: candidate, catchupLeft: left };
}

function isMissed(input: PlanInput, tick: number): boolean {
  return input.now - tick > input.missedGraceMs;
}
