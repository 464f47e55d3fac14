import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";
import { makeTempDir } from "../support/temp-dir.js";

const minute = (m: number) => Date.UTC(2026, 10, 23, 12, m, 0);

/**
 * Hourglass stops for ten minutes over an every-minute generator, then restarts on the same
 * database: what runs is exactly what `ttr-run-missed` says.
 */
describe("downtime over cron ticks (restart on the same SQLite file)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let target: TargetServer;
  let hg: TestHourglass | null = null;

  beforeEach(async () => {
    temp = makeTempDir();
    target = await startTargetServer();
  });
  afterEach(async () => {
    await hg?.close();
    await target.close();
    temp.remove();
  });

  it.each([
    ["skip", [minute(11)]],
    ["once", [minute(1), minute(11)]],
    ["all", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(minute)],
  ])("ttr-run-missed: %s", async (policy, expectedTicks) => {
    const dbPath = join(temp.dir, "hourglass.db");
    const clock = new ManualClock(minute(0) + 30_000);
    hg = await startHourglass({ clock, dbPath });
    const res = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: {
        "ttr-api-key": API_KEY,
        "ttr-url": `${target.url}/tick`,
        "ttr-scheduled-at": "cron(* * * * *)",
        "ttr-run-missed": policy,
      },
    });
    const { triggerId: generatorId } = (await res.json()) as { triggerId: string };
    await hg.close();

    // Down from 12:00:30 to 12:10:30: the ticks of 12:01 … 12:10 are missed.
    clock.set(minute(10) + 30_000);
    hg = await startHourglass({ clock, dbPath });
    const attempts = new AttemptLog(hg.service.dispatcher);
    clock.set(minute(11));
    const seen = await attempts.waitForCount(expectedTicks.length);
    // Missed ticks due together are delivered concurrently and may finish in any order; that they
    // are claimed oldest first is the store contract's "all: every missed tick runs, oldest first".
    expect(seen.map((e) => e.claim.scheduledAt).sort((a, b) => a - b)).toEqual(expectedTicks);
    expect(target.received).toHaveLength(expectedTicks.length);

    const generator = await hg.service.store.getGenerator(hg.projectId, generatorId);
    expect(generator?.nextAt).toBe(minute(12));
    expect(await hg.service.store.nextDueAt()).toBe(minute(12));
    if (policy === "skip") {
      const skipped = await hg.service.store.listTriggers(hg.projectId, { generatorId, status: "cancelled" }, { limit: 10 });
      expect(skipped.items.map((t) => t.cancelReason)).toEqual(["missed while Hourglass was down (ttr-run-missed: skip)"]);
    }
  });
});
