import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { validateAllowedPorts, validateAllowedTargets } from "../egress/address-policy.js";
import { InvalidInputError, NotFoundError, UnauthorizedError } from "../errors.js";
import { parseDeliveryDefaults } from "../schedule/schedule-fields.js";
import type { ParsedUrlHeader } from "../schedule/types.js";
import type { ProjectChanges, ProjectDefaults, ProjectRecord } from "../store/types.js";
import { checkEgress } from "./accept-schedule.js";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "./api-key.js";
import { clockRoutes } from "./clock-routes.js";
import type { AppDeps, AppEnv } from "./context.js";
import { readJsonObject } from "./json-body.js";
import { normalizeId } from "./request-parts.js";
import { dropPreviousSecret, rotateSigningSecret } from "./signing-secrets.js";

const MAX_QUOTA = 1_000_000_000_000;
const MAX_RATE_LIMIT = 1_000_000;
const MAX_EGRESS_ENTRIES = 1000;
const PROJECT_FIELDS = ["name", "monthQuota", "rateLimit", "allowedTargets", "allowedPorts", "defaults"];
const DEFAULT_FIELDS = ["retries", "retryDelay", "timeout", "callbackUrl", "failureUrl"] as const;
/** The defaults' fields, named in error messages as the PATCH body nests them. */
const DEFAULT_FIELD_NAMES = Object.fromEntries(DEFAULT_FIELDS.map((f) => [f, `defaults.${f}`])) as Record<(typeof DEFAULT_FIELDS)[number], string>;

/**
 * The operator's API, behind `Authorization: Bearer $HOURGLASS_ADMIN_TOKEN` (off when the
 * token is not set): projects, their keys (shown once), signing secrets, quotas, rate limits.
 */
export function adminRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const now = () => deps.clock.now();

  app.use("/admin/*", async (c, next) => {
    if (deps.adminToken === null) {
      return c.json({ error: "admin_disabled", message: "The admin API is off; set HOURGLASS_ADMIN_TOKEN to turn it on." }, 404);
    }
    const given = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (given === undefined || !sameSecret(given, deps.adminToken)) {
      throw new UnauthorizedError("invalid_admin_token", "Send the admin token as Authorization: Bearer <HOURGLASS_ADMIN_TOKEN>.");
    }
    await next();
  });

  app.get("/admin/projects", async (c) => c.json({ projects: (await deps.store.listProjects(now())).map(projectView) }));

  app.post("/admin/projects", async (c) => {
    const body = await readJsonObject(c, deps.limits.maxJsonBodyBytes);
    const { project, apiKey } = await createProjectWithKey(deps, body.name);
    return c.json({ project: projectView(project), apiKey }, 201);
  });

  app.patch("/admin/projects/:id", async (c) => {
    const id = requireId(c.req.param("id"));
    const body = await readJsonObject(c, deps.limits.maxJsonBodyBytes);
    const changes = projectChanges(body);
    if ("defaults" in body) changes.defaults = await projectDefaults(deps, id, body.defaults, changes);
    return c.json(projectView(await updateProjectSettings(deps, id, changes)));
  });

  app.get("/admin/projects/:id/keys", async (c) => {
    const keys = await deps.store.listApiKeys(requireId(c.req.param("id")));
    return c.json({
      keys: keys.map((k) => ({
        id: k.id,
        prefix: k.prefix,
        createdAt: new Date(k.createdAt).toISOString(),
        revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
      })),
    });
  });

  app.post("/admin/projects/:id/keys", async (c) => c.json(await issueKey(deps, requireId(c.req.param("id"))), 201));

  app.delete("/admin/keys/:id", async (c) => {
    await revokeKey(deps, requireId(c.req.param("id")));
    return c.body(null, 204);
  });

  clockRoutes(app, deps);

  app.post("/admin/projects/:id/signing-secret", async (c) => {
    const id = await requireProject(deps, c.req.param("id"));
    const rotated = await rotateSigningSecret(deps.store, id);
    deps.onSigningSecretsChanged(id);
    return c.json(rotated);
  });

  app.delete("/admin/projects/:id/signing-secret/previous", async (c) => {
    const id = await requireProject(deps, c.req.param("id"));
    await dropPreviousSecret(deps.store, id);
    deps.onSigningSecretsChanged(id);
    return c.body(null, 204);
  });

  return app;
}

/*
 * The operator's actions, shared by the admin API and the dashboard's operator view: the same
 * validation, the same store calls, the same caches forgotten.
 */

/** A new project (name: 1 to 100 characters) and its first key, shown once. */
export async function createProjectWithKey(deps: AppDeps, name: unknown): Promise<{ project: ProjectRecord; apiKey: IssuedKey }> {
  const project = await deps.store.createProject(requireName(name), deps.clock.now());
  return { project, apiKey: await issueKey(deps, project.id) };
}

/** The changes a PATCH body asks for, validated (400 `invalid_body` naming the field). */
export function projectChanges(body: Record<string, unknown>): ProjectChanges {
  const unknown = Object.keys(body).filter((k) => !PROJECT_FIELDS.includes(k));
  if (unknown.length > 0) throw new InvalidInputError("invalid_body", `Unknown field ${unknown.join(", ")}; send ${PROJECT_FIELDS.join(", ")}.`);
  const changes: ProjectChanges = {};
  if ("name" in body) changes.name = requireName(body.name);
  if ("monthQuota" in body) changes.monthQuota = limitOrNull(body.monthQuota, "monthQuota", 0, MAX_QUOTA);
  if ("rateLimit" in body) changes.rateLimit = limitOrNull(body.rateLimit, "rateLimit", 1, MAX_RATE_LIMIT);
  if ("allowedTargets" in body) changes.allowedTargets = egressEntries(body.allowedTargets, "allowedTargets", validateAllowedTargets);
  if ("allowedPorts" in body) changes.allowedPorts = egressEntries(body.allowedPorts, "allowedPorts", validateAllowedPorts);
  return changes;
}

/** Applies `changes`; the cached keys (rate limits) and egress policy are re-read. */
export async function updateProjectSettings(deps: AppDeps, projectId: string, changes: ProjectChanges): Promise<ProjectRecord> {
  const project = await deps.store.updateProject(projectId, changes, deps.clock.now());
  deps.auth.forget();
  deps.egress.forget(projectId);
  deps.projectDefaults.forget(projectId);
  return project;
}

/** Revokes a key: it stops working at once (the key cache is dropped). */
export async function revokeKey(deps: AppDeps, keyId: string): Promise<void> {
  await deps.store.revokeApiKey(keyId, deps.clock.now());
  deps.auth.forget();
}

/** A key as issued: the only time its secret is seen. */
export interface IssuedKey {
  id: string;
  prefix: string;
  key: string;
}

/** A new key for the project: returned once, stored only as its digest. */
export async function issueKey(deps: AppDeps, projectId: string): Promise<IssuedKey> {
  const key = generateApiKey();
  const record = await deps.store.createApiKey(projectId, hashApiKey(key), apiKeyPrefix(key), deps.clock.now());
  return { id: record.id, prefix: record.prefix, key };
}

/**
 * The `defaults` of a PATCH: each field validated by the rule of the same schedule field (null
 * removes it), the URLs checked against the egress policy the project will have (with the
 * PATCH's own allowedTargets / allowedPorts, when it gives them).
 */
async function projectDefaults(deps: AppDeps, projectId: string, value: unknown, changes: ProjectChanges): Promise<Partial<ProjectDefaults>> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidInputError("invalid_body", `defaults must be an object with any of ${DEFAULT_FIELDS.join(", ")}.`);
  }
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(DEFAULT_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new InvalidInputError("invalid_body", `Unknown field defaults.${unknown.join(", defaults.")}; send ${DEFAULT_FIELDS.join(", ")}.`);
  const text: Partial<Record<(typeof DEFAULT_FIELDS)[number], string>> = {};
  for (const field of DEFAULT_FIELDS) {
    const raw = given[field];
    if (raw === undefined || raw === null) continue;
    const numeric = field === "retries" || field === "retryDelay" || field === "timeout";
    if (typeof raw !== "string" && !(numeric && typeof raw === "number")) {
      throw new InvalidInputError("invalid_body", `${DEFAULT_FIELD_NAMES[field]} must be ${numeric ? "a number or a string" : "a string"}, or null to remove it.`);
    }
    text[field] = String(raw).trim();
  }
  const urls: ParsedUrlHeader[] = [];
  const parsed = parseDeliveryDefaults(text, DEFAULT_FIELD_NAMES, urls);
  if (urls.length > 0) {
    const current = await deps.store.getProjectEgress(projectId);
    const own = { allowedTargets: changes.allowedTargets ?? current.allowedTargets, allowedPorts: changes.allowedPorts ?? current.allowedPorts };
    checkEgress(deps.egress.policyWith(own), urls);
  }
  const defaults: Partial<ProjectDefaults> = {};
  const set = <K extends keyof ProjectDefaults>(key: K, field: (typeof DEFAULT_FIELDS)[number], parsedValue: ProjectDefaults[K] | undefined) => {
    if (given[field] === null) defaults[key] = null as ProjectDefaults[K];
    else if (parsedValue !== undefined) defaults[key] = parsedValue;
  };
  set("retries", "retries", parsed.retries);
  set("retryDelayMs", "retryDelay", parsed.retryDelayMs);
  set("timeoutMs", "timeout", parsed.timeoutMs);
  set("callbackUrl", "callbackUrl", parsed.callbackUrl);
  set("failureUrl", "failureUrl", parsed.failureUrl);
  return defaults;
}

function projectView(project: ProjectRecord) {
  return {
    id: project.id,
    name: project.name,
    createdAt: new Date(project.createdAt).toISOString(),
    monthQuota: project.monthQuota,
    usedThisMonth: project.usedThisMonth,
    rateLimit: project.rateLimit,
    allowedTargets: project.egress.allowedTargets,
    allowedPorts: project.egress.allowedPorts,
    defaults: project.defaults,
  };
}

/** A project's egress entries, in the syntax of the environment variables (ports may be numbers); 400 naming the bad entry. */
function egressEntries(value: unknown, name: string, validate: (entries: readonly string[], setting: string) => void): string[] {
  if (!Array.isArray(value) || value.length > MAX_EGRESS_ENTRIES || !value.every((e) => typeof e === "string" || Number.isInteger(e))) {
    throw new InvalidInputError("invalid_body", `${name} must be an array of at most ${MAX_EGRESS_ENTRIES} strings ([] removes them).`);
  }
  const entries = value.map((entry) => String(entry).trim()).filter((entry) => entry !== "");
  try {
    validate(entries, name);
  } catch (error) {
    throw new InvalidInputError("invalid_body", error instanceof Error ? error.message : String(error));
  }
  return entries;
}

/** The project's id when it exists; 404 `project_not_found` otherwise. */
export async function requireProject(deps: AppDeps, raw: string): Promise<string> {
  const id = requireId(raw);
  if (!(await deps.store.listProjects(deps.clock.now())).some((p) => p.id === id)) {
    throw new NotFoundError("project_not_found", `No project ${raw}.`);
  }
  return id;
}

function requireId(raw: string): string {
  const id = normalizeId(raw);
  if (id === null) throw new NotFoundError("not_found", `No such id: ${raw}.`);
  return id;
}

function requireName(value: unknown): string {
  if (typeof value !== "string" || value.trim().length === 0 || value.length > 100) {
    throw new InvalidInputError("invalid_body", "name must be a string of 1 to 100 characters.");
  }
  return value.trim();
}

function limitOrNull(value: unknown, name: string, min: number, max: number): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError("invalid_body", `${name} must be null or an integer from ${min} to ${max}.`);
  }
  return value;
}

/** Constant-time comparison of two secrets of any length (their digests are compared). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
