import { type Context, Hono } from "hono";
import type { EgressPolicy } from "../egress/address-policy.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import type { DeliveryDefaults } from "../schedule/schedule-fields.js";
import type { ScheduleGeneratorInput, ScheduleInputBase, ScheduleJobInput, ScheduleResult } from "../store/types.js";
import { type ScheduleResponse, checkEgress, scheduled, wakeAt } from "./accept-schedule.js";
import type { AppDeps, AppEnv } from "./context.js";
import { type ErrorBody, errorAnswer } from "./error-response.js";
import { readJsonObject } from "./json-body.js";
import {
  GENERATOR_FIELDS,
  type JsonObject,
  type JsonSchedule,
  type JsonScheduleContext,
  MAX_BATCH_ITEMS,
  TRIGGER_FIELDS,
  checkKnownFields,
  editedGenerator,
  editedTrigger,
  generatorFromJson,
  maxScheduleJsonBytes,
  triggerFromJson,
} from "./json-schedule.js";
import { bearerOrTtrKey, normalizeId } from "./request-parts.js";
import { generatorView, triggerView } from "./views.js";

/** One item's answer in `POST /triggers/batch`: what `POST /triggers` would have answered. */
export type BatchItemAnswer = ScheduleResponse | (ErrorBody & { status: number });

/**
 * The JSON API: create, edit and cancel triggers and generators with the semantics of
 * `/schedule` and `/cancel` — the same rules (json-schedule.ts), rate limit, egress check,
 * write admission and store calls. Creates answer as `/schedule` does (201, or 200 when a
 * custom key made it an edit); edits answer the read API's view.
 */
export function jsonRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const scheduleBytes = maxScheduleJsonBytes(deps.limits);

  /** The caller's project, charged one request of its rate limit like `/schedule` and `/cancel`. */
  const callerOf = async (c: Context<AppEnv>) => {
    const { projectId, rateLimit } = await deps.auth.authenticate(bearerOrTtrKey((n) => c.req.header(n)));
    deps.rateLimiter.take(projectId, rateLimit);
    return { projectId, policy: await egressPolicyOf(deps, projectId), defaults: await deliveryDefaultsOf(deps, projectId) };
  };
  const context = (now: number, defaults: DeliveryDefaults) => scheduleContext(deps, now, defaults);
  const created = (c: Context<AppEnv>, result: ScheduleResult, input: ScheduleInputBase) =>
    c.json(scheduled(deps, result, wakeAt(result, input.flowLimits, input.now)), result.operation === "schedule" ? 201 : 200);

  app.post("/triggers/batch", async (c) => {
    const { projectId, policy, defaults } = await callerOf(c);
    const body = await readJsonObject(c, deps.limits.maxBatchBodyBytes);
    checkKnownFields(body, ["items"]);
    const items = body.items;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_ITEMS) {
      throw new InvalidInputError("invalid_body", `items must be an array of 1 to ${MAX_BATCH_ITEMS} triggers, each as POST /triggers takes it.`);
    }
    const now = deps.clock.now();
    const answers: (BatchItemAnswer | null)[] = [];
    const inputs: ScheduleJobInput[] = [];
    const positions: number[] = [];
    for (const item of items) {
      try {
        if (item === null || typeof item !== "object" || Array.isArray(item)) throw new InvalidInputError("invalid_body", "Each item must be a JSON object.");
        inputs.push(jobInput(projectId, checked(triggerFromJson(item as JsonObject, context(now, defaults)), policy), now));
        positions.push(answers.length);
        answers.push(null);
      } catch (error) {
        answers.push(itemError(error));
      }
    }
    const outcomes = inputs.length === 0 ? [] : await deps.writeGate.admit(() => deps.store.scheduleBatch(inputs));
    outcomes.forEach((outcome, i) => {
      answers[positions[i] as number] = outcome.ok ? scheduled(deps, outcome.result, wakeAt(outcome.result, inputs[i]?.flowLimits, now)) : itemError(outcome.error);
    });
    return c.json({ results: answers as BatchItemAnswer[] });
  });

  app.post("/triggers", async (c) => {
    const { projectId, policy, defaults } = await callerOf(c);
    const body = await readJsonObject(c, scheduleBytes);
    const now = deps.clock.now();
    const input = jobInput(projectId, checked(triggerFromJson(body, context(now, defaults)), policy), now);
    return created(c, await deps.writeGate.admit(() => deps.store.scheduleJob(input)), input);
  });

  app.post("/generators", async (c) => {
    const { projectId, policy, defaults } = await callerOf(c);
    const body = await readJsonObject(c, scheduleBytes);
    const now = deps.clock.now();
    const input = generatorInput(projectId, checked(generatorFromJson(body, context(now, defaults)), policy), now);
    return created(c, await deps.writeGate.admit(() => deps.store.scheduleGenerator(input)), input);
  });

  app.patch("/triggers/:id", async (c) => {
    const { projectId, policy, defaults } = await callerOf(c);
    const id = requireId(c.req.param("id"), "trigger");
    const patch = await readJsonObject(c, scheduleBytes);
    checkKnownFields(patch, TRIGGER_FIELDS);
    if (Object.keys(patch).length === 0) throw new InvalidInputError("invalid_body", "Send at least one field to change.");
    const now = deps.clock.now();
    const result = await deps.writeGate.admit(() =>
      deps.store.editJob(projectId, id, (current) => jobInput(projectId, checked(editedTrigger(current, patch, context(now, defaults)), policy), now)),
    );
    // Now: new flow limits may have un-parked triggers due already.
    scheduled(deps, result, Math.min(now, result.scheduledAt));
    return c.json(triggerView(await existing(deps.store.getTrigger(projectId, id), "trigger", id)));
  });

  app.patch("/generators/:id", async (c) => {
    const { projectId, policy, defaults } = await callerOf(c);
    const id = requireId(c.req.param("id"), "generator");
    const { paused, ...patch } = await readJsonObject(c, scheduleBytes);
    checkKnownFields(patch, GENERATOR_FIELDS);
    if (paused !== undefined && typeof paused !== "boolean") throw new InvalidInputError("invalid_body", "paused must be true or false.");
    const edits = Object.keys(patch).length > 0;
    if (!edits && paused === undefined) throw new InvalidInputError("invalid_body", "Send at least one field to change (or paused).");
    const now = deps.clock.now();
    const edit = edits
      ? (current: Parameters<typeof editedGenerator>[0]) => generatorInput(projectId, checked(editedGenerator(current, patch, context(now, defaults)), policy), now)
      : null;
    await deps.writeGate.admit(() => deps.store.editGenerator(projectId, id, edit, paused ?? null, now));
    const generator = await existing(deps.store.getGenerator(projectId, id), "generator", id);
    // Now too: new flow limits may have un-parked triggers due already.
    deps.onScheduled(generator.nextAt === null ? now : Math.min(now, generator.nextAt));
    return c.json(generatorView(generator));
  });

  // DELETE by id, as `/cancel` with ttr-trigger-id; each route cancels only its own kind.
  app.delete("/triggers/:id", async (c) => {
    const { projectId } = await callerOf(c);
    const id = requireId(c.req.param("id"), "trigger");
    if ((await deps.store.getGenerator(projectId, id)) !== null) {
      throw new NotFoundError("trigger_not_found", `${id} is a generator, not a trigger; DELETE /generators/${id} cancels it.`);
    }
    await deps.writeGate.admit(() => deps.store.cancel({ projectId, triggerId: id, customKey: null, now: deps.clock.now() }));
    return c.body(null, 204);
  });

  app.delete("/generators/:id", async (c) => {
    const { projectId } = await callerOf(c);
    const id = requireId(c.req.param("id"), "generator");
    await existing(deps.store.getGenerator(projectId, id), "generator", id);
    await deps.writeGate.admit(() => deps.store.cancel({ projectId, triggerId: id, customKey: null, now: deps.clock.now() }));
    return c.body(null, 204);
  });

  /** A refused item, answered in its place as the error mapping would answer it alone. */
  function itemError(error: unknown): BatchItemAnswer {
    const { status, body } = errorAnswer(error, deps);
    return { ...body, status };
  }

  return app;
}

/** The project's egress policy (cached), which every URL of a create or edit must pass. */
export async function egressPolicyOf(deps: Pick<AppDeps, "egress">, projectId: string): Promise<EgressPolicy> {
  return deps.egress.cached(projectId) ?? (await deps.egress.policyFor(projectId));
}

/** The project's delivery defaults: its own (admin API) over the server's, cached until the admin API changes them. */
export async function deliveryDefaultsOf(deps: Pick<AppDeps, "projectDefaults">, projectId: string): Promise<DeliveryDefaults> {
  return deps.projectDefaults.cached(projectId) ?? (await deps.projectDefaults.get(projectId));
}

/** What the JSON rules need to read a schedule at `now`, with the project's delivery defaults. */
export function scheduleContext(deps: Pick<AppDeps, "limits">, now: number, defaults: DeliveryDefaults): JsonScheduleContext {
  return { now, defaults, limits: deps.limits };
}

/** The egress check of `/schedule`, on every URL the schedule names. */
export function checked(schedule: JsonSchedule, policy: EgressPolicy): JsonSchedule {
  checkEgress(policy, schedule.spec.urls);
  return schedule;
}

/** A validated one-shot as the store's input. */
export function jobInput(projectId: string, { spec, request }: JsonSchedule, now: number): ScheduleJobInput {
  if (spec.when.kind !== "once") throw new Error("a one-shot's spec has a one-shot time");
  return { ...commonInput(projectId, { spec, request }, now), scheduledAt: spec.when.at };
}

/** A validated generator as the store's input. */
export function generatorInput(projectId: string, { spec, request }: JsonSchedule, now: number): ScheduleGeneratorInput {
  if (spec.when.kind !== "cron") throw new Error("a generator's spec has a cron schedule");
  return {
    ...commonInput(projectId, { spec, request }, now),
    cronExpr: spec.when.expr,
    cronTz: spec.when.tz,
    runMissed: spec.runMissed,
    overlap: spec.overlap,
    endsAt: spec.endsAt,
    maxRuns: spec.maxRuns,
  };
}

function commonInput(projectId: string, { spec, request }: JsonSchedule, now: number) {
  return {
    projectId,
    customKey: spec.customKey,
    triggerId: null,
    request,
    delivery: spec.delivery,
    flowLimits: spec.flowLimits,
    title: spec.title,
    tags: spec.tags,
    now,
  };
}

function requireId(raw: string, what: "trigger" | "generator"): string {
  const id = normalizeId(raw);
  if (id === null) throw new NotFoundError(`${what}_not_found`, `No ${what} ${raw} in this project.`);
  return id;
}

async function existing<T>(found: Promise<T | null>, what: "trigger" | "generator", id: string): Promise<T> {
  const record = await found;
  if (record === null) throw new NotFoundError(`${what}_not_found`, `No ${what} ${id} in this project.`);
  return record;
}
