import { describe, expect, it } from "vitest";
import { endOfSchedule } from "../../src/schedule/generator-end.js";

const T = Date.UTC(2026, 5, 1);

describe("endOfSchedule", () => {
  it("goes on without limits, and up to them", () => {
    expect(endOfSchedule({ nextAt: T, endsAt: null, maxRuns: null, runs: 1_000 })).toBeNull();
    expect(endOfSchedule({ nextAt: T, endsAt: T, maxRuns: 3, runs: 2 })).toBeNull();
  });

  it("ends past ttr-ends-at (a tick at the end itself still fires)", () => {
    expect(endOfSchedule({ nextAt: T + 1, endsAt: T, maxRuns: null, runs: 0 })).toBe("ended: ttr-ends-at reached (2026-06-01T00:00:00.000Z)");
  });

  it("ends once ttr-max-runs ticks have fired, whatever the next tick's time", () => {
    expect(endOfSchedule({ nextAt: T, endsAt: null, maxRuns: 1, runs: 1 })).toBe("ended: ttr-max-runs reached (1 run)");
    expect(endOfSchedule({ nextAt: T + 1, endsAt: T, maxRuns: 2, runs: 2 })).toBe("ended: ttr-max-runs reached (2 runs)");
  });
});
