import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";

const ADMIN_TOKEN = "admin-token-for-the-virtual-clock-tests";
/** Friday 2026-03-27 08:00 UTC (09:00 in Paris), two days before Paris moves to summer time. */
const T0 = Date.UTC(2026, 2, 27, 8);

describe("the virtual clock (HOURGLASS_CLOCK=manual)", () => {
  let hg: TestHourglass;
  let target: TargetServer;

  beforeEach(async () => {
    target = await startTargetServer();
    hg = await startHourglass({
      clock: new ManualClock(T0),
      random: () => 0.5,
      env: { HOURGLASS_CLOCK: "manual", HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN },
    });
  });
  afterEach(async () => {
    await hg.close();
    await target.close();
  });

  const schedule = async (path: string, scheduledAt: string, extra: Record<string, string> = {}) => {
    const response = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": `${target.url}${path}`, "ttr-scheduled-at": scheduledAt, ...extra },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { triggerId: string; scheduledAt: string };
  };
  const clock = (body?: object) =>
    hg.service.app.request("/admin/clock", {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it("fires everything due in the three days it is moved by, in due order, before answering", async () => {
    let flakyCalls = 0;
    target.respondWith((req, res) => {
      if (req.url === "/flaky" && flakyCalls++ === 0) res.writeHead(500).end("not yet");
      else res.end("ok");
    });
    await schedule("/once", "now | add 3d");
    await schedule("/daily", "cron(0 9 * * *, Europe/Paris)");
    await schedule("/flaky", "now | add 1h", { "ttr-retries": "2", "ttr-retry-delay": "10m" });
    expect(target.received).toEqual([]);

    const moved = await clock({ advanceBy: "3d" });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toEqual({ mode: "manual", now: "2026-03-30T08:00:00.000Z", attempts: 6 });
    // Everything has arrived by the time the call answered, in due order.
    expect(target.received.map((r) => r.url)).toEqual(["/flaky", "/flaky", "/daily", "/daily", "/daily", "/once"]);

    // Each attempt started at its due instant of the virtual clock: 09:00 in Paris across the change.
    const executions = await hg.service.store.listExecutions(hg.projectId, {}, { limit: 50 });
    const started = executions.items.map((e) => new Date(e.startedAt).toISOString()).sort();
    expect(started.slice(2)).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
      "2026-03-30T08:00:00.000Z",
    ]);
    expect(started[0]).toBe("2026-03-27T09:00:00.000Z");

    // `now` is the virtual time.
    expect((await schedule("/later", "now")).scheduledAt).toBe("2026-03-30T08:00:00.000Z");
  });

  it("sets the clock to an instant, reads it, and never moves it back", async () => {
    await schedule("/at", "2026-04-01T12:00:00Z");
    const set = await clock({ set: "2026-04-01T14:00:00", timezone: "Europe/Paris" });
    expect(await set.json()).toEqual({ mode: "manual", now: "2026-04-01T12:00:00.000Z", attempts: 1 });
    expect(target.received.map((r) => r.url)).toEqual(["/at"]);
    expect(await (await clock()).json()).toEqual({ mode: "manual", now: "2026-04-01T12:00:00.000Z" });

    const back = await clock({ set: "2026-03-01T00:00:00Z" });
    expect(back.status).toBe(400);
    expect(await back.json()).toMatchObject({ error: "clock_backwards" });
    for (const bad of [{ advanceBy: "3 days" }, { advanceBy: "1d", set: "now" }, {}, { set: "cron(* * * * *)" }, { advanceBy: 5 }]) {
      const refused = await clock(bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe("the clock routes on real time", () => {
  it("answers 409 clock_not_manual", async () => {
    const hg = await startHourglass({ dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN } });
    try {
      const response = await hg.service.app.request("/admin/clock", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ error: "clock_not_manual" });
    } finally {
      await hg.close();
    }
  });
});
