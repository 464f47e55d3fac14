import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { parseScheduledAt } from "../../src/schedule/scheduled-at.js";
import type { When } from "../../src/schedule/types.js";

const NOW = Date.parse("2026-03-28T09:15:30.250Z");
const utc = { now: NOW, timezone: null };
const paris = { now: NOW, timezone: "Europe/Paris" };

function onceAt(value: string, ctx: { now: number; timezone: string | null } = utc): string {
  const when = parseScheduledAt(value, ctx);
  if (when.kind !== "once") throw new Error(`expected a one-shot, got ${JSON.stringify(when)}`);
  return new Date(when.at).toISOString();
}

function failure(value: string, ctx: { now: number; timezone: string | null } = utc): InvalidInputError {
  try {
    parseScheduledAt(value, ctx);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe("instants", () => {
  it.each([
    ["now", "2026-03-28T09:15:30.250Z"],
    ["NOW", "2026-03-28T09:15:30.250Z"],
    ["  now  ", "2026-03-28T09:15:30.250Z"],
    ["2026-03-29T02:30:00Z", "2026-03-29T02:30:00.000Z"],
    ["2026-03-29t02:30:00z", "2026-03-29T02:30:00.000Z"],
    ["2026-03-29T02:30Z", "2026-03-29T02:30:00.000Z"],
    ["2026-03-29T02:30:00.5Z", "2026-03-29T02:30:00.500Z"],
    ["2026-03-29T02:30:00.123Z", "2026-03-29T02:30:00.123Z"],
    ["2026-03-29T02:30:00.123999Z", "2026-03-29T02:30:00.123Z"],
    ["2026-03-29T02:30:00.999999999Z", "2026-03-29T02:30:00.999Z"],
    ["2026-03-29T02:30:00+01:00", "2026-03-29T01:30:00.000Z"],
    ["2026-03-29T02:30:00+0100", "2026-03-29T01:30:00.000Z"],
    ["2026-03-29T02:30:00-05:00", "2026-03-29T07:30:00.000Z"],
    ["2026-03-29T02:30:00+05:30", "2026-03-28T21:00:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
  ])("%j → %s", (value, expected) => {
    expect(onceAt(value)).toBe(expected);
  });

  it("reads a time without offset in ttr-timezone, with the DST rules", () => {
    expect(onceAt("2026-03-29T02:30:00", paris)).toBe("2026-03-29T01:30:00.000Z");
    expect(onceAt("2026-10-25T02:30:00", paris)).toBe("2026-10-25T00:30:00.000Z");
    expect(onceAt("2026-03-08T02:30", { now: NOW, timezone: "America/New_York" })).toBe("2026-03-08T07:30:00.000Z");
    expect(onceAt("2026-11-01T01:30", { now: NOW, timezone: "America/New_York" })).toBe("2026-11-01T05:30:00.000Z");
    expect(onceAt("2026-09-06T00:00:00", { now: NOW, timezone: "America/Santiago" })).toBe("2026-09-06T04:00:00.000Z");
    expect(onceAt("2026-10-04T02:15:00", { now: NOW, timezone: "Australia/Lord_Howe" })).toBe("2026-10-03T15:45:00.000Z");
  });

  it("lets an explicit offset win over ttr-timezone", () => {
    expect(onceAt("2026-03-29T02:30:00Z", paris)).toBe("2026-03-29T02:30:00.000Z");
  });
});

describe("add operations", () => {
  it.each([
    ["now | add 10s", "2026-03-28T09:15:40.250Z"],
    ["now|add 10s", "2026-03-28T09:15:40.250Z"],
    ["now  |  ADD 10S", "2026-03-28T09:15:40.250Z"],
    ["now | add +5m", "2026-03-28T09:20:30.250Z"],
    ["now | add -2h", "2026-03-28T07:15:30.250Z"],
    ["now | add 1h | add 30m | add -15s", "2026-03-28T10:45:15.250Z"],
    ["2026-03-29T00:00:00Z | add 1w | add -1d", "2026-04-04T00:00:00.000Z"],
    ["now | add 0s", "2026-03-28T09:15:30.250Z"],
  ])("%j → %s", (value, expected) => {
    expect(onceAt(value)).toBe(expected);
  });

  it("adds exact 24 h days without ttr-timezone, across a DST change", () => {
    expect(onceAt("2026-03-28T09:00:00+01:00 | add 1d")).toBe("2026-03-29T08:00:00.000Z");
    expect(onceAt("2026-03-22T09:00:00+01:00 | add 1w")).toBe("2026-03-29T08:00:00.000Z");
  });

  it("adds calendar days with ttr-timezone, keeping the wall-clock time across DST", () => {
    expect(onceAt("2026-03-28T09:00:00+01:00 | add 1d", paris)).toBe("2026-03-29T07:00:00.000Z");
    expect(onceAt("2026-03-22T09:00:00 | add 1w", paris)).toBe("2026-03-29T07:00:00.000Z");
    expect(onceAt("2026-10-26T09:00:00 | add -1d", paris)).toBe("2026-10-25T08:00:00.000Z");
    expect(onceAt("2026-03-28T02:30:00 | add 1d", paris)).toBe("2026-03-29T01:30:00.000Z");
    expect(onceAt("2026-11-01T12:00:00 | add -1d", { now: NOW, timezone: "America/New_York" })).toBe("2026-10-31T16:00:00.000Z");
  });

  it("keeps s/m/h exact even with ttr-timezone", () => {
    expect(onceAt("2026-03-29T01:30:00+01:00 | add 1h", paris)).toBe("2026-03-29T01:30:00.000Z");
    expect(onceAt("2026-03-29T01:30:00+01:00 | add 24h", paris)).toBe("2026-03-30T00:30:00.000Z");
  });
});

describe("cron", () => {
  it.each<[string, { now: number; timezone: string | null }, When]>([
    ["cron(0 9 * * 1-5)", utc, { kind: "cron", expr: "0 9 * * 1-5", tz: "UTC" }],
    ["cron(0 9 * * 1-5, Europe/Paris)", utc, { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Paris" }],
    ["cron( 0 9 * * 1-5 ,Europe/Paris )", utc, { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Paris" }],
    ["CRON (0 9 * * 1-5)", utc, { kind: "cron", expr: "0 9 * * 1-5", tz: "UTC" }],
    ["cron(0 9 * * 1-5)", paris, { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Paris" }],
    ["cron(0 9 * * 1-5, America/New_York)", paris, { kind: "cron", expr: "0 9 * * 1-5", tz: "America/New_York" }],
    ["cron(0 9,17 * * *)", utc, { kind: "cron", expr: "0 9,17 * * *", tz: "UTC" }],
    ["cron(0 9 * * MON,FRI)", utc, { kind: "cron", expr: "0 9 * * MON,FRI", tz: "UTC" }],
    ["cron(0 9 * * MON,FRI, Asia/Kolkata)", utc, { kind: "cron", expr: "0 9 * * MON,FRI", tz: "Asia/Kolkata" }],
    ["cron(0 0 1,15 * *)", utc, { kind: "cron", expr: "0 0 1,15 * *", tz: "UTC" }],
    ["cron(30 0 9 * * *)", utc, { kind: "cron", expr: "30 0 9 * * *", tz: "UTC" }],
    ["cron(@hourly)", utc, { kind: "cron", expr: "@hourly", tz: "UTC" }],
    ["cron(@daily, Australia/Lord_Howe)", utc, { kind: "cron", expr: "@daily", tz: "Australia/Lord_Howe" }],
  ])("%j", (value, ctx, expected) => {
    expect(parseScheduledAt(value, ctx)).toEqual(expected);
  });
});

describe("errors", () => {
  it.each<[string, string, RegExp]>([
    ["", "invalid_scheduled_at", /empty/],
    ["   ", "invalid_scheduled_at", /empty/],
    ["tomorrow", "invalid_scheduled_at", /"tomorrow"/],
    ["2026-03-29", "invalid_scheduled_at", /date without a time/],
    ["2026-03-29T02:30:00", "invalid_scheduled_at", /no UTC offset.*ttr-timezone/],
    ["2026-02-30T10:00:00Z", "invalid_scheduled_at", /"2026-02-30T10:00:00Z" is not a real date/],
    ["2025-02-29T10:00:00Z", "invalid_scheduled_at", /not a real date/],
    ["2026-04-31T10:00:00Z", "invalid_scheduled_at", /not a real date/],
    ["2026-13-01T10:00:00Z", "invalid_scheduled_at", /month 13/],
    ["2026-03-29T24:00:00Z", "invalid_scheduled_at", /hour 24/],
    ["2026-03-29T10:60:00Z", "invalid_scheduled_at", /minute 60/],
    ["2026-03-29T10:00:60Z", "invalid_scheduled_at", /second 60/],
    ["2026-03-29T10:00:00+24:00", "invalid_scheduled_at", /offset "\+24:00"/],
    ["2026-03-29T10:00:00+01", "invalid_scheduled_at", /not "now" or an ISO-8601/],
    ["2026-03-29T10:00:00.1234567890Z", "invalid_scheduled_at", /not "now" or an ISO-8601/],
    ["2026-3-29T10:00:00Z", "invalid_scheduled_at", /not "now" or an ISO-8601/],
    ["1969-12-31T23:59:59Z", "invalid_scheduled_at", /outside 1970/],
    ["0050-01-01T00:00:00Z", "invalid_scheduled_at", /outside 1970/],
    ["9999-12-31T23:30:00-05:00", "invalid_scheduled_at", /outside 1970/],
    ["now | add 10", "invalid_scheduled_at", /"add 10" is not an operation/],
    ["now | add 10y", "invalid_scheduled_at", /"add 10y"/],
    ["now | add 1.5h", "invalid_scheduled_at", /"add 1.5h"/],
    ["now | plus 10s", "invalid_scheduled_at", /"plus 10s"/],
    ["now | add10s", "invalid_scheduled_at", /"add10s"/],
    ["now |", "invalid_scheduled_at", /"" is not an operation/],
    ["add 10s", "invalid_scheduled_at", /needs a time before it/],
    ["| add 10s", "invalid_scheduled_at", /empty time/],
    ["now | add 99999999999999999999s", "invalid_scheduled_at", /too large/],
    ["now | add 9007199254740991w", "invalid_scheduled_at", /too large/],
    ["now | add 500000w", "invalid_scheduled_at", /"add 500000w" gives a time outside/],
    ["now | add -3000w", "invalid_scheduled_at", /"add -3000w" gives a time outside/],
    ["cron(0 9 * * *) | add 1h", "invalid_scheduled_at", /"\| add 1h" cannot follow cron/],
    ["cron(0 9 * * *) tomorrow", "invalid_scheduled_at", /unexpected "tomorrow"/],
    ["cron(0 9 * * *", "invalid_scheduled_at", /unbalanced/],
    ["cron()", "invalid_scheduled_at", /no cron expression/],
    ["cron(0 9 * * *,)", "invalid_scheduled_at", /names no time zone/],
    ["cron(0 9 * * *, Mars/Olympus)", "invalid_timezone", /"Mars\/Olympus"/],
    ["cron(0 9 * *)", "invalid_cron", /"0 9 \* \*"/],
    ["cron(0 0 0 1 1 * 2030)", "invalid_cron", /7 fields/],
    ["cron(every day)", "invalid_cron", /"every day"/],
    ["cron(0 0 30 2 *)", "cron_never_fires", /"0 0 30 2 \*"/],
  ])("%j → %s", (value, code, message) => {
    const error = failure(value);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it("refuses an unknown ttr-timezone with invalid_timezone", () => {
    const error = failure("now", { now: NOW, timezone: "Europe/Pariss" });
    expect(error.code).toBe("invalid_timezone");
    expect(error.message).toMatch(/ttr-timezone "Europe\/Pariss"/);
  });

  it("refuses a calendar add that leaves the range", () => {
    expect(failure("9999-12-31T12:00:00 | add 1d", paris).code).toBe("invalid_scheduled_at");
    expect(failure("1970-01-01T12:00:00 | add -1d", paris).code).toBe("invalid_scheduled_at");
    expect(failure("now | add 9999999999d", paris).code).toBe("invalid_scheduled_at");
  });
});
