import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HourglassProcess, killIfRunning, spawnHourglass } from "../support/child-process.js";
import { type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";
import { makeTempDir } from "../support/temp-dir.js";

const KEY = "hg_fault_test_key_0123456789abcdef";

interface TriggerJson {
  status: string;
  attempts: number;
  executions: { attempt: number; outcome: string; error: string | null }[];
}

/**
 * Crashes at chosen points of a real process (started through the test-only entry point
 * test/support/failpoint-main.mjs), restarts it on the same database, and checks what the target saw.
 */
describe("fault injection on a real Hourglass process", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let target: TargetServer;
  /** Receives every trigger's outcome callback: how the test learns a trigger is final. */
  let outcomes: TargetServer;
  let running: HourglassProcess | null = null;
  let env: Record<string, string>;

  beforeEach(async () => {
    temp = makeTempDir();
    target = await startTargetServer();
    outcomes = await startTargetServer();
    env = {
      DATABASE_URL: join(temp.dir, "hourglass.db"),
      HOURGLASS_API_KEYS: KEY,
      HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
      HOURGLASS_DEFAULT_TIMEOUT_MS: "1000",
      HOURGLASS_LEASE_MARGIN_MS: "1000",
    };
  });
  afterEach(async () => {
    await killIfRunning(running);
    await target.close();
    await outcomes.close();
    temp.remove();
  });

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${running!.url}${path}`, { ...init, headers: { "ttr-api-key": KEY, ...init.headers } });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
  };
  const schedule = async (headers: Record<string, string>, body = "payload") => {
    const res = await api("/schedule", {
      method: "POST",
      headers: { "ttr-url": `${target.url}/hook`, "ttr-scheduled-at": "now", "ttr-callback-url": `${outcomes.url}/done`, ...headers },
      body,
    });
    expect(res.status).toBe(200);
    return res.json.triggerId as string;
  };
  /** Waits for the trigger's outcome callback, then reads the trigger with its executions. */
  const waitUntilFinal = async (id: string): Promise<TriggerJson> => {
    await outcomes.waitFor((all) => all.some((r) => (JSON.parse(r.body.toString()) as { trigger: { id: string } }).trigger.id === id));
    return (await api(`/triggers/${id}`)).json as unknown as TriggerJson;
  };

  it("the production entry point has no failpoint: HOURGLASS_FAILPOINT is not read", async () => {
    running = await spawnHourglass({ ...env, HOURGLASS_FAILPOINT: "after-claim" });
    const id = await schedule({});
    const trigger = await waitUntilFinal(id);
    expect(trigger).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(target.received).toHaveLength(1);
    expect(running.child.exitCode).toBeNull();
    expect(running.child.signalCode).toBeNull();
  });

  it("kill -9 after the claim commits and before the request is sent: delivered once after restart", async () => {
    running = await spawnHourglass(env, { failpoint: "after-claim" });
    await schedule({});
    expect((await running.exited).signal).toBe("SIGKILL");
    expect(target.received).toHaveLength(0);

    running = await spawnHourglass(env);
    await target.waitForCount(1);
    // The crash may beat the /schedule response: find the trigger through the read API.
    const [id] = ((await api("/triggers?kind=job")).json.triggers as { id: string }[]).map((t) => t.id);
    const trigger = await waitUntilFinal(id as string);
    expect(trigger).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(target.received).toHaveLength(1);
  });

  it("a restart takes back the killed process's leases at once, not when they would expire", async () => {
    // The default timeout and lease margin: the lease of the claim runs 60 s, twice the test's timeout.
    const defaults = { ...env };
    delete defaults.HOURGLASS_DEFAULT_TIMEOUT_MS;
    delete defaults.HOURGLASS_LEASE_MARGIN_MS;
    running = await spawnHourglass(defaults, { failpoint: "after-claim" });
    await schedule({});
    expect((await running.exited).signal).toBe("SIGKILL");
    running = await spawnHourglass(defaults);
    await target.waitForCount(1);
    expect(target.received).toHaveLength(1);
  });

  it("kill -9 after the target answered and before the outcome is recorded: delivered again with the same webhook-id", async () => {
    running = await spawnHourglass(env);
    const { json } = await api("/signing-secret", { method: "POST" });
    const secret = json.secret as string;
    running.child.kill("SIGKILL");
    await running.exited;

    const crashes = 2;
    let id = "";
    for (let crash = 0; crash < crashes; crash++) {
      running = await spawnHourglass(env, { failpoint: "after-send" });
      if (crash === 0) id = await schedule({}, '{"order":42}');
      expect((await running.exited).signal).toBe("SIGKILL");
      expect(target.received).toHaveLength(crash + 1);
    }
    running = await spawnHourglass(env);
    const trigger = await waitUntilFinal(id);
    expect(trigger.status).toBe("succeeded");

    expect(target.received).toHaveLength(crashes + 1);
    const webhookIds = target.received.map((r) => headerPairs(r.rawHeaders).find(([n]) => n === "webhook-id")?.[1]);
    expect(new Set(webhookIds)).toEqual(new Set([`msg_${id}`]));
    for (const request of target.received) {
      const headers = Object.fromEntries(headerPairs(request.rawHeaders).map(([n, v]) => [n.toLowerCase(), v]));
      expect(new Webhook(secret).verify(request.body.toString(), headers)).toEqual({ order: 42 });
    }
    // Exactly one duplicate per crash, and the history shows the attempt that finished.
    expect(target.received.length - 1).toBe(crashes);
    expect(trigger.executions.map((e) => e.outcome)).toEqual(["succeeded"]);
  });

  it("a target slower than the timeout: the timeout is recorded and retried, the lease never causes a duplicate", async () => {
    running = await spawnHourglass(env);
    const releases: (() => void)[] = [];
    target.respondWith((_req, res) => releases.push(() => res.writeHead(200).end("too late")));
    const id = await schedule({ "ttr-timeout": "300ms", "ttr-retries": "1", "ttr-retry-delay": "200ms" });
    const trigger = await waitUntilFinal(id);
    expect(trigger.status).toBe("failed");
    expect(trigger.executions.map((e) => [e.attempt, e.error])).toEqual([
      [1, "timeout after 300 ms"],
      [2, "timeout after 300 ms"],
    ]);
    // Both requests are still held open by the target, yet each attempt reached it exactly once:
    // the lease (timeout + margin) outlived every attempt, so nothing was claimed twice.
    expect(trigger.attempts).toBe(2);
    expect(target.received).toHaveLength(2);
    for (const release of releases) release();
  });
});
