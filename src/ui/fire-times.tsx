import { CronSchedule } from "../schedule/cron.js";
import { type FireTime, previewFireTimes } from "../schedule/dst-preview.js";
import { formatDuration } from "./format.js";
import { Time } from "./components.js";
import { zonedWall } from "./timeline.js";

/**
 * The next `count` fire times of a cron schedule with their DST marks: from `first` (a pending
 * tick, itself included) or else strictly after `now`. The same rule as `GET /preview`.
 */
export function nextFires(cronExpr: string, tz: string, first: number | null, now: number, count: number): FireTime[] {
  return previewFireTimes(CronSchedule.parse(cronExpr, tz), first === null ? now : first - 1, count);
}

/** What daylight saving time does to one fire time, in words; null when nothing. */
export function dstNote(fire: FireTime): string | null {
  const wall = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  switch (fire.dst) {
    case null:
      return null;
    case "gap":
      return `DST: ${wall(fire.wallMs)} does not exist that day; fires ${formatDuration(fire.shiftMs)} later`;
    case "overlap":
      return fire.bothPasses
        ? `DST: the hour repeats; this is pass ${fire.pass} of 2`
        : "DST: the hour repeats; fires once, on the first pass";
    case "skipped":
      return `DST: ${fire.count} ${fire.count === 1 ? "time" : "times"} skipped (${wall(fire.firstWallMs)}${fire.count > 1 ? `–${wall(fire.lastWallMs)}` : ""} do not exist)`;
  }
}

/** A table of fire times: in the schedule's zone (with its offset), in the viewer's, and the DST mark. */
export function FireTimesTable(props: { fires: readonly FireTime[]; tz: string; testId: string }) {
  return (
    <div class="scroll">
      <table data-testid={props.testId}>
        <thead>
          <tr>
            <th scope="col">In {props.tz}</th>
            <th scope="col">Your time (UTC on hover)</th>
            <th scope="col">Daylight saving</th>
          </tr>
        </thead>
        <tbody>
          {props.fires.map((fire) => {
            const note = dstNote(fire);
            return (
              <tr class={note === null ? undefined : "dst"}>
                <td class="mono">{zonedWall(fire.at, props.tz)}</td>
                <td>
                  <Time ms={fire.at} />
                </td>
                <td>{note === null ? <span class="muted">—</span> : <strong data-testid="dst-mark">{note}</strong>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
