import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hourglass, HourglassConnectionError, HourglassError, type Trigger } from "../../client/src/index.js";
import { ManualClock } from "../../src/clock.js";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";

const ADMIN = "client-admin-token-for-tests-0123456789";

/** The rejection of `promise`, which must be a HourglassError. */
async function refusal(promise: Promise<unknown>): Promise<HourglassError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HourglassError);
  return error as HourglassError;
}

describe("client against a real Hourglass and a real target", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  let attempts: AttemptLog;
  let client: Hourglass;

  beforeAll(async () => {
    hg = await startHourglass({ listen: true });
    target = await startTargetServer();
    attempts = new AttemptLog(hg.service.dispatcher);
    client = new Hourglass({ baseUrl: hg.url, apiKey: API_KEY });
  });
  afterAll(async () => {
    await hg?.close();
    await target?.close();
  });

  it("schedules a Request through /schedule: the target receives its method, headers and exact body bytes", async () => {
    const bytes = Uint8Array.from({ length: 512 }, (_, i) => (i * 37) % 256);
    const request = new Request(`${target.url}/hook?x=1`, {
      method: "PUT",
      headers: [
        ["Content-Type", "application/octet-stream"],
        ["X-Trace", "abc"],
        ["Authorization", "Bearer for-the-target"],
      ],
      body: bytes,
    });
    const answer = await client.schedule(request, { at: "now", title: "binary", tags: ["client", "bin"], retries: 0 });
    expect(answer).toMatchObject({ operation: "schedule", kind: "job", monthQuotaRemaining: null });

    const received = (await target.waitFor((all) => all.some((r) => r.url === "/hook?x=1"))).find((r) => r.url === "/hook?x=1");
    expect(received?.method).toBe("PUT");
    expect(new Uint8Array(received?.body ?? [])).toEqual(bytes);
    const headers = headerPairs(received?.rawHeaders ?? []).map(([n, v]) => [n.toLowerCase(), v]);
    expect(headers).toEqual(
      expect.arrayContaining([
        ["content-type", "application/octet-stream"],
        ["x-trace", "abc"],
        ["authorization", "Bearer for-the-target"],
      ]),
    );
    expect(headers.some(([n]) => n?.startsWith("ttr-"))).toBe(false);

    const stored = await client.triggers.get(answer.triggerId, { revealHeaders: true });
    expect(stored).toMatchObject({ method: "PUT", url: `${target.url}/hook?x=1`, title: "binary", tags: ["client", "bin"], retries: 0, bodySize: 512 });
    expect(stored.bodyBase64).toBe(Buffer.from(bytes).toString("base64"));
  });

  it("schedules a URL and init, edits it by custom key, cancels it by custom key; cron makes a generator", async () => {
    const init = { method: "POST", body: "hello", headers: { "X-A": "1" } };
    const first = await client.schedule(`${target.url}/later`, init, { at: "now | add 1h", customKey: "client-ck-1" });
    expect(first.operation).toBe("schedule");
    const again = await client.schedule(`${target.url}/later`, init, { at: new Date(Date.now() + 7_200_000), customKey: "client-ck-1" });
    expect(again).toMatchObject({ operation: "reschedule", triggerId: first.triggerId });
    const stored = await client.triggers.get(first.triggerId);
    // A string body gets fetch's own default Content-Type.
    expect(stored.headers).toEqual(expect.arrayContaining([["content-type", "text/plain;charset=UTF-8"], ["x-a", "1"]]));
    expect(Buffer.from(stored.bodyBase64 ?? "", "base64").toString()).toBe("hello");

    await client.cancel({ customKey: "client-ck-1" });
    expect((await client.triggers.get(first.triggerId)).status).toBe("cancelled");
    expect(await refusal(client.cancel({ customKey: "client-ck-1" }))).toMatchObject({ status: 410, code: "custom_key_not_live" });

    const generator = await client.schedule(`${target.url}/daily`, { at: "cron(0 9 * * *)", timezone: "Europe/Paris", overlap: "skip" });
    expect(generator.kind).toBe("generator");
    expect((await client.generators.get(generator.triggerId)).method).toBe("GET");
    const ending = await client.schedule(`${target.url}/ending`, { at: "cron(0 9 * * *)", endsAt: "2099-01-01T00:00:00Z", maxRuns: 3, successStatus: "2xx,409", retryOn: "5xx" });
    expect(await client.generators.get(ending.triggerId)).toMatchObject({ endsAt: "2099-01-01T00:00:00.000Z", maxRuns: 3, successStatus: "2xx,409", retryOn: "5xx" });
    await client.cancel(ending.triggerId);
    await client.cancel(generator.triggerId);
    expect((await client.generators.get(generator.triggerId)).status).toBe("cancelled");
  });

  it("creates, edits, batches and lists triggers across pages, following nextCursor", async () => {
    const pages: string[] = [];
    const counting = new Hourglass({
      baseUrl: hg.url,
      apiKey: API_KEY,
      fetch: (url, init) => {
        if (new URL(url).pathname === "/triggers" && (init.method ?? "GET") === "GET") pages.push(url);
        return fetch(url, init);
      },
    });
    const created = await counting.triggers.create({ url: `${target.url}/paged`, scheduledAt: "now | add 1h", tags: ["paged"], bodyBase64: "AAEC" });
    expect(created.kind).toBe("job");
    const results = await counting.triggers.batch([
      { url: `${target.url}/paged`, scheduledAt: "now | add 2h", tags: ["paged"] },
      { url: "not a url", scheduledAt: "now | add 2h" },
      { url: `${target.url}/paged`, scheduledAt: "now | add 3h", tags: ["paged"], headers: [["X-B", "1"], ["X-B", "2"]] },
      { url: `${target.url}/paged`, scheduledAt: "now | add 4h", tags: ["paged"] },
      { url: `${target.url}/paged`, scheduledAt: "now | add 5h", tags: ["paged"] },
    ]);
    expect(results[1]).toMatchObject({ error: "invalid_url", status: 400 });
    const ids = results.flatMap((r) => ("triggerId" in r ? [r.triggerId] : []));
    expect(ids).toHaveLength(4);

    const edited = await counting.triggers.edit(created.triggerId, { title: "edited", scheduledAt: "2030-01-01T00:00:00Z" });
    expect(edited).toMatchObject({ id: created.triggerId, title: "edited", scheduledAt: "2030-01-01T00:00:00.000Z", bodySize: 3 });

    const listed: Trigger[] = [];
    for await (const t of counting.triggers.list({ tag: "paged", status: "registered", pageSize: 2 })) listed.push(t);
    expect(listed.map((t) => t.id)).toEqual([...ids, created.triggerId].sort().reverse());
    expect(pages).toHaveLength(3);
    expect(pages[1]).toContain(`cursor=${listed[1]?.id}`);

    const page = await counting.triggers.page({ tag: "paged", limit: 5 });
    expect(page.items).toHaveLength(5);
    expect(page.nextCursor).toBeNull();

    await counting.triggers.delete(ids[0] as string);
    expect((await counting.triggers.get(ids[0] as string)).status).toBe("cancelled");
  });

  it("sends a flow's limits, reads them back with flows(), and filters the triggers waiting for their flow", async () => {
    const later = await client.schedule(`${target.url}/flow`, { method: "POST", body: "f" }, { at: "now | add 1h", flowKey: "client-flow", flowParallelism: 3, flowRate: 7 });
    expect((await client.triggers.get(later.triggerId)).flowKey).toBe("client-flow");
    expect(await client.flows()).toContainEqual({ key: "client-flow", parallelism: 3, rate: 7, inFlight: 0, waiting: 0 });
    expect((await client.triggers.page({ waitingFor: "flow" })).items).toEqual([]);
    await client.cancel(later.triggerId);
  });

  it("previews a cron's fire times with their DST marks, and a one-shot's instant", async () => {
    const cron = await client.preview({ scheduledAt: "cron(30 2 * * *, Europe/Paris)", from: "2027-03-27T00:00:00Z", count: 2 });
    expect(cron).toMatchObject({ kind: "cron", timezone: "Europe/Paris", fireTimes: [{ at: "2027-03-27T01:30:00.000Z", dst: null }, { at: "2027-03-28T01:30:00.000Z", dst: "gap" }] });
    expect(await client.preview({ scheduledAt: "2027-01-01T09:00", timezone: "Europe/Paris" })).toMatchObject({ kind: "once", scheduledAt: "2027-01-01T08:00:00.000Z" });
    await expect(client.preview({ scheduledAt: "cron(61 * * * *)" })).rejects.toMatchObject({ status: 400, code: "invalid_cron" });
  });

  it("cancels the waiting triggers a filter matches, after counting them", async () => {
    for (let i = 0; i < 3; i++) await client.triggers.create({ url: `${target.url}/bulk`, scheduledAt: "now | add 1d", tags: ["client-bulk"] });
    expect(await client.triggers.bulkCancel({ tag: "client-bulk", dryRun: true })).toEqual({ action: "cancel", dryRun: true, matched: 3, affected: 0 });
    expect(await client.triggers.bulkCancel({ tag: "client-bulk" })).toMatchObject({ matched: 3, affected: 3 });
    await expect(client.triggers.bulkReplay({})).rejects.toMatchObject({ status: 400, code: "invalid_body" });
  });

  it("replays an executed trigger and lists its executions", async () => {
    const created = await client.triggers.create({ url: `${target.url}/replayed`, method: "PATCH", body: "r", scheduledAt: "now", retries: 0 });
    await attempts.waitFor((e) => e.claim.id === created.triggerId);
    expect((await client.triggers.get(created.triggerId)).status).toBe("succeeded");
    const replayed = await client.triggers.replay(created.triggerId);
    expect(replayed.triggerId).toBe(created.triggerId);
    const seen = attempts.events.length;
    await attempts.waitFor((e) => e.claim.id === created.triggerId && attempts.events.indexOf(e) >= seen);
    const executions = [];
    for await (const e of client.executions.list({ triggerId: created.triggerId, pageSize: 1 })) executions.push(e);
    expect(executions.map((e) => e.outcome)).toEqual(["succeeded", "succeeded"]);
    expect((await client.triggers.get(created.triggerId)).executions).toHaveLength(2);
  });

  it("creates, edits, pauses, resumes, runs, lists and cancels generators", async () => {
    const created = await client.generators.create({ url: `${target.url}/gen`, cron: "0 9 * * 1-5", timezone: "Europe/Paris", runMissed: "skip", title: "g" });
    expect(created.kind).toBe("generator");
    const edited = await client.generators.edit(created.triggerId, { cron: "0 18 * * *", tags: ["evening"] });
    expect(edited).toMatchObject({ cron: "0 18 * * *", timezone: "Europe/Paris", tags: ["evening"], status: "active" });
    expect((await client.generators.pause(created.triggerId)).status).toBe("paused");
    expect((await client.generators.resume(created.triggerId)).status).toBe("active");
    const run = await client.generators.run(created.triggerId);
    await attempts.waitFor((e) => e.claim.id === run.triggerId);
    const all = [];
    for await (const g of client.generators.list({ pageSize: 1 })) all.push(g.id);
    expect(all).toContain(created.triggerId);
    await client.generators.delete(created.triggerId);
    expect((await client.generators.get(created.triggerId)).status).toBe("cancelled");
  });
});

describe("client errors", () => {
  let hg: TestHourglass;
  let client: Hourglass;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));

  beforeAll(async () => {
    hg = await startHourglass({ listen: true, clock, dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN, HOURGLASS_MAX_BODY_BYTES: "1024" } });
    client = new Hourglass({ baseUrl: `${hg.url}/`, apiKey: API_KEY, adminToken: ADMIN });
  });
  afterAll(async () => {
    await hg?.close();
  });

  it("carries status, code and message for 400, 404, 409 and 413", async () => {
    const invalid = await refusal(client.triggers.create({ url: "not a url", scheduledAt: "now" }));
    expect(invalid).toMatchObject({ status: 400, code: "invalid_url", retryAfter: undefined });
    expect(invalid.message).toMatch(/url/);

    const missing = await refusal(client.triggers.get("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    expect(missing).toMatchObject({ status: 404, code: "trigger_not_found" });

    const waiting = await client.triggers.create({ url: "http://127.0.0.1:9/", scheduledAt: "now | add 1h" });
    expect(await refusal(client.triggers.replay(waiting.triggerId))).toMatchObject({ status: 409, code: "trigger_not_executed" });

    const big = new Uint8Array(2048);
    const tooLarge = await refusal(client.schedule("http://127.0.0.1:9/", { method: "POST", body: big }, { at: "now | add 1h" }));
    expect(tooLarge).toMatchObject({ status: 413, code: "body_too_large" });
  });

  it("carries retryAfter on 429, and the admin API answers through the same client", async () => {
    const project = await client.admin.projects.update(hg.projectId, { rateLimit: 1 });
    expect(project.rateLimit).toBe(1);
    await client.triggers.create({ url: "http://127.0.0.1:9/", scheduledAt: "now | add 1h" });
    const limited = await refusal(client.triggers.create({ url: "http://127.0.0.1:9/", scheduledAt: "now | add 1h" }));
    expect(limited).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 1 });
    await client.admin.projects.update(hg.projectId, { rateLimit: null });

    expect((await client.admin.projects.list()).map((p) => p.id)).toContain(hg.projectId);
    const clockState = await refusal(client.admin.clock.get());
    expect(clockState).toMatchObject({ status: 409, code: "clock_not_manual" });
  });

  it("names an answer that is not Hourglass's http_<status>, and an unreachable server a connection error", async () => {
    const proxy = new Hourglass({ baseUrl: "http://127.0.0.1:9", apiKey: API_KEY, fetch: async () => new Response("<html>bad gateway</html>", { status: 502 }) });
    expect(await refusal(proxy.triggers.get("01ARZ3NDEKTSV4RRFFQ69G5FAV"))).toMatchObject({ status: 502, code: "http_502" });

    const closed = new Hourglass({ baseUrl: "http://127.0.0.1:9", apiKey: API_KEY });
    const error = await closed.triggers.page().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HourglassConnectionError);
    expect((error as Error).message).toMatch(/^Could not reach Hourglass at http:\/\/127\.0\.0\.1:9: /);

    const keyless = new Hourglass({ baseUrl: hg.url });
    await expect(keyless.triggers.page()).rejects.toThrow(/no apiKey/);
    await expect(client.schedule("http://127.0.0.1:9/", { headers: { "ttr-title": "x" } }, { at: "now" })).rejects.toThrow(TypeError);
  });
});
