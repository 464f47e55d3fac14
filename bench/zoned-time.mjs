// Wall time in a zone → instant, as `/schedule` needs it for `ttr-scheduled-at: 2026-03-29T02:30`
// with `ttr-timezone`: Hourglass's own arithmetic (src/schedule/zoned-time.ts, through the real
// parser) against date-fns-tz's fromZonedTime, on the same strings, in the same run, rounds
// interleaved. Also counts where the two disagree on the DST rules the README states (a time in a
// gap moves forward by the gap; a repeated time takes its first occurrence).
//
//   npm run build && npm install --prefix bench --no-package-lock date-fns-tz@3.2.0 date-fns@4
//   node bench/zoned-time.mjs [conversions=1000000] [rounds=3]
//
// (date-fns-tz is no dependency of Hourglass; bench/ installs it only for this comparison.)
import { performance } from "node:perf_hooks";
import { fromZonedTime } from "date-fns-tz";
import { parseScheduledAt } from "../dist/schedule/scheduled-at.js";

const conversions = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 3);
const ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"];

/** 1,200 wall times over 2026, every zone, some inside DST gaps and overlaps (02:xx on transition days). */
const inputs = [];
for (let i = 0; i < 200; i++) {
  const day = new Date(Date.UTC(2026, 0, 1) + i * 1.83 * 86_400_000);
  const text = `${day.toISOString().slice(0, 10)}T0${i % 4}:${String((i * 7) % 60).padStart(2, "0")}:${String((i * 13) % 60).padStart(2, "0")}.${String(i % 1000).padStart(3, "0")}`;
  for (const zone of ZONES) inputs.push({ text, zone });
}

const hourglass = ({ text, zone }) => parseScheduledAt(text, { now: 0, timezone: zone }).at;
const dateFnsTz = ({ text, zone }) => fromZonedTime(text, zone).getTime();

function run(convert) {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < conversions; i++) sink += convert(inputs[i % inputs.length]) & 1;
  const ms = performance.now() - start;
  if (sink < 0) console.log(sink);
  return (ms * 1e6) / conversions;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
run(hourglass);
run(dateFnsTz);
const timings = { hourglass: [], dateFnsTz: [] };
for (let round = 0; round < rounds; round++) {
  timings.hourglass.push(run(hourglass));
  timings.dateFnsTz.push(run(dateFnsTz));
}

const DST_CASES = [
  ["2026-03-29T02:30:00.000", "Europe/Paris", "2026-03-29T01:30:00.000Z"],
  ["2026-10-25T02:30:00.000", "Europe/Paris", "2026-10-25T00:30:00.000Z"],
  ["2026-03-08T02:30:00.000", "America/New_York", "2026-03-08T07:30:00.000Z"],
  ["2026-11-01T01:30:00.000", "America/New_York", "2026-11-01T05:30:00.000Z"],
  ["2026-10-04T02:15:00.000", "Australia/Lord_Howe", "2026-10-03T15:45:00.000Z"],
  ["2026-04-05T01:45:00.000", "Australia/Lord_Howe", "2026-04-04T14:45:00.000Z"],
];
const wrong = (convert) =>
  DST_CASES.filter(([text, zone, expected]) => new Date(convert({ text, zone })).toISOString() !== expected).length;
const disagreements = inputs.filter((input) => hourglass(input) !== dateFnsTz(input)).length;

const h = median(timings.hourglass);
const d = median(timings.dateFnsTz);
console.log(`node ${process.version}, TZ=${process.env.TZ ?? "(unset)"}, ${conversions} conversions x ${rounds} rounds, interleaved`);
console.log(`hourglass parseScheduledAt (zoned-time.ts): ${h.toFixed(0)} ns/conversion (rounds: ${timings.hourglass.map((t) => t.toFixed(0)).join(", ")})`);
console.log(`date-fns-tz fromZonedTime:                  ${d.toFixed(0)} ns/conversion (rounds: ${timings.dateFnsTz.map((t) => t.toFixed(0)).join(", ")})`);
console.log(`date-fns-tz / hourglass: ${(d / h).toFixed(2)}x`);
console.log(`README DST rule cases wrong: hourglass ${wrong(hourglass)}/${DST_CASES.length}, date-fns-tz ${wrong(dateFnsTz)}/${DST_CASES.length}`);
console.log(`inputs where the two disagree: ${disagreements}/${inputs.length}`);
