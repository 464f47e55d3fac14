import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/schedule/cron.js";
import { type FireTime, previewFireTimes } from "../../src/schedule/dst-preview.js";

const iso = (t: number): string => new Date(t).toISOString();
const wall = (t: number): string => new Date(t).toISOString().slice(0, 19);

/** A fire time as one readable line: instant, then the DST mark and its details. */
function describeFire(fire: FireTime): string {
  switch (fire.dst) {
    case null:
      return iso(fire.at);
    case "gap":
      return `${iso(fire.at)} gap ${wall(fire.wallMs)} +${fire.shiftMs / 60_000}m`;
    case "overlap":
      return `${iso(fire.at)} overlap pass ${fire.pass}${fire.bothPasses ? " (both)" : ""}`;
    case "skipped":
      return `${iso(fire.at)} skipped ${fire.count}: ${wall(fire.firstWallMs)}…${wall(fire.lastWallMs)}`;
  }
}

function preview(expr: string, tz: string, from: string, count: number): string[] {
  return previewFireTimes(CronSchedule.parse(expr, tz), Date.parse(from), count).map(describeFire);
}

describe("previewFireTimes", () => {
  it("gives exactly the ticks nextAfter gives, unmarked away from any transition", () => {
    expect(preview("0 9 * * 1-5", "Europe/Paris", "2026-06-05T12:00:00Z", 3)).toEqual([
      "2026-06-08T07:00:00.000Z",
      "2026-06-09T07:00:00.000Z",
      "2026-06-10T07:00:00.000Z",
    ]);
  });

  describe("Europe/Paris (±1 h at 02:00 CET → 03:00 CEST, 03:00 CEST → 02:00 CET)", () => {
    it("spring: a wall-clock time in the gap moves forward by the gap", () => {
      expect(preview("30 2 * * *", "Europe/Paris", "2026-03-27T12:00:00Z", 3)).toEqual([
        "2026-03-28T01:30:00.000Z",
        "2026-03-29T01:30:00.000Z gap 2026-03-29T02:30:00 +60m",
        "2026-03-30T00:30:00.000Z",
      ]);
    });

    it("spring: a cadence skips the wall times that vanished", () => {
      expect(preview("*/30 * * * *", "Europe/Paris", "2026-03-29T00:15:00Z", 3)).toEqual([
        "2026-03-29T00:30:00.000Z",
        "2026-03-29T01:00:00.000Z skipped 2: 2026-03-29T02:00:00…2026-03-29T02:30:00",
        "2026-03-29T01:30:00.000Z",
      ]);
    });

    it("autumn: a wall-clock time in the overlap fires once, on the first pass", () => {
      expect(preview("30 2 * * *", "Europe/Paris", "2026-10-24T12:00:00Z", 2)).toEqual([
        "2026-10-25T00:30:00.000Z overlap pass 1",
        "2026-10-26T01:30:00.000Z",
      ]);
    });

    it("autumn: a cadence fires on both passes", () => {
      expect(preview("*/30 * * * *", "Europe/Paris", "2026-10-24T23:45:00Z", 6)).toEqual([
        "2026-10-25T00:00:00.000Z overlap pass 1 (both)",
        "2026-10-25T00:30:00.000Z overlap pass 1 (both)",
        "2026-10-25T01:00:00.000Z overlap pass 2 (both)",
        "2026-10-25T01:30:00.000Z overlap pass 2 (both)",
        "2026-10-25T02:00:00.000Z",
        "2026-10-25T02:30:00.000Z",
      ]);
    });
  });

  describe("America/New_York (02:00 EST → 03:00 EDT, 02:00 EDT → 01:00 EST)", () => {
    it("spring: gap for a wall-clock time, skipped hour for an hourly cadence", () => {
      expect(preview("15 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2)).toEqual([
        "2026-03-08T07:15:00.000Z gap 2026-03-08T02:15:00 +60m",
        "2026-03-09T06:15:00.000Z",
      ]);
      expect(preview("@hourly", "America/New_York", "2026-03-08T06:30:00Z", 2)).toEqual([
        "2026-03-08T07:00:00.000Z skipped 1: 2026-03-08T02:00:00…2026-03-08T02:00:00",
        "2026-03-08T08:00:00.000Z",
      ]);
    });

    it("autumn: 01:30 fires once for a wall-clock time, twice for a cadence", () => {
      expect(preview("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2)).toEqual([
        "2026-11-01T05:30:00.000Z overlap pass 1",
        "2026-11-02T06:30:00.000Z",
      ]);
      expect(preview("30 * * * *", "America/New_York", "2026-11-01T05:00:00Z", 3)).toEqual([
        "2026-11-01T05:30:00.000Z overlap pass 1 (both)",
        "2026-11-01T06:30:00.000Z overlap pass 2 (both)",
        "2026-11-01T07:30:00.000Z",
      ]);
    });
  });

  describe("Australia/Sydney (southern hemisphere: 02:00 AEST → 03:00 AEDT in October, 03:00 AEDT → 02:00 AEST in April)", () => {
    it("spring (October): gap", () => {
      expect(preview("0 2 * * *", "Australia/Sydney", "2026-10-03T12:00:00Z", 2)).toEqual([
        "2026-10-03T16:00:00.000Z gap 2026-10-04T02:00:00 +60m",
        "2026-10-04T15:00:00.000Z",
      ]);
    });

    it("autumn (April): overlap for both kinds of pattern", () => {
      expect(preview("30 2 * * *", "Australia/Sydney", "2026-04-04T00:00:00Z", 2)).toEqual([
        "2026-04-04T15:30:00.000Z overlap pass 1",
        "2026-04-05T16:30:00.000Z",
      ]);
      expect(preview("30 * * * *", "Australia/Sydney", "2026-04-04T15:00:00Z", 2)).toEqual([
        "2026-04-04T15:30:00.000Z overlap pass 1 (both)",
        "2026-04-04T16:30:00.000Z overlap pass 2 (both)",
      ]);
    });
  });

  describe("Australia/Lord_Howe (a 30-minute shift: 02:00 LHST → 02:30 LHDT, 02:00 LHDT → 01:30 LHST)", () => {
    it("spring (October): a 30-minute gap", () => {
      expect(preview("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00Z", 2)).toEqual([
        "2026-10-03T15:45:00.000Z gap 2026-10-04T02:15:00 +30m",
        "2026-10-04T15:15:00.000Z",
      ]);
      expect(preview("*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T15:20:00Z", 2)).toEqual([
        "2026-10-03T15:30:00.000Z skipped 2: 2026-10-04T02:00:00…2026-10-04T02:15:00",
        "2026-10-03T15:45:00.000Z",
      ]);
    });

    it("autumn (April): a 30-minute overlap", () => {
      expect(preview("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2)).toEqual([
        "2026-04-04T14:45:00.000Z overlap pass 1",
        "2026-04-05T15:15:00.000Z",
      ]);
      expect(preview("45 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 3)).toEqual([
        "2026-04-04T14:45:00.000Z overlap pass 1 (both)",
        "2026-04-04T15:15:00.000Z overlap pass 2 (both)",
        "2026-04-04T16:15:00.000Z",
      ]);
    });
  });
});
