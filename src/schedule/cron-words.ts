/*
 * A cron expression in words, for the common forms: every N minutes or hours, at fixed times,
 * on weekdays, weekends, named days of the week, days of the month, months, and the nicknames.
 * Anything else (ranges of hours, steps on days, croner's L W # extensions, a day-of-month AND a
 * day-of-week, which cron ORs) is returned as the expression itself: never a wrong sentence.
 * Pure; it assumes an expression CronSchedule.parse accepted.
 */

const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "every year on 1 January at 00:00",
  "@annually": "every year on 1 January at 00:00",
  "@monthly": "on day 1 of every month at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour, on the hour",
};
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** `expr` in words ("every 15 minutes on weekdays", "every day at 09:00"), or `expr` itself when it is not a common form. */
export function describeCron(expr: string): string {
  const trimmed = expr.trim();
  const nickname = NICKNAMES[trimmed.toLowerCase()];
  if (nickname !== undefined) return nickname;
  let fields = trimmed.split(/\s+/);
  if (fields.length === 6) {
    if (fields[0] !== "0") return trimmed;
    fields = fields.slice(1);
  }
  if (fields.length !== 5) return trimmed;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const time = timePart(minute, hour);
  const days = dayPart(dom, dow);
  const months = monthPart(month);
  if (time === null || days === null || months === null) return trimmed;
  const parts = time.repeats || days !== "" ? [time.text, days, months] : ["every day", time.text, months];
  return parts.filter((part) => part !== "").join(" ");
}

/** The minute and hour fields: a repeating rhythm ("every 15 minutes") or fixed times ("at 09:00 and 17:30"). */
function timePart(minute: string, hour: string): { text: string; repeats: boolean } | null {
  const minutes = numbers(minute, 0, 59);
  const hours = numbers(hour, 0, 23);
  if (minute === "*" && hour === "*") return { text: "every minute", repeats: true };
  const minuteStep = step(minute, 60);
  if (minuteStep !== null && hour === "*") return { text: minuteStep === 1 ? "every minute" : `every ${minuteStep} minutes`, repeats: true };
  if (minutes === null) return null;
  if (hour === "*") return { text: minutes.length === 1 ? (minutes[0] === 0 ? "every hour, on the hour" : `every hour at minute ${minutes[0]}`) : `every hour at minutes ${list(minutes.map(String))}`, repeats: true };
  const hourStep = step(hour, 24);
  if (hourStep !== null && minutes.length === 1) return { text: `every ${hourStep === 1 ? "hour" : `${hourStep} hours`} at minute ${minutes[0]}`, repeats: true };
  if (hours === null || hours.length * minutes.length > 6) return null;
  const times = hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`));
  return { text: `at ${list(times)}`, repeats: false };
}

/** The day fields: "" for every day, else "on weekdays", "on Monday and Friday", "on day 1 of the month"; null when not a common form. */
function dayPart(dom: string, dow: string): string | null {
  const anyDom = dom === "*" || dom === "?";
  const anyDow = dow === "*" || dow === "?";
  if (anyDom && anyDow) return "";
  if (!anyDom && !anyDow) return null;
  if (!anyDom) {
    const days = numbers(dom, 1, 31);
    if (days === null) return null;
    return days.length === 1 ? `on day ${days[0]} of the month` : `on days ${list(days.map(String))} of the month`;
  }
  const weekdays = weekdaysOf(dow);
  if (weekdays === null) return null;
  const set = [...new Set(weekdays.map((d) => d % 7))].sort((a, b) => a - b);
  if (set.join() === "1,2,3,4,5") return "on weekdays";
  if (set.join() === "0,6") return "on weekends";
  if (set.length === 7) return "";
  return `on ${list(set.map((d) => DAYS[d] as string))}`;
}

function monthPart(month: string): string | null {
  if (month === "*") return "";
  const months = numbers(replaceNames(month, MONTH_NAMES, 1), 1, 12);
  return months === null ? null : `in ${list(months.map((m) => MONTHS[m - 1] as string))}`;
}

/** Day-of-week numbers (0–7, 7 is Sunday) from a list, a range or names. */
function weekdaysOf(field: string): number[] | null {
  const text = replaceNames(field, DAY_NAMES, 0);
  const range = /^(\d)-(\d)$/.exec(text);
  if (range !== null) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (from > to || to > 7) return null;
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  return numbers(text, 0, 7);
}

function replaceNames(field: string, names: readonly string[], first: number): string {
  return field.toUpperCase().replace(/[A-Z]{3}/g, (name) => {
    const index = names.indexOf(name);
    return index === -1 ? name : String(index + first);
  });
}

/** A plain number or comma list of numbers in [min, max], in order; null for anything else. */
function numbers(field: string, min: number, max: number): number[] | null {
  if (!/^\d+(,\d+)*$/.test(field)) return null;
  const values = field.split(",").map(Number);
  if (values.some((v) => v < min || v > max)) return null;
  return [...new Set(values)].sort((a, b) => a - b);
}

/** N of `*\/N` (or `0/N`) when N divides `cycle` (60 minutes, 24 hours): only then is it truly "every N". */
function step(field: string, cycle: number): number | null {
  const match = /^(?:\*|0)\/(\d+)$/.exec(field);
  if (match === null) return null;
  const n = Number(match[1]);
  return n >= 1 && n < cycle && cycle % n === 0 ? n : null;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const pad = (n: number): string => String(n).padStart(2, "0");
