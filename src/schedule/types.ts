/** What to do with generator ticks that passed while Hourglass was not running. */
export const RUN_MISSED = {
  /** Missed ticks do not run; the schedule resumes at the next future tick. */
  skip: "skip",
  /** All missed ticks together run once, as soon as possible; then the schedule resumes. */
  once: "once",
  /** Every missed tick runs, oldest first (bounded by the configured cap). */
  all: "all",
} as const;
export type RunMissedPolicy = (typeof RUN_MISSED)[keyof typeof RUN_MISSED];

/**
 * Overlap control of a generator, when a tick comes due while an earlier instance is still in
 * flight (being delivered, or waiting for a retry): `allow` fires it anyway, `skip` drops the new
 * tick, `cancel-previous` cancels the earlier instance (its attempt aborted, its retries dropped)
 * and fires the new one.
 */
export type OverlapPolicy = "allow" | "skip" | "cancel-previous";

/** Every {@link OverlapPolicy}, in the order the docs list them. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["allow", "skip", "cancel-previous"];

/** How a trigger is delivered (`ttr-retries`, `ttr-retry-delay`, `ttr-timeout`, callbacks). */
export interface DeliveryPolicy {
  /** Retries after a failed attempt (0–20). */
  retries: number;
  /** Delay before the first retry; doubled (with jitter) for each further one, capped at 1 h. */
  retryDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** POSTed every final outcome. */
  callbackUrl: string | null;
  /** POSTed final failures only. */
  failureUrl: string | null;
  /** `ttr-success-status` in canonical form (`2xx,409`); `null`: 2xx and 3xx succeed. */
  successStatus: string | null;
  /** `ttr-retry-on` in canonical form (`429,5xx,network`); `null`: the default retry policy. */
  retryOn: string | null;
  /** `ttr-flow-key`: the flow (of the project) whose limits hold its attempts; `null`: none. */
  flowKey: string | null;
}

/**
 * The limits of a flow (`ttr-flow-parallelism`, `ttr-flow-rate`), as a request sets them: they
 * replace the flow's limits — a limit not given is removed.
 */
export interface FlowLimits {
  /** At most this many of the flow's attempts in flight at once; `null`: no cap. */
  parallelism: number | null;
  /** At most this many of the flow's attempts start in each second; `null`: no cap. */
  rate: number | null;
}

/** A parsed `ttr-scheduled-at`. */
export type When =
  /** A one-shot trigger due at `at` (epoch ms; may be in the past: fires immediately). */
  | { kind: "once"; at: number }
  /** A generator: `expr` as given (validated), evaluated in IANA zone `tz`. */
  | { kind: "cron"; expr: string; tz: string };

/** Everything the `ttr-` headers of one `/schedule` request say, validated. */
export interface ScheduleSpec {
  when: When;
  /** Absolute http(s) URL to call. */
  url: string;
  customKey: string | null;
  /** `ttr-trigger-id`: edit this trigger or generator. */
  triggerId: string | null;
  title: string | null;
  tags: string[];
  runMissed: RunMissedPolicy;
  overlap: OverlapPolicy;
  /** `ttr-ends-at` (cron only): no tick after this instant (epoch ms). */
  endsAt: number | null;
  /** `ttr-max-runs` (cron only): the generator ends once this many ticks have fired. */
  maxRuns: number | null;
  delivery: DeliveryPolicy;
  /** The limits to set on the flow `delivery.flowKey` names; `null`: the request gave none. */
  flowLimits: FlowLimits | null;
  /**
   * The URLs above as they were parsed to validate them — `ttr-url` first, then the callback and
   * failure URLs that were given — for checks that need their parts (the egress policy), without
   * parsing them again.
   */
  urls: ParsedUrlHeader[];
}

/** A URL from a `ttr-` header, parsed (possibly shared with other requests naming the same URL: read only). */
export interface ParsedUrlHeader {
  header: string;
  url: Readonly<URL>;
}
