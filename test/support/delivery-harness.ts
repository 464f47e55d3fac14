import { afterEach, beforeEach } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { AttemptLog } from "./attempts.js";
import { type TestHourglass, startHourglass } from "./hourglass.js";
import { type TargetServer, startTargetServer } from "./target-server.js";

/** What an end-to-end delivery test works with; each field is new for every test. */
export interface DeliveryHarness {
  /** The manual clock Hourglass runs on, from `start`. */
  clock: ManualClock;
  /** Hourglass on a real SQLite file, its dispatcher running, retries without jitter. */
  hg: TestHourglass;
  /** A real target server on port 0. */
  target: TargetServer;
  /** Every attempt the dispatcher records. */
  attempts: AttemptLog;
}

/**
 * Registers, in the calling `describe`, a fresh harness before each test (a manual clock at
 * `start`, a real target, Hourglass with no backoff jitter) and its teardown after it. Read the
 * fields inside tests and hooks only: they are replaced before each test.
 */
export function deliveryHarness(start: number): DeliveryHarness {
  const harness = {} as DeliveryHarness;
  beforeEach(async () => {
    harness.clock = new ManualClock(start);
    harness.target = await startTargetServer();
    harness.hg = await startHourglass({ clock: harness.clock, random: () => 0 });
    harness.attempts = new AttemptLog(harness.hg.service.dispatcher);
  });
  afterEach(async () => {
    await harness.hg.close();
    await harness.target.close();
  });
  return harness;
}
