import { Hono } from "hono";
import { NotFoundError } from "../errors.js";
import type { AppDeps, AppEnv } from "./context.js";
import { bearerOrTtrKey, normalizeId } from "./request-parts.js";
import { dropPreviousSecret, rotateSigningSecret } from "./signing-secrets.js";

/** Acting on triggers and generators: replay, run now; the project's signing secret (pause/resume: json-routes.ts). */
export function manageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const projectOf = async (header: (name: string) => string | undefined) =>
    (await deps.auth.authenticate(bearerOrTtrKey(header))).projectId;

  app.post("/triggers/:id/replay", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const id = requireId(c.req.param("id"), "trigger");
    const { scheduledAt } = await deps.store.replay(projectId, id, deps.clock.now());
    deps.onScheduled(scheduledAt);
    return c.json({ triggerId: id, scheduledAt: new Date(scheduledAt).toISOString() });
  });

  app.post("/generators/:id/run", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const id = requireId(c.req.param("id"), "generator");
    const run = await deps.store.runGeneratorNow(projectId, id, deps.clock.now());
    deps.onScheduled(run.scheduledAt);
    return c.json({ triggerId: run.triggerId, scheduledAt: new Date(run.scheduledAt).toISOString() });
  });

  app.post("/signing-secret", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    const rotated = await rotateSigningSecret(deps.store, projectId);
    deps.onSigningSecretsChanged(projectId);
    return c.json(rotated);
  });

  app.delete("/signing-secret/previous", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    await dropPreviousSecret(deps.store, projectId);
    deps.onSigningSecretsChanged(projectId);
    return c.body(null, 204);
  });

  app.delete("/signing-secret", async (c) => {
    const projectId = await projectOf((n) => c.req.header(n));
    await deps.store.setSigningSecrets(projectId, []);
    deps.onSigningSecretsChanged(projectId);
    return c.body(null, 204);
  });

  return app;
}

function requireId(raw: string, what: string): string {
  const id = normalizeId(raw);
  if (id === null) throw new NotFoundError(`${what}_not_found`, `No ${what} ${raw} in this project.`);
  return id;
}
