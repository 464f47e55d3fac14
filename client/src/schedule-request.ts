import type { Duration, Overlap, RunMissed } from "./types.js";

/** How and when `/schedule` replays a request: each field is one `ttr-` header (docs/protocol.md). */
export interface ScheduleOptions {
  /** `ttr-scheduled-at`: `now | add 10m`, an ISO-8601 time, `cron(0 9 * * 1-5)`; a Date is sent as ISO UTC. */
  at: string | Date;
  /** `ttr-custom-key`: idempotency key; a live owner is edited in place. */
  customKey?: string;
  /** `ttr-trigger-id`: edit this trigger or generator. */
  triggerId?: string;
  /** `ttr-timezone`: IANA zone for offset-less times, calendar days and cron. */
  timezone?: string;
  title?: string;
  /** `ttr-tags` (a tag cannot contain a comma). */
  tags?: string[];
  retries?: number;
  retryDelay?: Duration;
  timeout?: Duration;
  callbackUrl?: string;
  failureUrl?: string;
  /** cron only. */
  runMissed?: RunMissed;
  /** cron only. */
  overlap?: Overlap;
  /** `ttr-ends-at` (cron only): no tick after this instant. */
  endsAt?: string;
  /** `ttr-max-runs` (cron only): the generator ends after this many ticks. */
  maxRuns?: number;
  /** `ttr-success-status`: the statuses that succeed, e.g. `2xx,409`. */
  successStatus?: string;
  /** `ttr-retry-on`: the failures retried, e.g. `429,5xx,network`. */
  retryOn?: string;
  /** `ttr-flow-key`: the project's flow whose limits hold the attempts (default with a limit: the URL's origin). */
  flowKey?: string;
  /** `ttr-flow-parallelism`: at most this many of the flow's attempts in flight; sets the flow's limits. */
  flowParallelism?: number;
  /** `ttr-flow-rate`: at most this many of the flow's attempts started per second; sets the flow's limits. */
  flowRate?: number;
}

const TTR_HEADER: Record<Exclude<keyof ScheduleOptions, "at" | "tags">, string> = {
  customKey: "ttr-custom-key",
  triggerId: "ttr-trigger-id",
  timezone: "ttr-timezone",
  title: "ttr-title",
  retries: "ttr-retries",
  retryDelay: "ttr-retry-delay",
  timeout: "ttr-timeout",
  callbackUrl: "ttr-callback-url",
  failureUrl: "ttr-failure-url",
  runMissed: "ttr-run-missed",
  overlap: "ttr-overlap",
  endsAt: "ttr-ends-at",
  maxRuns: "ttr-max-runs",
  successStatus: "ttr-success-status",
  retryOn: "ttr-retry-on",
  flowKey: "ttr-flow-key",
  flowParallelism: "ttr-flow-parallelism",
  flowRate: "ttr-flow-rate",
};

/** What to send to `/schedule`: the request's own method, headers and body bytes, plus `ttr-` headers. */
export interface ScheduleRequestParts {
  method: string;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer> | undefined;
}

/**
 * Builds the `/schedule` request for what a caller would pass to `fetch`. The request is built
 * by the platform's `Request`, so its method, headers (a string body's default Content-Type
 * included) and body bytes are exactly what `fetch(input, init)` would send; the target goes in
 * `ttr-url`.
 */
export async function scheduleRequestParts(
  input: Request | string | URL,
  init: RequestInit | undefined,
  options: ScheduleOptions,
  apiKey: string,
): Promise<ScheduleRequestParts> {
  if (options === null || typeof options !== "object" || options.at === undefined) {
    throw new TypeError("schedule() needs options with at (when to send it), e.g. { at: \"now | add 10m\" }");
  }
  const request = new Request(input instanceof URL ? input.href : input, init);
  if (request.method === "HEAD") {
    throw new TypeError("Hourglass answers HEAD /schedule without a body; schedule a HEAD request with triggers.create({ method: \"HEAD\", … })");
  }
  const headers: [string, string][] = [];
  for (const [name, value] of request.headers) {
    if (name.startsWith("ttr-")) throw new TypeError(`The request has a ${name} header: pass Hourglass's settings in schedule()'s options instead`);
    headers.push([name, value]);
  }
  const at = options.at instanceof Date ? options.at.toISOString() : options.at;
  headers.push(["ttr-api-key", apiKey], ["ttr-url", request.url], ["ttr-scheduled-at", at]);
  for (const [field, header] of Object.entries(TTR_HEADER) as [keyof typeof TTR_HEADER, string][]) {
    const value = options[field];
    if (value !== undefined && value !== null) headers.push([header, String(value)]);
  }
  if (options.tags !== undefined && options.tags.length > 0) headers.push(["ttr-tags", options.tags.join(",")]);
  const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
  return { method: request.method, headers, body };
}
