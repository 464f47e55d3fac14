/** A generator's limits (`ttr-ends-at`, `ttr-max-runs`) and how far it has come. */
export interface EndInput {
  /** Nominal time of the tick about to be materialized. */
  nextAt: number;
  /** `ttr-ends-at`: no tick after this instant (epoch ms); `null`: no end. */
  endsAt: number | null;
  /** `ttr-max-runs`: the generator ends once this many ticks have fired; `null`: no limit. */
  maxRuns: number | null;
  /** Ticks fired so far: claimed for delivery, not skipped. Extra runs (`run now`) and retries do not count. */
  runs: number;
}

/**
 * Why a generator ends instead of materializing its tick at `nextAt`, or `null` when it goes on.
 * A tick at exactly `endsAt` still fires; the limit of runs is checked first, so a generator that
 * has fired its last run ends even when its next tick would also be past `endsAt`.
 */
export function endOfSchedule(input: EndInput): string | null {
  if (input.maxRuns !== null && input.runs >= input.maxRuns) {
    return `ended: ttr-max-runs reached (${input.maxRuns} run${input.maxRuns === 1 ? "" : "s"})`;
  }
  if (input.endsAt !== null && input.nextAt > input.endsAt) {
    return `ended: ttr-ends-at reached (${new Date(input.endsAt).toISOString()})`;
  }
  return null;
}
