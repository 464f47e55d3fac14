import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { maxScheduleJsonBytes } from "../../src/http/json-schedule.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const HOOK = "https://example.com/hook";

// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

describe("JSON API (in-process, manual clock, dispatcher off)", () => {
  let hg: TestHourglass;

  const call = (method: string, path: string, body?: unknown, key = API_KEY) =>
    hg.service.app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const schedule = (headers: Record<string, string>, body?: string) =>
    hg.service.app.request("/schedule", { method: "POST", headers: { "ttr-api-key": API_KEY, ...headers }, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => json(hg.service.app.request(`${path}${path.includes("?") ? "&" : "?"}reveal=headers`, { headers: { "ttr-api-key": API_KEY } }));

  beforeEach(async () => {
    hg = await startHourglass({
      clock: new ManualClock(T0),
      dispatch: false,
      env: { HOURGLASS_MAX_BODY_BYTES: "64", HOURGLASS_MAX_HEADER_COUNT: "20", HOURGLASS_ALLOWED_TARGETS: "" },
    });
  });
  afterEach(async () => {
    await hg.close();
  });

  describe("POST /triggers", () => {
    it("stores what /schedule would: method, headers in order with duplicates, body bytes, delivery policy", async () => {
      const res = await call("POST", "/triggers", {
        url: HOOK,
        method: "PUT",
        headers: [["X-Dup", "1"], ["Connection", "close"], ["x-dup", "2"], ["Host", "evil.example"], ["Content-Type", "text/plain"]],
        bodyBase64: Buffer.from([0xff, 0x00, 0x7b]).toString("base64"),
        scheduledAt: "now | add 10s",
        title: "nightly",
        tags: ["a", " b ", "a"],
        retries: 5,
        retryDelay: "2m",
        timeout: 20,
        callbackUrl: "https://example.com/done",
      });
      expect(res.status).toBe(201);
      const answer = await json(res);
      expect(answer).toEqual({ triggerId: expect.stringMatching(ULID), scheduledAt: "2026-03-01T12:00:10.000Z", operation: "schedule", kind: "job", monthQuotaRemaining: null });
      const trigger = await get(`/triggers/${answer.triggerId}`);
      expect(trigger).toMatchObject({
        method: "PUT",
        url: HOOK,
        headers: [["X-Dup", "1"], ["x-dup", "2"], ["Content-Type", "text/plain"]],
        bodyBase64: "/wB7",
        title: "nightly",
        tags: ["a", "b"],
        retries: 5,
        retryDelayMs: 120_000,
        timeoutMs: 20_000,
        callbackUrl: "https://example.com/done",
      });
    });

    it("accepts headers as an object and a text body, defaults to POST, and stores no body for GET", async () => {
      const post = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", headers: { "Content-Type": "application/json" }, body: '{"é":1}' }));
      expect(await get(`/triggers/${post.triggerId}`)).toMatchObject({ method: "POST", headers: [["Content-Type", "application/json"]], bodyBase64: Buffer.from('{"é":1}').toString("base64") });
      const getTrigger = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", method: "GET" }));
      expect(await get(`/triggers/${getTrigger.triggerId}`)).toMatchObject({ method: "GET", bodySize: 0, bodyBase64: null });
      const refused = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now", method: "GET", body: "x" });
      expect((await json(refused)).error).toBe("invalid_body");
    });

    it("reads times with the ttr-scheduled-at grammar, zone and DST rules", async () => {
      const gap = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "2026-03-29T02:30", timezone: "Europe/Paris" }));
      expect(gap.scheduledAt).toBe("2026-03-29T01:30:00.000Z");
      const calendar = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "2026-03-28T09:00:00+01:00 | add 1d", timezone: "Europe/Paris" }));
      expect(calendar.scheduledAt).toBe("2026-03-29T07:00:00.000Z");
    });

    it("refuses what /schedule refuses, with the same codes, naming the JSON field", async () => {
      const cases: { field: Record<string, unknown>; header: Record<string, string> }[] = [
        { field: { url: "ftp://example.com" }, header: { "ttr-url": "ftp://example.com" } },
        { field: { url: "https://user:pw@example.com" }, header: { "ttr-url": "https://user:pw@example.com" } },
        { field: { url: "http://10.0.0.1/hook" }, header: { "ttr-url": "http://10.0.0.1/hook" } },
        { field: { callbackUrl: "http://127.0.0.1/cb" }, header: { "ttr-callback-url": "http://127.0.0.1/cb" } },
        { field: { scheduledAt: "2026-03-29T09:00" }, header: { "ttr-scheduled-at": "2026-03-29T09:00" } },
        { field: { scheduledAt: "2026-02-30T09:00Z" }, header: { "ttr-scheduled-at": "2026-02-30T09:00Z" } },
        { field: { timezone: "Mars/Olympus" }, header: { "ttr-timezone": "Mars/Olympus" } },
        { field: { retries: 21 }, header: { "ttr-retries": "21" } },
        { field: { retries: 1.5 }, header: { "ttr-retries": "1.5" } },
        { field: { retryDelay: "2h" }, header: { "ttr-retry-delay": "2h" } },
        { field: { timeout: 0 }, header: { "ttr-timeout": "0" } },
        { field: { customKey: "é" }, header: { "ttr-custom-key": "é" } },
        { field: { successStatus: "2xx,700" }, header: { "ttr-success-status": "2xx,700" } },
        { field: { retryOn: "network,soon" }, header: { "ttr-retry-on": "network,soon" } },
        { field: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, header: { "ttr-tags": Array.from({ length: 21 }, (_, i) => `t${i}`).join(",") } },
      ];
      for (const { field, header } of cases) {
        const viaJson = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now", ...field });
        const viaHeaders = await schedule({ "ttr-url": HOOK, "ttr-scheduled-at": "now", ...header });
        const [a, b] = [await json(viaJson), await json(viaHeaders)];
        expect({ field, status: viaJson.status, error: a.error }).toEqual({ field, status: viaHeaders.status, error: b.error });
        expect(a.message).not.toContain("ttr-");
      }
      // A header cannot carry a control character at all; a JSON string can, and meets the title rule.
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", title: "a\u0001b" }))).error).toBe("invalid_title");
      expect((await json(call("POST", "/triggers", { scheduledAt: "now" }))).error).toBe("missing_header");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "cron(@daily)" }))).error).toBe("invalid_scheduled_at");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", runMissed: "all" }))).error).toBe("invalid_body");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", headers: [["ttr-retries", "1"]] }))).error).toBe("invalid_body");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", headers: [["Bad Name", "1"]] }))).error).toBe("invalid_header_name");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", body: "x", bodyBase64: "eA==" }))).error).toBe("invalid_body");
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", bodyBase64: "not base64" }))).error).toBe("invalid_body");
      expect((await call("POST", "/triggers", { url: HOOK, scheduledAt: "now" }, "hg_wrong")).status).toBe(401);
    });

    it("takes a generator's end and its own success and retry rules as /schedule does", async () => {
      const created = await json(
        call("POST", "/generators", { url: HOOK, cron: "0 9 * * *", endsAt: "now | add 30d", maxRuns: 5, successStatus: "2xx,409", retryOn: "429,5XX" }),
      );
      const view = await json(call("GET", `/generators/${created.triggerId as string}`));
      expect(view).toMatchObject({ maxRuns: 5, runs: 0, successStatus: "2xx,409", retryOn: "429,5xx", endReason: null });
      expect(typeof view.endsAt).toBe("string");
      const cases: { field: Record<string, unknown>; header: Record<string, string> }[] = [
        { field: { endsAt: "cron(@daily)" }, header: { "ttr-ends-at": "cron(@daily)" } },
        { field: { endsAt: "2020-01-01T00:00:00Z" }, header: { "ttr-ends-at": "2020-01-01T00:00:00Z" } },
        { field: { maxRuns: 0 }, header: { "ttr-max-runs": "0" } },
      ];
      for (const { field, header } of cases) {
        const viaJson = await call("POST", "/generators", { url: HOOK, cron: "0 9 * * *", ...field });
        const viaHeaders = await schedule({ "ttr-url": HOOK, "ttr-scheduled-at": "cron(0 9 * * *)", ...header });
        expect({ field, status: viaJson.status, error: (await json(viaJson)).error }).toEqual({ field, status: viaHeaders.status, error: (await json(viaHeaders)).error });
      }
      // Generators only, as runMissed and overlap.
      expect((await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now", maxRuns: 3 }))).error).toBe("invalid_body");
    });

    it("holds the request body and header limits of /schedule, and refuses an oversized JSON body before reading it", async () => {
      const body = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now", body: "x".repeat(65) });
      expect([body.status, (await json(body)).error]).toEqual([413, "body_too_large"]);
      expect((await call("POST", "/triggers", { url: HOOK, scheduledAt: "now", body: "x".repeat(64) })).status).toBe(201);
      const headers = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now", headers: Array.from({ length: 21 }, (_, i) => [`x-${i}`, "v"]) });
      expect([headers.status, (await json(headers)).error]).toEqual([431, "headers_too_large"]);
      const limit = maxScheduleJsonBytes(hg.config.limits);
      const declared = await hg.service.app.request("/triggers", {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-length": String(limit + 1) },
        body: "{}",
      });
      expect([declared.status, (await json(declared)).error]).toEqual([413, "body_too_large"]);
    });

    it("is idempotent by custom key, as /schedule: the second create edits the first", async () => {
      const first = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now | add 1h", customKey: "order-7" });
      const second = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now | add 2h", customKey: "order-7" });
      const [a, b] = [await json(first), await json(second)];
      expect([first.status, second.status]).toEqual([201, 200]);
      expect(b).toMatchObject({ triggerId: a.triggerId, operation: "reschedule", scheduledAt: "2026-03-01T14:00:00.000Z" });
      const viaHeader = await json(schedule({ "ttr-url": HOOK, "ttr-scheduled-at": "now | add 3h", "ttr-custom-key": "order-7" }));
      expect(viaHeader).toMatchObject({ triggerId: a.triggerId, operation: "reschedule" });
    });

    it("counts against the monthly quota: 402 past it", async () => {
      await hg.service.store.updateProject(hg.projectId, { monthQuota: 1 }, T0);
      expect(await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now" }))).toMatchObject({ monthQuotaRemaining: 0 });
      const over = await call("POST", "/triggers", { url: HOOK, scheduledAt: "now" });
      expect([over.status, (await json(over)).error]).toEqual([402, "quota_exceeded"]);
    });
  });

  describe("POST /generators", () => {
    it("creates a generator from cron, timezone, runMissed and overlap", async () => {
      const res = await call("POST", "/generators", { url: HOOK, cron: "0 9 * * *", timezone: "Europe/Paris", runMissed: "skip", overlap: "skip" });
      expect(res.status).toBe(201);
      const answer = await json(res);
      expect(answer).toMatchObject({ kind: "generator", operation: "schedule", scheduledAt: "2026-03-02T08:00:00.000Z" });
      expect(await get(`/generators/${answer.triggerId}`)).toMatchObject({ cron: "0 9 * * *", timezone: "Europe/Paris", runMissed: "skip", overlap: "skip", status: "active" });
      const inline = await json(call("POST", "/generators", { url: HOOK, cron: "0 9 * * MON,FRI, America/New_York" }));
      expect(await get(`/generators/${inline.triggerId}`)).toMatchObject({ cron: "0 9 * * MON,FRI", timezone: "America/New_York" });
    });

    it("refuses what /schedule refuses for cron()", async () => {
      expect((await json(call("POST", "/generators", { url: HOOK }))).error).toBe("missing_header");
      expect((await json(call("POST", "/generators", { url: HOOK, cron: "61 * * * *" }))).error).toBe("invalid_cron");
      expect((await json(call("POST", "/generators", { url: HOOK, cron: "0 0 30 2 *" }))).error).toBe("cron_never_fires");
      expect((await json(call("POST", "/generators", { url: HOOK, cron: "@daily", runMissed: "some" }))).error).toBe("invalid_run_missed");
      expect((await json(call("POST", "/generators", { url: HOOK, cron: "@daily", scheduledAt: "now" }))).error).toBe("invalid_body");
    });
  });

  describe("PATCH", () => {
    it("changes only the fields given on a trigger, and keeps the rest", async () => {
      const { triggerId } = await json(
        call("POST", "/triggers", { url: HOOK, scheduledAt: "now | add 1h", headers: [["X-A", "1"]], body: "hello", title: "t", retries: 7, callbackUrl: "https://example.com/cb" }),
      );
      const res = await call("PATCH", `/triggers/${triggerId}`, { scheduledAt: "2026-03-01T15:00", timezone: "Europe/Paris", title: null, callbackUrl: null });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ id: triggerId, scheduledAt: "2026-03-01T14:00:00.000Z", title: null, callbackUrl: null, retries: 7, headers: [["X-A", "1"]], bodySize: 5 });
      const moved = await json(call("PATCH", `/triggers/${triggerId}`, { method: "GET" }));
      expect(moved).toMatchObject({ method: "GET", bodySize: 0, scheduledAt: "2026-03-01T14:00:00.000Z" });
    });

    it("refuses an edit /schedule would refuse by id", async () => {
      const keyed = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now | add 1h", customKey: "k1" }));
      expect((await json(call("PATCH", `/triggers/${keyed.triggerId}`, { customKey: "k2" }))).error).toBe("conflicting_identifiers");
      const generator = await json(call("POST", "/generators", { url: HOOK, cron: "@hourly" }));
      expect((await json(call("PATCH", `/triggers/${generator.triggerId}`, { title: "x" }))).error).toBe("kind_mismatch");
      expect((await call("PATCH", `/triggers/${keyed.triggerId}`, { title: "x" }, OTHER_API_KEY)).status).toBe(404);
      expect((await json(call("PATCH", `/triggers/${keyed.triggerId}`, {}))).error).toBe("invalid_body");
      expect((await json(call("PATCH", `/triggers/${keyed.triggerId}`, { url: "http://10.1.1.1/" }))).error).toBe("egress_blocked");
      await call("DELETE", `/triggers/${keyed.triggerId}`);
      expect((await json(call("PATCH", `/triggers/${keyed.triggerId}`, { title: "x" }))).error).toBe("already_cancelled");
    });

    it("edits a generator's schedule keeping its zone, and pauses or resumes it in the same request", async () => {
      const { triggerId } = await json(call("POST", "/generators", { url: HOOK, cron: "0 9 * * *", timezone: "Europe/Paris", title: "g" }));
      const edited = await json(call("PATCH", `/generators/${triggerId}`, { cron: "0 18 * * *" }));
      expect(edited).toMatchObject({ cron: "0 18 * * *", timezone: "Europe/Paris", title: "g", nextAt: "2026-03-01T17:00:00.000Z" });
      const paused = await json(call("PATCH", `/generators/${triggerId}`, { paused: true, cron: "0 7 * * *" }));
      expect(paused).toMatchObject({ status: "paused", cron: "0 7 * * *", nextAt: null });
      const resumed = await json(call("PATCH", `/generators/${triggerId}`, { paused: false, timezone: "UTC" }));
      expect(resumed).toMatchObject({ status: "active", timezone: "UTC", nextAt: "2026-03-02T07:00:00.000Z" });
      expect((await json(call("PATCH", `/generators/${triggerId}`, { scheduledAt: "now" }))).error).toBe("invalid_body");
    });
  });

  describe("DELETE", () => {
    it("cancels by id as /cancel does, each route its own kind", async () => {
      const job = await json(call("POST", "/triggers", { url: HOOK, scheduledAt: "now | add 1h" }));
      const generator = await json(call("POST", "/generators", { url: HOOK, cron: "@hourly" }));
      expect((await call("DELETE", `/triggers/${generator.triggerId}`)).status).toBe(404);
      expect((await call("DELETE", `/generators/${job.triggerId}`)).status).toBe(404);
      expect((await call("DELETE", `/triggers/${job.triggerId}`, undefined, OTHER_API_KEY)).status).toBe(404);
      expect((await call("DELETE", `/triggers/${job.triggerId}`)).status).toBe(204);
      expect((await json(call("DELETE", `/triggers/${job.triggerId}`))).error).toBe("already_cancelled");
      expect((await call("DELETE", `/generators/${generator.triggerId}`)).status).toBe(204);
      expect(await get(`/generators/${generator.triggerId}`)).toMatchObject({ status: "cancelled", nextAt: null });
      expect((await json(call("DELETE", `/generators/${generator.triggerId}`))).error).toBe("already_cancelled");
    });
  });

  describe("POST /triggers/batch", () => {
    it("answers each item in its place; a refused item does not fail the others", async () => {
      await hg.service.store.updateProject(hg.projectId, { monthQuota: 2 }, T0);
      const res = await call("POST", "/triggers/batch", {
        items: [
          { url: HOOK, scheduledAt: "now | add 1m", customKey: "b1" },
          { url: "ftp://x", scheduledAt: "now" },
          "not an object",
          { url: HOOK, scheduledAt: "now | add 2m" },
          { url: HOOK, scheduledAt: "now | add 3m" },
          { url: HOOK, scheduledAt: "now | add 4m", customKey: "b1" },
        ],
      });
      expect(res.status).toBe(200);
      const { results } = await json(res);
      expect(results).toEqual([
        expect.objectContaining({ operation: "schedule", scheduledAt: "2026-03-01T12:01:00.000Z", monthQuotaRemaining: 1 }),
        expect.objectContaining({ status: 400, error: "invalid_url" }),
        expect.objectContaining({ status: 400, error: "invalid_body" }),
        expect.objectContaining({ operation: "schedule", monthQuotaRemaining: 0 }),
        expect.objectContaining({ status: 402, error: "quota_exceeded" }),
        expect.objectContaining({ operation: "reschedule", triggerId: results[0].triggerId, scheduledAt: "2026-03-01T12:04:00.000Z" }),
      ]);
      expect((await get("/triggers")).triggers).toHaveLength(2);
    });

    it("takes 1 to 1,000 items", async () => {
      for (const items of [[], Array.from({ length: 1001 }, () => ({ url: HOOK, scheduledAt: "now" })), "x"]) {
        expect((await json(call("POST", "/triggers/batch", { items }))).error).toBe("invalid_body");
      }
      const full = await json(call("POST", "/triggers/batch", { items: Array.from({ length: 1000 }, () => ({ url: HOOK, scheduledAt: "now" })) }));
      expect(full.results.filter((r: Json) => r.operation === "schedule")).toHaveLength(1000);
    });
  });
});
