import { Cron } from "croner";
import { InvalidInputError } from "../errors.js";
import { instantToWallMs, isValidTimeZone, offsetAt, wallMsToInstant } from "./zoned-time.js";

const DAY_MS = 86_400_000;

const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIXED_FIELD = /^\d+(?:,\d+)*$/;

/**
 * A validated cron expression in an IANA zone. Immutable; build it once with {@link CronSchedule.parse}
 * and call {@link CronSchedule.nextAfter} as often as needed.
 *
 * Syntax: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, or one
 * of `@yearly @annually @monthly @weekly @daily @midnight @hourly`. Day-of-month and day-of-week
 * combine with OR, as in Vixie cron; croner's extensions (`L`, `W`, `#`, `+`) are accepted.
 *
 * DST contract. A pattern whose second, minute and hour fields are plain numbers or lists of
 * numbers (`30 2 * * *`, `0 9,17 * * 1-5`, `@daily`) names *wall-clock times*: each matching
 * wall time fires exactly once, at the instant {@link wallMsToInstant} gives it: in a gap it is
 * shifted forward by the gap (Paris 02:30 on 2026-03-29 fires at 03:30 CEST), in an overlap it
 * fires at the first occurrence. Any other pattern (a `*`, `?`, step or range in those fields:
 * `*\/30 * * * *`, `@hourly`, `0 8-18 * * *`) is a *cadence*: it fires at every real instant
 * whose wall time matches, so it runs through both passes of a repeated hour and skips wall
 * times that do not exist, keeping its rhythm in real time.
 */
export class CronSchedule {
  /** The expression as given, trimmed. */
  readonly expr: string;
  /** The IANA zone the expression is read in. */
  readonly tz: string;
  readonly #wallTimes: Cron;
  readonly #cadence: Cron | null;

  private constructor(expr: string, tz: string, wallTimes: Cron, cadence: Cron | null) {
    this.expr = expr;
    this.tz = tz;
    this.#wallTimes = wallTimes;
    this.#cadence = cadence;
  }

  /**
   * Validates `expr` in zone `tz`. Throws InvalidInputError `invalid_cron` for a malformed
   * expression or an unknown zone, `cron_never_fires` for one that matches no date
   * (`0 0 30 2 *`).
   */
  static parse(expr: string, tz: string): CronSchedule {
    const trimmed = expr.trim();
    if (!isValidTimeZone(tz)) {
      throw new InvalidInputError("invalid_cron", `The cron time zone "${tz}" is not a known IANA time zone.`);
    }
    const fields = splitFields(trimmed);
    const pattern = fields.join(" ");
    const wallTimes = buildCron(trimmed, pattern, { utcOffset: 0 });
    if (wallTimes.nextRun(new Date(0)) === null) {
      throw new InvalidInputError("cron_never_fires", `The cron expression "${trimmed}" never matches any date.`);
    }
    const cadence = isFixedTime(fields) ? null : buildCron(trimmed, pattern, { timezone: tz });
    return new CronSchedule(trimmed, tz, wallTimes, cadence);
  }

  /** The first tick strictly after `after` (epoch ms), or `null` when there is none before year 10000. */
  nextAfter(after: number): number | null {
    if (this.#cadence !== null) return this.#cadence.nextRun(new Date(after))?.getTime() ?? null;
    return this.#nextWallTime(after)?.at ?? null;
  }

  /** True for a wall-clock pattern (fixed second/minute/hour fields), false for a cadence (see the class comment). */
  get isWallClock(): boolean {
    return this.#cadence === null;
  }

  /**
   * The tick {@link nextAfter} gives, with the wall time (ms read as if UTC) the pattern matched:
   * for a wall-clock pattern that wall time may lie in a gap, so the tick fires later than it.
   */
  nextFireAfter(after: number): { at: number; wallMs: number } | null {
    if (this.#cadence === null) return this.#nextWallTime(after);
    const at = this.nextAfter(after);
    return at === null ? null : { at, wallMs: instantToWallMs(at, this.tz) };
  }

  /** The first wall time (ms read as if UTC) the pattern matches strictly after `afterWallMs`, whether or not it exists in the zone. */
  nextMatchingWall(afterWallMs: number): number | null {
    return this.#nextWall(afterWallMs);
  }

  /*
   * Wall times are enumerated in wall-clock order from a croner instance at UTC offset 0. The
   * mapping to instants is monotonic except inside a gap, where a shifted wall time lands up to
   * one gap length after the instants of wall times that follow the gap. Hence the search starts
   * one gap early (the smaller of the offsets now and a day ago), and a hit inside a gap is only
   * final once the next gap-length of wall times has been checked for an earlier instant.
   */
  #nextWallTime(after: number): { at: number; wallMs: number } | null {
    const startWall = after + Math.min(offsetAt(after, this.tz), offsetAt(after - DAY_MS, this.tz));
    let best: { at: number; wallMs: number } | null = null;
    let searchUntil = Number.POSITIVE_INFINITY;
    let wall = this.#nextWall(startWall);
    while (wall !== null && wall < searchUntil) {
      const instant = wallMsToInstant(wall, this.tz);
      if (instant > after && (best === null || instant < best.at)) {
        best = { at: instant, wallMs: wall };
        const shift = instantToWallMs(instant, this.tz) - wall;
        if (shift === 0) return best;
        searchUntil = Math.min(searchUntil, wall + shift);
      }
      wall = this.#nextWall(wall);
    }
    return best;
  }

  #nextWall(afterWall: number): number | null {
    return this.#wallTimes.nextRun(new Date(afterWall))?.getTime() ?? null;
  }
}

function splitFields(expr: string): string[] {
  if (expr.startsWith("@")) {
    const expansion = NICKNAMES[expr.toLowerCase()];
    if (expansion === undefined) {
      throw new InvalidInputError(
        "invalid_cron",
        `The cron nickname "${expr}" is not supported; use one of ${Object.keys(NICKNAMES).join(", ")}.`,
      );
    }
    return expansion.split(" ");
  }
  const fields = expr === "" ? [] : expr.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidInputError(
      "invalid_cron",
      `The cron expression "${expr}" has ${fields.length} fields; expected 5 (minute hour day month weekday) or 6 (second first).`,
    );
  }
  return fields;
}

function isFixedTime(fields: string[]): boolean {
  const timeFields = fields.length === 6 ? fields.slice(0, 3) : fields.slice(0, 2);
  return timeFields.every((field) => FIXED_FIELD.test(field));
}

function buildCron(expr: string, pattern: string, zone: { timezone: string } | { utcOffset: 0 }): Cron {
  try {
    return new Cron(pattern, { ...zone, paused: true, mode: "5-or-6-parts" });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, "") : "";
    throw new InvalidInputError("invalid_cron", `The cron expression "${expr}" is invalid: ${reason}`, { cause: error });
  }
}
