import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Service, createService } from "../../src/service.js";
import { openStore } from "../../src/store/open-store.js";
import { createTestSchema, describePostgres } from "../support/postgres.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";
import { type TcpProxy, startTcpProxy } from "../support/tcp-proxy.js";

const KEY = "hg_pg_outage_test_key_0123456789abcdef";

describePostgres("PostgreSQL out of reach", (serverUrl) => {
  describe("PostgreSQL out of reach", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    let proxy: TcpProxy;
    let target: TargetServer;
    let service: Service;

    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
      target = await startTargetServer();
      const server = new URL(serverUrl);
      proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
      const viaProxy = new URL(schema.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const config = loadConfig({ DATABASE_URL: viaProxy.toString(), HOURGLASS_API_KEYS: KEY, HOURGLASS_ALLOWED_TARGETS: "127.0.0.1", LOG_LEVEL: "silent" });
      const log = pino({ level: "silent" });
      const opened = await openStore(
        config.database,
        { runMissedCap: config.runMissedCap, missedGraceMs: config.missedGraceMs },
        { warn: () => {}, info: () => {} },
        { heartbeatMs: 500, staleMs: 3_000, maxIdleMs: config.dispatch.maxIdleMs },
      );
      service = createService(config, opened.store, opened.clock, log, { cluster: opened.cluster });
      await service.bootstrapKeys();
      service.start();
    });
    afterEach(async () => {
      await proxy.restore();
      await service.stop();
      await proxy.close();
      await target.close();
      await schema.drop();
    });

    const schedule = (body: string, at: number) =>
      service.app.request("/schedule", {
        method: "POST",
        headers: { "ttr-api-key": KEY, "ttr-url": `${target.url}/hook`, "ttr-scheduled-at": new Date(at).toISOString() },
        body,
      });

    it("answers 503 store_unavailable with Retry-After and fails /healthz while it is away, loses nothing acknowledged, and resumes by itself", { timeout: 30_000 }, async () => {
      // Acknowledged before the outage, due during it.
      const before = await schedule("before", Date.now() + 1_500);
      expect(before.status).toBe(200);

      await proxy.cut();
      const refused = await schedule("during", Date.now());
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("2");
      expect(await refused.json()).toMatchObject({ error: "store_unavailable" });
      const health = await service.app.request("/healthz");
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: "store_unavailable" });

      // Out past the acknowledged trigger's due time, then back.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await proxy.restore();
      const backAt = Date.now();
      await expect
        .poll(async () => (await schedule("after", Date.now())).status, { timeout: 5_000, interval: 100 })
        .toBe(200);
      expect((await service.app.request("/healthz")).status).toBe(200);
      const received = await target.waitFor((r) => r.some((x) => x.body.toString() === "before") && r.some((x) => x.body.toString() === "after"));
      const arrivals = received.filter((x) => x.body.toString() !== "during");
      expect(arrivals.map((x) => x.body.toString()).sort()).toEqual(["after", "before"]);
      for (const r of arrivals) expect(r.arrivedAt - backAt).toBeLessThan(5_000);
    });
  });
});
