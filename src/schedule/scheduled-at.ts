import { InvalidInputError } from "../errors.js";
import { CronSchedule } from "./cron.js";
import type { When } from "./types.js";
import { addCalendarDays, isValidTimeZone, type WallTime, wallTimeToInstant, wallTimeToUtcMs } from "./zoned-time.js";

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z, the last instant Hourglass schedules. */
const MAX_INSTANT = 253_402_300_799_999;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;
type Unit = keyof typeof UNIT_MS;

const CRON_FORM = /^cron\s*\(([^()]*)\)\s*(.*)$/is;
const ADD_OP = /^add\s+([+-]?\d+)\s*([smhdw])$/i;
/*
 * Fractions of a second beyond milliseconds are accepted (RFC 3339 clients often send µs or ns)
 * and truncated, not rounded: rounding up could move a time into the next second or day.
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** A last list item of a cron field (`MON,FRI`, `1,15L`), as opposed to a zone name. */
const CRON_LIST_ITEM =
  /^(?:[0-9LW#?*/+-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i;

/** How messages name the value and the time zone: the `ttr-` headers, or the JSON API's fields. */
export interface FieldNames {
  value: string;
  timezone: string;
}

/** The names of the `/schedule` front door. */
export const HEADER_NAMES: FieldNames = { value: "ttr-scheduled-at", timezone: "ttr-timezone" };

/** What `ttr-scheduled-at` is read against. */
export interface ScheduledAtContext {
  /** The current time (epoch ms) `now` stands for. */
  now: number;
  /** `ttr-timezone`: zone of offset-less ISO times and of calendar `d`/`w` arithmetic. */
  timezone: string | null;
  /** How error messages name the value and the zone (default {@link HEADER_NAMES}). */
  names?: FieldNames;
}

/**
 * Parses a `ttr-scheduled-at` value (DESIGN §1):
 * `instant ("|" add <±n><s|m|h|d|w>)*` or `cron(expr[, tz])`.
 *
 * `instant` is `now` or an ISO-8601 date-time with `Z` or an offset (`+01:00`, `+0100`); without
 * one it is a wall time in `ctx.timezone`. Seconds are optional, fractions beyond milliseconds
 * are truncated. `s m h` add exact durations; `d w` add multiples of 24 h, or calendar days in
 * `ctx.timezone` when it is set. The cron zone is the one inside `cron(…)`, else
 * `ctx.timezone`, else UTC. Whitespace around `|` and inside `cron(…)` is ignored; `now`, `add`,
 * units, `T` and `Z` are case-insensitive.
 *
 * Throws InvalidInputError `invalid_scheduled_at` (or `invalid_timezone`, `invalid_cron`,
 * `cron_never_fires`) with a message quoting the offending part. Results must lie within
 * 1970-01-01 … 9999-12-31 (UTC).
 */
export function parseScheduledAt(value: string, ctx: ScheduledAtContext): When {
  const names = ctx.names ?? HEADER_NAMES;
  const timezone = checkedTimezone(ctx.timezone, names);
  const trimmed = value.trim();
  if (trimmed === "") fail(`${names.value} is empty; send an ISO-8601 time, "now | add …" or "cron(…)".`);
  const cron = CRON_FORM.exec(trimmed);
  if (cron !== null) return parseCronForm(cron[1] ?? "", cron[2] ?? "", timezone, names);
  if (/^cron\s*\(/i.test(trimmed)) fail(`${names.value} "${trimmed}" has an unbalanced "cron(": close it with ")".`);
  const [first = "", ...ops] = trimmed.split("|").map((part) => part.trim());
  let at = parseInstant(first, ctx.now, timezone, names);
  for (const op of ops) at = applyOp(at, op, timezone, names);
  return { kind: "once", at };
}

function checkedTimezone(timezone: string | null, names: FieldNames): string | null {
  if (timezone !== null && !isValidTimeZone(timezone)) {
    throw new InvalidInputError("invalid_timezone", `${names.timezone} "${timezone}" is not a known IANA time zone.`);
  }
  return timezone;
}

/**
 * Parses what goes inside `cron(…)` — `expr[, tz]` — with the rules of {@link parseScheduledAt}:
 * the zone after the comma, else `ctx.timezone`, else UTC. The JSON API's `cron` field.
 */
export function parseCronSpec(inside: string, ctx: Omit<ScheduledAtContext, "now">): When {
  const names = ctx.names ?? HEADER_NAMES;
  return parseCronInside(inside, checkedTimezone(ctx.timezone, names), names);
}

function parseCronForm(inside: string, rest: string, timezone: string | null, names: FieldNames): When {
  if (rest !== "") {
    const what = rest.startsWith("|")
      ? `"${rest}" cannot follow cron(…): add applies to one-shot times only`
      : `unexpected "${rest}" after cron(…)`;
    fail(`${names.value}: ${what}.`);
  }
  return parseCronInside(inside, timezone, names);
}

function parseCronInside(inside: string, timezone: string | null, names: FieldNames): When {
  const { expr, tz } = splitCronZone(inside.trim(), names);
  if (expr === "") fail(`${names.value} "cron(${inside})" has no cron expression.`);
  const zone = tz ?? timezone ?? "UTC";
  if (tz !== null && !isValidTimeZone(tz)) {
    throw new InvalidInputError("invalid_timezone", `${names.value}: the cron time zone "${tz}" is not a known IANA time zone.`);
  }
  const schedule = CronSchedule.parse(expr, zone);
  return { kind: "cron", expr: schedule.expr, tz: zone };
}

/*
 * A comma separates the zone from the expression, but commas also separate cron list items
 * (`0 9,17 * * *`, `0 9 * * MON,FRI`): the text after the last comma is the zone only when it
 * is a single token that cannot be a cron list item.
 */
function splitCronZone(inside: string, names: FieldNames): { expr: string; tz: string | null } {
  const comma = inside.lastIndexOf(",");
  if (comma < 0) return { expr: inside, tz: null };
  const after = inside.slice(comma + 1).trim();
  if (after === "") fail(`${names.value} "cron(${inside})" ends with a comma but names no time zone.`);
  if (/\s/.test(after) || CRON_LIST_ITEM.test(after)) return { expr: inside, tz: null };
  return { expr: inside.slice(0, comma).trim(), tz: after };
}

function parseInstant(text: string, now: number, timezone: string | null, names: FieldNames): number {
  if (text.toLowerCase() === "now") return now;
  if (text === "") fail(`${names.value} has an empty time before "|"; start with "now" or an ISO-8601 time.`);
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) fail(describeBadInstant(text, names));
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const wall: WallTime = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second ?? 0),
    millisecond: Number((fraction ?? "").padEnd(3, "0").slice(0, 3)),
  };
  checkWallTime(text, wall, names);
  const at = offset === undefined ? inZone(text, wall, timezone, names) : wallTimeToUtcMs(wall) - offsetMs(text, offset, names);
  return checkedRange(at, `"${text}"`, names);
}

function describeBadInstant(text: string, names: FieldNames): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return `${names.value} "${text}" is a date without a time; send a date-time such as "${text}T09:00:00Z".`;
  }
  if (/^add\b/i.test(text)) {
    return `${names.value} "${text}" needs a time before it, e.g. "now | ${text}".`;
  }
  return `${names.value} "${text}" is not "now" or an ISO-8601 date-time such as "2026-03-29T09:00:00Z".`;
}

function checkWallTime(text: string, wall: WallTime, names: FieldNames): void {
  if (wall.month < 1 || wall.month > 12) fail(`${names.value} "${text}" has month ${wall.month}; months are 01-12.`);
  const lastDay = daysInMonth(wall.year, wall.month);
  if (wall.day < 1 || wall.day > lastDay) fail(`${names.value} "${text}" is not a real date: that month has ${lastDay} days.`);
  if (wall.hour > 23) fail(`${names.value} "${text}" has hour ${wall.hour}; hours are 00-23.`);
  if (wall.minute > 59) fail(`${names.value} "${text}" has minute ${wall.minute}; minutes are 00-59.`);
  if (wall.second > 59) fail(`${names.value} "${text}" has second ${wall.second}; seconds are 00-59.`);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function inZone(text: string, wall: WallTime, timezone: string | null, names: FieldNames): number {
  if (timezone === null) {
    fail(`${names.value} "${text}" has no UTC offset; append "Z" or an offset like "+01:00", or send ${names.timezone}.`);
  }
  return wallTimeToInstant(wall, timezone);
}

function offsetMs(text: string, offset: string, names: FieldNames): number {
  if (offset.toUpperCase() === "Z") return 0;
  const digits = offset.replace(":", "");
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (hours > 23 || minutes > 59) fail(`${names.value} "${text}" has an impossible UTC offset "${offset}".`);
  const sign = offset.startsWith("-") ? -1 : 1;
  return sign * (hours * 60 + minutes) * 60_000;
}

function applyOp(at: number, op: string, timezone: string | null, names: FieldNames): number {
  const match = ADD_OP.exec(op);
  if (match === null) {
    fail(`${names.value}: "${op}" is not an operation; expected "add <signed integer><s|m|h|d|w>", e.g. "add -2h".`);
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? "s").toLowerCase() as Unit;
  const delta = amount * UNIT_MS[unit];
  if (!Number.isSafeInteger(delta)) fail(`${names.value}: "${op}" is too large.`);
  const calendar = timezone !== null && (unit === "d" || unit === "w");
  const result = calendar ? addDaysInRange(at, amount * (unit === "w" ? 7 : 1), timezone, op, names) : at + delta;
  return checkedRange(result, `"${op}"`, names);
}

/* The exact-day estimate keeps huge values away from Intl; the caller checks the result exactly. */
function addDaysInRange(at: number, days: number, timezone: string, op: string, names: FieldNames): number {
  const estimate = at + days * DAY_MS;
  if (estimate < -2 * DAY_MS || estimate > MAX_INSTANT + 2 * DAY_MS) checkedRange(estimate, `"${op}"`, names);
  return addCalendarDays(at, days, timezone);
}

function checkedRange(at: number, what: string, names: FieldNames): number {
  if (!(at >= 0 && at <= MAX_INSTANT)) {
    fail(`${names.value}: ${what} gives a time outside 1970-01-01T00:00:00Z … 9999-12-31T23:59:59.999Z.`);
  }
  return at;
}

function fail(message: string): never {
  throw new InvalidInputError("invalid_scheduled_at", message);
}
