import { describe, expect, it } from "vitest";
import { API_KEY } from "../support/hourglass.js";
import { deliveryHarness } from "../support/delivery-harness.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;

/** ttr-max-runs and ttr-ends-at end to end: a real target, a real SQLite file, a manual clock. */
describe("generators that end", () => {
  const h = deliveryHarness(T0);

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await h.hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...init.headers } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const schedule = (headers: Record<string, string>) =>
    call("/schedule", { method: "POST", headers: { "ttr-api-key": API_KEY, "ttr-url": `${h.target.url}/tick`, ...headers } });
  /** Moves the clock to each minute in turn and waits for the attempts due then. */
  const runMinutes = async (minutes: number, attemptsEach: (minute: number) => number) => {
    for (let minute = 1; minute <= minutes; minute++) {
      const before = h.attempts.events.length;
      h.clock.set(T0 + minute * 60_000);
      await h.attempts.waitForCount(before + attemptsEach(minute));
    }
  };

  it("ttr-max-runs: 2 ticks fire and it ends; a run-now instance does not count", async () => {
    const { body: created } = await schedule({ "ttr-scheduled-at": "cron(* * * * *)", "ttr-max-runs": "2" });
    expect((await call(`/generators/${created.triggerId}/run`, { method: "POST" })).status).toBe(200);
    await h.attempts.waitForCount(1);
    await runMinutes(3, (minute) => (minute <= 2 ? 1 : 0));
    expect(h.attempts.events.map((e) => [e.claim.origin, e.claim.scheduledAt - T0])).toEqual([
      ["run", 0],
      ["tick", 60_000],
      ["tick", 120_000],
    ]);
    const { body: generator } = await call(`/generators/${created.triggerId}`);
    expect(generator).toMatchObject({
      status: "cancelled",
      maxRuns: 2,
      runs: 2,
      endsAt: null,
      nextAt: null,
      pendingTriggerId: null,
      endReason: "ended: ttr-max-runs reached (2 runs)",
    });
    expect(h.target.received).toHaveLength(3);
  });

  it("ttr-ends-at: ticks up to the end fire, then it ends; editable by re-posting", async () => {
    const { body: created } = await schedule({ "ttr-scheduled-at": "cron(* * * * *)", "ttr-custom-key": "k", "ttr-ends-at": "now | add 1m" });
    expect((await call(`/generators/${created.triggerId}`)).body).toMatchObject({ endsAt: "2026-11-23T12:01:00.000Z", runs: 0 });
    // Pushed back by a re-post with the same key: two ticks in all.
    const edited = await schedule({ "ttr-scheduled-at": "cron(* * * * *)", "ttr-custom-key": "k", "ttr-ends-at": "2026-11-23T12:02:00Z" });
    expect(edited.body).toMatchObject({ operation: "reschedule", triggerId: created.triggerId });
    await runMinutes(3, (minute) => (minute <= 2 ? 1 : 0));
    expect(h.attempts.events.map((e) => e.claim.scheduledAt - T0)).toEqual([60_000, 120_000]);
    expect((await call(`/generators/${created.triggerId}`)).body).toMatchObject({
      status: "cancelled",
      runs: 2,
      endReason: "ended: ttr-ends-at reached (2026-11-23T12:02:00.000Z)",
    });
  });

  it("answers 400s: on a one-shot, malformed, or ending before the first tick", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ "ttr-scheduled-at": "now | add 1h", "ttr-max-runs": "3" }, "invalid_max_runs"],
      [{ "ttr-scheduled-at": "now | add 1h", "ttr-ends-at": "now | add 1d" }, "invalid_ends_at"],
      [{ "ttr-scheduled-at": "cron(@hourly)", "ttr-max-runs": "none" }, "invalid_max_runs"],
      [{ "ttr-scheduled-at": "cron(@hourly)", "ttr-ends-at": "soon" }, "invalid_ends_at"],
      [{ "ttr-scheduled-at": "cron(@hourly)", "ttr-ends-at": "now | add 59m" }, "invalid_ends_at"],
    ];
    for (const [headers, code] of cases) {
      const { status, body } = await schedule(headers);
      expect([status, body.error], JSON.stringify(headers)).toEqual([400, code]);
    }
  });
});
