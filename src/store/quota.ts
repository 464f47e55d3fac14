/** Monthly quota arithmetic: pure, shared by every store path. */

import { QuotaExceededError } from "../errors.js";

/** "2026-11": the calendar month (UTC) quotas are counted in. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function startOfNextMonth(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** What is left of the quota once one more instance is counted; refuses it (402) when none is left. */
export function remainingAfterOne(quota: number | null, used: number, now: number): number | null {
  if (quota === null) return null;
  if (used >= quota) {
    throw new QuotaExceededError(
      "quota_exceeded",
      `This project's monthly quota of ${quota} trigger instances is used up; it resets on ${new Date(startOfNextMonth(now)).toISOString().slice(0, 10)}.`,
    );
  }
  return quota - used - 1;
}
