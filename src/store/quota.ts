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

/** A project's count of instances in a month, as one transaction sees it. */
export interface MonthCount {
  projectId: string;
  month: string;
  /** The project's monthly quota; null: none. */
  quota: number | null;
  /** The count stored when the transaction first read it. */
  stored: number;
  /** Instances the transaction counted since, written with its other rows. */
  added: number;
}

/**
 * The quota counts one transaction of new one-shots keeps (the hot paths of both engines): each
 * project's stored count is read once per month and transaction, the instances it counts are
 * added here, and the sums are written once, before COMMIT — one upsert per project, not one per
 * /schedule.
 */
export class QuotaTally {
  private readonly counts = new Map<string, MonthCount>();

  /** The count of `projectId` in `month` if this transaction read it already. */
  known(projectId: string, month: string): MonthCount | undefined {
    return this.counts.get(`${projectId}\u0000${month}`);
  }

  /** Keeps what the transaction read of a count (see {@link known}). */
  read(projectId: string, month: string, quota: number | null, stored: number): MonthCount {
    const count = { projectId, month, quota, stored, added: 0 };
    this.counts.set(`${projectId}\u0000${month}`, count);
    return count;
  }

  /** Counts one more instance: what is left of the quota after it (null: no quota); refuses it past the quota. */
  countOne(count: MonthCount, now: number): number | null {
    const remaining = remainingAfterOne(count.quota, count.stored + count.added, now);
    count.added++;
    return remaining;
  }

  /**
   * The counts this transaction added to, by project and month: in one order on every node, so
   * that two transactions adding to the same counts never wait on each other in a cycle.
   */
  added(): MonthCount[] {
    return [...this.counts.values()]
      .filter((count) => count.added > 0)
      .sort((a, b) => (a.projectId === b.projectId ? (a.month < b.month ? -1 : 1) : a.projectId < b.projectId ? -1 : 1));
  }

  clear(): void {
    this.counts.clear();
  }
}
