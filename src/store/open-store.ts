import type { DatabaseConfig } from "../config.js";
import type { StoreOptions } from "./kysely-store.js";
import { openPostgresStore } from "./postgres/store.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export interface OpenStoreHooks {
  /** Something degraded the store without stopping it (a failing WAL checkpoint, a dropped connection). */
  warn: (details: { error: string }, message: string) => void;
}

/** Opens the store the configuration names: the only place that knows which engine it is. */
export async function openStore(database: DatabaseConfig, options: StoreOptions, hooks: OpenStoreHooks): Promise<Store> {
  if (database.kind === "postgres") {
    return openPostgresStore({
      ...options,
      url: database.url,
      poolSize: database.poolSize,
      onConnectionError: (error) => hooks.warn({ error: error.message }, "a pooled PostgreSQL connection failed; it is replaced when next needed"),
    });
  }
  return openSqliteStore({
    ...options,
    path: database.path,
    synchronous: database.synchronous,
    onCheckpointError: (message) => hooks.warn({ error: message }, "WAL checkpointing is failing; the write-ahead log grows until a checkpoint succeeds"),
  });
}

/** The database as logs may show it: the SQLite path, or the PostgreSQL URL without its password. */
export function databaseLabel(database: DatabaseConfig): string {
  if (database.kind === "sqlite") return database.path;
  try {
    const url = new URL(database.url);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
