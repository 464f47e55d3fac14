import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, GoneError, QuotaExceededError } from "../../src/errors.js";
import { SchemaTooNewError, loadMigrations, migrationsFolder } from "../../src/store/migrations.js";
import { openPostgresStore } from "../../src/store/postgres/store.js";
import type { Store } from "../../src/store/store.js";
import { adminQuery, createTestSchema, describePostgres } from "../support/postgres.js";
import { describeFlowContract } from "./flow-contract.js";
import { DELIVERY, describeStoreContract, finished, generatorInput, jobInput } from "./store-contract.js";

const options = { runMissedCap: 100, missedGraceMs: 60_000 };

describePostgres("PostgreSQL store", (serverUrl) => {
  /** A store on a new schema (`fastPaths: false`: through Kysely only); `dispose` closes it and drops the schema. */
  const postgresFactory = async (fastPaths = true) => {
    const schema = await createTestSchema(serverUrl);
    const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 4, fastPaths });
    return {
      store,
      dispose: async () => {
        await store.close();
        await schema.drop();
      },
    };
  };
  describeFlowContract("PostgreSQL", () => postgresFactory());
  describeFlowContract("PostgreSQL, portable paths only (fastPaths: false)", () => postgresFactory(false));
  describeStoreContract("PostgreSQL", async () => {
    const schema = await createTestSchema(serverUrl);
    const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 4 });
    return {
      store,
      dispose: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });
  describeStoreContract("PostgreSQL, portable paths only (fastPaths: false)", async () => {
    const schema = await createTestSchema(serverUrl);
    const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 4, fastPaths: false });
    return {
      store,
      dispose: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });
});

describePostgres("PostgreSQL migrations", (serverUrl) => {
  describe("PostgreSQL migrations", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
    });
    afterEach(async () => {
      await schema.drop();
    });

    it("applies each migration once when several nodes start at once, and records it", async () => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore({ ...options, url: schema.url, poolSize: 2 })));
      try {
        const rows = await adminQuery<{ version: number; name: string }>(
          serverUrl,
          `SELECT version, name FROM ${schema.schema}.schema_migrations ORDER BY version`,
        );
        expect(rows).toEqual([
          { version: 1, name: "initial" },
          { version: 2, name: "flow_control" },
          { version: 3, name: "quota_guard" },
        ]);
        // Every node works on the one schema.
        const projectId = await stores[0]!.ensureApiKey("a".repeat(64), "hg_aaaa", 0);
        expect((await stores[4]!.findApiKey("a".repeat(64)))?.projectId).toBe(projectId);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it("upgrades a database of the first PostgreSQL release in place, keeping its data", async () => {
      // What release 1 left: its one migration, recorded, and a waiting trigger.
      const first = readFileSync(new URL("../../migrations/postgres/0001_initial.sql", import.meta.url), "utf8");
      await adminQuery(
        serverUrl,
        `SET search_path TO ${schema.schema};
         ${first};
         CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
         INSERT INTO schema_migrations VALUES (1, 'initial', 0);
         INSERT INTO projects (id, name, created_at) VALUES ('P1', 'old', ${T0});
         INSERT INTO triggers (id, project_id, origin, method, url, headers, body, tags, retries, retries_left, retry_delay_ms,
           timeout_ms, scheduled_at, due_at, status, created_at, updated_at)
         VALUES ('T1', 'P1', 'job', 'PUT', 'https://example.com/x', '[["X-A","1"]]', '\\x00ff', '', 3, 3, 10000, 30000, ${T0}, ${T0}, 'registered', ${T0}, ${T0})`,
      );
      const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 2 });
      try {
        expect(await store.getTrigger("P1", "T1")).toMatchObject({ method: "PUT", body: new Uint8Array([0, 255]), flowWaiting: null, delivery: { flowKey: null } });
        expect((await store.claimDue(T0, 10, LEASE)).map((c) => c.id)).toEqual(["T1"]);
      } finally {
        await store.close();
      }
      const versions = await adminQuery<{ version: number }>(serverUrl, `SELECT version FROM ${schema.schema}.schema_migrations ORDER BY version`);
      expect(versions.map((v) => v.version)).toEqual(loadMigrations(migrationsFolder("postgres")).map((m) => m.version));
    });

    it("refuses a database migrated by a newer release", async () => {
      await (await openPostgresStore({ ...options, url: schema.url, poolSize: 2 })).close();
      await adminQuery(serverUrl, `INSERT INTO ${schema.schema}.schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`);
      await expect(openPostgresStore({ ...options, url: schema.url, poolSize: 2 })).rejects.toBeInstanceOf(SchemaTooNewError);
    });
  });
});

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const LEASE = 30_000;

/** The i-th of `items`' stores, round robin: requests spread over the nodes. */
const on = <T>(items: readonly T[], i: number): T => items[i % items.length] as T;

describePostgres("PostgreSQL with several nodes", (serverUrl) => {
  // Three stores with pools of their own on one schema, as three Hourglass processes would be.
  describe("PostgreSQL with several nodes", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    let nodes: Store[];
    let projectId: string;
    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
      nodes = [];
      for (let i = 0; i < 3; i++) nodes.push(await openPostgresStore({ ...options, url: schema.url, poolSize: 4 }));
      projectId = await on(nodes, 0).ensureApiKey("a".repeat(64), "hg_aaaa", T0);
    });
    afterEach(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await schema.drop();
    });

    it("collapses 25 concurrent creates of one new custom key, spread over 3 nodes, into one trigger", async () => {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => on(nodes, i).scheduleJob(jobInput(projectId, { customKey: "race", scheduledAt: T0 + i }))),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.operation === "schedule")).toHaveLength(1);
      expect((await on(nodes, 1).listTriggers(projectId, { customKey: "race" }, { limit: 50 })).items).toHaveLength(1);
    });

    it("ensures one project for one configured key when nodes start together, and revokes a key once", async () => {
      const projects = await Promise.all(Array.from({ length: 9 }, (_, i) => on(nodes, i).provisionApiKeys([{ hash: "c".repeat(64), prefix: "hg_cccc" }], T0)));
      expect(projects.flat()).toEqual([]);
      const owners = await Promise.all(nodes.map((node) => node.findApiKey("c".repeat(64))));
      expect(new Set(owners.map((o) => o?.projectId)).size).toBe(1);
      expect((await on(nodes, 0).listProjects(T0)).length).toBe(2);

      const key = await on(nodes, 0).createApiKey(projectId, "d".repeat(64), "hg_dddd", T0);
      const revocations = await Promise.allSettled(nodes.map((node) => node.revokeApiKey(key.id, T0)));
      expect(revocations.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of revocations.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(GoneError);
    });

    it("replays an executed trigger once when nodes are asked at the same time", async () => {
      const { id } = await on(nodes, 0).scheduleJob(jobInput(projectId, { scheduledAt: T0 }));
      const [claim] = await on(nodes, 1).claimDue(T0, 10, LEASE);
      await on(nodes, 1).finishAttempt(finished(claim!, projectId, "failed"));
      const replays = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => on(nodes, i).replay(projectId, id, T0 + 100)));
      expect(replays.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of replays.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    });

    it("never overshoots a monthly quota under concurrent schedules on 3 nodes", async () => {
      await on(nodes, 0).updateProject(projectId, { monthQuota: 7 }, T0);
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => {
          const node = on(nodes, i);
          if (i % 5 === 0) return node.scheduleGenerator(generatorInput(projectId, { cronExpr: "0 0 * * *" }));
          if (i % 5 === 1) return node.scheduleJob(jobInput(projectId, { customKey: `quota-${i}` }));
          return node.scheduleJob(jobInput(projectId));
        }),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
      for (const refused of results.filter((r) => r.status === "rejected")) {
        expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
      }
      expect((await on(nodes, 2).listProjects(T0)).find((p) => p.id === projectId)?.usedThisMonth).toBe(7);
      expect((await on(nodes, 2).listTriggers(projectId, {}, { limit: 100 })).items).toHaveLength(7);
    });

    it("never overshoots a monthly quota set while every node remembers the project without one", async () => {
      // Each node reads the project without a quota once, and then writes its one-shots without reading it.
      for (let round = 0; round < 2; round++) await Promise.all(nodes.map((node) => node.scheduleJob(jobInput(projectId))));
      await on(nodes, 0).updateProject(projectId, { monthQuota: 10 }, T0);
      const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => on(nodes, i).scheduleJob(jobInput(projectId))));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
      for (const refused of results.filter((r) => r.status === "rejected")) {
        expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
      }
      expect((await on(nodes, 2).listProjects(T0)).find((p) => p.id === projectId)?.usedThisMonth).toBe(10);
    });

    it("claims each of 3,000 due triggers exactly once with 3 nodes claiming at once", async () => {
      const ids = new Set<string>();
      for (let start = 0; start < 3_000; start += 500) {
        const batch = await Promise.all(
          Array.from({ length: 500 }, (_, i) => on(nodes, i).scheduleJob(jobInput(projectId, { scheduledAt: T0 + 1_000 + ((start + i) % 7) }))),
        );
        for (const r of batch) ids.add(r.id);
      }
      expect(ids.size).toBe(3_000);
      const claimedBy = await Promise.all(
        nodes.map(async (node) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await node.claimDue(T0 + 2_000, 64, LEASE);
            if (batch.length === 0) return mine;
            mine.push(...batch.map((c) => c.id));
          }
        }),
      );
      const all = claimedBy.flat();
      expect(all).toHaveLength(3_000);
      expect(new Set(all)).toEqual(ids);
      // The claims were shared: every node took some.
      for (const mine of claimedBy) expect(mine.length).toBeGreaterThan(0);
    });

    it("holds a flow's parallelism while 3 nodes claim and finish its triggers at once: never more running, none lost", async () => {
      const flow = { ...DELIVERY, flowKey: "partner" };
      for (let i = 0; i < 60; i++) {
        await on(nodes, i).scheduleJob(jobInput(projectId, { scheduledAt: T0 + i, delivery: flow, flowLimits: { parallelism: 3, rate: null } }));
      }
      const runningNow = async () =>
        (await adminQuery<{ n: number }>(serverUrl, `SELECT count(*)::int AS n FROM ${schema.schema}.triggers WHERE status = 'running'`))[0]?.n;
      const done = new Set<string>();
      let peak = 0;
      await Promise.all(
        nodes.map(async (node) => {
          // Each node claims, checks what the database holds running, and finishes what it claimed.
          for (let round = 0; round < 2_000 && done.size < 60; round++) {
            const claimed = await node.claimDue(T0 + 1_000, 8, LEASE);
            peak = Math.max(peak, (await runningNow()) ?? 0);
            for (const c of claimed) {
              await node.finishAttempt(finished(c, projectId, "succeeded", { flowKey: "partner" }));
              done.add(c.id);
            }
            if (claimed.length === 0) await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      );
      expect(done.size).toBe(60);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(3);
    });

    it("holds a flow's rate while 3 nodes claim at the same instants: at most N start in each second", async () => {
      const flow = { ...DELIVERY, flowKey: "partner" };
      for (let i = 0; i < 20; i++) {
        await on(nodes, i).scheduleJob(jobInput(projectId, { scheduledAt: T0, delivery: flow, flowLimits: { parallelism: null, rate: 5 } }));
      }
      // Claims that meet a flow another node is claiming leave it for later: some seconds may
      // start fewer, none more, and every trigger starts.
      const started: number[] = [];
      for (let second = 0; second < 12 && started.reduce((a, b) => a + b, 0) < 20; second++) {
        const now = T0 + second * 1_000 + 10;
        const claims = await Promise.all(nodes.flatMap((node) => [node.claimDue(now, 8, LEASE), node.claimDue(now, 8, LEASE)]));
        started.push(claims.flat().length);
      }
      expect(started.reduce((a, b) => a + b, 0)).toBe(20);
      for (const n of started) expect(n).toBeLessThanOrEqual(5);
    });

    it("keeps one pending tick per generator while nodes claim ticks and others edit the generators", async () => {
      const generators = await Promise.all(
        Array.from({ length: 20 }, (_, i) => on(nodes, i).scheduleGenerator(generatorInput(projectId, { cronExpr: "*/10 * * * * *" }))),
      );
      const errors: unknown[] = [];
      const claimer = async (node: Store, rounds: number) => {
        for (let round = 1; round <= rounds; round++) {
          const now = T0 + round * 10_000;
          for (const claim of await node.claimDue(now, 8, LEASE)) await node.finishAttempt(finished(claim, projectId, "succeeded", { finishedAt: now }));
        }
      };
      const editor = async (node: Store) => {
        for (let round = 0; round < 3; round++) {
          await Promise.all(
            generators.map((g, i) =>
              node
                .scheduleGenerator(generatorInput(projectId, { triggerId: g.id, cronExpr: "*/10 * * * * *", now: T0 + round * 10_000 + i }))
                .catch((error: unknown) => errors.push(error)),
            ),
          );
        }
      };
      await Promise.all([claimer(on(nodes, 0), 6), claimer(on(nodes, 1), 6), editor(on(nodes, 2))]);
      expect(errors.map((e) => `${(e as { code?: string }).code} ${String(e)}`)).toEqual([]);
      for (const g of generators) {
        const pending = (await on(nodes, 0).listTriggers(projectId, { generatorId: g.id, status: "registered" }, { limit: 50 })).items;
        expect(pending.filter((t) => t.origin === "tick" && t.attempts === 0)).toHaveLength(1);
      }
      const running = (await on(nodes, 0).listTriggers(projectId, { status: "running" }, { limit: 500 })).items;
      const cancelledWhileRunning = running.filter((t) => t.cancelReason !== null);
      expect(cancelledWhileRunning).toEqual([]);
    });
  });
});
