import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/schedule/cron.js";
import {
  addCalendarDays,
  instantToWallMs,
  instantToWallTime,
  wallMsToInstant,
  wallTimeToInstant,
} from "../../src/schedule/zoned-time.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ZONES = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "America/Santiago",
  "Australia/Lord_Howe",
  "Australia/Adelaide",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "America/Havana",
];

/** DST transitions of the zones above; half the samples land within a day and a half of one. */
const TRANSITIONS = [
  "2026-03-29T01:00:00Z",
  "2026-10-25T01:00:00Z",
  "2026-03-08T07:00:00Z",
  "2026-11-01T06:00:00Z",
  "2026-09-06T04:00:00Z",
  "2026-04-05T03:00:00Z",
  "2026-10-03T15:30:00Z",
  "2026-04-04T15:00:00Z",
  "2026-10-03T16:30:00Z",
  "2026-09-26T14:00:00Z",
  "2026-03-08T05:00:00Z",
].map((text) => Date.parse(text));

const PATTERNS = [
  "30 2 * * *",
  "0 2,3 * * *",
  "0,45 1,2,3 * * *",
  "0 0 * * *",
  "0 30 2 * * 0",
  "*/30 * * * *",
  "0 * * * *",
  "0 1-3 * * *",
  "*/20 2 * * *",
  "0 9 * * 1-5",
];

/** mulberry32: a seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function sampler(seed: number): { pick: <T>(items: readonly T[]) => T; instant: () => number; int: (max: number) => number } {
  const next = random(seed);
  const int = (max: number): number => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const instant = (): number =>
    next() < 0.5
      ? pick(TRANSITIONS) + int(3 * DAY) - 1.5 * DAY
      : Date.parse("1990-01-01T00:00:00Z") + int(50 * 365 * DAY);
  return { pick, instant, int };
}

const sameWall = (a: number, b: number, tz: string): boolean =>
  JSON.stringify(instantToWallTime(a, tz)) === JSON.stringify(instantToWallTime(b, tz));

describe("properties", () => {
  it("addCalendarDays(n) then (-n) returns the start when no gap or second pass is involved", () => {
    const { pick, instant, int } = sampler(1);
    let checked = 0;
    for (let i = 0; i < 1500; i++) {
      const tz = pick(ZONES);
      const t = instant();
      const days = int(61) - 30;
      const startWall = instantToWallMs(t, tz);
      const there = addCalendarDays(t, days, tz);
      const firstPass = wallMsToInstant(startWall, tz) === t;
      const noGap = instantToWallMs(there, tz) === startWall + days * DAY;
      if (!firstPass || !noGap) continue;
      checked++;
      expect(addCalendarDays(there, -days, tz), `${tz} ${new Date(t).toISOString()} ${days}d`).toBe(t);
    }
    expect(checked).toBeGreaterThan(1400);
  });

  it("a wall time read back from an instant maps to that instant or an earlier pass of it", () => {
    const { pick, instant } = sampler(2);
    for (let i = 0; i < 1500; i++) {
      const tz = pick(ZONES);
      const t = instant();
      const back = wallTimeToInstant(instantToWallTime(t, tz), tz);
      expect(back, `${tz} ${new Date(t).toISOString()}`).toBeLessThanOrEqual(t);
      expect(t - back, `${tz} ${new Date(t).toISOString()}`).toBeLessThanOrEqual(2 * HOUR);
      expect(sameWall(back, t, tz)).toBe(true);
    }
  });

  it("nextAfter(t) > t, and no tick lies between t and nextAfter(t)", () => {
    const { pick, instant, int } = sampler(3);
    const schedules = new Map<string, CronSchedule>();
    for (let i = 0; i < 600; i++) {
      const tz = pick(ZONES);
      const expr = pick(PATTERNS);
      const key = `${expr}@${tz}`;
      const schedule = schedules.get(key) ?? CronSchedule.parse(expr, tz);
      schedules.set(key, schedule);
      const t = instant();
      const next = schedule.nextAfter(t);
      const label = `${expr} ${tz} ${new Date(t).toISOString()}`;
      expect(next, label).not.toBeNull();
      if (next === null) continue;
      expect(next, label).toBeGreaterThan(t);
      const between = t + int(next - t);
      expect(schedule.nextAfter(between), `${label} via ${new Date(between).toISOString()}`).toBe(next);
    }
  });
});
