import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 28, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;

describe("GET /preview (in-process, manual clock)", () => {
  let hg: TestHourglass;

  const preview = async (query: Record<string, string>, key: string | null = API_KEY) => {
    const res = await hg.service.app.request(`/preview?${new URLSearchParams(query).toString()}`, {
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const schedule = async (headers: Record<string, string>) => {
    const res = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": "https://example.com/hook", ...headers },
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeEach(async () => {
    hg = await startHourglass({ clock: new ManualClock(T0), dispatch: false });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("resolves a one-shot from the virtual now, with its wall time in the zone", async () => {
    const { status, body } = await preview({ scheduledAt: "now | add 1d", timezone: "Europe/Paris" });
    expect(status).toBe(200);
    // Calendar day across the spring change: 13:00 CET → 13:00 CEST, 23 h later.
    expect(body).toEqual({
      kind: "once",
      scheduledAt: "2026-03-29T11:00:00.000Z",
      timezone: "Europe/Paris",
      local: "2026-03-29T13:00:00+02:00",
    });
    const scheduled = await schedule({ "ttr-scheduled-at": "now | add 1d", "ttr-timezone": "Europe/Paris" });
    expect(scheduled.body.scheduledAt).toBe(body.scheduledAt);
  });

  it("lists the next fire times of a cron with their DST marks, starting where /schedule starts", async () => {
    const { status, body } = await preview({ scheduledAt: "cron(30 2 * * *, Europe/Paris)", count: "2" });
    expect(status).toBe(200);
    expect(body).toEqual({
      kind: "cron",
      cron: "30 2 * * *",
      timezone: "Europe/Paris",
      pattern: "wall-clock",
      from: "2026-03-28T12:00:00.000Z",
      fireTimes: [
        { at: "2026-03-29T01:30:00.000Z", local: "2026-03-29T03:30:00+02:00", dst: "gap", wallTime: "2026-03-29T02:30:00", shiftMs: 3_600_000 },
        { at: "2026-03-30T00:30:00.000Z", local: "2026-03-30T02:30:00+02:00", dst: null },
      ],
    });
    const scheduled = await schedule({ "ttr-scheduled-at": "cron(30 2 * * *, Europe/Paris)" });
    expect(scheduled.body.scheduledAt).toBe(body.fireTimes[0].at);
  });

  it("marks skipped and doubled wall times of a cadence, from a chosen start, in ttr-timezone", async () => {
    const spring = await preview({ scheduledAt: "cron(0 * * * *)", timezone: "America/New_York", from: "2026-03-08T01:30", count: "2" });
    expect(spring.body.pattern).toBe("cadence");
    expect(spring.body.fireTimes).toEqual([
      { at: "2026-03-08T07:00:00.000Z", local: "2026-03-08T03:00:00-04:00", dst: "skipped", skipped: { count: 1, first: "2026-03-08T02:00:00", last: "2026-03-08T02:00:00" } },
      { at: "2026-03-08T08:00:00.000Z", local: "2026-03-08T04:00:00-04:00", dst: null },
    ]);
    const autumn = await preview({ scheduledAt: "cron(30 * * * *, Australia/Lord_Howe)", from: "2026-04-04T14:00:00Z", count: "2" });
    expect(autumn.body.fireTimes).toEqual([
      { at: "2026-04-04T14:30:00.000Z", local: "2026-04-05T01:30:00+11:00", dst: "overlap", pass: 1, firesOnBothPasses: true },
      { at: "2026-04-04T15:00:00.000Z", local: "2026-04-05T01:30:00+10:30", dst: "overlap", pass: 2, firesOnBothPasses: true },
    ]);
  });

  it("answers 1,000 fire times at most, 10 by default", async () => {
    expect((await preview({ scheduledAt: "cron(* * * * *)" })).body.fireTimes).toHaveLength(10);
    expect((await preview({ scheduledAt: "cron(* * * * *)", count: "1000" })).body.fireTimes).toHaveLength(1000);
    for (const count of ["0", "1001", "ten", "-1", "1.5"]) {
      const { status, body } = await preview({ scheduledAt: "cron(* * * * *)", count });
      expect(status).toBe(400);
      expect(body.error).toBe("invalid_query");
    }
  });

  it("answers the same 400 codes as /schedule for the same bad values", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ scheduledAt: "tomorrow" }, "invalid_scheduled_at"],
      [{ scheduledAt: "cron(61 * * * *)" }, "invalid_cron"],
      [{ scheduledAt: "cron(0 0 30 2 *)" }, "cron_never_fires"],
      [{ scheduledAt: "cron(0 9 * * *, Mars/Olympus)" }, "invalid_timezone"],
      [{ scheduledAt: "2026-04-01T09:00", timezone: "Nowhere/Town" }, "invalid_timezone"],
    ];
    for (const [query, code] of cases) {
      const previewed = await preview(query);
      const headers: Record<string, string> = { "ttr-scheduled-at": query.scheduledAt ?? "" };
      if (query.timezone !== undefined) headers["ttr-timezone"] = query.timezone;
      const scheduled = await schedule(headers);
      expect([previewed.status, previewed.body.error]).toEqual([400, code]);
      expect([scheduled.status, scheduled.body.error]).toEqual([400, code]);
    }
    expect((await preview({})).body.error).toBe("invalid_query");
    expect((await preview({ scheduledAt: "cron(@daily)", from: "cron(@hourly)" })).body.error).toBe("invalid_query");
  });

  it("needs an API key", async () => {
    expect((await preview({ scheduledAt: "now" }, null)).status).toBe(401);
    expect((await preview({ scheduledAt: "now" }, "hg_not_a_key_at_all_000000")).status).toBe(401);
  });
});
