import type { AttemptTiming } from "../store/types.js";

const MINUTE_MS = 60_000;

/** One minute of the activity charts. */
export interface MinuteActivity {
  /** Start of the minute (epoch ms). */
  start: number;
  succeeded: number;
  failed: number;
  /** Lateness of the first attempts that started in the minute (start − nominal time, ≥ 0): the largest, and the median; null when none. */
  maxLateMs: number | null;
  medianLateMs: number | null;
}

/**
 * The last `minutes` whole minutes up to `now` (the current minute last), with the attempts that
 * finished in each and the lateness of the first attempts among them. Retries are left out of
 * lateness: their delay is the retry policy's, not the dispatcher's.
 */
export function activityByMinute(timings: readonly AttemptTiming[], now: number, minutes: number): MinuteActivity[] {
  const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const first = last - (minutes - 1) * MINUTE_MS;
  const buckets = Array.from({ length: minutes }, (_, i) => ({ start: first + i * MINUTE_MS, succeeded: 0, failed: 0, late: [] as number[] }));
  for (const timing of timings) {
    const index = Math.floor((timing.finishedAt - first) / MINUTE_MS);
    const bucket = buckets[index];
    if (bucket === undefined) continue;
    bucket[timing.outcome] += 1;
    if (timing.attempt === 1) bucket.late.push(Math.max(0, timing.startedAt - timing.scheduledAt));
  }
  return buckets.map(({ start, succeeded, failed, late }) => {
    late.sort((a, b) => a - b);
    return {
      start,
      succeeded,
      failed,
      maxLateMs: late.length === 0 ? null : (late[late.length - 1] as number),
      medianLateMs: late.length === 0 ? null : (late[Math.floor((late.length - 1) / 2)] as number),
    };
  });
}
