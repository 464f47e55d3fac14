import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HourglassProcess, killIfRunning, spawnHourglass } from "../support/child-process.js";
import { type ReceivedRequest, type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";
import { makeTempDir } from "../support/temp-dir.js";

const KEY = "hg_never_early_key_0123456789abcdef";
/** A pacer one-shot is due this long before an instant under test, so the process claims just before it. */
const PACER_LEAD_MS = 40;
/** Far enough ahead that every /schedule of the test is answered before the first pacer is due. */
const LEAD_IN_MS = 1_500;

interface ExecutionJson {
  attempt: number;
  finishedAt: string;
  retryAt: string | null;
}
interface TriggerJson {
  id: string;
  scheduledAt: string;
  finishedAt: string | null;
  executions: ExecutionJson[];
}

/**
 * Never early (issue 15 item 8), end to end: the built server in its own process, a real target
 * server, and every comparison on one clock — the host's wall clock, which the process reads for
 * its timers and the target for the arrival of each request's headers. Pacer one-shots due just
 * before each instant under test make the process claim then, so a claim reaching ahead of the
 * clock would send the trigger under test early.
 */
describe("never early, end to end (a real process and a real target)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let target: TargetServer;
  let outcomes: TargetServer;
  let running: HourglassProcess | null = null;

  beforeEach(async () => {
    temp = makeTempDir();
    target = await startTargetServer();
    outcomes = await startTargetServer();
    running = await spawnHourglass({
      DATABASE_URL: join(temp.dir, "hourglass.db"),
      HOURGLASS_API_KEYS: KEY,
      HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
    });
  });
  afterEach(async () => {
    await killIfRunning(running);
    await target.close();
    await outcomes.close();
    temp.remove();
  });

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${running!.url}${path}`, { ...init, headers: { "ttr-api-key": KEY, ...init.headers } });
    const json = (await res.json().catch(() => null)) as Record<string, unknown>;
    expect(res.status, JSON.stringify(json)).toBe(200);
    return json;
  };
  const schedule = async (path: string, scheduledAt: string, headers: Record<string, string> = {}) =>
    (await api("/schedule", {
      method: "POST",
      headers: { "ttr-url": `${target.url}${path}`, "ttr-scheduled-at": scheduledAt, ...headers },
      body: path,
    })) as { triggerId: string; scheduledAt: string };
  const pacer = (due: number) => schedule(`/pacer/${due}`, new Date(due - PACER_LEAD_MS).toISOString());
  /** The trigger id a request was for (the project signs, so every request carries `webhook-id: msg_<id>`). */
  const triggerIdOf = (request: ReceivedRequest) =>
    headerPairs(request.rawHeaders).find(([name]) => name.toLowerCase() === "webhook-id")?.[1]?.replace(/^msg_/, "");
  const arrivalsAt = (path: string) => target.received.filter((r) => r.url === path);
  const expectNotBefore = (arrivedAt: number | undefined, due: number, what: string) => {
    expect(arrivedAt, `${what}: never arrived`).toBeDefined();
    expect(arrivedAt, `${what} arrived ${due - (arrivedAt ?? 0)} ms before its due instant`).toBeGreaterThanOrEqual(due);
  };

  it("no first attempt, retry, generator tick, replay or outcome callback arrives before its due instant", async () => {
    await api("/signing-secret", { method: "POST" });
    // /once fails its first attempt (a retry follows), then succeeds.
    target.respondWith((req, res) => {
      const failFirst = req.url === "/once" && arrivalsAt("/once").length === 1;
      res.writeHead(failFirst ? 503 : 200).end(failFirst ? "busy" : "ok");
    });

    // A one-shot at a millisecond instant, paced 40 ms before.
    const onceDue = Date.now() + LEAD_IN_MS;
    await pacer(onceDue);
    const once = await schedule("/once", new Date(onceDue).toISOString(), {
      "ttr-retries": "1",
      "ttr-retry-delay": "300ms",
      "ttr-callback-url": `${outcomes.url}/done`,
    });
    expect(Date.parse(once.scheduledAt)).toBe(onceDue);

    // A generator every second; the ticks a little later than the lead-in are paced too.
    const generator = await schedule("/tick", "cron(* * * * * *)");
    const firstPaced = Math.ceil((Date.now() + LEAD_IN_MS) / 1_000) * 1_000;
    const pacedTicks = [firstPaced, firstPaced + 1_000];
    for (const tick of pacedTicks) await pacer(tick);

    // The retry is due 300-375 ms after the first attempt failed; the callback once it succeeded.
    const [callback] = await outcomes.waitForCount(1);
    const trigger = (await api(`/triggers/${once.triggerId}`)) as unknown as TriggerJson;
    expect(trigger.executions.map((e) => e.attempt)).toEqual([1, 2]);
    const [firstSent, retrySent] = arrivalsAt("/once");
    expectNotBefore(firstSent?.arrivedAt, onceDue, "the first attempt");
    expectNotBefore(retrySent?.arrivedAt, Date.parse(trigger.executions[0]?.retryAt ?? ""), "the retry");
    expectNotBefore(callback?.arrivedAt, Date.parse(trigger.finishedAt ?? ""), "the outcome callback");

    // A replay is due when it was asked for.
    const replay = (await api(`/triggers/${once.triggerId}/replay`, { method: "POST" })) as { scheduledAt: string };
    const [, , replaySent] = await target.waitFor(() => arrivalsAt("/once").length >= 3).then(() => arrivalsAt("/once"));
    expectNotBefore(replaySent?.arrivedAt, Date.parse(replay.scheduledAt), "the replay");

    // Every tick that arrived, paced or not, arrived at or after its instance's scheduledAt. Once a
    // tick arrives a second after the last paced one, both paced instances exist: await them.
    const lastPaced = pacedTicks[1]!;
    await target.waitFor(() => arrivalsAt("/tick").some((r) => r.arrivedAt >= lastPaced + 1_000));
    const instances = async () =>
      ((await api(`/triggers?generatorId=${generator.triggerId}&limit=100`)) as unknown as { triggers: TriggerJson[] }).triggers;
    const pacedIds = (await instances()).filter((t) => pacedTicks.includes(Date.parse(t.scheduledAt))).map((t) => t.id);
    expect(pacedIds).toHaveLength(2);
    await target.waitFor(() => pacedIds.every((id) => arrivalsAt("/tick").some((r) => triggerIdOf(r) === id)));
    // Listed after the arrivals were taken: every instance that arrived is in the list.
    const arrived = arrivalsAt("/tick");
    const scheduledAtOf = new Map((await instances()).map((t) => [t.id, Date.parse(t.scheduledAt)]));
    const ticks = arrived.map((r) => ({ arrivedAt: r.arrivedAt, due: scheduledAtOf.get(triggerIdOf(r) ?? "") }));
    for (const tick of ticks) expectNotBefore(tick.arrivedAt, tick.due ?? Number.NaN, `the tick due ${new Date(tick.due ?? 0).toISOString()}`);
  });
});
