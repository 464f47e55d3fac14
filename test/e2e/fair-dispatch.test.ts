import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELIVERY } from "../store/store-contract.js";
import { type TestHourglass, startHourglass } from "../support/hourglass.js";
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
