import { execFileSync } from "node:child_process";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DatabaseLockedError, openSqliteStore } from "../../src/store/sqlite.js";
import { makeTempDir } from "../support/temp-dir.js";
import { DELIVERY, describeStoreContract } from "./store-contract.js";

const options = { synchronous: "NORMAL" as const, runMissedCap: 100, missedGraceMs: 60_000 };

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
      const probe = `const D=require("better-sqlite3");const d=new D(${JSON.stringify(path)});d.pragma("busy_timeout=0");try{d.prepare("select count(*) from triggers").get();console.log("opened")}catch(e){console.log(e.code)}`;
      expect(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }).trim()).toBe("SQLITE_BUSY");
    } finally {
      await first.close();
    }
    const second = openSqliteStore({ ...options, path });
    await second.close();
    temp.remove();
  });

  it("enforces one pending instance per generator in the schema itself", async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, "hourglass.db");
    const store = openSqliteStore({ ...options, path });
    const projectId = await store.ensureApiKey("a".repeat(64), "hg_a", 0);
    const { id } = await store.scheduleGenerator({
      projectId,
      customKey: null,
      triggerId: null,
      request: { method: "GET", url: "https://example.com/", headers: [], body: null },
      delivery: DELIVERY,
      title: null,
      tags: [],
      now: 0,
      cronExpr: "@hourly",
      cronTz: "UTC",
      runMissed: "once",
      overlap: "allow",
    });
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
