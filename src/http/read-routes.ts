import { Hono } from "hono";
import { InvalidInputError, NotFoundError } from "../errors.js";
import type { PageRequest, TriggerFilter, TriggerStatus } from "../store/types.js";
import { TRIGGER_STATUS } from "../store/types.js";
import type { AppDeps, AppEnv } from "./context.js";
import { bearerOrTtrKey, normalizeId } from "./request-parts.js";
import { executionView, flowView, generatorView, triggerView } from "./views.js";

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
const MAX_EXECUTIONS_PER_TRIGGER = 1000;
/** Most flows `GET /flows` lists (a project names its flows; thousands would be a mistake). */
const MAX_FLOWS_LISTED = 1000;

/** JSON read endpoints: triggers, generators, executions (DESIGN §2). */
export function readRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const projectOf = async (header: (name: string) => string | undefined) =>
    (await deps.auth.authenticate(bearerOrTtrKey(header))).projectId;

  app.get("/triggers", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const filter = triggerFilter((n) => c.req.query(n));
    const page = await deps.store.listTriggers(projectId, filter, pageRequest((n) => c.req.query(n)));
    const revealHeaders = revealsHeaders((n) => c.req.query(n));
    return c.json({ triggers: page.items.map((t) => triggerView(t, { revealHeaders })), nextCursor: page.nextCursor });
  });

  app.get("/triggers/:id", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const id = normalizeId(c.req.param("id"));
    const trigger = id === null ? null : await deps.store.getTrigger(projectId, id);
    if (!trigger) throw new NotFoundError("trigger_not_found", `No trigger ${c.req.param("id")} in this project.`);
    const executions = await deps.store.listExecutions(
      projectId,
      { triggerId: trigger.id },
      { limit: MAX_EXECUTIONS_PER_TRIGGER },
    );
    const view = triggerView(trigger, { body: true, revealHeaders: revealsHeaders((n) => c.req.query(n)) });
    return c.json({ ...view, executions: executions.items.reverse().map(executionView) });
  });

  app.get("/generators", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const page = await deps.store.listGenerators(projectId, pageRequest((n) => c.req.query(n)));
    const revealHeaders = revealsHeaders((n) => c.req.query(n));
    return c.json({ generators: page.items.map((g) => generatorView(g, { revealHeaders })), nextCursor: page.nextCursor });
  });

  app.get("/generators/:id", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const id = normalizeId(c.req.param("id"));
    const generator = id === null ? null : await deps.store.getGenerator(projectId, id);
    if (!generator) throw new NotFoundError("generator_not_found", `No generator ${c.req.param("id")} in this project.`);
    return c.json(generatorView(generator, { body: true, revealHeaders: revealsHeaders((n) => c.req.query(n)) }));
  });

  app.get("/flows", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    return c.json({ flows: (await deps.store.listFlows(projectId, MAX_FLOWS_LISTED)).map(flowView) });
  });

  app.get("/executions", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const triggerId = c.req.query("triggerId");
    const filter = triggerId === undefined ? {} : { triggerId: requireId(triggerId, "triggerId") };
    const page = await deps.store.listExecutions(projectId, filter, pageRequest((n) => c.req.query(n)));
    return c.json({ executions: page.items.map(executionView), nextCursor: page.nextCursor });
  });

  return app;
}

function triggerFilter(query: (name: string) => string | undefined): TriggerFilter {
  const filter: TriggerFilter = {};
  const status = query("status");
  if (status !== undefined) {
    if (!(status in TRIGGER_STATUS)) {
      throw new InvalidInputError("invalid_query", `status must be one of ${Object.keys(TRIGGER_STATUS).join(", ")}.`);
    }
    filter.status = status as TriggerStatus;
  }
  const kind = query("kind");
  if (kind !== undefined) {
    if (kind !== "job" && kind !== "generator" && kind !== "callback") {
      throw new InvalidInputError("invalid_query", "kind must be job, generator or callback.");
    }
    filter.kind = kind;
  }
  const generatorId = query("generatorId");
  if (generatorId !== undefined) filter.generatorId = requireId(generatorId, "generatorId");
  const customKey = query("customKey");
  if (customKey !== undefined) filter.customKey = customKey;
  const tag = query("tag");
  if (tag !== undefined) filter.tag = tag;
  const waitingFor = query("waitingFor");
  if (waitingFor !== undefined) {
    if (waitingFor !== "flow") throw new InvalidInputError("invalid_query", "waitingFor must be flow (triggers their flow holds back).");
    filter.waitingFor = waitingFor;
  }
  return filter;
}

/** `?reveal=headers` shows secret-bearing header values, masked by default. */
export function revealsHeaders(query: (name: string) => string | undefined): boolean {
  const reveal = query("reveal");
  if (reveal === undefined) return false;
  if (reveal !== "headers") throw new InvalidInputError("invalid_query", "reveal must be headers (to show secret header values unmasked).");
  return true;
}

function pageRequest(query: (name: string) => string | undefined): PageRequest {
  const rawLimit = query("limit");
  const limit = rawLimit === undefined ? DEFAULT_PAGE_SIZE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidInputError("invalid_query", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  const cursor = query("cursor");
  return cursor === undefined ? { limit } : { limit, cursor: requireId(cursor, "cursor") };
}

function requireId(raw: string, name: string): string {
  const id = normalizeId(raw);
  if (id === null) throw new InvalidInputError("invalid_query", `${name} must be an id as returned by this API.`);
  return id;
}
