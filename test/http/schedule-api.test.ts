import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

/**
 * Every test runs twice: in-process through the Hono application, and over a real socket through
 * the request listener `hourglass` serves, which answers `/schedule` without Hono.
 */
const TRANSPORTS = [
  { transport: "in-process, through Hono", listen: false },
  { transport: "over a socket, through the served request listener", listen: true },
];

describe.each(TRANSPORTS)("HTTP API ($transport; manual clock, dispatcher off)", ({ listen }) => {
  let hg: TestHourglass;
  let clock: ManualClock;

  const call = (path: string, init: RequestInit = {}) => (listen ? fetch(`${hg.url}${path}`, init) : hg.service.app.request(path, init));
  const schedule = (headers: Record<string, string>, init: RequestInit = {}) =>
    call("/schedule", {
      method: "POST",
      ...init,
      headers: { "ttr-api-key": API_KEY, "ttr-url": "https://example.com/hook", ...headers },
    });

  beforeEach(async () => {
    clock = new ManualClock(T0);
    hg = await startHourglass({ clock, dispatch: false, listen, env: { HOURGLASS_MAX_BODY_BYTES: "64", HOURGLASS_MAX_HEADER_COUNT: "20" } });
  });
  afterEach(async () => {
    await hg.close();
  });

  describe("/schedule", () => {
    it("answers the contract's shape", async () => {
      const res = await schedule({ "ttr-scheduled-at": "now | add 10s" }, { body: "{}" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await json(res)).toEqual({
        triggerId: expect.stringMatching(ULID),
        scheduledAt: "2026-03-01T12:00:10.000Z",
        operation: "schedule",
        kind: "job",
        monthQuotaRemaining: null,
      });
    });

    it("answers the same with a query string on the path (the served listener hands it to Hono)", async () => {
      const res = await call("/schedule?from=test", {
        method: "POST",
        headers: { "ttr-api-key": API_KEY, "ttr-url": "https://example.com/hook", "ttr-scheduled-at": "now | add 10s" },
        body: "{}",
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await json(res)).toMatchObject({ scheduledAt: "2026-03-01T12:00:10.000Z", operation: "schedule", kind: "job" });
    });

    it("edits in place when the custom key is posted again", async () => {
      const first = await json(schedule({ "ttr-scheduled-at": "now | add 1h", "ttr-custom-key": "appt-42" }));
      const second = await json(schedule({ "ttr-scheduled-at": "now | add 2h", "ttr-custom-key": "appt-42" }));
      expect(second).toMatchObject({ triggerId: first.triggerId, operation: "reschedule", scheduledAt: "2026-03-01T14:00:00.000Z" });
    });

    it("creates a generator for cron() and reports its next instance", async () => {
      const res = await schedule({ "ttr-scheduled-at": "cron(0 9 * * 1-5, Europe/Paris)" });
      expect(await json(res)).toMatchObject({ kind: "generator", operation: "schedule", scheduledAt: "2026-03-02T08:00:00.000Z" });
    });

    it.each([
      [{}, 401, "missing_api_key"],
      [{ "ttr-api-key": "hg_not_a_real_key_000000000" }, 401, "invalid_api_key"],
    ])("refuses a missing or wrong key %#", async (headers, status, code) => {
      const res = await call("/schedule", {
        method: "POST",
        headers: { "ttr-url": "https://example.com/", "ttr-scheduled-at": "now", ...headers },
      });
      expect(res.status).toBe(status);
      expect(await json(res)).toMatchObject({ error: code, message: expect.any(String) });
    });

    it("names an unknown ttr- header instead of dropping it", async () => {
      const res = await schedule({ "ttr-scheduled-at": "now", "ttr-custom-kye": "typo" });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.error).toBe("unknown_ttr_header");
      expect(body.message).toContain("ttr-custom-kye");
    });

    it.each([
      ["ttr-scheduled-at", "tomorrow"],
      ["ttr-scheduled-at", "now | add 10 fortnights"],
      ["ttr-scheduled-at", "cron(61 * * * *)"],
      ["ttr-scheduled-at", "2026-03-01T10:00:00"],
      ["ttr-url", "ftp://example.com/"],
      ["ttr-url", "https://user:pw@example.com/"],
      ["ttr-timezone", "Mars/Olympus"],
    ])("is a 400 with a message for a bad %s: %s", async (name, value) => {
      const res = await schedule({ "ttr-scheduled-at": "now", [name]: value });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.error).toEqual(expect.any(String));
      expect(body.message.length).toBeGreaterThan(10);
    });

    it("requires ttr-scheduled-at and ttr-url", async () => {
      expect((await schedule({})).status).toBe(400);
      const noUrl = await call("/schedule", { method: "POST", headers: { "ttr-api-key": API_KEY, "ttr-scheduled-at": "now" } });
      expect(noUrl.status).toBe(400);
    });

    it("refuses a body over the limit with 413, by Content-Length and while streaming", async () => {
      const declared = await schedule({ "ttr-scheduled-at": "now" }, { body: "x".repeat(65) });
      expect(declared.status).toBe(413);
      expect((await json(declared)).error).toBe("body_too_large");

      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(20));
          controller.close();
        },
      });
      const streamed = await schedule({ "ttr-scheduled-at": "now" }, { body: stream, duplex: "half" } as RequestInit);
      expect(streamed.status).toBe(413);
      expect((await hg.service.store.listTriggers(hg.projectId, {}, { limit: 10 })).items).toHaveLength(0);
    });

    it("refuses too many headers with 431", async () => {
      const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-h${i}`, "v"]));
      const res = await schedule({ "ttr-scheduled-at": "now", ...many });
      expect(res.status).toBe(431);
    });

    it("answers 429 with Retry-After once the project's rate limit is spent", async () => {
      await hg.service.store.updateProject(hg.projectId, { rateLimit: 1 }, T0);
      expect((await schedule({ "ttr-scheduled-at": "now | add 1h" })).status).toBe(200);
      const limited = await schedule({ "ttr-scheduled-at": "now | add 1h" });
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("1");
      expect(limited.headers.get("content-type")).toBe("application/json");
      expect(await json(limited)).toEqual({ error: "rate_limited", message: expect.any(String) });
    });

    it("answers 500 without the details when something unexpected fails", async () => {
      hg.service.store.scheduleJob = () => Promise.reject(new Error("disk on fire at /var/lib/secret"));
      const res = await schedule({ "ttr-scheduled-at": "now | add 1h" });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: "internal_error", message: expect.any(String) });
      expect(text).not.toContain("disk on fire");
    });

    it("answers 404 for an unknown or foreign trigger id, 410 for a cancelled one", async () => {
      const unknown = await schedule({ "ttr-scheduled-at": "now", "ttr-trigger-id": "01ARZ3NDEKTSV4RRFFQ69G5FAV" });
      expect(unknown.status).toBe(404);

      const { triggerId } = await json(schedule({ "ttr-scheduled-at": "now | add 1h" }));
      const foreign = await schedule({ "ttr-scheduled-at": "now", "ttr-trigger-id": triggerId, "ttr-api-key": OTHER_API_KEY });
      expect(foreign.status).toBe(404);

      const cancel = await call("/cancel", { method: "DELETE", headers: { "ttr-api-key": API_KEY, "ttr-trigger-id": triggerId } });
      expect(cancel.status).toBe(204);
      const gone = await schedule({ "ttr-scheduled-at": "now", "ttr-trigger-id": triggerId });
      expect(gone.status).toBe(410);
    });
  });

  describe("DELETE /cancel", () => {
    const cancel = (headers: Record<string, string>) =>
      call("/cancel", { method: "DELETE", headers: { "ttr-api-key": API_KEY, ...headers } });

    it("answers 204, then 410, by key; 404 for an unknown key; 400 without exactly one identifier", async () => {
      await schedule({ "ttr-scheduled-at": "now | add 1h", "ttr-custom-key": "k" });
      expect((await cancel({ "ttr-custom-key": "k" })).status).toBe(204);
      expect((await cancel({ "ttr-custom-key": "k" })).status).toBe(410);
      expect((await cancel({ "ttr-custom-key": "nope" })).status).toBe(404);
      expect((await cancel({})).status).toBe(400);
      expect((await cancel({ "ttr-custom-key": "k", "ttr-trigger-id": "01ARZ3NDEKTSV4RRFFQ69G5FAV" })).status).toBe(400);
      expect((await cancel({ "ttr-trigger-id": "not-an-id" })).status).toBe(400);
    });

    it("needs a key and DELETE", async () => {
      expect((await call("/cancel", { method: "DELETE", headers: { "ttr-custom-key": "k" } })).status).toBe(401);
      const wrongMethod = await call("/cancel", { method: "POST", headers: { "ttr-api-key": API_KEY } });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("DELETE");
    });

    it("cancels a generator and its pending instance", async () => {
      const { triggerId } = await json(schedule({ "ttr-scheduled-at": "cron(@hourly)" }));
      expect((await cancel({ "ttr-trigger-id": triggerId })).status).toBe(204);
      const generator = await json(call(`/generators/${triggerId}`, { headers: { "ttr-api-key": API_KEY } }));
      expect(generator).toMatchObject({ status: "cancelled", nextAt: null, pendingTriggerId: null });
    });
  });

  describe("read endpoints", () => {
    const get = (path: string, key = API_KEY) => call(path, { headers: { authorization: `Bearer ${key}` } });

    it("lists with filters and a cursor, and shows one trigger with its body", async () => {
      for (let i = 0; i < 3; i++) await schedule({ "ttr-scheduled-at": "now | add 1h", "ttr-tags": "a,b" }, { body: `{"i":${i}}` });
      await schedule({ "ttr-scheduled-at": "now | add 1h", "ttr-tags": "c" });
      const page = await json(get("/triggers?tag=a&limit=2"));
      expect(page.triggers).toHaveLength(2);
      expect(page.nextCursor).toEqual(expect.stringMatching(ULID));
      const rest = await json(get(`/triggers?tag=a&limit=2&cursor=${page.nextCursor}`));
      expect(rest).toMatchObject({ nextCursor: null });
      expect(rest.triggers).toHaveLength(1);

      const one = await json(get(`/triggers/${rest.triggers[0].id}`, API_KEY));
      expect(one).toMatchObject({ status: "registered", kind: "job", tags: ["a", "b"], executions: [], attempts: 0 });
      expect(Buffer.from(one.bodyBase64, "base64").toString()).toBe('{"i":0}');
    });

    it("hides other projects' triggers and generators", async () => {
      const { triggerId } = await json(schedule({ "ttr-scheduled-at": "now | add 1h" }));
      expect((await get(`/triggers/${triggerId}`, OTHER_API_KEY)).status).toBe(404);
      expect((await json(get("/triggers", OTHER_API_KEY))).triggers).toEqual([]);
      const gen = await json(schedule({ "ttr-scheduled-at": "cron(@daily)" }));
      expect((await get(`/generators/${gen.triggerId}`, OTHER_API_KEY)).status).toBe(404);
    });

    it("validates query parameters", async () => {
      expect((await get("/triggers?status=done")).status).toBe(400);
      expect((await get("/triggers?kind=cron")).status).toBe(400);
      expect((await get("/triggers?limit=0")).status).toBe(400);
      expect((await get("/triggers?cursor=zzz")).status).toBe(400);
      expect((await get("/executions?triggerId=nope")).status).toBe(400);
      expect((await get("/triggers/nope")).status).toBe(404);
      expect((await call("/triggers")).status).toBe(401);
    });

    it("answers /healthz and JSON for unknown routes", async () => {
      expect((await call("/healthz")).status).toBe(200);
      const missing = await call("/nope");
      expect(missing.status).toBe(404);
      expect(await json(missing)).toMatchObject({ error: "route_not_found" });
    });
  });
});
