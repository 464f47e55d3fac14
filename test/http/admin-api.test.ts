import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ADMIN = "admin-token-for-tests-0123456789";
// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

describe("admin API, quotas and rate limits", () => {
  let hg: TestHourglass;
  let clock: ManualClock;

  const admin = (path: string, init: RequestInit = {}, token = ADMIN) =>
    hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const schedule = (key: string, headers: Record<string, string> = {}) =>
    hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": "https://example.com/hook", "ttr-scheduled-at": "now | add 1h", ...headers },
    });
  const newProject = async (name = "acme") => json(admin("/admin/projects", { method: "POST", body: JSON.stringify({ name }) }));

  beforeEach(async () => {
    clock = new ManualClock(T0);
    hg = await startHourglass({ clock, dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN } });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("is closed without the right token, and off without HOURGLASS_ADMIN_TOKEN", async () => {
    expect((await admin("/admin/projects", {}, "wrong-token-wrong-token-wrong")).status).toBe(401);
    expect((await hg.service.app.request("/admin/projects")).status).toBe(401);
    const off = await startHourglass({ dispatch: false });
    try {
      const res = await off.service.app.request("/admin/projects", { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(404);
      expect((await json(res)).error).toBe("admin_disabled");
    } finally {
      await off.close();
    }
  });

  it("creates a project with a key shown once; keys are listed by prefix and revoked at once", async () => {
    const created = await newProject();
    expect(created.project).toMatchObject({ name: "acme", monthQuota: null, rateLimit: null, usedThisMonth: 0 });
    expect(created.apiKey.key).toMatch(/^hg_[A-Za-z0-9_-]{32}$/);
    expect((await schedule(created.apiKey.key)).status).toBe(200);

    const second = await json(admin(`/admin/projects/${created.project.id}/keys`, { method: "POST" }));
    const listed = await json(admin(`/admin/projects/${created.project.id}/keys`));
    expect(listed.keys.map((k: Json) => k.prefix)).toEqual([created.apiKey.prefix, second.prefix]);
    expect(JSON.stringify(listed)).not.toContain(created.apiKey.key);

    expect((await admin(`/admin/keys/${created.apiKey.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await schedule(created.apiKey.key)).status).toBe(401);
    expect((await schedule(second.key)).status).toBe(200);
    expect((await admin(`/admin/keys/${created.apiKey.id}`, { method: "DELETE" })).status).toBe(410);
    expect((await admin("/admin/keys/01ARZ3NDEKTSV4RRFFQ69G5FAV", { method: "DELETE" })).status).toBe(404);
  });

  it("validates admin input", async () => {
    expect((await admin("/admin/projects", { method: "POST", body: "{}" })).status).toBe(400);
    const { project } = await newProject();
    for (const body of ['{"monthQuota":-1}', '{"rateLimit":0}', '{"monthQuota":"10"}', '{"colour":"red"}']) {
      expect((await admin(`/admin/projects/${project.id}`, { method: "PATCH", body })).status).toBe(400);
    }
    expect((await admin("/admin/projects/01ARZ3NDEKTSV4RRFFQ69G5FAV", { method: "PATCH", body: "{}" })).status).toBe(404);
  });

  it("counts instances against the monthly quota: 402 past it, edits still allowed, reset next month", async () => {
    const { project, apiKey } = await newProject();
    await admin(`/admin/projects/${project.id}`, { method: "PATCH", body: '{"monthQuota":2}' });
    const first = await json(schedule(apiKey.key, { "ttr-custom-key": "k" }));
    expect(first.monthQuotaRemaining).toBe(1);
    expect((await json(schedule(apiKey.key))).monthQuotaRemaining).toBe(0);
    const refused = await schedule(apiKey.key);
    expect(refused.status).toBe(402);
    expect((await hg.service.store.listTriggers(project.id, {}, { limit: 10 })).items).toHaveLength(2);
    expect(await json(refused)).toMatchObject({ error: "quota_exceeded", message: expect.stringContaining("2026-12-01") });
    // Editing an existing trigger creates no instance.
    const edit = await json(schedule(apiKey.key, { "ttr-custom-key": "k", "ttr-scheduled-at": "now | add 2h" }));
    expect(edit).toMatchObject({ operation: "reschedule", monthQuotaRemaining: 0 });
    const projects = await json(admin("/admin/projects"));
    expect(projects.projects.find((p: Json) => p.id === project.id)).toMatchObject({ monthQuota: 2, usedThisMonth: 2 });

    clock.set(Date.UTC(2026, 11, 1));
    expect((await json(schedule(apiKey.key))).monthQuotaRemaining).toBe(1);
    // Without a quota the field is null.
    expect((await json(schedule(API_KEY))).monthQuotaRemaining).toBeNull();
  });

  it("rate-limits /schedule and /cancel per project with 429 and Retry-After; other projects are unaffected", async () => {
    const { project, apiKey } = await newProject();
    await admin(`/admin/projects/${project.id}`, { method: "PATCH", body: '{"rateLimit":2}' });
    expect((await schedule(apiKey.key)).status).toBe(200);
    expect((await schedule(apiKey.key)).status).toBe(200);
    const limited = await schedule(apiKey.key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await json(limited)).error).toBe("rate_limited");
    const cancel = await hg.service.app.request("/cancel", { method: "DELETE", headers: { "ttr-api-key": apiKey.key, "ttr-custom-key": "x" } });
    expect(cancel.status).toBe(429);
    expect((await schedule(API_KEY)).status).toBe(200);
    expect((await hg.service.store.listTriggers(project.id, {}, { limit: 10 })).items).toHaveLength(2);

    clock.advance(1000);
    expect((await schedule(apiKey.key)).status).toBe(200);
  });

  it("keeps projects apart: another project's ids and keys are 404 and its trigger is untouched", async () => {
    const mine = await json(schedule(API_KEY, { "ttr-custom-key": "shared" }));
    const { apiKey } = await newProject("intruder");
    const intruder = apiKey.key;
    const asIntruder = (path: string, init: RequestInit = {}) =>
      hg.service.app.request(path, { ...init, headers: { "ttr-api-key": intruder, ...init.headers } });
    expect((await asIntruder(`/triggers/${mine.triggerId}`)).status).toBe(404);
    expect((await json(asIntruder("/triggers"))).triggers).toEqual([]);
    expect((await json(asIntruder("/executions"))).executions).toEqual([]);
    expect((await asIntruder("/cancel", { method: "DELETE", headers: { "ttr-trigger-id": mine.triggerId } })).status).toBe(404);
    expect((await asIntruder("/cancel", { method: "DELETE", headers: { "ttr-custom-key": "shared" } })).status).toBe(404);
    expect((await schedule(intruder, { "ttr-trigger-id": mine.triggerId })).status).toBe(404);
    expect((await asIntruder(`/triggers/${mine.triggerId}/replay`, { method: "POST" })).status).toBe(404);
    const reuse = await json(schedule(intruder, { "ttr-custom-key": "shared" }));
    expect(reuse.operation).toBe("schedule");
    expect(reuse.triggerId).not.toBe(mine.triggerId);
    expect(await hg.service.store.getTrigger(hg.projectId, mine.triggerId)).toMatchObject({
      status: "registered",
      url: "https://example.com/hook",
      scheduledAt: T0 + 3_600_000,
    });
  });

  it("rotates a project's signing secret through the admin API", async () => {
    const { project } = await newProject();
    const rotated = await json(admin(`/admin/projects/${project.id}/signing-secret`, { method: "POST" }));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(await hg.service.store.getSigningSecrets(project.id)).toEqual([rotated.secret]);
    expect((await admin("/admin/projects/01ARZ3NDEKTSV4RRFFQ69G5FAV/signing-secret", { method: "POST" })).status).toBe(404);
  });
});
