import { Hono } from "hono";
import { splitHeaders } from "../request/captured-request.js";
import { parseCancelHeaders } from "../schedule/ttr-headers.js";
import { acceptSchedule } from "./accept-schedule.js";
import { type AppDeps, type AppEnv, rawHeadersOf } from "./context.js";
import { readBodyLimited } from "./read-body.js";

/** `/schedule` (any method) and `DELETE /cancel`. */
export function scheduleRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.all("/schedule", async (c) =>
    c.json(
      await acceptSchedule(deps, {
        method: c.req.method,
        rawHeaders: rawHeadersOf(c),
        readBody: () => readBodyLimited(c.env?.incoming, c.req.raw, deps.limits.maxBodyBytes),
      }),
    ),
  );

  app.delete("/cancel", async (c) => {
    const { ttr } = splitHeaders(rawHeadersOf(c), {
      maxCount: deps.limits.maxHeaderCount,
      maxBytes: deps.limits.maxHeaderBytes,
    });
    const apiKey = ttr.get("ttr-api-key")?.[0];
    const { projectId, rateLimit } = deps.auth.cached(apiKey) ?? (await deps.auth.authenticate(apiKey));
    deps.rateLimiter.take(projectId, rateLimit);
    const { triggerId, customKey } = parseCancelHeaders(ttr);
    await deps.writeGate.admit(() => deps.store.cancel({ projectId, triggerId, customKey, now: deps.clock.now() }));
    return c.body(null, 204);
  });

  app.all("/cancel", (c) => {
    c.header("Allow", "DELETE");
    return c.json({ error: "method_not_allowed", message: "/cancel takes DELETE." }, 405);
  });

  return app;
}
