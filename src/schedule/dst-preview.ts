import type { CronSchedule } from "./cron.js";
import { instantToWallMs, offsetAt, wallMsToInstant } from "./zoned-time.js";

const DAY_MS = 86_400_000;

/** Most preview fire times one call computes. */
export const MAX_PREVIEW_COUNT = 1000;

/**
 * One fire time of a cron schedule and what daylight saving time did to it. Instants are epoch
 * ms; wall times are ms read as if UTC (see zoned-time.ts).
 */
export type FireTime =
  /** Not touched by a DST transition. */
  | { at: number; dst: null }
  /**
   * A wall-clock pattern named a wall time that does not exist that day (clocks jumped over it):
   * it fires `shiftMs` later, at the same distance past the jump.
   */
  | { at: number; dst: "gap"; wallMs: number; shiftMs: number }
  /**
   * The wall time occurs twice (clocks went back). `pass` 1 is the earlier occurrence. A cadence
   * pattern fires on both passes; a wall-clock pattern fires once, on the first.
   */
  | { at: number; dst: "overlap"; pass: 1 | 2; bothPasses: boolean }
  /**
   * A cadence pattern matched `count` wall times, `firstWallMs` … `lastWallMs`, between the
   * previous fire time and this one that do not exist (clocks jumped over them): they never fire.
   */
  | { at: number; dst: "skipped"; count: number; firstWallMs: number; lastWallMs: number };

/**
 * The next `count` fire times of `schedule` strictly after `from`, each marked where DST shifted
 * (`gap`), doubled (`overlap`) or skipped (`skipped`) it. The times are exactly those
 * {@link CronSchedule.nextAfter} gives, so a preview always matches what the generator does.
 * Fewer than `count` when the schedule ends.
 */
export function previewFireTimes(schedule: CronSchedule, from: number, count: number): FireTime[] {
  const times: FireTime[] = [];
  let previous = from;
  while (times.length < count) {
    const fire = schedule.nextFireAfter(previous);
    if (fire === null) break;
    times.push(classify(schedule, previous, fire.at, fire.wallMs));
    previous = fire.at;
  }
  return times;
}

function classify(schedule: CronSchedule, previous: number, at: number, matchedWallMs: number): FireTime {
  const { tz } = schedule;
  const wallMs = instantToWallMs(at, tz);
  if (wallMs !== matchedWallMs) return { at, dst: "gap", wallMs: matchedWallMs, shiftMs: wallMs - matchedWallMs };
  if (!schedule.isWallClock) {
    const skipped = vanishedWallTimes(schedule, instantToWallMs(previous, tz), wallMs);
    if (skipped !== null) return { at, dst: "skipped", ...skipped };
  }
  const pass = passOf(at, wallMs, tz);
  return pass === null ? { at, dst: null } : { at, dst: "overlap", pass, bothPasses: !schedule.isWallClock };
}

/*
 * Between two consecutive fire times of a cadence, every wall time the pattern matches is one
 * that does not exist (an existing one would have fired), so all of them are counted.
 */
function vanishedWallTimes(
  schedule: CronSchedule,
  fromWallMs: number,
  untilWallMs: number,
): { count: number; firstWallMs: number; lastWallMs: number } | null {
  let count = 0;
  let firstWallMs = 0;
  let lastWallMs = 0;
  for (let wall = schedule.nextMatchingWall(fromWallMs); wall !== null && wall < untilWallMs; wall = schedule.nextMatchingWall(wall)) {
    if (instantToWallMs(wallMsToInstant(wall, schedule.tz), schedule.tz) === wall) continue;
    if (count === 0) firstWallMs = wall;
    lastWallMs = wall;
    count++;
  }
  return count === 0 ? null : { count, firstWallMs, lastWallMs };
}

/**
 * 1 or 2 when the wall time of `at` occurs twice in `tz` (which occurrence `at` is), else null.
 * The offsets a day either side bracket any one transition, as in {@link wallMsToInstant}.
 */
function passOf(at: number, wallMs: number, tz: string): 1 | 2 | null {
  const before = offsetAt(at - DAY_MS, tz);
  const after = offsetAt(at + DAY_MS, tz);
  if (before === after) return null;
  const first = Math.min(wallMs - before, wallMs - after);
  const second = Math.max(wallMs - before, wallMs - after);
  if (instantToWallMs(first, tz) !== wallMs || instantToWallMs(second, tz) !== wallMs) return null;
  return at === first ? 1 : 2;
}
