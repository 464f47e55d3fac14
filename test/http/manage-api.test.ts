import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { isValidSigningSecret } from "../../src/dispatch/webhook-signature.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

describe("manage API (in-process, manual clock, dispatcher off)", () => {
  let hg: TestHourglass;

  const call = (path: string, init: RequestInit = {}, key = API_KEY) =>
    hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
  const schedule = (headers: Record<string, string>) =>
    hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": "https://example.com/hook", ...headers },
    });

  beforeEach(async () => {
    hg = await startHourglass({ clock: new ManualClock(T0), dispatch: false });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("pauses and resumes a generator with PATCH, validating the body", async () => {
    const { triggerId } = await json(schedule({ "ttr-scheduled-at": "cron(@hourly)" }));
    const paused = await json(call(`/generators/${triggerId}`, { method: "PATCH", body: '{"paused":true}' }));
    expect(paused).toMatchObject({ status: "paused", nextAt: null });
    const resumed = await json(call(`/generators/${triggerId}`, { method: "PATCH", body: '{"paused":false}' }));
    expect(resumed).toMatchObject({ status: "active", nextAt: "2026-03-01T13:00:00.000Z" });

    for (const body of ["", "[]", '{"paused":"yes"}', '{"paused":true,"x":1}', "{not json"]) {
      const res = await call(`/generators/${triggerId}`, { method: "PATCH", body });
      expect(res.status).toBe(400);
      expect((await json(res)).error).toBe("invalid_body");
    }
    expect((await call(`/generators/${triggerId}`, { method: "PATCH", body: '{"paused":true}' }, OTHER_API_KEY)).status).toBe(404);
    expect((await call("/generators/01ARZ3NDEKTSV4RRFFQ69G5FAV", { method: "PATCH", body: '{"paused":true}' })).status).toBe(404);
  });

  it("runs a generator now, and answers 410 once it is cancelled", async () => {
    const { triggerId } = await json(schedule({ "ttr-scheduled-at": "cron(@daily)" }));
    const run = await json(call(`/generators/${triggerId}/run`, { method: "POST" }));
    expect(run).toEqual({ triggerId: expect.any(String), scheduledAt: "2026-03-01T12:00:00.000Z" });
    const instance = await json(call(`/triggers/${run.triggerId}`));
    expect(instance).toMatchObject({ kind: "generator", generatorId: triggerId, status: "registered" });
    await hg.service.app.request("/cancel", { method: "DELETE", headers: { "ttr-api-key": API_KEY, "ttr-trigger-id": triggerId } });
    expect((await call(`/generators/${triggerId}/run`, { method: "POST" })).status).toBe(410);
  });

  it("replays only executed triggers", async () => {
    const { triggerId } = await json(schedule({ "ttr-scheduled-at": "now | add 1h" }));
    const early = await call(`/triggers/${triggerId}/replay`, { method: "POST" });
    expect(early.status).toBe(409);
    expect((await json(early)).error).toBe("trigger_not_executed");
    expect((await call(`/triggers/${triggerId}/replay`, { method: "POST" }, OTHER_API_KEY)).status).toBe(404);
    expect((await call("/triggers/nope/replay", { method: "POST" })).status).toBe(404);
  });

  it("rotates the signing secret: two secrets sign until the previous one is dropped", async () => {
    const first = await json(call("/signing-secret", { method: "POST" }));
    expect(isValidSigningSecret(first.secret)).toBe(true);
    expect(first.signingWith).toBe(1);
    const second = await json(call("/signing-secret", { method: "POST" }));
    expect(second.signingWith).toBe(2);
    expect(await hg.service.store.getSigningSecrets(hg.projectId)).toEqual([second.secret, first.secret]);
    expect((await call("/signing-secret/previous", { method: "DELETE" })).status).toBe(204);
    expect(await hg.service.store.getSigningSecrets(hg.projectId)).toEqual([second.secret]);
    expect((await call("/signing-secret", { method: "DELETE" })).status).toBe(204);
    expect(await hg.service.store.getSigningSecrets(hg.projectId)).toEqual([]);
    expect(await hg.service.store.getSigningSecrets(hg.otherProjectId)).toEqual([]);
    expect((await hg.service.app.request("/signing-secret", { method: "POST" })).status).toBe(401);
  });

  it("exposes Prometheus metrics, including event-loop delay", async () => {
    await schedule({ "ttr-scheduled-at": "now | add 1h" });
    const res = await hg.service.app.request("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('hourglass_schedules_total{operation="schedule",kind="job"} 1');
    expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
    expect(text).toContain("hourglass_deliveries_in_flight 0");
    // The committed /schedule is in the write-ahead log (checkpoints copy it, never shrink the file).
    expect(Number(/^hourglass_sqlite_wal_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
