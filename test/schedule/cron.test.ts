import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/schedule/cron.js";
import { InvalidInputError } from "../../src/errors.js";

const iso = (t: number): string => new Date(t).toISOString();

function ticks(expr: string, tz: string, from: string, count: number): string[] {
  const schedule = CronSchedule.parse(expr, tz);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.nextAfter(t);
    if (next === null) break;
    out.push(iso(next));
    t = next;
  }
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.code;
    throw error;
  }
  throw new Error("expected an InvalidInputError");
}

describe("CronSchedule.parse", () => {
  it("keeps the trimmed expression and the zone", () => {
    const schedule = CronSchedule.parse("  0 9 * * 1-5 ", "Europe/Paris");
    expect(schedule.expr).toBe("0 9 * * 1-5");
    expect(schedule.tz).toBe("Europe/Paris");
  });

  it.each([
    ["0 0 0 1 1 * 2030", "7 fields"],
    ["* * * *", "4 fields"],
    ["", "empty"],
    ["garbage", "garbage"],
    ["61 * * * *", "minute out of range"],
    ["0 24 * * *", "hour out of range"],
    ["0 0 * * 8", "weekday out of range"],
    ["@reboot", "unsupported nickname"],
    ["@fortnightly", "unknown nickname"],
    ["2026-01-01T00:00:00", "an ISO date"],
  ])("refuses %j (%s) with invalid_cron", (expr) => {
    expect(codeOf(() => CronSchedule.parse(expr, "UTC"))).toBe("invalid_cron");
  });

  it("refuses an unknown zone with invalid_cron", () => {
    expect(codeOf(() => CronSchedule.parse("0 9 * * *", "Mars/Olympus"))).toBe("invalid_cron");
  });

  it.each(["0 0 30 2 *", "0 0 31 4 *", "0 0 0 31 11 *"])("refuses %j with cron_never_fires", (expr) => {
    expect(codeOf(() => CronSchedule.parse(expr, "Europe/Paris"))).toBe("cron_never_fires");
  });

  it("names the expression in its messages", () => {
    expect(() => CronSchedule.parse("0 0 30 2 *", "UTC")).toThrow(/"0 0 30 2 \*"/);
    expect(() => CronSchedule.parse("* * * *", "UTC")).toThrow(/4 fields/);
  });
});

describe("CronSchedule.nextAfter", () => {
  it("returns the first tick strictly after the given instant", () => {
    const schedule = CronSchedule.parse("* * * * *", "UTC");
    expect(iso(schedule.nextAfter(Date.parse("2026-05-01T12:00:00.000Z")) ?? 0)).toBe("2026-05-01T12:01:00.000Z");
    expect(iso(schedule.nextAfter(Date.parse("2026-05-01T11:59:59.999Z")) ?? 0)).toBe("2026-05-01T12:00:00.000Z");
    const fixed = CronSchedule.parse("0 12 * * *", "Europe/Paris");
    expect(iso(fixed.nextAfter(Date.parse("2026-05-01T10:00:00.000Z")) ?? 0)).toBe("2026-05-02T10:00:00.000Z");
    expect(iso(fixed.nextAfter(Date.parse("2026-05-01T09:59:59.999Z")) ?? 0)).toBe("2026-05-01T10:00:00.000Z");
  });

  it("returns null past the last representable tick", () => {
    expect(CronSchedule.parse("0 0 1 1 *", "UTC").nextAfter(Date.parse("9999-06-01T00:00:00Z"))).toBeNull();
    expect(CronSchedule.parse("*/5 * * * *", "Europe/Paris").nextAfter(Date.parse("9999-12-31T23:59:00Z"))).toBeNull();
  });

  it.each([
    ["@yearly", "2027-01-01T00:00:00.000Z"],
    ["@annually", "2027-01-01T00:00:00.000Z"],
    ["@monthly", "2026-06-01T00:00:00.000Z"],
    ["@weekly", "2026-05-17T00:00:00.000Z"],
    ["@daily", "2026-05-15T00:00:00.000Z"],
    ["@midnight", "2026-05-15T00:00:00.000Z"],
    ["@hourly", "2026-05-14T13:00:00.000Z"],
    ["@HOURLY", "2026-05-14T13:00:00.000Z"],
  ])("%s", (expr, expected) => {
    expect(ticks(expr, "UTC", "2026-05-14T12:34:56Z", 1)).toEqual([expected]);
  });

  it("reads 6 fields as seconds first", () => {
    expect(ticks("30 0 9 * * *", "UTC", "2026-05-14T09:00:00Z", 2)).toEqual([
      "2026-05-14T09:00:30.000Z",
      "2026-05-15T09:00:30.000Z",
    ]);
    expect(ticks("*/15 * * * * *", "UTC", "2026-05-14T09:00:07.250Z", 3)).toEqual([
      "2026-05-14T09:00:15.000Z",
      "2026-05-14T09:00:30.000Z",
      "2026-05-14T09:00:45.000Z",
    ]);
  });

  it("evaluates weekdays in the zone: 0 9 * * 1-5 in Europe/Paris", () => {
    expect(ticks("0 9 * * 1-5", "Europe/Paris", "2026-03-26T12:00:00Z", 4)).toEqual([
      "2026-03-27T08:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
      "2026-03-31T07:00:00.000Z",
      "2026-04-01T07:00:00.000Z",
    ]);
  });

  it("combines day-of-month and day-of-week with OR", () => {
    expect(ticks("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z", 3)).toEqual([
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-02-20T00:00:00.000Z",
    ]);
  });
});

describe("DST: a fixed time fires once, shifted forward by a gap, at the first pass of an overlap", () => {
  it.each([
    ["30 2 * * *", "Europe/Paris", "2026-03-27T12:00:00Z", ["2026-03-28T01:30:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z"]],
    ["0 30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", ["2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z"]],
    ["0 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", ["2026-03-29T01:00:00.000Z", "2026-03-30T00:00:00.000Z"]],
    ["0 2,3 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", ["2026-03-29T01:00:00.000Z", "2026-03-30T00:00:00.000Z", "2026-03-30T01:00:00.000Z"]],
    ["0,45 2,3 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", ["2026-03-29T01:00:00.000Z", "2026-03-29T01:45:00.000Z", "2026-03-30T00:00:00.000Z"]],
    ["30 2,14 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", ["2026-03-28T13:30:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-29T12:30:00.000Z"]],
    ["30 2 * * *", "Europe/Paris", "2026-10-23T12:00:00Z", ["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]],
    ["30 2,14 * * *", "Europe/Paris", "2026-10-24T12:00:00Z", ["2026-10-24T12:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-25T13:30:00.000Z"]],
    ["30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", ["2026-03-08T07:30:00.000Z", "2026-03-09T06:30:00.000Z"]],
    ["30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]],
    ["15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", ["2026-10-02T15:45:00.000Z", "2026-10-03T15:45:00.000Z", "2026-10-04T15:15:00.000Z"]],
    ["45 1 * * *", "Australia/Lord_Howe", "2026-04-03T12:00:00Z", ["2026-04-03T14:45:00.000Z", "2026-04-04T14:45:00.000Z", "2026-04-05T15:15:00.000Z"]],
    ["30 2 * * *", "Australia/Adelaide", "2026-10-02T12:00:00Z", ["2026-10-02T17:00:00.000Z", "2026-10-03T17:00:00.000Z", "2026-10-04T16:00:00.000Z"]],
    ["0 9 * * *", "Asia/Kolkata", "2026-03-28T12:00:00Z", ["2026-03-29T03:30:00.000Z", "2026-03-30T03:30:00.000Z"]],
    ["@daily", "America/Santiago", "2026-09-04T12:00:00Z", ["2026-09-05T04:00:00.000Z", "2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z"]],
  ])("%s in %s from %s", (expr, tz, from, expected) => {
    expect(ticks(expr, tz, from, expected.length)).toEqual(expected);
  });

  it("finds the shifted tick when asked from just after the transition", () => {
    const schedule = CronSchedule.parse("30 2 * * *", "Europe/Paris");
    expect(iso(schedule.nextAfter(Date.parse("2026-03-29T01:10:00Z")) ?? 0)).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(schedule.nextAfter(Date.parse("2026-03-29T01:30:00Z")) ?? 0)).toBe("2026-03-30T00:30:00.000Z");
  });

  it("does not fire a fixed time again on the second pass of an overlap", () => {
    const schedule = CronSchedule.parse("30 2 * * *", "Europe/Paris");
    expect(iso(schedule.nextAfter(Date.parse("2026-10-25T00:45:00Z")) ?? 0)).toBe("2026-10-26T01:30:00.000Z");
  });
});

describe("DST: step and wildcard-hour patterns keep their real-time cadence", () => {
  const every = (from: string, stepMs: number, count: number): string[] =>
    Array.from({ length: count }, (_, i) => iso(Date.parse(from) + (i + 1) * stepMs));

  it.each([
    ["*/30 * * * *", "Europe/Paris", "2026-03-29T00:00:00Z", 30],
    ["*/30 * * * *", "Europe/Paris", "2026-10-24T23:30:00Z", 30],
    ["0 * * * *", "Europe/Paris", "2026-03-28T23:00:00Z", 60],
    ["0 * * * *", "Europe/Paris", "2026-10-24T22:00:00Z", 60],
    ["@hourly", "America/New_York", "2026-03-08T04:00:00Z", 60],
    ["@hourly", "America/New_York", "2026-11-01T03:00:00Z", 60],
    ["*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T14:30:00Z", 15],
    ["*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 15],
    ["*/10 * * * *", "America/Santiago", "2026-09-06T03:00:00Z", 10],
  ])("%s in %s from %s every %d real minutes", (expr, tz, from, minutes) => {
    const count = 8;
    expect(ticks(expr, tz, from, count)).toEqual(every(from, minutes * 60_000, count));
  });

  it("a range of hours is a cadence: it skips a vanished hour and repeats a doubled one", () => {
    expect(ticks("0 1-3 * * *", "Europe/Paris", "2026-03-28T23:30:00Z", 3)).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T23:00:00.000Z",
    ]);
    expect(ticks("0 1-3 * * *", "Europe/Paris", "2026-10-24T22:30:00Z", 4)).toEqual([
      "2026-10-24T23:00:00.000Z",
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
  });
});
