import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClusterMessage } from "../../src/store/cluster.js";
import { PostgresClusterLink } from "../../src/store/postgres/cluster-link.js";
import { DatabaseClock } from "../../src/store/postgres/database-clock.js";
import { openPostgresStore } from "../../src/store/postgres/store.js";
import { MAX_CLAIM_AHEAD_MS } from "../../src/store/row-builders.js";
import type { Store } from "../../src/store/store.js";
import { adminQuery, createTestSchema, describePostgres } from "../support/postgres.js";
import { finished, jobInput } from "./store-contract.js";

const options = { runMissedCap: 100, missedGraceMs: 60_000 };
const LEASE = 30_000;
const quiet = { warn: () => {}, info: () => {} };

/** The next message `link` receives that `accept` takes. */
function nextMessage(link: PostgresClusterLink, accept: (message: ClusterMessage) => boolean): Promise<ClusterMessage> {
  return new Promise((resolve) => link.subscribe((message) => accept(message) && resolve(message)));
}

describePostgres("PostgreSQL nodes: heartbeats, messages, dead nodes", (serverUrl) => {
  describe("PostgreSQL nodes: heartbeats, messages, dead nodes", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    let stores: Store[];
    let links: PostgresClusterLink[];
    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
      links = [];
      // Opening a store applies the migrations (the nodes table), as a node does before it joins.
      stores = [await openPostgresStore({ ...options, url: schema.url, poolSize: 1 })];
    });
    afterEach(async () => {
      await Promise.all(links.map((link) => link.stop()));
      await Promise.all(stores.map((store) => store.close()));
      await schema.drop();
    });

    const openNode = async (nodeId: string) => {
      const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 2, nodeId });
      stores.push(store);
      return store;
    };
    const startLink = async (nodeId: string, timing: { heartbeatMs: number; staleMs: number }, url = schema.url) => {
      const link = await PostgresClusterLink.start({ url, nodeId, clock: new DatabaseClock(), horizonMs: 60_000, log: quiet, ...timing });
      links.push(link);
      return link;
    };

    it("releases a silent node's leases without waiting for them to expire, and fences the outcome it records late", async () => {
      const stalled = await openNode("node-a");
      const survivor = await openNode("node-b");
      const projectId = await stalled.ensureApiKey("a".repeat(64), "hg_aaaa", 0);
      const { id } = await stalled.scheduleJob(jobInput(projectId));
      // node-a registered, then fell silent (killed, or stalled) holding the lease of attempt 1.
      await adminQuery(schema.url, "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ('node-a', 0, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)");
      const claimedAt = Date.now();
      const [first] = await stalled.claimDue(claimedAt, 10, LEASE);
      expect(first).toMatchObject({ id, attempt: 1 });
      const [held] = await adminQuery<{ claimed_by: string }>(schema.url, "SELECT claimed_by FROM triggers WHERE id = $1", [id]);
      expect(held?.claimed_by).toBe("node-a");

      const link = await startLink("node-b", { heartbeatMs: 50, staleMs: 400 });
      const due = await nextMessage(link, (m) => m.kind === "due");
      // Due again almost at once: once what node-a may have claimed ahead of its due time is due.
      expect(due.kind === "due" && due.at).toBeGreaterThanOrEqual(claimedAt + MAX_CLAIM_AHEAD_MS);
      expect(due.kind === "due" && due.at).toBeLessThanOrEqual(Date.now() + MAX_CLAIM_AHEAD_MS);
      expect(await adminQuery(schema.url, "SELECT id FROM nodes ORDER BY id")).toEqual([{ id: "node-b" }]);

      // Due again now, without waiting for the lease (30 s) to expire; claimed as attempt 2.
      const [second] = await survivor.claimDue(Date.now() + 1_000, 10, LEASE);
      expect(second).toMatchObject({ id, attempt: 2 });
      // node-a wakes up and records attempt 1: kept as history, but it moves nothing.
      await stalled.finishAttempt(finished(first!, projectId, "failed", { retryAt: null }));
      expect(await survivor.getTrigger(projectId, id)).toMatchObject({ status: "running", attempts: 2 });
      await survivor.finishAttempt(finished(second!, projectId, "succeeded"));
      expect(await survivor.getTrigger(projectId, id)).toMatchObject({ status: "succeeded", attempts: 2 });
    });

    it("takes no node for dead right after its own link came back (a database outage silences every node)", async () => {
      await adminQuery(schema.url, "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ('old', 0, 0)");
      const link = await startLink("node-b", { heartbeatMs: 50, staleMs: 300 });
      // Its first beats are younger than the stale period: nothing is judged yet.
      expect(await adminQuery(schema.url, "SELECT id FROM nodes ORDER BY id")).toEqual([{ id: "node-b" }, { id: "old" }]);
      expect(link.liveNodes()).toBe(1);
      // Once it has beaten for the whole period, the silent one goes.
      await expect.poll(() => adminQuery(schema.url, "SELECT id FROM nodes ORDER BY id"), { timeout: 5_000 }).toEqual([{ id: "node-b" }]);
    });

    it("carries messages to the other nodes, not back to the sender, and counts live nodes", async () => {
      const a = await startLink("node-a", { heartbeatMs: 50, staleMs: 3_000 });
      const b = await startLink("node-b", { heartbeatMs: 50, staleMs: 3_000 });
      const echoed: ClusterMessage[] = [];
      a.subscribe((m) => echoed.push(m));
      const received = nextMessage(b, (m) => m.kind === "secrets");
      a.publish({ kind: "secrets", projectId: "p1" });
      expect(await received).toEqual({ kind: "secrets", projectId: "p1" });
      // A heartbeat of a's after b joined counts it.
      await expect.poll(() => a.liveNodes(), { timeout: 5_000 }).toBe(2);
      expect(echoed).toEqual([]);
    });

    it("lists the registered nodes with their heartbeats, marking the one asked", async () => {
      const a = await startLink("node-a", { heartbeatMs: 50, staleMs: 3_000 });
      await startLink("node-b", { heartbeatMs: 50, staleMs: 3_000 });
      const nodes = await a.nodes();
      expect(nodes.map((n) => [n.id, n.self])).toEqual([
        ["node-a", true],
        ["node-b", false],
      ]);
      for (const node of nodes) expect(node.heartbeatAt).toBeGreaterThanOrEqual(node.startedAt);
    });

    it("tells a node of an earlier due time only: later ones are covered by the earlier wake-up", async () => {
      const a = await startLink("node-a", { heartbeatMs: 1_000, staleMs: 3_000 });
      const b = await startLink("node-b", { heartbeatMs: 1_000, staleMs: 3_000 });
      const seen: number[] = [];
      b.subscribe((m) => m.kind === "due" && seen.push(m.at));
      const soon = Date.now() + 30_000;
      a.publish({ kind: "due", at: soon });
      a.publish({ kind: "due", at: soon + 5 }); // covered: b wakes at `soon` and reads the store
      a.publish({ kind: "due", at: Date.now() + 120_000 }); // past the idle horizon: b re-reads before then anyway
      a.publish({ kind: "due", at: soon - 10 });
      // A burst of triggers due at once: the first is announced, the rest within 10 ms ride on it.
      const past = Date.now() - 1_000;
      a.publish({ kind: "due", at: past });
      a.publish({ kind: "due", at: past - 1 });
      a.publish({ kind: "due", at: past + 1 });
      // A message after them: all before it have arrived (one connection, in order).
      const last = nextMessage(b, (m) => m.kind === "keys");
      a.publish({ kind: "keys" });
      await last;
      expect(seen).toEqual([soon, soon - 10, past]);
    });

    it("connects again by itself after its connection is killed, and says it may have missed messages", async () => {
      const a = await startLink("node-a", { heartbeatMs: 50, staleMs: 3_000 });
      const url = new URL(schema.url);
      url.searchParams.set("application_name", `${schema.schema}-b`);
      const b = await startLink("node-b", { heartbeatMs: 50, staleMs: 3_000 }, url.toString());
      const resynced = nextMessage(b, (m) => m.kind === "resync");
      const killed = await adminQuery(serverUrl, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`${schema.schema}-b`]);
      expect(killed).toHaveLength(1);
      await resynced;
      const received = nextMessage(b, (m) => m.kind === "keys");
      a.publish({ kind: "keys" });
      await received;
    });

    it("runs maintenance on one node at a time", async () => {
      const a = await startLink("node-a", { heartbeatMs: 1_000, staleMs: 3_000 });
      const b = await startLink("node-b", { heartbeatMs: 1_000, staleMs: 3_000 });
      let release!: () => void;
      const holding = a.exclusive("prune", () => new Promise<string>((resolve) => (release = () => resolve("a ran"))));
      await expect.poll(() => release !== undefined).toBe(true);
      expect(await b.exclusive("prune", async () => "b ran")).toBeNull();
      release();
      expect(await holding).toBe("a ran");
      expect(await b.exclusive("prune", async () => "b ran")).toBe("b ran");
    });
  });
});
