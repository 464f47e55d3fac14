import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ADMIN = "admin-token-for-tests-0123456789";
// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

/** A project's delivery defaults: set through the admin API, applied by both front doors when a request does not say. */
describe("project defaults", () => {
  let hg: TestHourglass;

  const admin = (path: string, init: RequestInit = {}) =>
    hg.service.app.request(path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } });
  const patchDefaults = (defaults: Json, extra: Json = {}, projectId = hg.projectId) =>
    admin(`/admin/projects/${projectId}`, { method: "PATCH", body: JSON.stringify({ defaults, ...extra }) });
  const schedule = async (headers: Record<string, string> = {}, key = API_KEY) => {
    const res = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": "https://example.com/hook", "ttr-scheduled-at": "now | add 1h", ...headers },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  };
  const triggerOf = (id: string, key = API_KEY) => json(hg.service.app.request(`/triggers/${id}`, { headers: { authorization: `Bearer ${key}` } }));
  const deliveryOf = async (id: string, key = API_KEY) => {
    const { retries, retryDelayMs, timeoutMs, callbackUrl, failureUrl } = await triggerOf(id, key);
    return { retries, retryDelayMs, timeoutMs, callbackUrl, failureUrl };
  };

  beforeEach(async () => {
    hg = await startHourglass({ clock: new ManualClock(T0), dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN } });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("are set, shown and removed through PATCH /admin/projects/:id", async () => {
    const none = { retries: null, retryDelayMs: null, timeoutMs: null, callbackUrl: null, failureUrl: null };
    const listed = await json(admin("/admin/projects"));
    expect(listed.projects.find((p: Json) => p.id === hg.projectId).defaults).toEqual(none);

    const res = await patchDefaults({ retries: 5, retryDelay: "2m", timeout: 45, callbackUrl: "https://example.com/done", failureUrl: "https://example.com/failed" });
    expect(res.status).toBe(200);
    expect((await json(res)).defaults).toEqual({
      retries: 5,
      retryDelayMs: 120_000,
      timeoutMs: 45_000,
      callbackUrl: "https://example.com/done",
      failureUrl: "https://example.com/failed",
    });
    // Fields left out stay; null removes one.
    const removed = await json(patchDefaults({ retries: null, failureUrl: null }));
    expect(removed.defaults).toEqual({ retries: null, retryDelayMs: 120_000, timeoutMs: 45_000, callbackUrl: "https://example.com/done", failureUrl: null });
  });

  it("are validated like the headers, URLs egress-checked (with the PATCH's own allowlist)", async () => {
    const refused = async (defaults: Json, code: string, message: RegExp, extra: Json = {}) => {
      const res = await patchDefaults(defaults, extra);
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.error).toBe(code);
      expect(body.message).toMatch(message);
    };
    await refused({ retries: 21 }, "invalid_retries", /defaults\.retries "21" must be a whole number from 0 to 20/);
    await refused({ retryDelay: "2d" }, "invalid_retry_delay", /defaults\.retryDelay/);
    await refused({ timeout: "50ms" }, "invalid_timeout", /defaults\.timeout/);
    await refused({ callbackUrl: "ftp://example.com/" }, "invalid_url", /defaults\.callbackUrl/);
    await refused({ failureUrl: "http://10.1.2.3/hook" }, "egress_blocked", /defaults\.failureUrl/);
    await refused({ retries: true }, "invalid_body", /defaults\.retries must be a number or a string/);
    await refused({ callbackUrl: 5 }, "invalid_body", /defaults\.callbackUrl must be a string/);
    await refused({ colour: "blue" }, "invalid_body", /Unknown field defaults\.colour/);
    await refused([], "invalid_body", /defaults must be an object/);
    // Nothing was stored by the refusals.
    expect((await json(admin("/admin/projects"))).projects.find((p: Json) => p.id === hg.projectId).defaults.retries).toBeNull();
    const allowed = await patchDefaults({ failureUrl: "http://10.1.2.3/hook" }, { allowedTargets: ["10.1.2.3"] });
    expect(allowed.status).toBe(200);
    expect((await json(allowed)).defaults.failureUrl).toBe("http://10.1.2.3/hook");
  });

  it("apply to /schedule when the request does not say; per-trigger values override; other projects keep the server's", async () => {
    const server = hg.config.delivery;
    const before = await schedule();
    expect(await deliveryOf(before.triggerId)).toEqual({ ...server, callbackUrl: null, failureUrl: null });

    expect((await patchDefaults({ retries: 7, retryDelay: "30s", timeout: "2m", callbackUrl: "https://example.com/done", failureUrl: "https://example.com/failed" })).status).toBe(200);
    // The change is seen at once: the cached defaults were dropped.
    const defaulted = await schedule();
    expect(await deliveryOf(defaulted.triggerId)).toEqual({
      retries: 7,
      retryDelayMs: 30_000,
      timeoutMs: 120_000,
      callbackUrl: "https://example.com/done",
      failureUrl: "https://example.com/failed",
    });
    const own = await schedule({ "ttr-retries": "1", "ttr-timeout": "5s", "ttr-callback-url": "https://example.com/mine" });
    expect(await deliveryOf(own.triggerId)).toEqual({
      retries: 1,
      retryDelayMs: 30_000,
      timeoutMs: 5_000,
      callbackUrl: "https://example.com/mine",
      failureUrl: "https://example.com/failed",
    });
    const generator = await schedule({ "ttr-scheduled-at": "cron(@daily)" });
    const view = await json(hg.service.app.request(`/generators/${generator.triggerId}`, { headers: { authorization: `Bearer ${API_KEY}` } }));
    expect(view).toMatchObject({ retries: 7, retryDelayMs: 30_000, timeoutMs: 120_000, callbackUrl: "https://example.com/done" });

    const other = await schedule({}, OTHER_API_KEY);
    expect(await deliveryOf(other.triggerId, OTHER_API_KEY)).toEqual({ ...server, callbackUrl: null, failureUrl: null });
  });

  it("apply to the JSON API when the body does not say", async () => {
    expect((await patchDefaults({ retries: 0, failureUrl: "https://example.com/failed" })).status).toBe(200);
    const post = (body: Json) =>
      json(hg.service.app.request("/triggers", { method: "POST", headers: { authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(body) }));
    const defaulted = await post({ url: "https://example.com/hook", scheduledAt: "now | add 1h" });
    expect(await deliveryOf(defaulted.triggerId)).toMatchObject({ retries: 0, failureUrl: "https://example.com/failed", timeoutMs: hg.config.delivery.timeoutMs });
    const own = await post({ url: "https://example.com/hook", scheduledAt: "now | add 1h", retries: 4, failureUrl: "https://example.com/mine" });
    expect(await deliveryOf(own.triggerId)).toMatchObject({ retries: 4, failureUrl: "https://example.com/mine" });
  });
});
