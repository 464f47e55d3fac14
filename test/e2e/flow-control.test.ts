import { describe, expect, it, vi } from "vitest";
import { spawnHourglass } from "../support/child-process.js";
import { describePostgres } from "../support/postgres.js";
import { postgresNodes } from "../support/postgres-nodes.js";

const KEY = "hg_pg_flow_test_key_0123456789abcdef01";

describePostgres("Flow control across nodes", (serverUrl) => {
  describe("two Hourglass processes on one PostgreSQL database", () => {
    const h = postgresNodes(serverUrl);

    const startNodes = async () => {
      for (let i = 0; i < 2; i++) {
        const env = { DATABASE_URL: h.schema.url, HOURGLASS_PG_POOL_SIZE: "4", HOURGLASS_API_KEYS: KEY, HOURGLASS_ALLOWED_TARGETS: "127.0.0.1" };
        h.nodes.push(await spawnHourglass(env));
      }
    };
    const node = (i: number) => h.node(i);
    const post = (i: number, headers: Record<string, string>, body: string) => h.post(i, KEY, headers, body);
    /**
     * The target answers after `ms`; resolves once it answered `count` requests, with the time each
     * spent there, from its headers' arrival to its answer.
     */
    const slowTarget = (ms: number, count: number) =>
      new Promise<{ from: number; to: number }[]>((resolve) => {
        const spans: { from: number; to: number }[] = [];
        h.target.respondWith((req, res) =>
          setTimeout(() => {
            spans.push({ from: req.arrivedAt, to: Date.now() });
            res.writeHead(200).end("ok");
            if (spans.length === count) resolve(spans);
          }, ms),
        );
      });
    /** The most requests the target held at once. */
    const peak = (spans: { from: number; to: number }[]) =>
      Math.max(...spans.map((s) => spans.filter((o) => o.from <= s.from && s.from < o.to).length));

    it("ttr-flow-parallelism: 2 holds across both nodes: never more than 2 at the target, all delivered", { timeout: 60_000 }, async () => {
      await startNodes();
      const total = 16;
      const answered = slowTarget(200, total);
      const dueAt = new Date(Date.now() + 1_500).toISOString();
      for (let seq = 0; seq < total; seq++) {
        // Every other one names the flow by key alone: it joins the flow's limits all the same.
        const limits: Record<string, string> = seq % 2 === 0 ? { "ttr-flow-parallelism": "2" } : { "ttr-flow-key": new URL(h.target.url).origin };
        expect(await post(seq, { "ttr-url": `${h.target.url}/hook`, "ttr-scheduled-at": dueAt, ...limits }, String(seq))).toBe(200);
      }
      const spans = await answered;
      const received = h.target.received;
      expect(new Set(received.map((r) => r.body.toString())).size).toBe(total);
      expect(peak(spans)).toBe(2);
      // Once the last outcome is recorded, nothing is in flight or left waiting.
      await vi.waitFor(
        async () => {
          const res = await fetch(`${node(1).url}/flows`, { headers: { authorization: `Bearer ${KEY}` } });
          expect(await res.json()).toEqual({ flows: [{ key: new URL(h.target.url).origin, parallelism: 2, rate: null, inFlight: 0, waiting: 0 }] });
        },
        { timeout: 10_000, interval: 50 },
      );
    });

    it("ttr-flow-rate: 4 spreads 12 triggers due at once over three one-second windows", { timeout: 60_000 }, async () => {
      await startNodes();
      const dueAt = Date.now() + 1_500;
      for (let seq = 0; seq < 12; seq++) {
        const headers = { "ttr-url": `${h.target.url}/hook`, "ttr-scheduled-at": new Date(dueAt).toISOString(), "ttr-flow-key": "partner", "ttr-flow-rate": "4" };
        expect(await post(seq, headers, String(seq))).toBe(200);
      }
      const received = await h.target.waitForCount(12);
      const arrivals = received.map((r) => r.arrivedAt).sort((a, b) => a - b);
      expect(arrivals[0]).toBeGreaterThanOrEqual(dueAt);
      // Four a second: the last four start two whole seconds after the first second's window.
      expect((arrivals[11] as number) - Math.floor(dueAt / 1000) * 1000).toBeGreaterThanOrEqual(2_000);
      expect(new Set(received.map((r) => r.body.toString())).size).toBe(12);
    });
  });
});
