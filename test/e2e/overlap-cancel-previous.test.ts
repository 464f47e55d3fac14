import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { API_KEY } from "../support/hourglass.js";
import { deliveryHarness } from "../support/delivery-harness.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const SUPERSEDED = "the next tick came due while this run was in flight (ttr-overlap: cancel-previous)";
// Response bodies are asserted field by field.
type Json = any;

/** ttr-overlap: cancel-previous end to end: a real, slow target sees the earlier request's connection closed. */
describe("ttr-overlap: cancel-previous", () => {
  const h = deliveryHarness(T0);

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await h.hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...init.headers } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it("aborts the attempt in flight when the next tick comes due, drops its retries, and runs the new one", async () => {
    // The first request hangs; the target learns when its connection is closed.
    const aborted = new Promise<void>((resolve) => {
      h.target.respondWith((_req, res: ServerResponse) => {
        res.on("close", () => {
          if (!res.writableEnded) resolve();
        });
        h.target.respondWith((_next, ok) => ok.writeHead(200).end("ok"));
      });
    });
    const created = await call("/schedule", {
      method: "POST",
      headers: {
        "ttr-api-key": API_KEY,
        "ttr-url": `${h.target.url}/tick`,
        "ttr-scheduled-at": "cron(* * * * *)",
        "ttr-overlap": "cancel-previous",
        "ttr-retries": "3",
        "ttr-timeout": "10m",
      },
    });
    expect(created.status).toBe(200);
    expect((await call(`/generators/${created.body.triggerId}`)).body).toMatchObject({ overlap: "cancel-previous" });

    h.clock.set(T0 + 60_000);
    await h.target.waitForCount(1);
    h.clock.set(T0 + 120_000);
    await aborted;
    const first = await h.attempts.waitFor((e) => e.claim.scheduledAt === T0 + 60_000);
    expect(first.result).toMatchObject({ outcome: "failed", error: `aborted: ${SUPERSEDED}`, retryAt: null, callbacks: [] });
    const second = await h.attempts.waitFor((e) => e.claim.scheduledAt === T0 + 120_000);
    expect(second.result).toMatchObject({ outcome: "succeeded", httpStatus: 200 });

    const { body: trigger } = await call(`/triggers/${first.claim.id}`);
    expect(trigger).toMatchObject({ status: "cancelled", cancelReason: SUPERSEDED });
    expect(trigger.executions).toMatchObject([{ outcome: "failed", error: `aborted: ${SUPERSEDED}`, retryAt: null }]);
    // No retry of the aborted run ever comes.
    await h.hg.service.dispatcher.whenIdle();
    expect(h.target.received).toHaveLength(2);
  });
});
