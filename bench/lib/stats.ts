/** Order statistics of a sample, in the sample's unit. `null` fields mean an empty sample. */
export interface Summary {
  count: number;
  min: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentile (`q` in 0..1) of an ascending array; `null` when empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/**
 * The item whose `value` is the median of `items` (the lower middle one for an even count, as
 * {@link percentile} picks it); undefined for none.
 */
export function medianBy<T>(items: readonly T[], value: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

/** Summarizes `values` (not modified). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const count = sorted.length;
  return {
    count,
    min: sorted[0] ?? null,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[count - 1] ?? null,
    mean: count === 0 ? null : sorted.reduce((a, b) => a + b, 0) / count,
  };
}

/** Counts of ids never seen and seen more than once, given how often each was seen. */
export function lossAndDuplicates(expected: Iterable<string>, seen: ReadonlyMap<string, number>): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  for (const id of expected) {
    const times = seen.get(id) ?? 0;
    if (times === 0) lost += 1;
    else if (times > 1) duplicated += 1;
  }
  return { lost, duplicated };
}
