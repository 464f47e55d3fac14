import { describe, expect, it } from "vitest";
import { describeCron } from "../../src/schedule/cron-words.js";

describe("describeCron", () => {
  it.each([
    ["* * * * *", "every minute"],
    ["*/15 * * * *", "every 15 minutes"],
    ["0/5 * * * *", "every 5 minutes"],
    ["*/10 * * * 1-5", "every 10 minutes on weekdays"],
    ["0 * * * *", "every hour, on the hour"],
    ["5 * * * *", "every hour at minute 5"],
    ["0,30 * * * *", "every hour at minutes 0 and 30"],
    ["15 */6 * * *", "every 6 hours at minute 15"],
    ["0 9 * * *", "every day at 09:00"],
    ["30 2 * * *", "every day at 02:30"],
    ["0 9,17 * * *", "every day at 09:00 and 17:00"],
    ["0 9 * * 1-5", "at 09:00 on weekdays"],
    ["0 9 * * MON-FRI", "at 09:00 on weekdays"],
    ["0 10 * * 0,6", "at 10:00 on weekends"],
    ["0 10 * * 6,7", "at 10:00 on weekends"],
    ["0 8 * * 1", "at 08:00 on Monday"],
    ["0 8 * * mon,fri", "at 08:00 on Monday and Friday"],
    ["0 0 1 * *", "at 00:00 on day 1 of the month"],
    ["0 12 1,15 * *", "at 12:00 on days 1 and 15 of the month"],
    ["0 0 1 1 *", "at 00:00 on day 1 of the month in January"],
    ["0 6 * 3,9 *", "every day at 06:00 in March and September"],
    ["0 30 9 * * *", "every day at 09:30"],
    ["@daily", "every day at 00:00"],
    ["@hourly", "every hour, on the hour"],
    ["@weekly", "every Sunday at 00:00"],
    ["@monthly", "on day 1 of every month at 00:00"],
    ["@yearly", "every year on 1 January at 00:00"],
  ])("%s → %s", (expr, words) => {
    expect(describeCron(expr)).toBe(words);
  });

  it.each([
    "*/7 * * * *", // 56 → 0 is not every 7 minutes
    "0 8-18 * * *",
    "0 0 L * *",
    "0 0 * * 5#2",
    "0 0 13 * 5", // day-of-month OR day-of-week
    "30 * * * * *", // seconds other than 0
    "0 0,2,4,6,8,10,12 * * *", // too many times to list
  ])("%s is shown as itself", (expr) => {
    expect(describeCron(expr)).toBe(expr);
  });
});
