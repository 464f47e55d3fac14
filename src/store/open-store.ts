import { type Clock, systemClock } from "../clock.js";
import type { DatabaseConfig } from "../config.js";
import { type Cluster, singleNode } from "./cluster.js";
import type { StoreOptions } from "./kysely-store.js";
import { PostgresClusterLink, newNodeId } from "./postgres/cluster-link.js";
import { DatabaseClock } from "./postgres/database-clock.js";
import { openPostgresStore } from "./postgres/store.js";
import { openSqliteStore } from "./sqlite/open.js";
import type { Store } from "./store.js";

export interface OpenStoreHooks {
  /** Something degraded the store without stopping it (a failing WAL checkpoint, a dropped connection). */
  warn: (details: object, message: string) => void;
  info: (details: object, message: string) => void;
}

/** How often a node heartbeats (and looks for dead nodes), and how old a heartbeat makes a node dead. */
export interface ClusterTiming {
  heartbeatMs: number;
  staleMs: number;
  /** The dispatcher's longest idle sleep (HOURGLASS_MAX_IDLE_MS). */
  maxIdleMs: number;
}

/** A store, the other nodes on its database, and the clock they all tell time by. */
export interface OpenedStore {
  store: Store;
  cluster: Cluster;
  clock: Clock;
  /** A new, empty store that no other process sees, for the start-up rehearsal (dispatch/rehearsal.ts). */
  openScratch: () => Store;
}

/**
 * A scratch store: SQLite in memory, whichever engine holds the real triggers. On PostgreSQL the
 * rehearsal therefore leaves the driver's code cold — a scratch store of temporary tables there
 * was tried, and the first burst was no faster.
 */
export const openScratch = (): Store => openSqliteStore({ path: ":memory:", synchronous: "NORMAL", runMissedCap: 1, missedGraceMs: 60_000 });

/**
 * Opens the store the configuration names: the only place that knows which engine it is. An
 * SQLite file has one process, on this machine's clock; PostgreSQL may have several nodes, which
 * tell time by the database's clock (see postgres/database-clock.ts).
 */
export async function openStore(database: DatabaseConfig, options: StoreOptions, hooks: OpenStoreHooks, timing: ClusterTiming): Promise<OpenedStore> {
  if (database.kind === "postgres") {
    const nodeId = newNodeId();
    const store = await openPostgresStore({
      ...options,
      url: database.url,
      poolSize: database.poolSize,
      nodeId,
      onConnectionError: (error) => hooks.warn({ error: error.message }, "a pooled PostgreSQL connection failed; it is replaced when next needed"),
    });
    const clock = new DatabaseClock();
    try {
      const cluster = await PostgresClusterLink.start({
        url: database.url,
        nodeId,
        clock,
        heartbeatMs: timing.heartbeatMs,
        staleMs: timing.staleMs,
        horizonMs: timing.maxIdleMs,
        log: hooks,
      });
      hooks.info({ nodeId, clockOffsetMs: clock.offsetMs, liveNodes: cluster.liveNodes() }, "joined the nodes on this PostgreSQL database");
      return { store, cluster, clock, openScratch };
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  const store = await openSqliteStore({
    ...options,
    path: database.path,
    synchronous: database.synchronous,
    onCheckpointError: (message) => hooks.warn({ error: message }, "WAL checkpointing is failing; the write-ahead log grows until a checkpoint succeeds"),
  });
  return { store, cluster: singleNode, clock: systemClock, openScratch };
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
