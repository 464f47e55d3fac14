import { describe, expect, it } from "vitest";
import {
  addCalendarDays,
  instantToWallTime,
  isValidTimeZone,
  type WallTime,
  wallTimeToInstant,
} from "../../src/schedule/zoned-time.js";

const iso = (t: number): string => new Date(t).toISOString();
const at = (text: string): number => Date.parse(text);
const wall = (year: number, month: number, day: number, hour: number, minute = 0, second = 0, millisecond = 0): WallTime => ({
  year,
  month,
  day,
  hour,
  minute,
  second,
  millisecond,
});

describe("isValidTimeZone", () => {
  it.each(["Europe/Paris", "America/New_York", "UTC", "Etc/GMT+5", "Asia/Kolkata", "europe/paris"])("accepts %s", (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });
  it.each(["", "Mars/Olympus", "+01:00", "Europe/Paris ", "Europe/Pariss", "../etc"])("refuses %j", (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe("wallTimeToInstant", () => {
  it.each([
    ["Europe/Paris", wall(2026, 3, 29, 1, 59, 59, 999), "2026-03-29T00:59:59.999Z"],
    ["Europe/Paris", wall(2026, 3, 29, 2, 0), "2026-03-29T01:00:00.000Z"],
    ["Europe/Paris", wall(2026, 3, 29, 2, 30), "2026-03-29T01:30:00.000Z"],
    ["Europe/Paris", wall(2026, 3, 29, 3, 0), "2026-03-29T01:00:00.000Z"],
    ["Europe/Paris", wall(2026, 3, 29, 3, 30), "2026-03-29T01:30:00.000Z"],
    ["Europe/Paris", wall(2026, 10, 25, 1, 59), "2026-10-24T23:59:00.000Z"],
    ["Europe/Paris", wall(2026, 10, 25, 2, 0), "2026-10-25T00:00:00.000Z"],
    ["Europe/Paris", wall(2026, 10, 25, 2, 30), "2026-10-25T00:30:00.000Z"],
    ["Europe/Paris", wall(2026, 10, 25, 3, 0), "2026-10-25T02:00:00.000Z"],
    ["America/New_York", wall(2026, 3, 8, 2, 30), "2026-03-08T07:30:00.000Z"],
    ["America/New_York", wall(2026, 3, 8, 3, 0), "2026-03-08T07:00:00.000Z"],
    ["America/New_York", wall(2026, 11, 1, 1, 30), "2026-11-01T05:30:00.000Z"],
    ["America/New_York", wall(2026, 11, 1, 2, 0), "2026-11-01T07:00:00.000Z"],
    ["Asia/Kolkata", wall(2026, 6, 1, 9, 0), "2026-06-01T03:30:00.000Z"],
    ["Australia/Adelaide", wall(2026, 10, 4, 2, 30), "2026-10-03T17:00:00.000Z"],
    ["Australia/Adelaide", wall(2026, 4, 5, 2, 30), "2026-04-04T16:00:00.000Z"],
    ["Australia/Lord_Howe", wall(2026, 10, 4, 2, 15), "2026-10-03T15:45:00.000Z"],
    ["Australia/Lord_Howe", wall(2026, 4, 5, 1, 45), "2026-04-04T14:45:00.000Z"],
    ["Australia/Lord_Howe", wall(2026, 4, 5, 2, 0), "2026-04-04T15:30:00.000Z"],
    ["America/Santiago", wall(2026, 9, 6, 0, 0), "2026-09-06T04:00:00.000Z"],
    ["America/Santiago", wall(2026, 9, 5, 23, 59), "2026-09-06T03:59:00.000Z"],
    ["UTC", wall(2026, 3, 29, 2, 30, 15, 250), "2026-03-29T02:30:15.250Z"],
    ["UTC", wall(1970, 1, 1, 0, 0), "1970-01-01T00:00:00.000Z"],
    ["UTC", wall(9999, 12, 31, 23, 59, 59, 999), "9999-12-31T23:59:59.999Z"],
  ])("%s %o → %s", (tz, w, expected) => {
    expect(iso(wallTimeToInstant(w, tz))).toBe(expected);
  });
});

describe("instantToWallTime", () => {
  it("reads both passes of a repeated hour as the same wall time", () => {
    expect(instantToWallTime(at("2026-10-25T00:30:00.500Z"), "Europe/Paris")).toEqual(wall(2026, 10, 25, 2, 30, 0, 500));
    expect(instantToWallTime(at("2026-10-25T01:30:00.500Z"), "Europe/Paris")).toEqual(wall(2026, 10, 25, 2, 30, 0, 500));
  });
});

describe("addCalendarDays", () => {
  it.each([
    ["Europe/Paris", "2026-03-28T09:00:00.000Z", 1, "2026-03-29T08:00:00.000Z"],
    ["Europe/Paris", "2026-03-28T01:30:00.000Z", 1, "2026-03-29T01:30:00.000Z"],
    ["Europe/Paris", "2026-10-24T00:30:00.000Z", 1, "2026-10-25T00:30:00.000Z"],
    ["Europe/Paris", "2026-10-25T01:30:00.000Z", 1, "2026-10-26T01:30:00.000Z"],
    ["Europe/Paris", "2026-10-25T01:30:00.000Z", -1, "2026-10-24T00:30:00.000Z"],
    ["Europe/Paris", "2026-03-22T08:00:00.000Z", 7, "2026-03-29T07:00:00.000Z"],
    ["America/New_York", "2026-03-07T07:30:00.000Z", 1, "2026-03-08T07:30:00.000Z"],
    ["America/New_York", "2026-10-31T05:30:00.000Z", 1, "2026-11-01T05:30:00.000Z"],
    ["America/Santiago", "2026-09-05T04:00:00.000Z", 1, "2026-09-06T04:00:00.000Z"],
    ["America/Santiago", "2026-09-05T04:00:00.000Z", 2, "2026-09-07T03:00:00.000Z"],
    ["Australia/Lord_Howe", "2026-10-02T15:45:00.000Z", 1, "2026-10-03T15:45:00.000Z"],
    ["Asia/Kolkata", "2026-01-31T18:30:00.000Z", 29, "2026-03-01T18:30:00.000Z"],
    ["UTC", "2024-02-28T12:00:00.000Z", 1, "2024-02-29T12:00:00.000Z"],
  ])("%s %s %+d days → %s", (tz, from, days, expected) => {
    expect(iso(addCalendarDays(at(from), days, tz))).toBe(expected);
  });

  it("returns the instant unchanged for zero days, even on the second pass of a repeated hour", () => {
    expect(addCalendarDays(at("2026-10-25T01:30:00Z"), 0, "Europe/Paris")).toBe(at("2026-10-25T01:30:00Z"));
  });
});
