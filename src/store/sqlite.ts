import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore, type StoreOptions } from "./kysely-store.js";
import type { SyncSql } from "./prepared-paths.js";
import type { Database } from "./rows.js";

export type SqliteSynchronous = "NORMAL" | "FULL";

export interface SqliteStoreConfig extends StoreOptions {
  /** Database file; its folder is created when missing. */
  path: string;
  /**
   * NORMAL (default): with WAL, a commit survives a killed process (`kill -9`) but may be lost
   * on power failure. FULL: fsync on every commit, survives power loss too.
   */
  synchronous: SqliteSynchronous;
  /**
   * Run the hot paths (ingest, claim, outcome) as prepared statements in synchronous group
   * commits (default). Off, every query goes through Kysely — the portable paths a second
   * engine uses; the store tests run both ways.
   */
  fastPaths?: boolean;
  /** Diagnostics: called with the source text (placeholders, not values) of every statement run. */
  trace?: (sql: string) => void;
}

/** Raised when another process holds the database file: two dispatchers on one file would double-fire. */
export class DatabaseLockedError extends Error {
  constructor(path: string, options?: { cause?: unknown }) {
    super(
      `The SQLite database ${path} is in use by another Hourglass process. ` +
        "Only one process may serve an SQLite file at a time (a second would deliver every trigger twice); stop the other one first.",
      options,
    );
    this.name = "DatabaseLockedError";
  }
}

const SCHEMA_URL = new URL("../../schema.sql", import.meta.url);

/**
 * Opens (creating if needed) the SQLite database, takes an exclusive lock on it for the life of
 * the process, applies `schema.sql`, and returns the store.
 */
export function openSqliteStore(config: SqliteStoreConfig): KyselyStore {
  if (config.path !== ":memory:") mkdirSync(dirname(config.path), { recursive: true });
  const sqlite = new BetterSqlite3(config.path);
  try {
    // EXCLUSIVE before WAL: the WAL index then lives in process memory, and the lock taken by
    // the first write below is held until the connection closes (the OS drops it on kill -9).
    sqlite.pragma("locking_mode = EXCLUSIVE");
    sqlite.pragma("busy_timeout = 0");
    acquireLock(sqlite, config.path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`synchronous = ${config.synchronous}`);
    // Statements with RETURNING or an IN (subquery) build a temporary b-tree per execution: in
    // memory, not in a temporary file (a file costs ~100 µs per finished delivery here).
    sqlite.pragma("temp_store = MEMORY");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("case_sensitive_like = ON");
    sqlite.exec(readFileSync(SCHEMA_URL, "utf8"));
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const statements = statementCache(sqlite, config.trace);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: { close: () => sqlite.close(), prepare: statements } }) });
  const sync: SyncSql = {
    exec: (sql) => void statements(sql).run(),
    get inTransaction() {
      return sqlite.inTransaction;
    },
    run: (sql, params) => statements(sql).run(params),
    get: <T>(sql: string, params: readonly unknown[]) => statements(sql).get(params) as T | undefined,
    all: <T>(sql: string, params: readonly unknown[]) => statements(sql).all(params) as T[],
  };
  // Kysely opens its driver lazily: a store that never ran a query would keep the file (and its
  // lock) open through destroy(), so the handle is closed here too.
  return new KyselyStore(db, { skipLocked: false, sync: config.fastPaths === false ? null : sync }, config, () => {
    if (sqlite.open) sqlite.close();
  });
}

const STATEMENT_CACHE_SIZE = 2000;

/**
 * Kysely's SQLite driver prepares every query anew; parsing the same SQL again was a sixth of
 * the /schedule path. Statements are reused by SQL text (better-sqlite3 statements are
 * re-runnable; nothing iterates two at once on this single connection).
 */
function statementCache(sqlite: BetterSqlite3.Database, trace?: (sql: string) => void): (sql: string) => BetterSqlite3.Statement {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return (sql) => {
    trace?.(sql);
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}

function acquireLock(sqlite: BetterSqlite3.Database, path: string): void {
  try {
    sqlite.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_BUSY") throw new DatabaseLockedError(path, { cause: error });
    throw error;
  }
}
