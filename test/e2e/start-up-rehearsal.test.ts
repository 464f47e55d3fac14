import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HourglassProcess, killIfRunning, spawnHourglass } from "../support/child-process.js";
import { makeTempDir } from "../support/temp-dir.js";

const KEY = "hg_rehearsal_test_key_0123456789abcdef";

/** Resolves with the first JSON log line of `running` whose `msg` is `message`. */
function logLine(running: HourglassProcess, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const look = (): boolean => {
      const line = running.output().split("\n").find((l) => l.includes(`"msg":"${message}"`));
      if (line === undefined) return false;
      resolve(JSON.parse(line) as Record<string, unknown>);
      return true;
    };
    if (look()) return;
    const onData = () => {
      if (look()) running.child.stdout?.off("data", onData);
    };
    running.child.stdout?.on("data", onData);
  });
}

/**
 * The burst rehearsed after start-up (HOURGLASS_WARM_UP_DELIVERIES, src/dispatch/rehearsal.ts):
 * it runs through the real delivery code, to a server of the process itself, and leaves no trace
 * in the store, the history or the metrics.
 */
describe("the start-up rehearsal", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let running: HourglassProcess | null = null;

  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(async () => {
    await killIfRunning(running);
    running = null;
    temp.remove();
  });

  it("delivers its burst to the process itself and records nothing", async () => {
    running = await spawnHourglass({ DATABASE_URL: join(temp.dir, "h.db"), HOURGLASS_API_KEYS: KEY, HOURGLASS_WARM_UP_DELIVERIES: "400" });
    const done = await logLine(running, "delivery rehearsal done");
    expect(done.delivered).toBe(400);

    const triggers = (await (await fetch(`${running.url}/triggers`, { headers: { "ttr-api-key": KEY } })).json()) as { triggers: unknown[] };
    expect(triggers.triggers).toEqual([]);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^hourglass_attempts_total\{.*\} [1-9]/m);
    expect(metrics).toMatch(/^hourglass_deliveries_in_flight 0$/m);
  });
});
