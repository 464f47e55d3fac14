import type { Hono } from "hono";
import type { VirtualTime } from "../dispatch/virtual-time.js";
import { ConflictError, InvalidInputError } from "../errors.js";
import { parseScheduledAt } from "../schedule/scheduled-at.js";
import type { AppDeps, AppEnv } from "./context.js";
import { readJsonObject } from "./json-body.js";

/** `advanceBy`: a whole number of seconds, minutes, hours, days or weeks, as in `ttr-scheduled-at`'s `add`. */
const ADVANCE_BY = /^\+?\s*(\d{1,12})\s*(s|m|h|d|w)$/i;

/**
 * The virtual clock's routes, on the admin API (`HOURGLASS_CLOCK=manual` only): `GET /admin/clock`
 * reads it; `POST /admin/clock` with `{"advanceBy": "3d"}` or `{"set": "<instant>", "timezone"?}`
 * moves it and answers once everything due on the way has fired, in due order.
 */
export function clockRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get("/admin/clock", (c) => {
    const time = requireVirtual(deps.virtualTime);
    return c.json({ mode: "manual", now: new Date(time.now()).toISOString() });
  });

  app.post("/admin/clock", async (c) => {
    const time = requireVirtual(deps.virtualTime);
    const body = await readJsonObject(c, deps.limits.maxJsonBodyBytes);
    const target = targetOf(body, time.now());
    if (target < time.now()) {
      throw new InvalidInputError("clock_backwards", `The virtual clock is at ${new Date(time.now()).toISOString()} and never goes back.`);
    }
    const { now, attempts } = await time.advanceTo(target);
    return c.json({ mode: "manual", now: new Date(now).toISOString(), attempts });
  });
}

function requireVirtual(time: VirtualTime | null): VirtualTime {
  if (time === null) {
    throw new ConflictError("clock_not_manual", "Hourglass runs on real time; start it with HOURGLASS_CLOCK=manual to move its clock (tests only).");
  }
  return time;
}

/** The instant a move asks for: `advanceBy` from now, or `set` in the `ttr-scheduled-at` grammar (no cron). */
function targetOf(body: Record<string, unknown>, now: number): number {
  const fields = Object.keys(body);
  const unknown = fields.filter((k) => !["advanceBy", "set", "timezone"].includes(k));
  if (unknown.length > 0) throw new InvalidInputError("invalid_body", `Unknown field ${unknown.join(", ")}; send advanceBy, or set (and timezone).`);
  if (("advanceBy" in body) === ("set" in body)) throw new InvalidInputError("invalid_body", 'Send exactly one of "advanceBy" (e.g. "3d") and "set" (an instant).');
  if ("advanceBy" in body) {
    const match = typeof body.advanceBy === "string" ? ADVANCE_BY.exec(body.advanceBy.trim()) : null;
    if (match === null) throw new InvalidInputError("invalid_body", '"advanceBy" is a whole number of s, m, h, d or w, e.g. "90s" or "3d".');
    return parseInstant(`now | add ${match[1]}${match[2]}`, now, null);
  }
  if (typeof body.set !== "string") throw new InvalidInputError("invalid_body", '"set" is an instant as in ttr-scheduled-at, e.g. "2027-01-01T09:00:00Z".');
  if (body.timezone !== undefined && typeof body.timezone !== "string") throw new InvalidInputError("invalid_body", '"timezone" is an IANA zone name.');
  return parseInstant(body.set, now, (body.timezone as string | undefined) ?? null);
}

function parseInstant(value: string, now: number, timezone: string | null): number {
  const when = parseScheduledAt(value, { now, timezone });
  if (when.kind !== "once") throw new InvalidInputError("invalid_body", '"set" is one instant, not a cron() schedule.');
  return when.at;
}
