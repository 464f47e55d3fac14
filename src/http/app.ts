import { Hono } from "hono";
import type { AppDeps, AppEnv } from "./context.js";
import { errorResponse } from "./error-response.js";
import { adminRoutes } from "./admin-routes.js";
import { manageRoutes } from "./manage-routes.js";
import { readRoutes } from "./read-routes.js";
import { scheduleRoutes } from "./schedule-routes.js";

/** The Hono application: every route, one error mapping. Opens no socket. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/metrics", async (c) => {
    c.header("Content-Type", deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  app.route("/", scheduleRoutes(deps));
  app.route("/", readRoutes(deps));
  app.route("/", manageRoutes(deps));
  app.route("/", adminRoutes(deps));
  app.notFound((c) => c.json({ error: "route_not_found", message: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  app.onError((error, c) => errorResponse(c, error, deps.logError));
  return app;
}
