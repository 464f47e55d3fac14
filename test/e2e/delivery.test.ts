import { request as httpRequest } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AttemptEvent } from "../../src/dispatch/dispatcher.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";

/** Sends a raw HTTP request over a real socket, headers as an ordered list with duplicates. */
function send(
  base: string,
  method: string,
  path: string,
  headers: [string, string][],
  body?: Buffer,
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // With a raw header list Node adds no Host header of its own.
    const flat = ["Host", new URL(base).host, ...headers.flat()];
    if (body) flat.push("Content-Length", String(body.length));
    const req = httpRequest(`${base}${path}`, { method, headers: flat }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Resolves with the next `count` attempts recorded by the dispatcher. */
function nextAttempts(hg: TestHourglass, count: number): Promise<AttemptEvent[]> {
  const seen: AttemptEvent[] = [];
  return new Promise((resolve) => {
    const listener = (event: AttemptEvent) => {
      seen.push(event);
      if (seen.length === count) {
        hg.service.dispatcher.off("attempt", listener);
        resolve(seen);
      }
    };
    hg.service.dispatcher.on("attempt", listener);
  });
}

const NOT_REPLAYED = ["host", "content-length", "connection", "transfer-encoding", "keep-alive"];

describe("delivery end to end (real sockets, real SQLite file, system clock)", () => {
  let hg: TestHourglass;
  let target: TargetServer;

  beforeEach(async () => {
    target = await startTargetServer();
    hg = await startHourglass({ listen: true });
  });
  afterEach(async () => {
    await hg.close();
    await target.close();
  });

  it.each(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])(
    "replays a %s byte-exact: method, path and query, header order, duplicates and case, body bytes",
    async (method) => {
      const carriesBody = !["GET", "HEAD", "OPTIONS"].includes(method);
      const body = carriesBody ? Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x7b, 0x0a, 0x0d, 0x00]) : undefined;
      const forwarded: [string, string][] = [
        ["Content-Type", "application/octet-stream"],
        ["X-Trace", "first"],
        ["Authorization", "Bearer target-token"],
        ["x-trace", "second"],
        ["X-MiXeD-CaSe", "kept"],
      ];
      const attempts = nextAttempts(hg, 1);
      const res = await send(hg.url, method, "/schedule", [
        ["ttr-api-key", API_KEY],
        ["TTR-URL", `${target.url}/hook?a=1&b=%20x`],
        ["ttr-scheduled-at", "now"],
        ["Connection", "keep-alive, X-Hop"],
        ["X-Hop", "dropped"],
        ...forwarded,
      ], body);
      expect(res.status).toBe(200);
      const [event] = await attempts;
      expect(event?.result.outcome).toBe("succeeded");

      const [received] = target.received;
      expect(received?.method).toBe(method);
      expect(received?.url).toBe("/hook?a=1&b=%20x");
      expect(headerPairs(received?.rawHeaders ?? [], NOT_REPLAYED)).toEqual(forwarded);
      expect(received?.body).toEqual(body ?? Buffer.alloc(0));
      if (body) expect(headerPairs(received?.rawHeaders ?? []).find(([n]) => n.toLowerCase() === "content-length")?.[1]).toBe(String(body.length));
    },
  );

  it("never fires before the scheduled instant, and records the execution", async () => {
    const attempts = nextAttempts(hg, 1);
    const res = await send(hg.url, "POST", "/schedule", [
      ["ttr-api-key", API_KEY],
      ["ttr-url", `${target.url}/later`],
      ["ttr-scheduled-at", "now | add 1s"],
    ], Buffer.from("x"));
    const scheduledAt = Date.parse(res.json().scheduledAt as string);
    const [event] = await attempts;
    expect(target.received[0]?.receivedAt).toBeGreaterThanOrEqual(scheduledAt);
    expect(event?.result.startedAt).toBeGreaterThanOrEqual(scheduledAt);

    const trigger = await hg.service.store.getTrigger(hg.projectId, res.json().triggerId as string);
    expect(trigger).toMatchObject({ status: "succeeded", attempts: 1 });
    const history = await hg.service.store.listExecutions(hg.projectId, { triggerId: trigger?.id ?? "" }, { limit: 5 });
    expect(history.items).toEqual([
      expect.objectContaining({ attempt: 1, outcome: "succeeded", httpStatus: 200, responseExcerpt: "ok", error: null }),
    ]);
  });

  it("records a failing target as failed with its status", async () => {
    target.respondWith((_req, res) => res.writeHead(503).end("down for maintenance"));
    const attempts = nextAttempts(hg, 1);
    await send(hg.url, "POST", "/schedule", [
      ["ttr-api-key", API_KEY],
      ["ttr-url", `${target.url}/x`],
      ["ttr-scheduled-at", "now"],
      ["ttr-retries", "0"],
    ]);
    const [event] = await attempts;
    expect(event?.result).toMatchObject({ outcome: "failed", httpStatus: 503, responseExcerpt: "down for maintenance" });
    expect((await hg.service.store.getTrigger(hg.projectId, event?.claim.id ?? ""))?.status).toBe("failed");
  });

  it("turns 25 concurrent posts with one new custom key into one trigger and one delivery", async () => {
    const attempts = nextAttempts(hg, 1);
    const responses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        send(hg.url, "POST", "/schedule", [
          ["ttr-api-key", API_KEY],
          ["ttr-url", `${target.url}/race`],
          ["ttr-custom-key", "one-and-only"],
          ["ttr-scheduled-at", "now | add 1s"],
        ], Buffer.from(`{"n":${i}}`)),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(new Set(responses.map((r) => r.json().triggerId)).size).toBe(1);
    expect(responses.filter((r) => r.json().operation === "schedule")).toHaveLength(1);
    await attempts;
    // Nothing else is waiting to fire: the delivery above was the only one there will be.
    expect(await hg.service.store.nextDueAt()).toBeNull();
    expect(target.received).toHaveLength(1);
  });

  it("keeps exactly one pending instance of a seconds cron over several ticks, each on or after its tick", async () => {
    const pendingCounts: number[] = [];
    const attempts = new Promise<AttemptEvent[]>((resolve) => {
      const seen: AttemptEvent[] = [];
      hg.service.dispatcher.on("attempt", (event) => {
        seen.push(event);
        void hg.service.store
          .listTriggers(hg.projectId, { generatorId: event.claim.generatorId ?? "", status: "registered" }, { limit: 10 })
          .then((page) => {
            pendingCounts.push(page.items.length);
            if (seen.length === 3) resolve(seen);
          });
      });
    });
    const res = await send(hg.url, "POST", "/schedule", [
      ["ttr-api-key", API_KEY],
      ["ttr-url", `${target.url}/tick`],
      ["ttr-scheduled-at", "cron(* * * * * *)"],
    ], Buffer.from("tick"));
    expect(res.json()).toMatchObject({ kind: "generator" });
    const events = await attempts;
    const ticks = events.map((e) => e.claim.scheduledAt);
    expect(ticks[1]! - ticks[0]!).toBe(1000);
    expect(ticks[2]! - ticks[1]!).toBe(1000);
    for (const event of events) expect(event.result.startedAt).toBeGreaterThanOrEqual(event.claim.scheduledAt);
    expect(pendingCounts).toEqual([1, 1, 1]);
    expect(target.received.slice(0, 3).map((r) => r.body.toString())).toEqual(["tick", "tick", "tick"]);
  });

  it("cancels before the time: nothing is delivered", async () => {
    const res = await send(hg.url, "POST", "/schedule", [
      ["ttr-api-key", API_KEY],
      ["ttr-url", `${target.url}/never`],
      ["ttr-custom-key", "cancel-me"],
      ["ttr-scheduled-at", "now | add 1h"],
    ]);
    expect(res.status).toBe(200);
    const cancelled = await send(hg.url, "DELETE", "/cancel", [
      ["ttr-api-key", API_KEY],
      ["ttr-custom-key", "cancel-me"],
    ]);
    expect(cancelled.status).toBe(204);
    expect(await hg.service.store.nextDueAt()).toBeNull();
    expect(target.received).toHaveLength(0);
  });
});
