import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QuotaExceededError } from "../../src/errors.js";
import { createIdGenerator } from "../../src/store/ids.js";
import { loadMigrations, migrationsFolder } from "../../src/store/migrations.js";
import { PostgresFastPaths } from "../../src/store/postgres/fast-paths.js";
import { migratePostgres } from "../../src/store/postgres/migrate.js";
import { createPool } from "../../src/store/postgres/pool.js";
import { newExecutionRow } from "../../src/store/row-builders.js";
import { createTestSchema, describePostgres } from "../support/postgres.js";
import { finished, jobInput } from "./store-contract.js";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

// The group commit of PostgreSQL's hot paths; that they write what the Kysely paths write is the
// store contract's part (postgres-store.test.ts runs it with and without them).
describePostgres("PostgreSQL fast paths", (serverUrl) => {
  describe("PostgreSQL fast paths", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    let pool: pg.Pool;
    let fast: PostgresFastPaths;
    const projectId = "P1";
    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
      // One connection: what the fast paths prepared on it can be read back on it.
      pool = createPool({ url: schema.url, size: 1 });
      await migratePostgres(pool, loadMigrations(migrationsFolder("postgres")));
      await pool.query("INSERT INTO projects (id, name, created_at) VALUES ($1, 'p', 0)", [projectId]);
      const newId = createIdGenerator();
      fast = new PostgresFastPaths(pool, { newId, executionRow: (result) => newExecutionRow(newId(), result) }, () => false);
    });
    afterEach(async () => {
      await fast.flush();
      await pool.end();
      await schema.drop();
    });

    const usage = async () => Number((await pool.query("SELECT created FROM project_usage WHERE project_id = $1", [projectId])).rows[0]?.created ?? 0);

    it("writes the one-shots that arrive together in one transaction, by one INSERT, and counts them once", async () => {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => fast.insertJob(jobInput(projectId, { tags: [`t${i % 2}`] }))));
      expect(new Set(results.map((r) => r.id)).size).toBe(40);
      const transactions = await pool.query("SELECT count(DISTINCT xmin::text) AS n, count(*) AS rows FROM triggers");
      expect(transactions.rows[0]).toEqual({ n: 1, rows: 40 });
      const prepared = (await pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name")).rows.map((r) => r.name);
      // One statement wrote the rows, their tags and the count, alone (no BEGIN/COMMIT: the only statement but the quota's read).
      expect(prepared.filter((name) => name.startsWith("hg_fast_record_new_jobs_") || name.startsWith("hg_fast_insert_"))).toEqual(["hg_fast_record_new_jobs_40"]);
      expect((await pool.query("SELECT count(*) AS n FROM trigger_tags")).rows[0]).toEqual({ n: 40 });
      expect(await usage()).toBe(40);
    });

    it("refuses only the items past the quota, and counts the others", async () => {
      await pool.query("UPDATE projects SET month_quota = 3 WHERE id = $1", [projectId]);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => fast.insertJob(jobInput(projectId))));
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"]);
      expect(results.map((r) => (r.status === "fulfilled" ? r.value.monthQuotaRemaining : null))).toEqual([2, 1, 0, null, null]);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(QuotaExceededError);
      expect(await usage()).toBe(3);
      expect((await pool.query("SELECT count(*) AS n FROM triggers")).rows[0]).toEqual({ n: 3 });
    });

    it("reads a project's quota once while it has none, and never overshoots one set meanwhile", async () => {
      const quotaReads = async () =>
        Number((await pool.query("SELECT generic_plans + custom_plans AS n FROM pg_prepared_statements WHERE name = 'hg_fast_quota_state'")).rows[0]?.n ?? 0);
      await Promise.all([fast.insertJob(jobInput(projectId)), fast.insertJob(jobInput(projectId))]);
      await Promise.all([fast.insertJob(jobInput(projectId)), fast.insertJob(jobInput(projectId))]);
      expect(await quotaReads()).toBe(1);
      // Set by another node: this one still remembers the project without a quota.
      const other = createPool({ url: schema.url, size: 1 });
      try {
        await other.query("UPDATE projects SET month_quota = 5 WHERE id = $1", [projectId]);
      } finally {
        await other.end();
      }
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => fast.insertJob(jobInput(projectId))));
      expect(results.map((r) => (r.status === "fulfilled" ? r.value.monthQuotaRemaining : (r.reason as Error).constructor.name))).toEqual([
        0,
        "QuotaExceededError",
        "QuotaExceededError",
      ]);
      expect(await usage()).toBe(5);
      expect((await pool.query("SELECT count(*) AS n FROM triggers")).rows[0]).toEqual({ n: 5 });
      expect(await quotaReads()).toBe(2);
    });

    it("fails every item of a transaction that fails, and commits none of them", async () => {
      const results = await Promise.allSettled([
        fast.insertJob(jobInput(projectId)),
        fast.insertJob(jobInput("no-such-project")),
        fast.insertJob(jobInput(projectId)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
      expect((await pool.query("SELECT count(*) AS n FROM triggers")).rows[0]).toEqual({ n: 0 });
      expect(await usage()).toBe(0);
      // The connection went back to the pool in a usable state.
      await fast.insertJob(jobInput(projectId));
      expect(await usage()).toBe(1);
    });

    it("writes the outcomes that arrive together in one transaction, fenced each by its attempt, before a claim reads", async () => {
      const jobs = await Promise.all(Array.from({ length: 3 }, () => fast.insertJob(jobInput(projectId, { scheduledAt: T0 }))));
      await pool.query("INSERT INTO custom_keys (project_id, custom_key, owner_kind, owner_id) VALUES ($1, 'k', 'job', $2)", [projectId, jobs[0]?.id]);
      const claims = (await fast.claimDue(T0, T0, 10, 30_000, undefined, 0)) ?? [];
      expect(claims.map((c) => c.id).sort()).toEqual(jobs.map((j) => j.id).sort());
      const [a, b, c] = claims.sort((x, y) => (x.id === jobs[0]?.id ? -1 : y.id === jobs[0]?.id ? 1 : 0)) as [typeof claims[0], typeof claims[0], typeof claims[0]];
      // The three outcomes and a claim arrive in one turn: one transaction. The third comes from a stale attempt.
      const [, , , claimed] = await Promise.all([
        fast.finishAttempt(finished(a, projectId, "succeeded", { finishedAt: T0 + 5 })),
        fast.finishAttempt(finished(b, projectId, "failed", { finishedAt: T0 + 6 })),
        fast.finishAttempt(finished({ id: c.id, attempt: c.attempt + 1 }, projectId, "succeeded", { finishedAt: T0 + 7 })),
        fast.claimDue(T0 + 3_600_000, T0 + 3_600_000, 10, 30_000, undefined, 1),
      ]);
      const states = await pool.query<{ id: string; status: string; finished_at: number | null; attempts: number }>(
        "SELECT id, status, finished_at, attempts FROM triggers ORDER BY id",
      );
      const byId = new Map(states.rows.map((r) => [r.id, r]));
      expect(byId.get(a.id)).toMatchObject({ status: "succeeded", finished_at: T0 + 5, attempts: 1 });
      expect(byId.get(b.id)).toMatchObject({ status: "failed", finished_at: T0 + 6, attempts: 1 });
      // The stale outcome is recorded but moves nothing; its trigger's lease expired, so the claim took it over.
      expect(claimed?.map((t) => t.id)).toEqual([c.id]);
      expect(byId.get(c.id)).toMatchObject({ status: "running", finished_at: null, attempts: 2 });
      expect((await pool.query("SELECT count(*) AS n FROM custom_keys")).rows[0]).toEqual({ n: 0 });
      const executions = await pool.query("SELECT count(*) AS n, count(DISTINCT xmin::text) AS transactions FROM executions");
      expect(executions.rows[0]).toEqual({ n: 3, transactions: 1 });
    });
  });

  describe("a pool with settings of its own (the fast paths' pool)", () => {
    it("applies them to each connection before its first statement, and keeps idle connections open", async () => {
      const schema = await createTestSchema(serverUrl);
      const settings = { plan_cache_mode: "force_generic_plan", jit: "off" };
      const own = createPool({ url: schema.url, size: 2, nodeId: "node-a", settings, keepIdle: true });
      try {
        const clients = await Promise.all([own.connect(), own.connect()]);
        for (const client of clients) {
          const { rows } = await client.query("SELECT current_setting('plan_cache_mode') AS plans, current_setting('jit') AS jit, current_setting('hourglass.node_id') AS node");
          expect(rows[0]).toEqual({ plans: "force_generic_plan", jit: "off", node: "node-a" });
          client.release();
        }
        expect(own.options.idleTimeoutMillis).toBe(0);
        const plain = createPool({ url: schema.url, size: 2 });
        expect(plain.options.idleTimeoutMillis).not.toBe(0);
        await plain.end();
      } finally {
        await own.end();
        await schema.drop();
      }
    });
  });
});
