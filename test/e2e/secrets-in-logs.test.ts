import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HourglassProcess, spawnHourglass } from "../support/child-process.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";
import { makeTempDir } from "../support/temp-dir.js";

const KEY = "hg_logs_test_key_0123456789abcdef";
const ADMIN = "admin-token-logs-test-0123456789abcdef";

describe("nothing secret is logged", () => {
  const temp = makeTempDir();
  let running: HourglassProcess | null = null;
  let target: TargetServer | null = null;

  afterEach(async () => {
    if (running && running.child.exitCode === null) running.child.kill("SIGKILL");
    await target?.close();
    temp.remove();
  });

  it("keeps API keys, the admin token and signing secrets out of stdout and stderr at trace level", async () => {
    target = await startTargetServer();
    running = await spawnHourglass({
      DATABASE_URL: join(temp.dir, "h.db"),
      HOURGLASS_API_KEYS: KEY,
      HOURGLASS_ADMIN_TOKEN: ADMIN,
      HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
      LOG_LEVEL: "trace",
    });
    const call = (path: string, init: RequestInit, headers: Record<string, string>) =>
      fetch(`${running!.url}${path}`, { ...init, headers }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => null)) as any }));

    const { body: created } = await call("/admin/projects", { method: "POST", body: '{"name":"logs"}' }, { authorization: `Bearer ${ADMIN}` });
    const { body: rotated } = await call("/signing-secret", { method: "POST" }, { "ttr-api-key": KEY });
    expect((await call("/schedule", { method: "POST" }, { "ttr-api-key": "hg_wrong_key_0123456789abcdef" })).status).toBe(401);
    expect((await call("/admin/projects", {}, { authorization: "Bearer wrong-admin-token-0123456789" })).status).toBe(401);
    const delivered = target.waitForCount(1);
    const scheduled = await call(
      "/schedule",
      { method: "POST", body: "{}" },
      { "ttr-api-key": KEY, "ttr-url": `${target.url}/hook`, "ttr-scheduled-at": "now", authorization: "Bearer target-secret" },
    );
    expect(scheduled.status).toBe(200);
    await delivered;
    running.child.kill("SIGTERM");
    await running.exited;

    const everything = running.output() + running.errors();
    expect(everything).toContain("hourglass listening");
    for (const secret of [KEY, ADMIN, created.apiKey.key, rotated.secret, "target-secret"]) {
      expect(everything).not.toContain(secret);
    }
  });
});
