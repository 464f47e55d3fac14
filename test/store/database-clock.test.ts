import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { DatabaseClock } from "../../src/store/postgres/database-clock.js";

describe("DatabaseClock", () => {
  it("is never ahead of the database, and behind it by at most the shortest recent round trip", () => {
    const local = new ManualClock(1_000_000);
    const clock = new DatabaseClock(local);
    // The database runs 2,000 ms ahead of this machine; readings with round trips of 40, 4 and 100 ms,
    // each taken by the database at some point inside its round trip.
    const trueOffset = 2_000;
    for (const [sentAt, takenAt, receivedAt] of [
      [1_000_000, 1_000_030, 1_000_040],
      [1_000_100, 1_000_101, 1_000_104],
      [1_000_200, 1_000_210, 1_000_300],
    ] as const) {
      clock.record(sentAt, takenAt + trueOffset, receivedAt);
    }
    local.set(1_000_300);
    expect(clock.now()).toBeLessThanOrEqual(1_000_300 + trueOffset);
    expect(clock.now()).toBeGreaterThanOrEqual(1_000_300 + trueOffset - 4);
  });

  it("follows a database clock behind this machine's", () => {
    const local = new ManualClock(5_000);
    const clock = new DatabaseClock(local);
    clock.record(5_000, 4_002, 5_002);
    expect(clock.offsetMs).toBe(-1_000);
    expect(clock.now()).toBe(4_000);
  });

  it("fires a timer no earlier than its instant by the database's clock", () => {
    const local = new ManualClock(10_000);
    const clock = new DatabaseClock(local);
    clock.record(10_000, 11_000, 10_000); // the database is 1 s ahead
    let fired = false;
    clock.setTimer(11_500, () => {
      fired = true;
    });
    local.set(10_499);
    expect(fired).toBe(false);
    local.set(10_500);
    expect(fired).toBe(true);
  });
});
