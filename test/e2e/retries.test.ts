import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { API_KEY } from "../support/hourglass.js";
import { type ReceivedRequest, startTargetServer } from "../support/target-server.js";
import { deliveryHarness } from "../support/delivery-harness.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/**
 * Delivery with retries, end to end: real sockets to a real target, a real SQLite file, and a
 * manual clock with no jitter, so every attempt's time is asserted exactly.
 */
describe("retries and the target error matrix", () => {
  const h = deliveryHarness(T0);

  const schedule = async (headers: Record<string, string>) => {
    const res = await h.hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-scheduled-at": "now", "ttr-retries": "3", "ttr-retry-delay": "1s", ...headers },
      body: "payload",
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { triggerId: string }).triggerId;
  };

  /** Follows one trigger's h.attempts, moving the clock to each retry, until the outcome is final. */
  const followUntilFinal = async () => {
    const seen: { at: number; status: number | null; error: string | null }[] = [];
    for (;;) {
      const { result } = await h.attempts.next();
      seen.push({ at: result.startedAt - T0, status: result.httpStatus, error: result.error });
      if (result.retryAt === null) return seen;
      h.clock.set(result.retryAt);
    }
  };

  const respond = (handler: (req: ReceivedRequest, res: ServerResponse) => void) => h.target.respondWith(handler);

  it("retries a 500 at 1 s, 2 s and 4 s intervals, then fails", async () => {
    respond((_req, res) => res.writeHead(500).end("boom"));
    const id = await schedule({ "ttr-url": `${h.target.url}/500` });
    const seen = await followUntilFinal();
    expect(seen.map((s) => s.at)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(seen.every((s) => s.status === 500)).toBe(true);
    expect(h.target.received).toHaveLength(4);
    const trigger = await h.hg.service.store.getTrigger(h.hg.projectId, id);
    expect(trigger).toMatchObject({ status: "failed", attempts: 4, retriesLeft: 0 });
    const history = await h.hg.service.store.listExecutions(h.hg.projectId, { triggerId: id }, { limit: 10 });
    expect(history.items.map((e) => [e.attempt, e.retryAt === null ? null : e.retryAt - T0])).toEqual([
      [4, null],
      [3, 7_000],
      [2, 3_000],
      [1, 1_000],
    ]);
  });

  it("honours 503 with Retry-After: 2", async () => {
    respond((_req, res) => res.writeHead(503, { "Retry-After": "2" }).end());
    await schedule({ "ttr-url": `${h.target.url}/503` });
    expect((await followUntilFinal()).map((s) => s.at)).toEqual([0, 2_000, 4_000, 8_000]);
  });

  it("retries a 429, then succeeds", async () => {
    let calls = 0;
    respond((_req, res) => (++calls < 3 ? res.writeHead(429).end() : res.writeHead(200).end("ok")));
    const id = await schedule({ "ttr-url": `${h.target.url}/429` });
    expect((await followUntilFinal()).map((s) => [s.at, s.status])).toEqual([
      [0, 429],
      [1_000, 429],
      [3_000, 200],
    ]);
    expect((await h.hg.service.store.getTrigger(h.hg.projectId, id))?.status).toBe("succeeded");
  });

  it("retries a connection reset by the target", async () => {
    respond((_req, res) => res.socket?.destroy());
    await schedule({ "ttr-url": `${h.target.url}/reset`, "ttr-retries": "1" });
    const seen = await followUntilFinal();
    expect(seen.map((s) => [s.at, s.status])).toEqual([
      [0, null],
      [1_000, null],
    ]);
    expect(seen[0]?.error).toMatch(/ECONNRESET|other side closed|socket/i);
  });

  it("retries a timeout, and the slow target sees exactly one request per attempt", async () => {
    respond(() => undefined);
    await schedule({ "ttr-url": `${h.target.url}/slow`, "ttr-retries": "1", "ttr-timeout": "200ms" });
    const seen = await followUntilFinal();
    expect(seen.map((s) => [s.at, s.error])).toEqual([
      [0, "timeout after 200 ms"],
      [1_000, "timeout after 200 ms"],
    ]);
    expect(h.target.received).toHaveLength(2);
  });

  it("retries a DNS failure", async () => {
    await schedule({ "ttr-url": "http://does-not-exist.invalid/hook", "ttr-retries": "1" });
    const seen = await followUntilFinal();
    expect(seen.map((s) => s.at)).toEqual([0, 1_000]);
    expect(seen[0]?.error).toMatch(/ENOTFOUND|EAI_AGAIN|blocked/);
  });

  it("records a 301 as a success, without following it or retrying", async () => {
    respond((_req, res) => res.writeHead(301, { Location: `${h.target.url}/elsewhere` }).end());
    const id = await schedule({ "ttr-url": `${h.target.url}/moved` });
    expect((await followUntilFinal()).map((s) => [s.at, s.status])).toEqual([[0, 301]]);
    expect(h.target.received.map((r) => r.url)).toEqual(["/moved"]);
    const shown = (await (await h.hg.service.app.request(`/triggers/${id}`, { headers: { "ttr-api-key": API_KEY } })).json()) as {
      executions: { httpStatus: number; responseHeaders: [string, string][]; retryAt: string | null }[];
    };
    expect(shown.executions).toHaveLength(1);
    expect(shown.executions[0]).toMatchObject({ httpStatus: 301, retryAt: null });
    expect(shown.executions[0]?.responseHeaders).toContainEqual(["location", `${h.target.url}/elsewhere`]);
  });

  it("does not retry a 404", async () => {
    respond((_req, res) => res.writeHead(404).end());
    await schedule({ "ttr-url": `${h.target.url}/missing` });
    expect((await followUntilFinal()).map((s) => [s.at, s.status])).toEqual([[0, 404]]);
  });

  it("stops retrying when the trigger is cancelled during its backoff", async () => {
    respond((_req, res) => res.writeHead(500).end());
    const id = await schedule({ "ttr-url": `${h.target.url}/cancel-me` });
    const first = await h.attempts.next();
    expect(first.result.retryAt).toBe(T0 + 1_000);
    expect((await h.hg.service.store.getTrigger(h.hg.projectId, id))?.status).toBe("registered");
    const cancel = await h.hg.service.app.request("/cancel", { method: "DELETE", headers: { "ttr-api-key": API_KEY, "ttr-trigger-id": id } });
    expect(cancel.status).toBe(204);
    h.clock.set(T0 + 60_000);
    expect(await h.hg.service.store.nextDueAt()).toBeNull();
    expect(h.target.received).toHaveLength(1);
  });

  it("posts the outcome to the callback and failure URLs; a failing callback leaves the trigger alone", async () => {
    const callbackTarget = await startTargetServer();
    try {
      respond((_req, res) => res.writeHead(500).end("nope"));
      callbackTarget.respondWith((req, res) => res.writeHead(req.url === "/broken" ? 500 : 204).end());
      const id = await schedule({
        "ttr-url": `${h.target.url}/fails`,
        "ttr-retries": "0",
        "ttr-callback-url": `${callbackTarget.url}/all`,
        "ttr-failure-url": `${callbackTarget.url}/broken`,
      });
      await h.attempts.waitForCount(3);
      const received = await callbackTarget.waitForCount(2);
      const byPath = Object.fromEntries(received.map((r) => [r.url, JSON.parse(r.body.toString())]));
      expect(byPath["/all"]).toMatchObject({ type: "trigger.failed", trigger: { id, status: "failed" }, lastAttempt: { httpStatus: 500 } });
      expect(byPath["/broken"]).toEqual(byPath["/all"]);
      // The broken failure callback is retried on its own schedule; the trigger stays failed.
      const callbacks = (await h.hg.service.store.listTriggers(h.hg.projectId, { kind: "callback" }, { limit: 10 })).items;
      expect(callbacks.map((c) => c.status).sort()).toEqual(["registered", "succeeded"]);
      const listed = (await (await h.hg.service.app.request("/triggers?kind=callback", { headers: { "ttr-api-key": API_KEY } })).json()) as {
        triggers: { kind: string; origin: string; parentTriggerId: string }[];
      };
      expect(listed.triggers.map((t) => [t.kind, t.origin, t.parentTriggerId])).toEqual([
        ["callback", "callback", id],
        ["callback", "callback", id],
      ]);
      expect((await h.hg.service.store.getTrigger(h.hg.projectId, id))?.status).toBe("failed");
    } finally {
      await callbackTarget.close();
    }
  });
});
