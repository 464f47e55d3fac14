import { decodeTime, isValid } from "ulid";
import { describe, expect, it } from "vitest";
import { createIdGenerator, idFloorAt } from "../../src/store/ids.js";

describe("id generator", () => {
  it("makes ULIDs the reference implementation accepts, carrying the time", () => {
    const t = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    const id = createIdGenerator(() => t)();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBe(t);
  });

  it("is strictly increasing within a millisecond and when the clock steps back", () => {
    let t = 1_700_000_000_000;
    const next = createIdGenerator(() => t);
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i === 2000) t -= 5;
      if (i === 3000) t += 10;
      ids.push(next());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("draws fresh randomness for each new millisecond", () => {
    let t = 1_700_000_000_000;
    const next = createIdGenerator(() => t++);
    const randomParts = new Set(Array.from({ length: 1000 }, () => next().slice(10)));
    expect(randomParts.size).toBe(1000);
  });

  it("stamps a given time, and idFloorAt separates ids stamped before a time from those at or after it", () => {
    const next = createIdGenerator(() => 0);
    const t = Date.UTC(2026, 11, 1, 9, 30);
    const before = next(t - 1);
    const at = next(t);
    expect(decodeTime(at)).toBe(t);
    expect(before < idFloorAt(t)).toBe(true);
    expect(at >= idFloorAt(t)).toBe(true);
    // Never earlier than the last id: monotonic even when asked for an older time.
    const clamped = next(t - 60_000);
    expect(clamped > at).toBe(true);
    expect(decodeTime(clamped)).toBe(t);
  });

  it("carries each id's own time when the clock moves, stays and steps back between ids", () => {
    const times = [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_031, 1_700_000_001_024, 1_700_000_001_024, 1_764_000_000_000];
    let i = 0;
    const next = createIdGenerator(() => times[i] as number);
    for (i = 0; i < times.length; i++) expect(decodeTime(next())).toBe(times[i]);
    // A clock that steps back stamps the last time again (monotonic), then moves on.
    expect(decodeTime(next(1_600_000_000_000))).toBe(1_764_000_000_000);
    expect(decodeTime(next(1_764_000_000_001))).toBe(1_764_000_000_001);
  });
});
