import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { API_KEY } from "../support/hourglass.js";
import { deliveryHarness } from "../support/delivery-harness.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;
const AUTH = { authorization: `Bearer ${API_KEY}` };

/**
 * Flow control through both front doors, on one node: the headers and JSON fields, their 400s,
 * what the views, `?waitingFor=flow` and `GET /flows` show while a flow holds triggers back, and
 * every trigger delivered once the target answers. A real target, a real SQLite file.
 */
describe("flow control through the API", () => {
  const h = deliveryHarness(T0);

  const schedule = async (headers: Record<string, string>, body = "payload") => {
    const res = await h.hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-scheduled-at": "now", ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const get = async (path: string): Promise<Json> => (await h.hg.service.app.request(path, { headers: AUTH })).json();

  it("refuses bad flow headers and JSON fields with 400s naming them", async () => {
    const url = `${h.target.url}/x`;
    const cases: [Record<string, string>, string][] = [
      [{ "ttr-flow-parallelism": "0" }, "invalid_flow_parallelism"],
      [{ "ttr-flow-parallelism": "1001" }, "invalid_flow_parallelism"],
      [{ "ttr-flow-parallelism": "two" }, "invalid_flow_parallelism"],
      [{ "ttr-flow-rate": "0" }, "invalid_flow_rate"],
      [{ "ttr-flow-rate": "10001" }, "invalid_flow_rate"],
      [{ "ttr-flow-key": "k".repeat(257) }, "invalid_flow_key"],
      [{ "ttr-flow-key": "caf\u00e9" }, "invalid_flow_key"],
    ];
    for (const [headers, error] of cases) {
      const res = await schedule({ "ttr-url": url, ...headers });
      expect([res.status, res.body.error], JSON.stringify(headers)).toEqual([400, error]);
    }
    const json = await h.hg.service.app.request("/triggers", {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ url, scheduledAt: "now", flowRate: 1.5 }),
    });
    expect([json.status, ((await json.json()) as Json).error]).toEqual([400, "invalid_flow_rate"]);
    expect(await get("/triggers?waitingFor=rate")).toMatchObject({ error: "invalid_query" });
  });

  it("holds a flow's triggers back while its attempts are in flight, shows them waiting, and delivers them all", async () => {
    const held: ServerResponse[] = [];
    h.target.respondWith((_req, res) => held.push(res));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await schedule({ "ttr-url": `${h.target.url}/slow`, "ttr-flow-parallelism": "1" }, String(i));
      expect(res.status).toBe(200);
      ids.push(res.body.triggerId);
    }
    await h.target.waitForCount(1);
    // The flow is the target's origin (no ttr-flow-key given).
    const origin = new URL(h.target.url).origin;
    expect(await get(`/triggers/${ids[0]}`)).toMatchObject({ status: "running", flowKey: origin, flowWaiting: null });
    expect(await get(`/triggers/${ids[1]}`)).toMatchObject({ status: "registered", flowKey: origin, flowWaiting: "parallelism" });
    const waiting = await get("/triggers?waitingFor=flow");
    expect(waiting.triggers.map((t: Json) => t.id).sort()).toEqual(ids.slice(1).sort());
    expect(await get("/flows")).toEqual({ flows: [{ key: origin, parallelism: 1, rate: null, inFlight: 1, waiting: 2 }] });

    // Each answer lets the next one go, in due order.
    for (let i = 1; i <= 3; i++) {
      await h.target.waitForCount(i);
      expect(h.target.received[i - 1]?.body.toString()).toBe(String(i - 1));
      expect(held).toHaveLength(i);
      held[i - 1]?.writeHead(200).end("ok");
      await h.attempts.next();
    }
    expect(await get("/flows")).toEqual({ flows: [{ key: origin, parallelism: 1, rate: null, inFlight: 0, waiting: 0 }] });
    expect((await get("/triggers?waitingFor=flow")).triggers).toEqual([]);
  });

  it("takes the flow through the JSON API, for triggers and generators", async () => {
    const created = await h.hg.service.app.request("/generators", {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ url: `${h.target.url}/g`, cron: "0 9 * * *", flowKey: "partner-api", flowRate: "5", flowParallelism: 2 }),
    });
    expect(created.status).toBe(201);
    const generator = await get(`/generators/${((await created.json()) as Json).triggerId}`);
    expect(generator.flowKey).toBe("partner-api");
    expect((await get(`/triggers/${generator.pendingTriggerId}`)).flowKey).toBe("partner-api");
    expect(await get("/flows")).toEqual({ flows: [{ key: "partner-api", parallelism: 2, rate: 5, inFlight: 0, waiting: 0 }] });
  });
});
