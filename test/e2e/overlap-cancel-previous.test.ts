import type { ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const SUPERSEDED = "the next tick came due while this run was in flight (ttr-overlap: cancel-previous)";
// Response bodies are asserted field by field.
type Json = any;

/** ttr-overlap: cancel-previous end to end: a real, slow target sees the earlier request's connection closed. */
describe("ttr-overlap: cancel-previous", () => {
  let clock: ManualClock;
  let hg: TestHourglass;
  let target: TargetServer;
  let attempts: AttemptLog;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    target = await startTargetServer();
    hg = await startHourglass({ clock, random: () => 0 });
    attempts = new AttemptLog(hg.service.dispatcher);
  });
  afterEach(async () => {
    await hg.close();
    await target.close();
  });

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...init.headers } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it("aborts the attempt in flight when the next tick comes due, drops its retries, and runs the new one", async () => {
    // The first request hangs; the target learns when its connection is closed.
    const aborted = new Promise<void>((resolve) => {
      target.respondWith((_req, res: ServerResponse) => {
        res.on("close", () => {
          if (!res.writableEnded) resolve();
        });
        target.respondWith((_next, ok) => ok.writeHead(200).end("ok"));
      });
    });
    const created = await call("/schedule", {
      method: "POST",
      headers: {
        "ttr-api-key": API_KEY,
        "ttr-url": `${target.url}/tick`,
        "ttr-scheduled-at": "cron(* * * * *)",
        "ttr-overlap": "cancel-previous",
        "ttr-retries": "3",
        "ttr-timeout": "10m",
      },
    });
    expect(created.status).toBe(200);
    expect((await call(`/generators/${created.body.triggerId}`)).body).toMatchObject({ overlap: "cancel-previous" });

    clock.set(T0 + 60_000);
    await target.waitForCount(1);
    clock.set(T0 + 120_000);
    await aborted;
    const first = await attempts.waitFor((e) => e.claim.scheduledAt === T0 + 60_000);
    expect(first.result).toMatchObject({ outcome: "failed", error: `aborted: ${SUPERSEDED}`, retryAt: null, callbacks: [] });
    const second = await attempts.waitFor((e) => e.claim.scheduledAt === T0 + 120_000);
    expect(second.result).toMatchObject({ outcome: "succeeded", httpStatus: 200 });

    const { body: trigger } = await call(`/triggers/${first.claim.id}`);
    expect(trigger).toMatchObject({ status: "cancelled", cancelReason: SUPERSEDED });
    expect(trigger.executions).toMatchObject([{ outcome: "failed", error: `aborted: ${SUPERSEDED}`, retryAt: null }]);
    // No retry of the aborted run ever comes.
    await hg.service.dispatcher.whenIdle();
    expect(target.received).toHaveLength(2);
  });
});
