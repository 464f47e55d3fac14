import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SchemaTooNewError, loadMigrations, pendingMigrations } from "../../src/store/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { makeTempDir } from "../support/temp-dir.js";

const SQLITE_MIGRATIONS = new URL("../../migrations/sqlite/", import.meta.url);
const options = { synchronous: "NORMAL" as const, runMissedCap: 100, missedGraceMs: 60_000 };
const T0 = Date.UTC(2026, 5, 1, 12);

describe("SQLite migrations", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;
  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, "hourglass.db");
  });
  afterEach(() => temp.remove());

  /** A database as the last release before versioned migrations left it: its schema.sql, one trigger. */
  function previousReleaseDatabase(): void {
    const db = new BetterSqlite3(path);
    db.pragma("journal_mode = WAL");
    db.exec(readFileSync(new URL("0001_initial.sql", SQLITE_MIGRATIONS), "utf8"));
    db.prepare("INSERT INTO projects (id, name, created_at) VALUES ('P1', 'old', ?)").run(T0);
    db.prepare("INSERT INTO api_keys (id, project_id, key_hash, key_prefix, created_at) VALUES ('K1', 'P1', ?, 'hg_old', ?)").run("a".repeat(64), T0);
    db.prepare(
      `INSERT INTO triggers (id, project_id, origin, method, url, headers, body, tags, retries, retries_left, retry_delay_ms,
        timeout_ms, scheduled_at, due_at, status, created_at, updated_at)
       VALUES ('T1', 'P1', 'job', 'PUT', 'https://example.com/x', '[["X-A","1"]]', x'00ff', '', 3, 3, 10000, 30000, ?, ?, 'registered', ?, ?)`,
    ).run(T0, T0, T0, T0);
    db.close();
  }

  it("upgrades a database of the previous release in place, keeping its data", async () => {
    previousReleaseDatabase();
    const store = openSqliteStore({ ...options, path });
    try {
      expect(await store.findApiKey("a".repeat(64))).toMatchObject({ projectId: "P1" });
      expect(await store.getTrigger("P1", "T1")).toMatchObject({ method: "PUT", headers: [["X-A", "1"]], body: new Uint8Array([0, 255]) });
      const [claim] = await store.claimDue(T0, 10, 30_000);
      expect(claim?.id).toBe("T1");
    } finally {
      await store.close();
    }
    const db = new BetterSqlite3(path, { readonly: true });
    const versions = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    expect(versions).toEqual(loadMigrations(SQLITE_MIGRATIONS).map(({ version, name }) => ({ version, name })));
    const columns = (db.prepare("PRAGMA table_info(triggers)").all() as { name: string }[]).map((c) => c.name);
    expect(columns).toContain("quota_month");
    db.close();
  });

  it("applies each migration once: opening again changes nothing", async () => {
    await (openSqliteStore({ ...options, path })).close();
    const read = () => {
      const db = new BetterSqlite3(path, { readonly: true });
      const rows = db.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version").all();
      db.close();
      return rows;
    };
    const first = read();
    await (openSqliteStore({ ...options, path })).close();
    expect(read()).toEqual(first);
  });

  it("refuses a database that a newer release migrated", async () => {
    await (openSqliteStore({ ...options, path })).close();
    const db = new BetterSqlite3(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)").run();
    db.close();
    expect(() => openSqliteStore({ ...options, path })).toThrow(SchemaTooNewError);
  });

  it("reads a folder in version order and refuses a gap or a badly named file", () => {
    const folder = join(temp.dir, "migrations");
    mkdirSync(folder);
    writeFileSync(join(folder, "0002_second.sql"), "SELECT 2;");
    writeFileSync(join(folder, "0001_first.sql"), "SELECT 1;");
    const url = pathToFileURL(`${folder}/`);
    expect(loadMigrations(url).map((m) => [m.version, m.name])).toEqual([[1, "first"], [2, "second"]]);
    expect(pendingMigrations(loadMigrations(url), [1]).map((m) => m.version)).toEqual([2]);
    writeFileSync(join(folder, "0004_fourth.sql"), "SELECT 4;");
    expect(() => loadMigrations(url)).toThrow(/numbered 1, 2, 3/);
    writeFileSync(join(folder, "0003-third.sql"), "SELECT 3;");
    expect(() => loadMigrations(url)).toThrow(/NNNN_name/);
  });
});
