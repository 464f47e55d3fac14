import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { loadMigrations } from "../../src/store/migrations.js";
import { MAX_CLAIM_AHEAD_MS } from "../../src/store/row-builders.js";
import { DatabaseLockedError, migrate, openSqliteStore } from "../../src/store/sqlite/open.js";
import { startWalCheckpointer } from "../../src/store/sqlite/wal-checkpointer.js";
import { makeTempDir } from "../support/temp-dir.js";
import { describeFlowContract } from "./flow-contract.js";
import { describeStoreContract, generatorInput, jobInput, request } from "./store-contract.js";

const options = { synchronous: "NORMAL" as const, runMissedCap: 100, missedGraceMs: 60_000 };

/** The WAL header's checkpoint sequence number: SQLite adds one each time the log starts over. */
function walStartsOver(path: string): number {
  return readFileSync(`${path}-wal`).readUInt32BE(12);
}

/** From the WAL index (native byte order): frames in the log, and how many checkpoints have copied. */
function walProgress(path: string): { frames: number; copied: number } {
  const shm = readFileSync(`${path}-shm`);
  return { frames: shm.readUInt32LE(16), copied: shm.readUInt32LE(96) };
}

/** Waits until the checkpointing thread has copied every frame of the log into the database file. */
async function checkpointedAll(path: string): Promise<void> {
  await vi.waitFor(
    () => {
      const { frames, copied } = walProgress(path);
      expect(copied).toBe(frames);
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Runs `fn` on a store over a new SQLite file, then closes the store and removes the file. */
async function withStoreFile(fn: (store: ReturnType<typeof openSqliteStore>, path: string) => Promise<void>): Promise<void> {
  const temp = makeTempDir();
  const path = join(temp.dir, "hourglass.db");
  const store = openSqliteStore({ ...options, path });
  try {
    await fn(store, path);
  } finally {
    await store.close();
    temp.remove();
  }
}

/** The restart delays a checkpointer announced in its messages, in order. */
function restartDelays(messages: readonly string[]): number[] {
  return messages.filter((m) => m.includes("exited")).map((m) => Number(/again in (\d+) ms/.exec(m)?.[1]));
}

/** A store over a new SQLite file (`fastPaths: false`: through Kysely only); `dispose` closes and removes it. */
async function sqliteFactory(fastPaths = true) {
  const temp = makeTempDir();
  const store = openSqliteStore({ ...options, path: join(temp.dir, "hourglass.db"), fastPaths });
  return {
    store,
    dispose: async () => {
      await store.close();
      temp.remove();
    },
  };
}

describeFlowContract("SQLite file", () => sqliteFactory());
describeFlowContract("SQLite file, portable paths only (fastPaths: false)", () => sqliteFactory(false));

describeStoreContract("SQLite file", async () => {
  const temp = makeTempDir();
  const store = openSqliteStore({ ...options, path: join(temp.dir, "hourglass.db") });
  return {
    store,
    dispose: async () => {
      await store.close();
      temp.remove();
    },
  };
});

// The same contract through Kysely only: the portable paths a second engine would run.
describeStoreContract("SQLite file, portable paths only (fastPaths: false)", async () => {
  const temp = makeTempDir();
  const store = openSqliteStore({ ...options, path: join(temp.dir, "hourglass.db"), fastPaths: false });
  return {
    store,
    dispose: async () => {
      await store.close();
      temp.remove();
    },
  };
});

describe("SQLite file ownership", () => {
  it("refuses a second opener of the same file while the first holds it, in-process and from another process", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const first = openSqliteStore({ ...options, path });
    try {
      expect(() => openSqliteStore({ ...options, path })).toThrow(DatabaseLockedError);
      // Another process trying to take the one-process lock the way openSqliteStore does.
      const probe = `const D=require("better-sqlite3");const d=new D(${JSON.stringify(`${path}-lock`)});d.pragma("busy_timeout=0");try{d.exec("BEGIN EXCLUSIVE");console.log("locked")}catch(e){console.log(e.code)}`;
      expect(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }).trim()).toBe("SQLITE_BUSY");
    } finally {
      await first.close();
    }
    const second = openSqliteStore({ ...options, path });
    await second.close();
    temp.remove();
  });

  it("checkpoints the write-ahead log on its own thread: committed pages reach the database file", async () => {
    await withStoreFile(async (store, path) => {
      const projectId = await store.ensureApiKey("c".repeat(64), "hg_c", 0);
      const before = statSync(path).size;
      const body = new Uint8Array(4096).fill(7);
      for (let i = 0; i < 100; i++) {
        await store.scheduleJob(jobInput(projectId, { request: request({ body }), now: 0, scheduledAt: 3_600_000 }));
      }
      // Far below SQLite's own automatic checkpoint on this connection (20,000 pages): only the
      // checkpointing thread copies these ~100 pages into the main file.
      await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 100 * 4096), { timeout: 10_000, interval: 50 });
    });
  });

  it("keeps the event loop's commits from starting the log over (and fsyncing it) after the thread has copied all of it", async () => {
    await withStoreFile(async (store, path) => {
      const projectId = await store.ensureApiKey("d".repeat(64), "hg_d", 0);
      await store.scheduleJob(jobInput(projectId));
      await checkpointedAll(path);
      const startsOver = walStartsOver(path);
      const framesBefore = walProgress(path).frames;
      // Without a reader of the log, SQLite's next writer starts a fully copied log over from its
      // beginning, and fsyncs its header, whatever `synchronous` says: here, on the event loop.
      for (let i = 0; i < 3; i++) {
        await store.scheduleJob(jobInput(projectId));
        await checkpointedAll(path);
      }
      await store.scheduleJob(jobInput(projectId));
      expect(walStartsOver(path)).toBe(startsOver);
      expect(walProgress(path).frames).toBeGreaterThan(framesBefore);
    });
  });

  it("lets the log start over once it reaches the restart size, so it does not grow without end", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const main = new BetterSqlite3(path);
    main.pragma("journal_mode = WAL");
    main.exec("CREATE TABLE t (x BLOB)");
    const insert = main.prepare("INSERT INTO t VALUES (randomblob(3000))");
    const messages: string[] = [];
    const checkpointer = startWalCheckpointer(path, "NORMAL", (m) => messages.push(m), { restartPages: 20 });
    try {
      insert.run();
      await checkpointedAll(path);
      const startsOver = walStartsOver(path);
      for (let i = 0; i < 30; i++) insert.run();
      expect(walProgress(path).frames).toBeGreaterThanOrEqual(20);
      await checkpointedAll(path);
      insert.run();
      expect(walStartsOver(path)).toBe(startsOver + 1);
      expect(walProgress(path).frames).toBeLessThan(20);
      expect(messages).toEqual([]);
    } finally {
      main.close();
      await checkpointer.stop();
      temp.remove();
    }
  });

  it("starts a checkpointing thread that died again, waiting longer each time, and stops for good when asked", async () => {
    const temp = makeTempDir();
    // A driver that cannot load: every thread dies as it starts.
    const driver = join(temp.dir, "broken-driver.cjs");
    writeFileSync(driver, 'throw new Error("no driver here");');
    const messages: string[] = [];
    const checkpointer = startWalCheckpointer(join(temp.dir, "hourglass.db"), "NORMAL", (m) => messages.push(m), { driver, restartDelayMs: 5 });
    try {
      await vi.waitFor(() => expect(restartDelays(messages).length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 10 });
      expect(messages).toContain("no driver here");
      expect(restartDelays(messages).slice(0, 3)).toEqual([5, 10, 20]);
    } finally {
      await checkpointer.stop();
      temp.remove();
    }
  });

  it("waits the first delay again after a thread that died having run long enough to count as healthy", async () => {
    const temp = makeTempDir();
    // A driver whose first two threads die as they start, whose third runs for 3 s (healthy at
    // 1.5 s, well above a thread's start-up even on a slow machine) and then dies, and whose later
    // threads die as they start again.
    const driver = join(temp.dir, "flaky-driver.cjs");
    const loads = join(temp.dir, "loads");
    writeFileSync(loads, "0");
    writeFileSync(
      driver,
      `const fs = require("node:fs");
const n = Number(fs.readFileSync(${JSON.stringify(loads)}, "utf8")) + 1;
fs.writeFileSync(${JSON.stringify(loads)}, String(n));
if (n !== 3) throw new Error("thread " + n + " dies at once");
setTimeout(() => { throw new Error("thread 3 dies after a healthy run"); }, 3000);
module.exports = class { pragma() { return [{ log: 0, checkpointed: 0 }]; } prepare() { return { get() {} }; } exec() {} close() {} };`,
    );
    const messages: string[] = [];
    const checkpointer = startWalCheckpointer(join(temp.dir, "hourglass.db"), "NORMAL", (m) => messages.push(m), {
      driver,
      restartDelayMs: 5,
      healthyRunMs: 1500,
    });
    try {
      await vi.waitFor(() => expect(restartDelays(messages).length).toBeGreaterThanOrEqual(5), { timeout: 10_000, interval: 10 });
      expect(messages).toContain("thread 3 dies after a healthy run");
      // 5, 10 while dying at start; the healthy thread's death restarts at 5; then doubling again.
      expect(restartDelays(messages).slice(0, 5)).toEqual([5, 10, 5, 10, 20]);
    } finally {
      await checkpointer.stop();
      temp.remove();
    }
  });

  it("commits the /schedule work already queued when it closes, instead of failing it", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const store = openSqliteStore({ ...options, path });
    const projectId = await store.ensureApiKey("a".repeat(64), "hg_a", 0);
    // Queued in this turn, waiting for the group commit at its end; the store closes meanwhile.
    const queued = Array.from({ length: 5 }, () => store.scheduleJob(jobInput(projectId)));
    await store.close();
    const ids = (await Promise.all(queued)).map((r) => r.id);
    const raw = new BetterSqlite3(path, { readonly: true });
    try {
      expect(raw.prepare("SELECT id FROM triggers ORDER BY id").all().map((r) => (r as { id: string }).id)).toEqual(ids);
    } finally {
      raw.close();
      temp.remove();
    }
  });

  it("gives back the leases of the process before it, due once what that one may have claimed ahead is due", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const first = openSqliteStore({ ...options, path });
    const projectId = await first.ensureApiKey("a".repeat(64), "hg_a", 0);
    const claimedAt = Date.now();
    const due = claimedAt + MAX_CLAIM_AHEAD_MS;
    const { id } = await first.scheduleJob(jobInput(projectId, { now: claimedAt, scheduledAt: due }));
    expect(await first.claimDue(claimedAt, 10, 30_000, undefined, due)).toEqual([expect.objectContaining({ id, startAt: due })]);
    await first.close();
    const next = openSqliteStore({ ...options, path });
    try {
      const givenBack = await next.nextDueAt();
      // Not the lease's end (30 s away), and not before the instant the claim was made for.
      expect(givenBack).toBeGreaterThanOrEqual(due);
      expect(givenBack).toBeLessThanOrEqual(Date.now() + MAX_CLAIM_AHEAD_MS);
    } finally {
      await next.close();
      temp.remove();
    }
  });

  it("enforces one pending instance per generator in the schema itself", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const store = openSqliteStore({ ...options, path });
    const projectId = await store.ensureApiKey("a".repeat(64), "hg_a", 0);
    const { id } = await store.scheduleGenerator(
      generatorInput(projectId, { request: { method: "GET", url: "https://example.com/", headers: [], body: null }, now: 0, cronExpr: "@hourly" }),
    );
    await store.close();
    const raw = new BetterSqlite3(path);
    // A byte-for-byte copy of the pending tick under another id: only the schema can refuse it.
    const columns = (raw.pragma("table_info(triggers)") as { name: string }[]).map((c) => c.name);
    const select = columns.map((c) => (c === "id" ? "'SECOND' || id" : c)).join(", ");
    const copyPending = () =>
      raw
        .prepare(`INSERT INTO triggers (${columns.join(", ")}) SELECT ${select} FROM triggers WHERE generator_id = ? AND status = 'registered'`)
        .run(id);
    expect(copyPending).toThrow(/UNIQUE constraint failed/);
    raw.close();
    temp.remove();
  });

  it("creates the database folder when it is missing", async () => {
    const temp = makeTempDir();
    const store = openSqliteStore({ ...options, path: join(temp.dir, "nested", "deeper", "h.db") });
    expect(await store.countApiKeys()).toBe(0);
    await store.close();
    temp.remove();
  });
});

describe("SQLite group commits of new one-shots", () => {
  const T0 = Date.UTC(2026, 11, 2, 12);

  async function openTraced() {
    const temp = makeTempDir();
    const inserts: string[] = [];
    const store = openSqliteStore({
      ...options,
      path: join(temp.dir, "hourglass.db"),
      trace: (sql) => {
        if (sql.startsWith("INSERT INTO triggers")) inserts.push(sql);
      },
    });
    const projectId = await store.ensureApiKey("a".repeat(64), "hg_a", T0);
    const dispose = async () => {
      await store.close();
      temp.remove();
    };
    return { store, projectId, inserts, dispose };
  }

  it("writes the one-shots of one transaction with 64-row INSERTs, each row its own, and a claim in it sees them all", async () => {
    const { store, projectId, inserts, dispose } = await openTraced();
    try {
      // Submitted in one turn: one transaction, the claim last in it.
      const scheduled = Array.from({ length: 150 }, (_, i) =>
        store.scheduleJob(jobInput(projectId, { now: T0, scheduledAt: T0 + i, title: `job ${i}`, tags: [`n${i}`] })),
      );
      const claim = store.claimDue(T0 + 1_000, 500, 1_000);
      const results = await Promise.all(scheduled);
      const claimed = await claim;
      expect(inserts.map((sql) => sql.split("), (").length)).toEqual([64, 64, 22]);
      expect(claimed.map((c) => c.id).sort()).toEqual(results.map((r) => r.id).sort());
      for (const [i, { id }] of results.entries()) {
        const stored = await store.getTrigger(projectId, id);
        expect([stored?.title, stored?.tags, stored?.scheduledAt]).toEqual([`job ${i}`, [`n${i}`], T0 + i]);
      }
    } finally {
      await dispose();
    }
  });

  it("fails every item of a transaction whose one-shots cannot be written, and stores none of them", async () => {
    const { store, projectId, dispose } = await openTraced();
    try {
      // A project that does not exist passes the quota read but not the foreign key, at the INSERT.
      const outcomes = await Promise.allSettled([
        store.scheduleJob(jobInput(projectId, { now: T0, title: "valid" })),
        store.scheduleJob(jobInput("NO-SUCH-PROJECT", { now: T0, title: "orphan" })),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
      expect((await store.listTriggers(projectId, {}, { limit: 10 })).items).toEqual([]);
      // The next transaction is clean.
      const { id } = await store.scheduleJob(jobInput(projectId, { now: T0, title: "after" }));
      expect((await store.getTrigger(projectId, id))?.title).toBe("after");
    } finally {
      await dispose();
    }
  });
});

describe("SQLite query plans of the dispatcher's queries", () => {
  /**
   * The claim and the next-due lookup run on every wake-up; with a million pending triggers they
   * must walk the partial indexes, never scan the table. SQLite uses a partial index only when
   * the query repeats its WHERE terms literally (a bound `status IN (?, ?)` does not count), so a
   * refactor that binds the status list would pass every other test and ruin precision at scale.
   */
  it.each([true, false])("uses the partial indexes for claim and next-due (fast paths: %s)", async (fastPaths) => {
    const temp = makeTempDir();
    const statements: string[] = [];
    const store = openSqliteStore({ ...options, path: join(temp.dir, "h.db"), fastPaths, trace: (sql) => statements.push(sql) });
    const projectId = await store.ensureApiKey("c".repeat(64), "hg_c", 0);
    const other = await store.ensureApiKey("d".repeat(64), "hg_d", 0);
    const job = (project: string) => jobInput(project, { now: 0, scheduledAt: 1_000 });
    await store.scheduleJob(job(projectId));
    await store.scheduleJob(job(other)); // two projects due: the fair, per-project selection runs too
    statements.length = 0;
    await store.nextDueAt();
    expect(await store.claimDue(2_000, 10, 30_000)).toHaveLength(2);
    await store.close();

    const readsOfTriggers = statements.filter((s) => /^\s*select/i.test(s) && /from\s+"?triggers"?/i.test(s));
    // EXPLAIN plans at prepare time, before any value is bound — as SQLite plans the real
    // statement: a status list left to placeholders cannot match a partial index's WHERE.
    expect(readsOfTriggers.length).toBeGreaterThanOrEqual(3);
    const probe = new BetterSqlite3(":memory:");
    migrate(probe, loadMigrations(new URL("../../migrations/sqlite/", import.meta.url)));
    for (const sql of readsOfTriggers) {
      const statement = probe.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const placeholders = (sql.match(/\?/g) ?? []).length;
      const plan = (statement.all(...new Array(placeholders).fill(null)) as { detail: string }[])
        .map((row) => row.detail)
        .join(" | ");
      expect(plan, sql).toMatch(/triggers_due/);
      expect(plan, sql).not.toMatch(/SCAN (t|triggers)\b(?! USING)/);
    }
    probe.close();
    temp.remove();
  });
});

describe("SQLite query plans of the trigger list", () => {
  /**
   * A list filter that matches one trigger in 100,000 must not walk the whole project (≈ 300 ms
   * at a million triggers): each filter reads an index ordered by id within the project, and a
   * tag filter walks the tag's own rows.
   */
  const filters: [string, Record<string, string>, RegExp][] = [
    ["status", { status: "failed" }, /triggers_by_status/],
    ["kind job", { kind: "job" }, /triggers_by_origin/],
    ["kind callback", { kind: "callback" }, /triggers_by_origin/],
    ["kind generator", { kind: "generator" }, /triggers_of_generators/],
    ["custom key", { customKey: "k" }, /triggers_by_custom_key/],
    ["generator", { generatorId: "01M00000000000000000000000" }, /triggers_by_generator/],
    ["tag", { tag: "rare" }, /SEARCH tt USING PRIMARY KEY \(project_id=\? AND tag=\? AND trigger_id<\?\)/],
  ];
  it.each(filters)("reads only what a %s filter matches, in id order", async (_name, filter, index) => {
    const temp = makeTempDir();
    const statements: string[] = [];
    const store = openSqliteStore({ ...options, path: join(temp.dir, "h.db"), trace: (sql) => statements.push(sql) });
    const projectId = await store.ensureApiKey("c".repeat(64), "hg_c", 0);
    statements.length = 0;
    await store.listTriggers(projectId, filter, { limit: 10, cursor: "01M99999999999999999999999" });
    await store.close();
    const [list] = statements.filter((s) => /from\s+"?trigger/i.test(s));
    const probe = new BetterSqlite3(":memory:");
    migrate(probe, loadMigrations(new URL("../../migrations/sqlite/", import.meta.url)));
    const placeholders = (list?.match(/\?/g) ?? []).length;
    const plan = (probe.prepare(`EXPLAIN QUERY PLAN ${list}`).all(...new Array(placeholders).fill(null)) as { detail: string }[])
      .map((row) => row.detail)
      .join(" | ");
    probe.close();
    temp.remove();
    expect(plan, list).toMatch(index);
    // (An equality look-up by id, as the tag filter makes, may use any index; a walk of the project may not.)
    expect(plan, list).not.toMatch(/triggers_by_project \(project_id=\?( AND id<\?)?\)|TEMP B-TREE FOR ORDER BY|SCAN/);
  });
});
