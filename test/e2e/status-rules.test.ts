import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { API_KEY } from "../support/hourglass.js";
import type { ReceivedRequest } from "../support/target-server.js";
import { deliveryHarness } from "../support/delivery-harness.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;

/**
 * ttr-success-status and ttr-retry-on end to end: a real target answering 409, 429 and 500 over
 * real sockets, a real SQLite file, a manual clock with no jitter.
 */
describe("a trigger's own success and retry rules", () => {
  const h = deliveryHarness(T0);

  const schedule = async (headers: Record<string, string>) => {
    const res = await h.hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-scheduled-at": "now", "ttr-retries": "3", "ttr-retry-delay": "1s", ...headers },
      body: "payload",
    });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body.triggerId as string;
  };
  const view = async (id: string): Promise<Json> =>
    (await h.hg.service.app.request(`/triggers/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();

  /** Follows one trigger's h.attempts, moving the clock to each retry, until the outcome is final. */
  const followUntilFinal = async () => {
    const seen: { status: number | null; outcome: string; error: string | null }[] = [];
    for (;;) {
      const { result } = await h.attempts.next();
      seen.push({ status: result.httpStatus, outcome: result.outcome, error: result.error });
      if (result.retryAt === null) return seen;
      h.clock.set(result.retryAt);
    }
  };
  const respond = (handler: (req: ReceivedRequest, res: ServerResponse) => void) => h.target.respondWith(handler);

  it("a 409 is a success with ttr-success-status: 2xx,409, and a failure (not retried) without it", async () => {
    respond((_req, res) => res.writeHead(409).end("already done"));
    const done = await schedule({ "ttr-url": `${h.target.url}/a`, "ttr-success-status": "2xx, 409" });
    expect(await followUntilFinal()).toEqual([{ status: 409, outcome: "succeeded", error: null }]);
    expect(await view(done)).toMatchObject({ status: "succeeded", successStatus: "2xx,409", retryOn: "408,429,5xx,network" });

    const plain = await schedule({ "ttr-url": `${h.target.url}/b` });
    expect(await followUntilFinal()).toEqual([{ status: 409, outcome: "failed", error: "HTTP 409" }]);
    expect(await view(plain)).toMatchObject({ status: "failed", successStatus: "2xx,3xx" });
  });

  it("ttr-retry-on: 5xx retries a 500 but not a 429", async () => {
    respond((_req, res) => res.writeHead(500).end());
    await schedule({ "ttr-url": `${h.target.url}/500`, "ttr-retry-on": "5xx" });
    expect((await followUntilFinal()).map((s) => s.status)).toEqual([500, 500, 500, 500]);

    respond((_req, res) => res.writeHead(429).end());
    const id = await schedule({ "ttr-url": `${h.target.url}/429`, "ttr-retry-on": "5xx" });
    expect(await followUntilFinal()).toEqual([{ status: 429, outcome: "failed", error: "HTTP 429" }]);
    expect(await view(id)).toMatchObject({ status: "failed", retriesLeft: 3, retryOn: "5xx" });
  });

  it("ttr-retry-on: 429,network retries a 429 until it succeeds, and gives up on a 500 at once", async () => {
    let calls = 0;
    respond((_req, res) => (++calls < 3 ? res.writeHead(429).end() : res.writeHead(200).end("ok")));
    await schedule({ "ttr-url": `${h.target.url}/429`, "ttr-retry-on": "429,network" });
    expect((await followUntilFinal()).map((s) => [s.status, s.outcome])).toEqual([
      [429, "failed"],
      [429, "failed"],
      [200, "succeeded"],
    ]);

    respond((_req, res) => res.writeHead(500).end());
    await schedule({ "ttr-url": `${h.target.url}/500`, "ttr-retry-on": "429,network" });
    expect(await followUntilFinal()).toEqual([{ status: 500, outcome: "failed", error: "HTTP 500" }]);
  });

  it("a generator's rules are snapshotted into its instances", async () => {
    respond((_req, res) => res.writeHead(409).end());
    const generatorId = await schedule({ "ttr-url": `${h.target.url}/g`, "ttr-scheduled-at": "cron(* * * * *)", "ttr-success-status": "409" });
    const generator = (await (
      await h.hg.service.app.request(`/generators/${generatorId}`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as Json;
    expect(generator).toMatchObject({ successStatus: "409", retryOn: "408,429,5xx,network" });
    h.clock.set(T0 + 60_000);
    expect(await followUntilFinal()).toEqual([{ status: 409, outcome: "succeeded", error: null }]);
    expect(await view(generator.pendingTriggerId)).toMatchObject({ successStatus: "409" });
  });

  it("refuses a bad list with a 400 naming the header", async () => {
    for (const [header, value, code] of [
      ["ttr-success-status", "2xx,abc", "invalid_success_status"],
      ["ttr-retry-on", "5xx,sometimes", "invalid_retry_on"],
    ] as const) {
      const res = await h.hg.service.app.request("/schedule", {
        method: "POST",
        headers: { "ttr-api-key": API_KEY, "ttr-url": `${h.target.url}/x`, "ttr-scheduled-at": "now", [header]: value },
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: code, message: expect.stringContaining(header) });
    }
  });
});
