import { Hono } from "hono";
import type { EgressPolicy } from "../egress/address-policy.js";
import { InvalidInputError } from "../errors.js";
import { methodCarriesBody, splitHeaders } from "../request/captured-request.js";
import { parseCancelHeaders, parseScheduleHeaders } from "../schedule/ttr-headers.js";
import type { ParsedUrlHeader } from "../schedule/types.js";
import type { RequestTemplate, ScheduleResult } from "../store/types.js";
import { type AppDeps, type AppEnv, rawHeadersOf } from "./context.js";
import { readBodyLimited } from "./read-body.js";

/** The `/schedule` response body (DESIGN §1). */
export interface ScheduleResponse {
  triggerId: string;
  scheduledAt: string;
  operation: ScheduleResult["operation"];
  kind: ScheduleResult["kind"];
  monthQuotaRemaining: number | null;
}

/** Refuses, with the rule and how to open it, a URL the egress policy would never let through. */
function checkEgress(policy: EgressPolicy, urls: readonly ParsedUrlHeader[]): void {
  for (const { header, url } of urls) {
    const decision = policy.checkUrlAtSchedule(url);
    if (!decision.allowed) throw new InvalidInputError("egress_blocked", `${header}: ${decision.message}`);
  }
}

/** `/schedule` (any method) and `DELETE /cancel`. */
export function scheduleRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.all("/schedule", async (c) => {
    const now = deps.clock.now();
    const { forwarded, ttr } = splitHeaders(rawHeadersOf(c), {
      maxCount: deps.limits.maxHeaderCount,
      maxBytes: deps.limits.maxHeaderBytes,
    });
    const apiKey = ttr.get("ttr-api-key")?.[0];
    // The cached caller without an await: one event-loop step less on the ingest path.
    const { projectId, rateLimit } = deps.auth.cached(apiKey) ?? (await deps.auth.authenticate(apiKey));
    deps.rateLimiter.take(projectId, rateLimit);
    const spec = parseScheduleHeaders(ttr, { now, defaults: deps.deliveryDefaults });
    checkEgress(deps.egress, spec.urls);
    const method = c.req.method;
    const body = methodCarriesBody(method)
      ? await readBodyLimited(c.env?.incoming, c.req.raw, deps.limits.maxBodyBytes)
      : null;
    const request: RequestTemplate = { method, url: spec.url, headers: forwarded, body };
    const common = {
      projectId,
      customKey: spec.customKey,
      triggerId: spec.triggerId,
      request,
      delivery: spec.delivery,
      title: spec.title,
      tags: spec.tags,
      now,
    };
    const result =
      spec.when.kind === "once"
        ? await deps.store.scheduleJob({ ...common, scheduledAt: spec.when.at })
        : await deps.store.scheduleGenerator({
            ...common,
            cronExpr: spec.when.expr,
            cronTz: spec.when.tz,
            runMissed: spec.runMissed,
            overlap: spec.overlap,
          });
    deps.onScheduled(result.scheduledAt);
    deps.metrics.recordSchedule(result);
    return c.json<ScheduleResponse>({
      triggerId: result.id,
      scheduledAt: new Date(result.scheduledAt).toISOString(),
      operation: result.operation,
      kind: result.kind,
      monthQuotaRemaining: result.monthQuotaRemaining,
    });
  });

  app.delete("/cancel", async (c) => {
    const { ttr } = splitHeaders(rawHeadersOf(c), {
      maxCount: deps.limits.maxHeaderCount,
      maxBytes: deps.limits.maxHeaderBytes,
    });
    const apiKey = ttr.get("ttr-api-key")?.[0];
    const { projectId, rateLimit } = deps.auth.cached(apiKey) ?? (await deps.auth.authenticate(apiKey));
    deps.rateLimiter.take(projectId, rateLimit);
    const { triggerId, customKey } = parseCancelHeaders(ttr);
    await deps.store.cancel({ projectId, triggerId, customKey, now: deps.clock.now() });
    return c.body(null, 204);
  });

  app.all("/cancel", (c) => {
    c.header("Allow", "DELETE");
    return c.json({ error: "method_not_allowed", message: "/cancel takes DELETE." }, 405);
  });

  return app;
}
