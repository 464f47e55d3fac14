import { Hono } from "hono";
import { adminRoutes } from "./admin-routes.js";
import { bulkRoutes } from "./bulk-routes.js";
import { readiness, shuttingDown } from "./availability.js";
import type { AppDeps, AppEnv } from "./context.js";
import { errorResponse } from "./error-response.js";
import { jsonRoutes } from "./json-routes.js";
import { manageRoutes } from "./manage-routes.js";
import { buildOpenApiDocument } from "./openapi.js";
import { previewRoutes } from "./preview-routes.js";
import { readRoutes } from "./read-routes.js";
import { scheduleRoutes } from "./schedule-routes.js";
import { uiRoutes } from "../ui/routes.js";

/** The Hono application: every route, one error mapping. Opens no socket. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", async (c) => {
    const status = await readiness(deps);
    return c.json({ status }, status === "ok" ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    c.header("Content-Type", deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  const openApi = buildOpenApiDocument();
  app.get("/openapi.json", (c) => c.json(openApi));
  // Once shutdown has begun, the store is closing: refuse work with a 503 the client can retry.
  app.use("*", async (_c, next) => {
    if (deps.isShuttingDown()) throw shuttingDown();
    await next();
  });
  app.route("/", scheduleRoutes(deps));
  app.route("/", readRoutes(deps));
  app.route("/", previewRoutes(deps));
  app.route("/", manageRoutes(deps));
  app.route("/", jsonRoutes(deps));
  app.route("/", bulkRoutes(deps));
  app.route("/", adminRoutes(deps));
  app.route("/ui", uiRoutes(deps));
  app.notFound((c) => c.json({ error: "route_not_found", message: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  app.onError((error, c) => errorResponse(c, error, deps));
  return app;
}
