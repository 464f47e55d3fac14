import { CronSchedule } from "../schedule/cron.js";
import { instantToWallMs, offsetAt } from "../schedule/zoned-time.js";
import type { GeneratorRecord, TriggerRecord } from "../store/types.js";

const HOUR_MS = 3_600_000;

/** One fire on the timeline. */
export interface Fire {
  at: number;
  /** The trigger that will fire, when it exists already; null for a generator tick still to be materialized. */
  triggerId: string | null;
  generatorId: string | null;
  title: string | null;
  method: string;
  url: string;
}

/**
 * The fires due in [`from`, `until`): the registered triggers (`upcoming`, which hold each active
 * generator's pending tick), and the ticks each active generator will materialize after its
 * pending one, from its cron expression — at most `perGenerator` each.
 */
export function firesBetween(
  upcoming: readonly TriggerRecord[],
  generators: readonly GeneratorRecord[],
  from: number,
  until: number,
  perGenerator: number,
): Fire[] {
  const fires: Fire[] = upcoming.map((t) => ({ at: t.scheduledAt, triggerId: t.id, generatorId: t.generatorId, title: t.title, method: t.method, url: t.url }));
  for (const generator of generators) {
    if (generator.status !== "active" || generator.nextAt === null) continue;
    const cron = CronSchedule.parse(generator.cronExpr, generator.cronTz);
    let at = cron.nextAfter(Math.max(generator.nextAt, from - 1));
    for (let n = 0; at !== null && at < until && n < perGenerator; n++) {
      if (at >= from) fires.push({ at, triggerId: null, generatorId: generator.id, title: generator.title, method: generator.method, url: generator.url });
      at = cron.nextAfter(at);
    }
  }
  return fires.sort((a, b) => a.at - b.at);
}

/** How many fires fall in each of the `hours` hours from `from`. */
export function firesPerHour(fires: readonly Fire[], from: number, hours: number): number[] {
  const counts = new Array<number>(hours).fill(0);
  for (const fire of fires) {
    const index = Math.floor((fire.at - from) / HOUR_MS);
    if (index >= 0 && index < hours) counts[index] = (counts[index] as number) + 1;
  }
  return counts;
}

/** `instant` as a wall time in `tz` with its UTC offset: `2026-03-29 03:30:00 +02:00`. */
export function zonedWall(instant: number, tz: string): string {
  const offset = offsetAt(instant, tz);
  const abs = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? "-" : "+";
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${new Date(instantToWallMs(instant, tz)).toISOString().slice(0, 19).replace("T", " ")} ${sign}${hhmm}`;
}
