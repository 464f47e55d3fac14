/** Monthly quota arithmetic: pure, shared by every store path. */

import { QuotaExceededError } from "../errors.js";

/** The month {@link monthOf} found last, and the instants it spans: every /schedule asks for it. */
let lastMonth = { from: 0, until: 0, month: "" };

/** "2026-11": the calendar month (UTC) quotas are counted in. */
export function monthOf(ms: number): string {
  if (ms >= lastMonth.from && ms < lastMonth.until) return lastMonth.month;
  const date = new Date(ms);
  const from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  lastMonth = { from, until: startOfNextMonth(ms), month: date.toISOString().slice(0, 7) };
  return lastMonth.month;
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
