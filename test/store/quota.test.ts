import { describe, expect, it } from "vitest";
import { QuotaExceededError } from "../../src/errors.js";
import { QuotaTally, monthOf, remainingAfterOne, startOfNextMonth } from "../../src/store/quota.js";

describe("monthly quota arithmetic", () => {
  it("names the UTC month, whatever the host zone", () => {
    expect(monthOf(Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe("2026-12");
    expect(monthOf(Date.UTC(2027, 0, 1))).toBe("2027-01");
  });

  it("names the right month when asked at the edges of the month it answered last, in any order", () => {
    const asked: [number, string][] = [
      [Date.UTC(2026, 10, 15), "2026-11"],
      [Date.UTC(2026, 11, 1) - 1, "2026-11"],
      [Date.UTC(2026, 11, 1), "2026-12"],
      [Date.UTC(2026, 10, 1), "2026-11"],
      [Date.UTC(2026, 10, 1) - 1, "2026-10"],
      [Date.UTC(2026, 11, 31, 23, 59, 59, 999), "2026-12"],
      [Date.UTC(2027, 0, 1), "2027-01"],
      [Date.UTC(2026, 1, 28, 23, 59, 59, 999), "2026-02"],
      [Date.UTC(2026, 2, 1), "2026-03"],
    ];
    for (const [ms, month] of asked) expect([ms, monthOf(ms)]).toEqual([ms, month]);
  });

  it("finds the start of the next UTC month, across a year end", () => {
    expect(startOfNextMonth(Date.UTC(2026, 10, 23, 12))).toBe(Date.UTC(2026, 11, 1));
    expect(startOfNextMonth(Date.UTC(2026, 11, 31, 23, 59))).toBe(Date.UTC(2027, 0, 1));
  });

  it("counts one more instance against the quota, and refuses the one past it with the reset date", () => {
    const now = Date.UTC(2026, 11, 1);
    expect(remainingAfterOne(null, 1_000_000, now)).toBeNull();
    expect(remainingAfterOne(3, 0, now)).toBe(2);
    expect(remainingAfterOne(3, 2, now)).toBe(0);
    expect(() => remainingAfterOne(3, 3, now)).toThrow(QuotaExceededError);
    expect(() => remainingAfterOne(3, 3, now)).toThrow(/resets on 2027-01-01/);
    expect(() => remainingAfterOne(0, 0, now)).toThrow(QuotaExceededError);
  });
});

describe("a transaction's quota tally", () => {
  const now = Date.UTC(2026, 10, 15);

  it("counts from what it read, refuses past the quota, and adds up per project and month", () => {
    const tally = new QuotaTally();
    const p2 = tally.read("p2", "2026-11", 3, 1);
    expect(tally.known("p2", "2026-11")).toBe(p2);
    expect(tally.known("p2", "2026-12")).toBeUndefined();
    expect([tally.countOne(p2, now), tally.countOne(p2, now)]).toEqual([1, 0]);
    expect(() => tally.countOne(p2, now)).toThrow(QuotaExceededError);
    const p1 = tally.read("p1", "2026-12", null, 40);
    expect(tally.countOne(p1, now)).toBeNull();
    tally.countOne(tally.read("p1", "2026-11", null, 0), now);
    tally.read("p0", "2026-11", 5, 0);
    // Only what was added, in one order (project, then month) whatever the order counted in.
    expect(tally.added().map(({ projectId, month, added }) => [projectId, month, added])).toEqual([
      ["p1", "2026-11", 1],
      ["p1", "2026-12", 1],
      ["p2", "2026-11", 2],
    ]);
    tally.clear();
    expect(tally.known("p2", "2026-11")).toBeUndefined();
  });
});
