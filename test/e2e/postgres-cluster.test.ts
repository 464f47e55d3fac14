import pg from "pg";
import { describe, expect, it } from "vitest";
import { spawnHourglass } from "../support/child-process.js";
import { adminQuery, describePostgres } from "../support/postgres.js";
import { postgresNodes } from "../support/postgres-nodes.js";

const KEY = "hg_pg_cluster_test_key_0123456789abcdef";
const ADMIN = "admin-token-for-the-cluster-tests-0123";

describePostgres("Hourglass nodes that behave as one", (serverUrl) => {
  describe("three Hourglass processes on one PostgreSQL database", () => {
    const h = postgresNodes(serverUrl);

    /** The node's name as PostgreSQL shows it (application_name), to find its connections. */
    const appName = (i: number) => `${h.schema.schema}-node${i}`;
    const startNodes = async (extra: Record<string, string> = {}) => {
      // One after the other: the first applies the migrations and the key, under its lock.
      for (let i = 0; i < 3; i++) {
        const url = new URL(h.schema.url);
        url.searchParams.set("application_name", appName(i));
        const env = { DATABASE_URL: url.toString(), HOURGLASS_PG_POOL_SIZE: "4", HOURGLASS_API_KEYS: KEY, HOURGLASS_ALLOWED_TARGETS: "127.0.0.1", ...extra };
        h.nodes.push(await spawnHourglass(env));
      }
    };
    const node = (i: number) => h.node(i);
    const post = (i: number, headers: Record<string, string>, body: string) => h.post(i, KEY, headers, body);
    const q = <R extends Record<string, unknown>>(sql: string, values: unknown[] = []) => adminQuery<R>(serverUrl, sql.replaceAll("$S.", `${h.schema.schema}.`), values);

    it("a trigger accepted by one node fires on time on another, told by NOTIFY (not the 60 s idle poll)", { timeout: 60_000 }, async () => {
      await startNodes();
      // Listening as the nodes do, to know when node 0 has told the others.
      const listener = new pg.Client({ connectionString: serverUrl });
      await listener.connect();
      try {
        await listener.query(`LISTEN "hourglass.${h.schema.schema}"`);
        const told = new Promise<{ kind: string; at: number }>((resolve) => listener.on("notification", (n) => resolve(JSON.parse(n.payload ?? "{}"))));
        const dueAt = Date.now() + 1_500;
        expect(await post(0, { "ttr-url": `${h.target.url}/hook`, "ttr-scheduled-at": new Date(dueAt).toISOString() }, "one")).toBe(200);
        expect(await told).toEqual({ kind: "due", at: dueAt });
        // Node 0 stops (frozen, holding nothing): only the others can fire it.
        node(0).child.kill("SIGSTOP");
        const [arrival] = await h.target.waitForCount(1);
        node(0).child.kill("SIGCONT");
        expect(arrival!.arrivedAt).toBeGreaterThanOrEqual(dueAt);
        expect(arrival!.arrivedAt - dueAt).toBeLessThan(1_000);
        const [row] = await q<{ claimed_by: string }>("SELECT claimed_by FROM $S.triggers");
        expect(row?.claimed_by).not.toContain(`:${node(0).child.pid}:`);
      } finally {
        await listener.end();
      }
    });

    it("kill -9 of a node mid-burst: nothing lost, only what it held delivered twice, within 5 s of the kill", { timeout: 90_000 }, async () => {
      await startNodes();
      // Slow answers: every node has deliveries in flight when one is killed.
      h.target.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end("ok"), 300));
      const total = 900;
      const dueAt = Date.now() + 4_000;
      const viaHttp = 60;
      for (let seq = 0; seq < viaHttp; seq++) {
        expect(await post(seq, { "ttr-url": `${h.target.url}/hook`, "ttr-scheduled-at": new Date(dueAt).toISOString() }, String(seq))).toBe(200);
      }
      const columns = (await q<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'triggers' AND column_name NOT IN ('id', 'body')",
        [h.schema.schema],
      )).map((c) => c.column_name);
      await q(
        `INSERT INTO $S.triggers (id, body, ${columns.join(", ")})
         SELECT 'clone-' || seq, convert_to(seq::text, 'UTF8'), ${columns.map((c) => `t.${c}`).join(", ")}
         FROM generate_series(${viaHttp}, ${total - 1}) AS seq, (SELECT * FROM $S.triggers WHERE body = convert_to('0', 'UTF8')) AS t`,
      );

      await h.target.waitForCount(150);
      const victim = node(0);
      victim.child.kill("SIGKILL");
      const killedAt = Date.now();
      await victim.exited;
      // What it held when it died: leases recorded under its node id (host:pid:random).
      const held = new Set(
        (await q<{ seq: string }>(
          "SELECT convert_from(body, 'UTF8') AS seq FROM $S.triggers WHERE status = 'running' AND claimed_by LIKE $1",
          [`%:${victim.child.pid}:%`],
        )).map((r) => r.seq),
      );
      expect(held.size).toBeGreaterThan(0);

      const bodies = (received: { body: Buffer }[]) => received.map((r) => r.body.toString());
      const all = await h.target.waitFor((r) => new Set(bodies(r)).size === total);
      // Each trigger the dead node held arrives (again) after the kill, within 5 s of it.
      const again = await h.target.waitFor((r) => [...held].every((seq) => r.some((x) => x.arrivedAt >= killedAt && x.body.toString() === seq)));
      const rescued = again.filter((x) => x.arrivedAt >= killedAt && held.has(x.body.toString()));
      expect(Math.max(...rescued.map((x) => x.arrivedAt)) - killedAt).toBeLessThan(5_000);

      const counts = new Map<string, number>();
      for (const seq of bodies(all)) counts.set(seq, (counts.get(seq) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq);
      for (const seq of twice) expect(held.has(seq)).toBe(true);
      expect(new Set(bodies(all)).size).toBe(total);
      for (const r of all) expect(r.arrivedAt).toBeGreaterThanOrEqual(dueAt);
    });

    it("50 generators every second for 20 s across the nodes: one pending tick each, none delivered twice, none skipped", { timeout: 120_000 }, async () => {
      await startNodes();
      const generators = 50;
      for (let g = 0; g < generators; g++) {
        expect(await post(g, { "ttr-url": `${h.target.url}/tick`, "ttr-scheduled-at": "cron(* * * * * *)", "ttr-custom-key": `gen-${g}` }, String(g))).toBe(200);
      }
      const startedAt = Date.now();
      let samples = 0;
      while (Date.now() - startedAt < 20_000) {
        const [doubled] = await q<{ n: number }>(
          "SELECT count(*)::int AS n FROM (SELECT generator_id FROM $S.triggers WHERE status = 'registered' AND origin = 'tick' GROUP BY generator_id HAVING count(*) > 1) AS d",
        );
        expect(doubled?.n).toBe(0);
        samples++;
        await h.target.waitForCount(h.target.received.length + 1);
      }
      expect(samples).toBeGreaterThan(10);
      for (const n of h.nodes) n.child.kill("SIGTERM");
      for (const n of h.nodes) expect((await n.exited).code).toBe(0);

      const ticks = await q<{ g: string; scheduled_at: number; executions: number }>(
        `SELECT convert_from(t.body, 'UTF8') AS g, t.scheduled_at::float8 AS scheduled_at,
                (SELECT count(*)::int FROM $S.executions e WHERE e.trigger_id = t.id) AS executions
         FROM $S.triggers t WHERE t.origin = 'tick' AND t.status = 'succeeded' ORDER BY 1, 2`,
      );
      const delivered = new Map<string, number>();
      for (const r of h.target.received) delivered.set(r.body.toString(), (delivered.get(r.body.toString()) ?? 0) + 1);
      for (let g = 0; g < generators; g++) {
        const mine = ticks.filter((t) => t.g === String(g));
        expect(mine.length).toBeGreaterThanOrEqual(18);
        // None skipped: one tick per second from the first to the last.
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.scheduled_at - mine[i - 1]!.scheduled_at).toBe(1_000);
        // None delivered twice: one attempt each, and the target saw each once.
        for (const t of mine) expect(t.executions).toBe(1);
        expect(delivered.get(String(g))).toBe(mine.length);
      }
    });

    it("a node whose connections are terminated recovers by itself; a revoked key is refused by every node within 1 s", { timeout: 60_000 }, async () => {
      await startNodes({ HOURGLASS_ADMIN_TOKEN: ADMIN });
      const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
      const created = await fetch(`${node(0).url}/admin/projects`, { method: "POST", headers: admin, body: JSON.stringify({ name: "revoked" }) });
      expect(created.status).toBe(201);
      const { apiKey } = (await created.json()) as { apiKey: { id: string; key: string } };
      const listWith = async (i: number) => (await fetch(`${node(i).url}/triggers`, { headers: { "ttr-api-key": apiKey.key } })).status;
      // Every node has accepted the key (and caches it).
      for (let i = 0; i < 3; i++) expect(await listWith(i)).toBe(200);

      const killed = await q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName(1)]);
      expect(killed.length).toBeGreaterThan(0);
      const terminatedAt = Date.now();
      // It takes and delivers triggers again by itself (its pool and its cluster link reconnect).
      await expect.poll(() => post(1, { "ttr-url": `${h.target.url}/after`, "ttr-scheduled-at": new Date(Date.now() + 200).toISOString() }, "after"), { timeout: 5_000, interval: 100 }).toBe(200);
      await h.target.waitFor((r) => r.some((x) => x.body.toString() === "after"));
      expect(Date.now() - terminatedAt).toBeLessThan(5_000);

      const revoked = await fetch(`${node(2).url}/admin/keys/${apiKey.id}`, { method: "DELETE", headers: admin });
      expect(revoked.status).toBe(204);
      const revokedAt = Date.now();
      await Promise.all(
        [0, 1, 2].map((i) => expect.poll(() => listWith(i), { timeout: 1_000, interval: 20 }).toBe(401)),
      );
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
    });
  });
});
