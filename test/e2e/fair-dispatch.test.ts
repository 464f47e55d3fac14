import type { ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELIVERY } from "../store/store-contract.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";

const NOISY = 2_000;

/**
 * One project has a large backlog due at once; another has a single trigger due just after all
 * of it. The quiet project's trigger must not wait for the backlog to drain.
 */
describe("fair dispatch between projects", () => {
  let hg: TestHourglass;
  let target: TargetServer;

  beforeEach(async () => {
    target = await startTargetServer();
    hg = await startHourglass({ dispatch: false, env: { HOURGLASS_DISPATCH_CONCURRENCY: "8", HOURGLASS_DISPATCH_BATCH: "8" } });
  });
  afterEach(async () => {
    await hg.close();
    await target.close();
  });

  it("delivers the quiet project's trigger while the noisy backlog is still draining", async () => {
    const now = Date.now();
    const job = (projectId: string, path: string, scheduledAt: number) =>
      hg.service.store.scheduleJob({
        projectId,
        customKey: null,
        triggerId: null,
        request: { method: "POST", url: `${target.url}${path}`, headers: [], body: new Uint8Array(0) },
        delivery: DELIVERY,
        title: null,
        tags: [],
        now,
        scheduledAt,
      });
    for (let i = 0; i < NOISY; i++) await job(hg.projectId, `/noisy/${i}`, now - 10_000 + i);
    await job(hg.otherProjectId, "/quiet", now);

    hg.service.start();
    await target.waitForCount(NOISY + 1);
    const order = target.received.map((r) => r.url);
    const quietIndex = order.indexOf("/quiet");
    const quietAt = target.received[quietIndex]?.receivedAt ?? 0;
    const firstAt = target.received[0]?.receivedAt ?? 0;
    const lastAt = target.received[NOISY]?.receivedAt ?? 0;
    console.log(
      `fair dispatch: quiet trigger delivered ${quietIndex + 1}th of ${NOISY + 1}, ` +
        `${quietAt - firstAt} ms after the first delivery; the noisy backlog took ${lastAt - firstAt} ms to drain`,
    );
    // Each claim gives the quiet project a share: it is among the first few batches of 8, where
    // claiming in due order alone would deliver it last (2001st).
    expect(quietIndex).toBeLessThan(40);
  });
});

/**
 * One project's deliveries hang on a slow target; another project's triggers come due meanwhile.
 * The slow project must not hold every delivery slot: the other's deliveries start at once, not
 * when the slow target answers (up to `ttr-timeout`, 15 minutes at most).
 */
describe("fair delivery slots between projects", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  const held: ServerResponse[] = [];

  beforeEach(async () => {
    target = await startTargetServer();
    target.respondWith((req, res) => {
      if (req.url.startsWith("/slow")) held.push(res);
      else res.end("ok");
    });
    hg = await startHourglass({ env: { HOURGLASS_DISPATCH_CONCURRENCY: "8" } });
  });
  afterEach(async () => {
    for (const res of held.splice(0)) res.end("late");
    await hg.close();
    await target.close();
  });

  const schedule = async (apiKey: string, path: string) => {
    const response = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": apiKey, "ttr-url": `${target.url}${path}`, "ttr-scheduled-at": "now", "ttr-timeout": "15m" },
    });
    expect(response.status).toBe(200);
  };

  it("delivers the other project's triggers while the slow target holds the first project's", async () => {
    for (let i = 0; i < 40; i++) await schedule(API_KEY, `/slow/${i}`);
    // The slow project fills what it may of the 8 slots, and stays there: nothing it sent is answered.
    await target.waitFor((all) => all.length >= 7);
    for (let i = 0; i < 5; i++) await schedule(OTHER_API_KEY, `/fast/${i}`);
    const received = await target.waitFor((all) => all.filter((r) => r.url.startsWith("/fast")).length === 5);
    // All five arrived with every slow delivery still unanswered, and the slow project never held every slot.
    expect(held.length).toBeLessThan(8);
    expect(received.filter((r) => r.url.startsWith("/slow")).length).toBe(held.length);
  });

  it("lets the slow project take its slots again once its target answers, and drains its backlog", async () => {
    for (let i = 0; i < 40; i++) await schedule(API_KEY, `/slow/${i}`);
    await target.waitFor((all) => all.length >= 7);
    for (let i = 0; i < 20; i++) await schedule(OTHER_API_KEY, `/fast/${i}`);
    await target.waitFor((all) => all.filter((r) => r.url.startsWith("/fast")).length === 20);
    // Answering the slow target frees its slots; the first project takes slots again, and its
    // backlog drains in full.
    target.respondWith((_req, res) => res.end("ok"));
    for (const res of held.splice(0)) res.end("ok");
    await target.waitFor((all) => all.filter((r) => r.url.startsWith("/slow")).length === 40);
  });
});
