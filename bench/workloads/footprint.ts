import type { Footprint, Session } from "../adapters/adapter.js";

/** Workload 4: memory and disk with `pending` triggers waiting. */
export interface FootprintResult {
  system: string;
  pending: number;
  footprint: Footprint;
}

/** Lets a freshly started session settle for `settleMs`, then measures it. */
export async function measureFootprint(system: string, session: Session, pending: number, settleMs: number): Promise<FootprintResult> {
  await new Promise((r) => setTimeout(r, settleMs));
  return { system, pending, footprint: await session.footprint() };
}

/** Bytes per pending trigger between a level and the empty store, or null when not measurable. */
export function perPending(at: FootprintResult, empty: FootprintResult | undefined, pick: (f: Footprint) => number | null): number | null {
  if (empty === undefined || at.pending === 0) return null;
  const a = pick(at.footprint);
  const b = pick(empty.footprint);
  return a === null || b === null ? null : (a - b) / at.pending;
}
