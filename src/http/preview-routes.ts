import { Hono } from "hono";
import { InvalidInputError } from "../errors.js";
import { CronSchedule } from "../schedule/cron.js";
import { type FireTime, MAX_PREVIEW_COUNT, previewFireTimes } from "../schedule/dst-preview.js";
import { parseScheduledAt } from "../schedule/scheduled-at.js";
import { instantToWallMs } from "../schedule/zoned-time.js";
import type { AppDeps, AppEnv } from "./context.js";
import { bearerOrTtrKey } from "./request-parts.js";

const DEFAULT_PREVIEW_COUNT = 10;

/**
 * `GET /preview`: what a `ttr-scheduled-at` (with `ttr-timezone`) resolves to — the instant of a
 * one-shot, or the next fire times of a `cron(…)` with their DST marks — read by the same parser
 * as `/schedule`, so it answers the same 400s. Nothing is stored.
 */
export function previewRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/preview", async (c) => {
    await deps.auth.authenticate(bearerOrTtrKey((n) => c.req.header(n)));
    const scheduledAt = c.req.query("scheduledAt");
    if (scheduledAt === undefined) {
      throw new InvalidInputError("invalid_query", "scheduledAt is required: a ttr-scheduled-at value such as cron(0 9 * * *).");
    }
    const timezone = c.req.query("timezone") ?? null;
    const count = countOf(c.req.query("count"));
    const now = deps.clock.now();
    const when = parseScheduledAt(scheduledAt, { now, timezone });
    if (when.kind === "once") {
      const zone = timezone ?? "UTC";
      return c.json({ kind: "once", scheduledAt: iso(when.at), timezone: zone, local: localIso(when.at, zone) });
    }
    const from = fromOf(c.req.query("from"), now, timezone);
    const schedule = CronSchedule.parse(when.expr, when.tz);
    return c.json({
      kind: "cron",
      cron: when.expr,
      timezone: when.tz,
      pattern: schedule.isWallClock ? "wall-clock" : "cadence",
      from: iso(from),
      fireTimes: previewFireTimes(schedule, from, count).map((fire) => fireTimeView(fire, when.tz)),
    });
  });

  return app;
}

function countOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PREVIEW_COUNT;
  const count = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(count >= 1 && count <= MAX_PREVIEW_COUNT)) {
    throw new InvalidInputError("invalid_query", `count must be a whole number from 1 to ${MAX_PREVIEW_COUNT}.`);
  }
  return count;
}

/** `from`: where the fire times start (default now), in the one-shot grammar of ttr-scheduled-at. */
function fromOf(raw: string | undefined, now: number, timezone: string | null): number {
  if (raw === undefined) return now;
  const from = parseScheduledAt(raw, { now, timezone });
  if (from.kind !== "once") throw new InvalidInputError("invalid_query", "from must be an instant (an ISO-8601 time or now | add …), not cron(…).");
  return from.at;
}

/** One fire time as JSON: the instant, the wall time with its offset in the zone, and its DST mark. */
function fireTimeView(fire: FireTime, tz: string) {
  const base = { at: iso(fire.at), local: localIso(fire.at, tz) };
  switch (fire.dst) {
    case null:
      return { ...base, dst: null };
    case "gap":
      return { ...base, dst: "gap", wallTime: wallIso(fire.wallMs), shiftMs: fire.shiftMs };
    case "overlap":
      return { ...base, dst: "overlap", pass: fire.pass, firesOnBothPasses: fire.bothPasses };
    case "skipped":
      return { ...base, dst: "skipped", skipped: { count: fire.count, first: wallIso(fire.firstWallMs), last: wallIso(fire.lastWallMs) } };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** A wall time (ms read as if UTC) without offset: "2026-03-29T02:30:00". */
const wallIso = (wallMs: number): string => iso(wallMs).slice(0, 19);

/** The wall time of `instant` in `tz` with its UTC offset: "2026-03-29T03:30:00+02:00". */
function localIso(instant: number, tz: string): string {
  const wallMs = instantToWallMs(instant, tz);
  const offsetMinutes = Math.round((wallMs - instant) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${wallIso(wallMs)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
