import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { maskSecretHeaders } from "../../src/request/secret-headers.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
// Response bodies are asserted field by field.
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

// In name order: in-process requests (app.request) carry Fetch headers, which sort by name.
const SENT: [string, string][] = [
  ["authorization", "Bearer target-token"],
  ["cookie", "session=abc"],
  ["x-api-key", "k-123"],
  ["x-auth-token", "t-456"],
  ["x-request-id", "visible"],
  ["x-webhook-secret", "s-789"],
];
const MASKED: [string, string][] = [
  ["authorization", "Bearer ***"],
  ["cookie", "***"],
  ["x-api-key", "***"],
  ["x-auth-token", "***"],
  ["x-request-id", "visible"],
  ["x-webhook-secret", "***"],
];

describe("secret header values in the read API", () => {
  let hg: TestHourglass;
  const get = (path: string) => hg.service.app.request(path, { headers: { "ttr-api-key": API_KEY } });
  const schedule = (when: string) =>
    json(
      hg.service.app.request("/schedule", {
        method: "POST",
        headers: [["ttr-api-key", API_KEY], ["ttr-url", "https://example.com/hook"], ["ttr-scheduled-at", when], ...SENT],
      }),
    );
  const sentHeaders = (headers: [string, string][]) => headers.filter(([name]) => SENT.some(([sent]) => sent === name));

  beforeEach(async () => {
    hg = await startHourglass({ clock: new ManualClock(T0), dispatch: false });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("masks them in trigger and generator views, keeping names and order; ?reveal=headers shows them", async () => {
    const job = await schedule("now | add 1h");
    const generator = await schedule("cron(@hourly)");

    expect(sentHeaders((await json(get(`/triggers/${job.triggerId}`))).headers)).toEqual(MASKED);
    const listed = (await json(get("/triggers"))).triggers as Json[];
    for (const trigger of listed) expect(sentHeaders(trigger.headers)).toEqual(MASKED);
    expect(sentHeaders((await json(get(`/generators/${generator.triggerId}`))).headers)).toEqual(MASKED);
    expect(sentHeaders((await json(get("/generators"))).generators[0].headers)).toEqual(MASKED);
    expect(JSON.stringify(await json(get("/triggers")))).not.toContain("target-token");

    expect(sentHeaders((await json(get(`/triggers/${job.triggerId}?reveal=headers`))).headers)).toEqual(SENT);
    expect(sentHeaders((await json(get("/triggers?reveal=headers"))).triggers[0].headers)).toEqual(SENT);
    expect(sentHeaders((await json(get(`/generators/${generator.triggerId}?reveal=headers`))).headers)).toEqual(SENT);
    const bad = await get(`/triggers/${job.triggerId}?reveal=all`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe("invalid_query");

    // The stored request, which is what is replayed, keeps every value.
    expect(sentHeaders((await hg.service.store.getTrigger(hg.projectId, job.triggerId))!.headers)).toEqual(SENT);
  });

  it("knows credentials by name, in any case, and keeps an authorization scheme", () => {
    expect(
      maskSecretHeaders([
        ["Proxy-Authorization", "Basic dXNlcjpwYXNz"],
        ["Authorization", "opaque-token-without-scheme"],
        ["Set-Cookie", "a=b"],
        ["X-Api_Key", "x"],
        ["X-DB-Password", "x"],
        ["Content-Type", "application/json"],
        ["X-Tokenizer", "not a credential"],
      ]),
    ).toEqual([
      ["Proxy-Authorization", "Basic ***"],
      ["Authorization", "***"],
      ["Set-Cookie", "***"],
      ["X-Api_Key", "***"],
      ["X-DB-Password", "***"],
      ["Content-Type", "application/json"],
      ["X-Tokenizer", "not a credential"],
    ]);
  });
});
