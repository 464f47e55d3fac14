import { type Context, Hono } from "hono";
import { InvalidInputError } from "../errors.js";
import { parseScheduledAt } from "../schedule/scheduled-at.js";
import { parseCustomKey, parseTriggerId } from "../schedule/schedule-fields.js";
import { type BulkAction, type BulkFilter, type BulkStepRequest, type BulkStepResult, TRIGGER_STATUS, type TriggerListKind, type TriggerStatus } from "../store/types.js";
import type { AppDeps, AppEnv } from "./context.js";
import { readJsonObject } from "./json-body.js";
import { checkKnownFields } from "./json-schedule.js";
import { bearerOrTtrKey } from "./request-parts.js";

/** Triggers one bulk step looks at: a short transaction, so ingest and dispatch go on between steps. */
const BULK_WINDOW = 500;
const FILTER_FIELDS = ["tag", "customKeyPrefix", "status", "kind", "generatorId", "scheduledFrom", "scheduledBefore", "timezone", "all"] as const;
const KINDS: readonly TriggerListKind[] = ["job", "generator", "callback"];
/** The statuses each action can act on. */
const ACTIONABLE: Record<BulkAction, readonly TriggerStatus[]> = { cancel: ["registered"], replay: ["succeeded", "failed"] };

/**
 * `POST /triggers/bulk-cancel` and `POST /triggers/bulk-replay`: cancel the waiting triggers, or
 * replay the executed ones, that match a filter (tag, custom-key prefix, status, kind, generator,
 * nominal time range) — in bounded steps of their own transaction — answering how many matched
 * and how many were affected; `dryRun` only counts.
 */
export function bulkRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const action of ["cancel", "replay"] as const) {
    app.post(`/triggers/bulk-${action}`, (c) => runBulk(c, deps, action));
  }
  return app;
}

async function runBulk(c: Context<AppEnv>, deps: AppDeps, action: BulkAction): Promise<Response> {
  const { projectId, rateLimit } = await deps.auth.authenticate(bearerOrTtrKey((n) => c.req.header(n)));
  deps.rateLimiter.take(projectId, rateLimit);
  const body = await readJsonObject(c, deps.limits.maxJsonBodyBytes);
  checkKnownFields(body, [...FILTER_FIELDS, "dryRun"]);
  const dryRun = body.dryRun === undefined ? false : booleanOf(body.dryRun, "dryRun");
  const now = deps.clock.now();
  const filter = filterOf(body, action, now);
  let matched = 0;
  let affected = 0;
  let cursor: string | null = null;
  do {
    const step: BulkStepRequest = { cursor, window: BULK_WINDOW, dryRun, now: deps.clock.now() };
    const result: BulkStepResult = await deps.writeGate.admit(() => deps.store.bulkStep(projectId, action, filter, step));
    matched += result.matched;
    affected += result.affected;
    cursor = result.nextCursor;
    if (cursor !== null) await new Promise((resolve) => setImmediate(resolve));
  } while (cursor !== null);
  // Replayed triggers are due now: wake the dispatcher.
  if (action === "replay" && affected > 0) deps.onScheduled(deps.clock.now());
  return c.json({ action, dryRun, matched, affected });
}

/** The filter of a bulk body: at least one term, or `"all": true` to act on every trigger of the project. */
function filterOf(body: Record<string, unknown>, action: BulkAction, now: number): BulkFilter {
  const filter: BulkFilter = {};
  if (body.tag !== undefined) filter.tag = stringOf(body.tag, "tag");
  if (body.customKeyPrefix !== undefined) filter.customKeyPrefix = parseCustomKey(stringOf(body.customKeyPrefix, "customKeyPrefix"), "customKeyPrefix") as string;
  if (body.generatorId !== undefined) filter.generatorId = parseTriggerId(stringOf(body.generatorId, "generatorId"), "generatorId") as string;
  if (body.kind !== undefined) {
    const kind = stringOf(body.kind, "kind") as TriggerListKind;
    if (!KINDS.includes(kind)) throw new InvalidInputError("invalid_body", `kind must be one of ${KINDS.join(", ")}.`);
    filter.kind = kind;
  }
  if (body.status !== undefined) {
    const status = stringOf(body.status, "status") as TriggerStatus;
    if (!Object.values(TRIGGER_STATUS).includes(status) || !ACTIONABLE[action].includes(status)) {
      throw new InvalidInputError("invalid_body", `A bulk ${action} acts on ${ACTIONABLE[action].join(" or ")} triggers: status must be ${ACTIONABLE[action].join(" or ")}.`);
    }
    filter.status = status;
  }
  const timezone = body.timezone === undefined ? null : stringOf(body.timezone, "timezone");
  if (body.scheduledFrom !== undefined) filter.scheduledFrom = instantOf(body.scheduledFrom, "scheduledFrom", now, timezone);
  if (body.scheduledBefore !== undefined) filter.scheduledBefore = instantOf(body.scheduledBefore, "scheduledBefore", now, timezone);
  const all = body.all === undefined ? false : booleanOf(body.all, "all");
  if (Object.keys(filter).length === 0 && !all) {
    throw new InvalidInputError("invalid_body", 'Give at least one of tag, customKeyPrefix, status, kind, generatorId, scheduledFrom, scheduledBefore — or "all": true to act on every trigger.');
  }
  return filter;
}

function instantOf(value: unknown, name: string, now: number, timezone: string | null): number {
  const when = parseScheduledAt(stringOf(value, name), { now, timezone, names: { value: name, timezone: "timezone" } });
  if (when.kind !== "once") throw new InvalidInputError("invalid_body", `${name} is an instant, not a cron(…) schedule.`);
  return when.at;
}

function stringOf(value: unknown, name: string): string {
  if (typeof value !== "string") throw new InvalidInputError("invalid_body", `${name} must be a string.`);
  return value;
}

function booleanOf(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new InvalidInputError("invalid_body", `${name} must be true or false.`);
  return value;
}
