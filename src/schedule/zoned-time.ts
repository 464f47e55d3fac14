/**
 * Wall-clock time in IANA zones, independent of the host's `TZ`. All instants are epoch ms.
 *
 * A "wall time" is the reading of a clock on the wall in a zone. Mapping it to an instant
 * follows one rule everywhere in Hourglass (it is Temporal's `"compatible"` disambiguation):
 * a wall time inside a DST gap moves forward by the length of the gap, and a wall time that
 * occurs twice (an overlap) takes the first, earlier occurrence.
 */

const DAY_MS = 86_400_000;

/** A calendar date and time of day as read in some zone. `month` is 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/*
 * One formatter per zone, keyed by the lowercased name: Intl accepts any case, and keying by
 * the raw client-supplied string would let case variants grow the cache without bound.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  const key = tz.toLowerCase();
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * True for an IANA zone name Node's ICU knows (`Europe/Paris`, `America/New_York`, `UTC`,
 * `Etc/GMT+5`), case-insensitively. Bare offsets such as `+01:00` are not zone names.
 */
export function isValidTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return false;
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

/** Epoch ms of a wall time read as if it were UTC: a plain number that orders wall times. */
export function wallTimeToUtcMs(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

/** `format()` of the en-US formatter above: "3/29/2026 AD, 02:30:00". */
const FORMATTED = /^(\d+)\/(\d+)\/(\d+) ([AB])[A-Z]*,? (\d+):(\d+):(\d+)$/;

/*
 * `format()` plus a regex is about three times faster than `formatToParts()`; the parts are the
 * fallback should a future ICU change the en-US layout.
 */
function readWallFields(instant: number, tz: string): WallTime {
  const formatter = formatterFor(tz);
  const millisecond = ((instant % 1000) + 1000) % 1000;
  const match = FORMATTED.exec(formatter.format(instant));
  if (match !== null) {
    const [, month, day, year, era, hour, minute, second] = match;
    return {
      year: era === "B" ? 1 - Number(year) : Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second),
      millisecond,
    };
  }
  return readWallFieldsFromParts(formatter.formatToParts(instant), millisecond);
}

function readWallFieldsFromParts(parts: Intl.DateTimeFormatPart[], millisecond: number): WallTime {
  const value = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value ?? 0);
  const beforeChrist = parts.some((part) => part.type === "era" && part.value.startsWith("B"));
  const year = value("year");
  return {
    year: beforeChrist ? 1 - year : year,
    month: value("month"),
    day: value("day"),
    hour: value("hour"),
    minute: value("minute"),
    second: value("second"),
    millisecond,
  };
}

/**
 * The wall time of `instant` in `tz`, as ms read as if UTC (see {@link wallTimeToUtcMs}).
 * Throws a RangeError for an unknown zone.
 */
export function instantToWallMs(instant: number, tz: string): number {
  return wallTimeToUtcMs(readWallFields(instant, tz));
}

/** The wall time of `instant` in `tz`. */
export function instantToWallTime(instant: number, tz: string): WallTime {
  return readWallFields(instant, tz);
}

/** UTC offset of `tz` at `instant`, in ms (positive east of Greenwich). */
export function offsetAt(instant: number, tz: string): number {
  return instantToWallMs(instant, tz) - instant;
}

/**
 * The instant of a wall time given as ms read as if UTC. Gap: forward by the gap length.
 * Overlap: the first occurrence. Both candidate offsets come from a day either side, which is
 * wider than any real transition and narrower than the gap between two of them.
 */
export function wallMsToInstant(wallMs: number, tz: string): number {
  const offsetBefore = offsetAt(wallMs - DAY_MS, tz);
  const offsetAfter = offsetAt(wallMs + DAY_MS, tz);
  const early = wallMs - offsetBefore;
  if (offsetBefore === offsetAfter) return early;
  if (instantToWallMs(early, tz) === wallMs) return early;
  const late = wallMs - offsetAfter;
  if (instantToWallMs(late, tz) === wallMs) return late;
  return early;
}

/**
 * The instant a wall time in `tz` denotes. A wall time in a DST gap moves forward by the gap
 * (Europe/Paris 2026-03-29 02:30 → 03:30 CEST = 01:30Z); one that occurs twice takes the first
 * occurrence (Europe/Paris 2026-10-25 02:30 → 02:30 CEST = 00:30Z).
 */
export function wallTimeToInstant(wall: WallTime, tz: string): number {
  return wallMsToInstant(wallTimeToUtcMs(wall), tz);
}

/**
 * The same wall-clock time `days` calendar days after (or before, when negative) `instant`
 * in `tz`, mapped back with the gap/overlap rules of {@link wallTimeToInstant}. Zero days
 * returns `instant` unchanged, even when it is the second occurrence of a repeated time.
 */
export function addCalendarDays(instant: number, days: number, tz: string): number {
  if (days === 0) return instant;
  return wallMsToInstant(instantToWallMs(instant, tz) + days * DAY_MS, tz);
}
