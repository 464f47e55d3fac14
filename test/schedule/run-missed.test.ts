import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/schedule/cron.js";
import { type PlanInput, planNextInstance } from "../../src/schedule/run-missed.js";

const MIN = 60_000;
/** Ticks every 10 minutes from 0, ending after `last`. */
const everyTen =
  (last = Number.POSITIVE_INFINITY) =>
  (after: number): number | null => {
    const next = (Math.floor(after / (10 * MIN)) + 1) * 10 * MIN;
    return next > last ? null : next;
  };

function plan(overrides: Partial<PlanInput>): ReturnType<typeof planNextInstance> {
  return planNextInstance({
    policy: "once",
    nominalAt: 100 * MIN,
    now: 100 * MIN,
    next: everyTen(),
    missedGraceMs: MIN,
    catchupLeft: null,
    catchupCap: 3,
    ...overrides,
  });
}

describe("on time (claimed within the grace)", () => {
  it.each(["skip", "once", "all"] as const)("%s fires and schedules the next tick", (policy) => {
    expect(plan({ policy, now: 100 * MIN + MIN })).toEqual({ fireClaimed: true, nextAt: 110 * MIN, catchupLeft: null });
  });

  it("a schedule that ends yields nextAt null", () => {
    expect(plan({ next: everyTen(100 * MIN) })).toEqual({ fireClaimed: true, nextAt: null, catchupLeft: null });
  });
});

describe("skip", () => {
  it("does not fire a missed instance and resumes at the next future tick", () => {
    expect(plan({ policy: "skip", now: 145 * MIN })).toEqual({ fireClaimed: false, nextAt: 150 * MIN, catchupLeft: null });
  });

  it("does not fire a missed instance whose next tick is still ahead", () => {
    expect(plan({ policy: "skip", now: 105 * MIN })).toEqual({ fireClaimed: false, nextAt: 110 * MIN, catchupLeft: null });
  });

  it("counts a tick exactly at the grace as on time", () => {
    expect(plan({ policy: "skip", now: 101 * MIN })).toEqual({ fireClaimed: true, nextAt: 110 * MIN, catchupLeft: null });
  });
});

describe("once", () => {
  it("fires the missed instance once and collapses the other missed ticks", () => {
    expect(plan({ policy: "once", now: 145 * MIN })).toEqual({ fireClaimed: true, nextAt: 150 * MIN, catchupLeft: null });
  });

  it("keeps the next tick when it is not missed", () => {
    expect(plan({ policy: "once", now: 105 * MIN })).toEqual({ fireClaimed: true, nextAt: 110 * MIN, catchupLeft: null });
  });

  it("ends when nothing follows now", () => {
    expect(plan({ policy: "once", now: 145 * MIN, next: everyTen(140 * MIN) })).toEqual({
      fireClaimed: true,
      nextAt: null,
      catchupLeft: null,
    });
  });
});

describe("all", () => {
  it("runs missed ticks one after another, at most catchupCap per catch-up", () => {
    const now = 175 * MIN;
    const first = plan({ policy: "all", now, nominalAt: 100 * MIN });
    expect(first).toEqual({ fireClaimed: true, nextAt: 110 * MIN, catchupLeft: 2 });
    const second = plan({ policy: "all", now, nominalAt: 110 * MIN, catchupLeft: first.catchupLeft });
    expect(second).toEqual({ fireClaimed: true, nextAt: 120 * MIN, catchupLeft: 1 });
    const third = plan({ policy: "all", now, nominalAt: 120 * MIN, catchupLeft: second.catchupLeft });
    expect(third).toEqual({ fireClaimed: true, nextAt: 180 * MIN, catchupLeft: null });
  });

  it("ends the catch-up when the next tick is no longer missed", () => {
    expect(plan({ policy: "all", now: 125 * MIN, nominalAt: 110 * MIN, catchupLeft: 2 })).toEqual({
      fireClaimed: true,
      nextAt: 120 * MIN,
      catchupLeft: 1,
    });
    expect(plan({ policy: "all", now: 125 * MIN, nominalAt: 120 * MIN, catchupLeft: 1 })).toEqual({
      fireClaimed: true,
      nextAt: 130 * MIN,
      catchupLeft: null,
    });
  });

  it("with a cap of 1 behaves like once", () => {
    expect(plan({ policy: "all", now: 145 * MIN, catchupCap: 1 })).toEqual({ fireClaimed: true, nextAt: 150 * MIN, catchupLeft: null });
  });

  it("treats a stored catchupLeft of 0 as exhausted", () => {
    expect(plan({ policy: "all", now: 145 * MIN, catchupLeft: 0 })).toEqual({ fireClaimed: true, nextAt: 150 * MIN, catchupLeft: null });
  });

  it("resets catchupLeft when the claimed instance is on time", () => {
    expect(plan({ policy: "all", now: 100 * MIN, catchupLeft: 1 })).toEqual({ fireClaimed: true, nextAt: 110 * MIN, catchupLeft: null });
  });
});

describe("with a real CronSchedule", () => {
  const cron = CronSchedule.parse("0 * * * *", "Europe/Paris");
  const next = (after: number): number | null => cron.nextAfter(after);
  const nominalAt = Date.parse("2026-10-25T00:00:00Z");
  const now = Date.parse("2026-10-25T04:20:00Z");
  const base = { nominalAt, now, next, missedGraceMs: 5 * MIN, catchupLeft: null, catchupCap: 2 };
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

  it("skip drops the missed hours, including both passes of the repeated one", () => {
    const result = planNextInstance({ ...base, policy: "skip" });
    expect([result.fireClaimed, iso(result.nextAt)]).toEqual([false, "2026-10-25T05:00:00.000Z"]);
  });

  it("once runs now and resumes at the next hour", () => {
    const result = planNextInstance({ ...base, policy: "once" });
    expect([result.fireClaimed, iso(result.nextAt)]).toEqual([true, "2026-10-25T05:00:00.000Z"]);
  });

  it("all walks the missed hours in real time, then jumps after the cap", () => {
    const first = planNextInstance({ ...base, policy: "all" });
    expect([iso(first.nextAt), first.catchupLeft]).toEqual(["2026-10-25T01:00:00.000Z", 1]);
    const second = planNextInstance({ ...base, policy: "all", nominalAt: first.nextAt ?? 0, catchupLeft: first.catchupLeft });
    expect([iso(second.nextAt), second.catchupLeft]).toEqual(["2026-10-25T05:00:00.000Z", null]);
  });
});
