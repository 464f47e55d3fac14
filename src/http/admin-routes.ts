import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { validateAllowedPorts, validateAllowedTargets } from "../egress/address-policy.js";
import { InvalidInputError, NotFoundError, UnauthorizedError } from "../errors.js";
import type { ProjectChanges, ProjectRecord } from "../store/types.js";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "./api-key.js";
import { clockRoutes } from "./clock-routes.js";
import type { AppDeps, AppEnv } from "./context.js";
import { readJsonObject } from "./json-body.js";
import { normalizeId } from "./request-parts.js";
import { dropPreviousSecret, rotateSigningSecret } from "./signing-secrets.js";

const MAX_QUOTA = 1_000_000_000_000;
const MAX_RATE_LIMIT = 1_000_000;
const MAX_EGRESS_ENTRIES = 1000;
const PROJECT_FIELDS = ["name", "monthQuota", "rateLimit", "allowedTargets", "allowedPorts"];

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
    const name = requireName(body.name);
    const project = await deps.store.createProject(name, now());
    const apiKey = await issueKey(deps, project.id);
    return c.json({ project: projectView(project), apiKey }, 201);
  });

  app.patch("/admin/projects/:id", async (c) => {
    const id = requireId(c.req.param("id"));
    const body = await readJsonObject(c, deps.limits.maxJsonBodyBytes);
    const unknown = Object.keys(body).filter((k) => !PROJECT_FIELDS.includes(k));
    if (unknown.length > 0) throw new InvalidInputError("invalid_body", `Unknown field ${unknown.join(", ")}; send ${PROJECT_FIELDS.join(", ")}.`);
    const changes: ProjectChanges = {};
    if ("name" in body) changes.name = requireName(body.name);
    if ("monthQuota" in body) changes.monthQuota = limitOrNull(body.monthQuota, "monthQuota", 0, MAX_QUOTA);
    if ("rateLimit" in body) changes.rateLimit = limitOrNull(body.rateLimit, "rateLimit", 1, MAX_RATE_LIMIT);
    if ("allowedTargets" in body) changes.allowedTargets = egressEntries(body.allowedTargets, "allowedTargets", validateAllowedTargets);
    if ("allowedPorts" in body) changes.allowedPorts = egressEntries(body.allowedPorts, "allowedPorts", validateAllowedPorts);
    const project = await deps.store.updateProject(id, changes, now());
    deps.auth.forget();
    deps.egress.forget(id);
    return c.json(projectView(project));
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
    await deps.store.revokeApiKey(requireId(c.req.param("id")), now());
    deps.auth.forget();
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

/** A new key for the project: returned once, stored only as its digest. */
async function issueKey(deps: AppDeps, projectId: string): Promise<{ id: string; prefix: string; key: string }> {
  const key = generateApiKey();
  const record = await deps.store.createApiKey(projectId, hashApiKey(key), apiKeyPrefix(key), deps.clock.now());
  return { id: record.id, prefix: record.prefix, key };
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

async function requireProject(deps: AppDeps, raw: string): Promise<string> {
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
