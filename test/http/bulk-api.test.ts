import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const HOOK = "https://example.com/hook";

// Response bodies are asserted field by field.
type Json = any;

describe("bulk cancel and replay (in-process, manual clock, dispatcher off)", () => {
  let hg: TestHourglass;
  const call = async (path: string, body: unknown, key = API_KEY): Promise<{ status: number; body: Json }> => {
    const res = await hg.service.app.request(path, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  beforeEach(async () => {
    hg = await startHourglass({ clock: new ManualClock(T0), dispatch: false, env: { HOURGLASS_ALLOWED_TARGETS: "" } });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("counts on a dry run, then cancels what the filter matches, in this project only", async () => {
    for (let i = 0; i < 3; i++) await call("/triggers", { url: HOOK, scheduledAt: "now | add 1d", tags: ["campaign-7"], customKey: `mail-${i}` });
    await call("/triggers", { url: HOOK, scheduledAt: "now | add 1d", tags: ["other"] });
    await call("/triggers", { url: HOOK, scheduledAt: "now | add 1d", tags: ["campaign-7"] }, OTHER_API_KEY);

    expect(await call("/triggers/bulk-cancel", { tag: "campaign-7", dryRun: true })).toEqual({
      status: 200,
      body: { action: "cancel", dryRun: true, matched: 3, affected: 0 },
    });
    expect((await call("/triggers/bulk-cancel", { customKeyPrefix: "mail-", scheduledBefore: "now | add 2d" })).body).toMatchObject({ matched: 3, affected: 3 });
    const left = await hg.service.store.listTriggers(hg.projectId, { status: "registered" }, { limit: 10 });
    expect(left.items.map((t) => t.tags)).toEqual([["other"]]);
    const theirs = await hg.service.store.listTriggers(hg.otherProjectId, { status: "registered" }, { limit: 10 });
    expect(theirs.items).toHaveLength(1);
  });

  it("replays executed triggers that match", async () => {
    const nothing = await call("/triggers/bulk-replay", { tag: "x" });
    expect(nothing.body).toMatchObject({ action: "replay", matched: 0, affected: 0 });
  });

  it("refuses a body without a filter, a status the action cannot act on, and bad values", async () => {
    const refusals: [unknown, string][] = [
      [{}, "invalid_body"],
      [{ dryRun: true }, "invalid_body"],
      [{ status: "failed" }, "invalid_body"],
      [{ kind: "nope" }, "invalid_body"],
      [{ tag: 7 }, "invalid_body"],
      [{ unknown: 1 }, "invalid_body"],
      [{ scheduledFrom: "yesterday" }, "invalid_scheduled_at"],
      [{ scheduledFrom: "cron(@daily)" }, "invalid_body"],
      [{ generatorId: "nope" }, "invalid_trigger_id"],
    ];
    for (const [body, error] of refusals) {
      const refused = await call("/triggers/bulk-cancel", body);
      expect({ body, status: refused.status, error: refused.body.error }).toEqual({ body, status: 400, error });
    }
    expect((await call("/triggers/bulk-cancel", { all: true, dryRun: true })).status).toBe(200);
    expect((await call("/triggers/bulk-replay", { status: "registered" })).body.error).toBe("invalid_body");
    expect((await call("/triggers/bulk-cancel", { all: true }, "hg_not_a_key_at_all_0000")).status).toBe(401);
  });
});
