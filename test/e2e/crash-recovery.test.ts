import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HourglassProcess, spawnHourglass } from "../support/child-process.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";
import { makeTempDir } from "../support/temp-dir.js";

const KEY = "hg_crash_test_key_0123456789abcdef";

/** POSTs one trigger carrying `seq` as its body; resolves with the HTTP status (0 when the connection died). */
async function scheduleOne(base: string, target: string, seq: number, at: string): Promise<number> {
  try {
    const res = await fetch(`${base}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": KEY, "ttr-url": `${target}/hook`, "ttr-scheduled-at": at },
      body: String(seq),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe("kill -9 of a real Hourglass process", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let target: TargetServer;
  let running: HourglassProcess | null = null;
  let env: Record<string, string>;

  beforeEach(async () => {
    temp = makeTempDir();
    target = await startTargetServer();
    env = {
      DATABASE_URL: join(temp.dir, "hourglass.db"),
      HOURGLASS_API_KEYS: KEY,
      HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
      // Short leases so that claims orphaned by the crash come back within the test.
      HOURGLASS_DEFAULT_TIMEOUT_MS: "1000",
      HOURGLASS_LEASE_MARGIN_MS: "1000",
    };
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    await target.close();
    temp.remove();
  });

  const deliveredSeqs = () => new Set(target.received.map((r) => Number(r.body.toString())));

  it("loses no acknowledged trigger when killed during ingest, and delivers them after restart", async () => {
    running = await spawnHourglass(env);
    const acked: number[] = [];
    let seq = 0;
    const killAfter = 150;
    // Eight concurrent writers; the process is killed while they are still sending.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const mine = seq++;
          if (mine >= 400) return;
          const status = await scheduleOne(running!.url, target.url, mine, "now | add 1s");
          if (status === 200) acked.push(mine);
          if (status === 0) return;
          if (acked.length === killAfter && running!.child.exitCode === null) running!.child.kill("SIGKILL");
        }
      }),
    );
    expect((await running.exited).signal).toBe("SIGKILL");
    expect(acked.length).toBeGreaterThanOrEqual(killAfter);

    running = await spawnHourglass(env);
    await target.waitFor(() => {
      const delivered = deliveredSeqs();
      return acked.every((s) => delivered.has(s));
    });
    const delivered = deliveredSeqs();
    expect(acked.filter((s) => !delivered.has(s))).toEqual([]);
  });

  it("delivers claimed-but-unrecorded triggers again after their lease expires", async () => {
    running = await spawnHourglass(env);
    const total = 60;
    // Hold every delivery open so that the crash lands while claims are in flight.
    const releases: (() => void)[] = [];
    target.respondWith((_req, res) => releases.push(() => res.writeHead(200).end("late")));
    for (let i = 0; i < total; i++) expect(await scheduleOne(running.url, target.url, i, "now")).toBe(200);
    await target.waitForCount(10);
    running.child.kill("SIGKILL");
    await running.exited;
    for (const release of releases) release();
    target.respondWith((_req, res) => res.writeHead(200).end("ok"));

    const restartedAt = Date.now();
    running = await spawnHourglass(env);
    await target.waitFor(() => deliveredSeqs().size === total);
    const received = target.received.length;
    const delivered = deliveredSeqs();
    expect(Array.from({ length: total }, (_, i) => i).filter((s) => !delivered.has(s))).toEqual([]);
    // Duplicates are the deliveries that were in flight at the crash, nothing more.
    expect(received - total).toBeLessThanOrEqual(releases.length);
    expect(Date.now() - restartedAt).toBeLessThan(30_000);
  });

  it("refuses to start a second process on the same database file", async () => {
    running = await spawnHourglass(env);
    await expect(spawnHourglass(env)).rejects.toThrow(/in use by another Hourglass process/);
  });

  it("exits 0 on SIGTERM", async () => {
    running = await spawnHourglass(env);
    running.child.kill("SIGTERM");
    expect(await running.exited).toEqual({ code: 0, signal: null });
  });

  it("on SIGTERM, waits for the checkpointing thread to copy the log into the database file and remove it", async () => {
    running = await spawnHourglass(env);
    expect(await scheduleOne(running.url, target.url, 1, "now | add 1h")).toBe(200);
    const database = env.DATABASE_URL as string;
    expect(existsSync(`${database}-wal`)).toBe(true);
    running.child.kill("SIGTERM");
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(`${database}-wal`)).toBe(false);
    // The trigger is in the database file itself: the file alone, copied elsewhere, holds it.
    const copy = join(temp.dir, "copy.db");
    copyFileSync(database, copy);
    const db = new BetterSqlite3(copy, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM triggers").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
