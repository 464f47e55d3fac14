import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore, type StoreOptions } from "../kysely-store.js";
import { type Migration, loadMigrations, migrationsFolder, pendingMigrations } from "../migrations.js";
import { MAX_CLAIM_AHEAD_MS } from "../row-builders.js";
import type { SyncSql } from "./prepared-paths.js";
import type { Database } from "../rows.js";
import { DEFAULT_RESTART_PAGES, type WalCheckpointer, startWalCheckpointer } from "./wal-checkpointer.js";

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
  /**
   * Told when checkpoints on the checkpointing thread start failing, or the thread died (it is
   * started again): the WAL grows until a checkpoint succeeds.
   */
  onCheckpointError?: (message: string) => void;
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

/**
 * Opens (creating if needed) the SQLite database, takes the one-process lock for the life of the
 * process, applies the migrations it lacks, starts the checkpointing thread, and returns the store.
 */
export function openSqliteStore(config: SqliteStoreConfig): KyselyStore {
  const onDisk = config.path !== ":memory:";
  if (onDisk) mkdirSync(dirname(config.path), { recursive: true });
  const lock = onDisk ? acquireLock(config.path) : null;
  let sqlite: BetterSqlite3.Database | null = null;
  let checkpointer: WalCheckpointer | null = null;
  try {
    sqlite = new BetterSqlite3(config.path);
    sqlite.pragma("busy_timeout = 1000");
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`synchronous = ${config.synchronous}`);
    // Checkpoints run on their own thread (see wal-checkpointer.ts); SQLite's automatic one only
    // steps in, on this connection, if that thread falls far behind.
    sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    // Statements with RETURNING or an IN (subquery) — the claim's id lists — build a temporary
    // b-tree per execution: in memory, not in a temporary file (~100 µs a statement on a 2-core VM).
    sqlite.pragma("temp_store = MEMORY");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("case_sensitive_like = ON");
    migrate(sqlite, loadMigrations(migrationsFolder("sqlite")));
    if (onDisk) expirePredecessorLeases(sqlite, Date.now());
    if (onDisk) checkpointer = startWalCheckpointer(config.path, config.synchronous, config.onCheckpointError ?? (() => {}));
  } catch (error) {
    sqlite?.close();
    lock?.close();
    throw error;
  }
  const opened = sqlite;
  const closeMain = (): void => {
    if (opened.open) opened.close();
  };
  // The checkpointing thread's connection closes last (it then checkpoints and removes the WAL),
  // and only then is the lock given up: close() resolves with every file handle closed.
  const release = async (): Promise<void> => {
    closeMain();
    await checkpointer?.stop();
    if (lock?.open) lock.close();
  };
  const statements = statementCache(opened, config.trace);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: { close: closeMain, prepare: statements } }) });
  const sync: SyncSql = {
    exec: (sql) => void statements(sql).run(),
    get inTransaction() {
      return opened.inTransaction;
    },
    run: (sql, params) => statements(sql).run(params),
    get: <T>(sql: string, params: readonly unknown[]) => statements(sql).get(params) as T | undefined,
    all: <T>(sql: string, params: readonly unknown[]) => statements(sql).all(params) as T[],
  };
  // Kysely opens its driver lazily: a store that never ran a query would keep the file (and its
  // lock) open through destroy(), so the handle is closed here too.
  const walBytes = (): number => (onDisk ? (statSync(`${config.path}-wal`, { throwIfNoEntry: false })?.size ?? 0) : 0);
  const capabilities = { skipLocked: false, rowLocks: false, rerunsTransaction: () => false, sync: config.fastPaths === false ? null : sync, walBytes, engine: "sqlite" as const };
  return new KyselyStore(db, capabilities, config, release);
}

const STATEMENT_CACHE_SIZE = 2000;
/**
 * WAL pages after which this connection checkpoints itself, on the event loop: twice the size at
 * which the checkpointing thread lets the log start over, so that the thread lets go first (a
 * server whose commits never pause long enough for the restart still reaches it under sustained
 * load).
 */
const BACKSTOP_CHECKPOINT_PAGES = 2 * DEFAULT_RESTART_PAGES;

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

/**
 * The one-process lock: a small database beside the main file (`<path>-lock`), held exclusively
 * by this connection until it closes — the OS drops it on kill -9. The main file itself stays
 * shared so the checkpointing thread can open it.
 */
function acquireLock(path: string): BetterSqlite3.Database {
  const lock = new BetterSqlite3(`${path}-lock`);
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.pragma("busy_timeout = 0");
    lock.exec("BEGIN EXCLUSIVE; COMMIT;");
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") throw new DatabaseLockedError(path, { cause: error });
    throw error;
  }
}

/**
 * Applies the migrations the database lacks, each recorded in `schema_migrations`, all in one
 * immediate transaction (the file lock already keeps other Hourglass processes out). A database
 * from before versioned migrations has its tables and no record: migration 1 is written with
 * IF NOT EXISTS, so there it only gets recorded.
 */
export function migrate(sqlite: BetterSqlite3.Database, migrations: Migration[]): void {
  sqlite.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  sqlite.exec("BEGIN IMMEDIATE");
  try {
    const applied = sqlite.prepare("SELECT version FROM schema_migrations").pluck().all() as number[];
    const record = sqlite.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const migration of pendingMigrations(migrations, applied)) {
      sqlite.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
    sqlite.exec("COMMIT");
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Gives back the leases a previous process held on this file: holding the file lock proves that
 * process is gone (killed, or crashed), so its claimed-but-unfinished triggers are due again
 * almost at once (after {@link MAX_CLAIM_AHEAD_MS}: it may have claimed some ahead of their due
 * time) instead of when their leases (timeout + margin) would have run out. Claimed again, each
 * is a new attempt, as after a lease expiry.
 */
export function expirePredecessorLeases(sqlite: BetterSqlite3.Database, now: number): number {
  const dueAt = now + MAX_CLAIM_AHEAD_MS;
  return sqlite.prepare("UPDATE triggers SET due_at = ? WHERE status = 'running' AND due_at > ?").run(dueAt, dueAt).changes;
}
