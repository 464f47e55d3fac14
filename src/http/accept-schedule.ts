import type { EgressPolicy } from "../egress/address-policy.js";
import { InvalidInputError } from "../errors.js";
import { methodCarriesBody, splitHeaders } from "../request/captured-request.js";
import { parseScheduleHeaders } from "../schedule/ttr-headers.js";
import type { FlowLimits, ParsedUrlHeader } from "../schedule/types.js";
import type { RequestTemplate, ScheduleResult } from "../store/types.js";
import { shuttingDown } from "./availability.js";
import type { AppDeps } from "./context.js";

/** The `/schedule` response body (DESIGN §1). */
export interface ScheduleResponse {
  triggerId: string;
  scheduledAt: string;
  operation: ScheduleResult["operation"];
  kind: ScheduleResult["kind"];
  monthQuotaRemaining: number | null;
}

/** A `/schedule` request as any HTTP front end hands it over. */
export interface ScheduleRequest {
  method: string;
  /** `[name, value, name, value, …]` in arrival order, original case (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  /** Reads the body (called only for methods that carry one), enforcing the body limit. */
  readBody: () => Promise<Uint8Array>;
}

/** Refuses, with the rule and how to open it, a URL the egress policy would never let through. */
export function checkEgress(policy: EgressPolicy, urls: readonly ParsedUrlHeader[]): void {
  for (const { header, url } of urls) {
    const decision = policy.checkUrlAtSchedule(url);
    if (!decision.allowed) throw new InvalidInputError("egress_blocked", `${header}: ${decision.message}`);
  }
}

/**
 * `/schedule` (DESIGN §1), independent of the HTTP framework: authenticates, parses the `ttr-`
 * headers, captures the request and stores it; resolves once the trigger is committed. Throws
 * the domain errors the error mapping turns into 4xx answers.
 */
export async function acceptSchedule(deps: AppDeps, request: ScheduleRequest): Promise<ScheduleResponse> {
  if (deps.isShuttingDown()) throw shuttingDown();
  const now = deps.clock.now();
  const { forwarded, ttr } = splitHeaders(request.rawHeaders, {
    maxCount: deps.limits.maxHeaderCount,
    maxBytes: deps.limits.maxHeaderBytes,
  });
  const apiKey = ttr.get("ttr-api-key")?.[0];
  // The cached caller without an await: one event-loop step less on the ingest path.
  const { projectId, rateLimit } = deps.auth.cached(apiKey) ?? (await deps.auth.authenticate(apiKey));
  deps.rateLimiter.take(projectId, rateLimit);
  const defaults = deps.projectDefaults.cached(projectId) ?? (await deps.projectDefaults.get(projectId));
  const spec = parseScheduleHeaders(ttr, { now, defaults });
  checkEgress(deps.egress.cached(projectId) ?? (await deps.egress.policyFor(projectId)), spec.urls);
  const method = request.method;
  const body = methodCarriesBody(method) ? await request.readBody() : null;
  const template: RequestTemplate = { method, url: spec.url, headers: forwarded, body };
  const common = {
    projectId,
    customKey: spec.customKey,
    triggerId: spec.triggerId,
    request: template,
    delivery: spec.delivery,
    flowLimits: spec.flowLimits,
    title: spec.title,
    tags: spec.tags,
    now,
  };
  const when = spec.when;
  const result = await deps.writeGate.admit(() =>
    when.kind === "once"
      ? deps.store.scheduleJob({ ...common, scheduledAt: when.at })
      : deps.store.scheduleGenerator({
          ...common,
          cronExpr: when.expr,
          cronTz: when.tz,
          runMissed: spec.runMissed,
          overlap: spec.overlap,
          endsAt: spec.endsAt,
          maxRuns: spec.maxRuns,
        }),
  );
  return scheduled(deps, result, wakeAt(result, spec.flowLimits, now));
}

/**
 * When the dispatchers must look again after a schedule: when it is due — or now, when it set a
 * flow's limits, which may have un-parked triggers of the flow that were due already.
 */
export function wakeAt(result: ScheduleResult, flowLimits: FlowLimits | null | undefined, now: number): number {
  return flowLimits === null || flowLimits === undefined ? result.scheduledAt : Math.min(now, result.scheduledAt);
}

/** Tells the dispatcher and the metrics about a committed schedule; the answer that reports it. */
export function scheduled(deps: Pick<AppDeps, "onScheduled" | "metrics">, result: ScheduleResult, dueAt = result.scheduledAt): ScheduleResponse {
  deps.onScheduled(dueAt);
  deps.metrics.recordSchedule(result);
  return {
    triggerId: result.id,
    scheduledAt: new Date(result.scheduledAt).toISOString(),
    operation: result.operation,
    kind: result.kind,
    monthQuotaRemaining: result.monthQuotaRemaining,
  };
}
