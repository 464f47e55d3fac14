import { Kysely, PostgresDialect } from "kysely";
import { type FastPathRows, KyselyStore, type StoreOptions } from "../kysely-store.js";
import { loadMigrations, migrationsFolder } from "../migrations.js";
import type { Database } from "../rows.js";
import { PostgresFastPaths } from "./fast-paths.js";
import { migratePostgres } from "./migrate.js";
import { createPool } from "./pool.js";

export interface PostgresStoreConfig extends StoreOptions {
  /** postgres:// or postgresql:// URL. */
  url: string;
  /** Connections this process opens at most. */
  poolSize: number;
  /** An idle pooled connection failed; it is replaced when next needed. */
  onConnectionError?: (error: Error) => void;
  /** This node's id, recorded on the leases it takes (see cluster-link.ts). */
  nodeId?: string;
  /** false: every operation through Kysely, none on the prepared hot paths (tests run the store contract both ways). */
  fastPaths?: boolean;
}

/**
 * Connects to PostgreSQL, applies the migrations it lacks (once, however many nodes start at
 * once), and returns the store: the same {@link KyselyStore} as on SQLite, through Kysely's
 * PostgreSQL dialect, claiming with `FOR UPDATE SKIP LOCKED` and locking the rows it reads
 * before writing what depends on them (other nodes write concurrently, under READ COMMITTED).
 */
export async function openPostgresStore(config: PostgresStoreConfig): Promise<KyselyStore> {
  const pool = createPool({ url: config.url, size: config.poolSize, onError: config.onConnectionError, nodeId: config.nodeId });
  try {
    await migratePostgres(pool, loadMigrations(migrationsFolder("postgres")));
  } catch (error) {
    await pool.end();
    throw error;
  }
  // Kysely's destroy() ends the pool.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const fastPool =
    config.fastPaths === false
      ? null
      : createPool({
          url: config.url,
          size: FAST_PATH_CONNECTIONS,
          onError: config.onConnectionError,
          nodeId: config.nodeId,
          settings: FAST_PATH_SETTINGS,
          keepIdle: true,
        });
  const fastPaths = fastPool === null ? undefined : (rows: FastPathRows) => new PostgresFastPaths(fastPool, rows, isDeadlock);
  return new KyselyStore(
    db,
    { skipLocked: true, rowLocks: true, rerunsTransaction: isDeadlock, sync: null, walBytes: () => 0, engine: "postgresql", fastPaths },
    config,
    () => fastPool?.end(),
  );
}

/** The fast paths keep one transaction of each kind in flight (fast-paths.ts): two connections of their own. */
const FAST_PATH_CONNECTIONS = 2;
/**
 * The fast paths' statements are named and few, and their plans do not depend on the values
 * given (an index scan in due order, inserts, updates by id): planned once per connection
 * (a generic plan) rather than at every execution. PostgreSQL would otherwise re-plan the claim
 * each time — its generic plan's estimate assumes a tenth of the triggers due — at ≈ 0.7 ms a
 * claim, 7 times its execution. JIT compilation, which that estimate would trigger at every
 * execution of a generic plan, is off: it never pays for statements this short.
 */
const FAST_PATH_SETTINGS = { plan_cache_mode: "force_generic_plan", jit: "off" };

/** PostgreSQL chose this transaction as a deadlock's victim (SQLSTATE 40P01). */
function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "40P01";
}
