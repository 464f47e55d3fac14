import pg from "pg";

/** PostgreSQL's type id for int8 (BIGINT, and what count(*) returns). */
const INT8_OID = 20;

/** int8 read as a JS number: every BIGINT Hourglass stores is epoch milliseconds or a count, far below 2^53. */
function getTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID) return Number;
  return pg.types.getTypeParser(oid, format as "text") as (value: string) => unknown;
}

export interface PoolConfig {
  /** postgres:// or postgresql:// URL (libpq's parameters, e.g. `?sslmode=require`, `?options=-c search_path=…`). */
  url: string;
  /** Connections this process opens at most. */
  size: number;
  /** An idle connection failed (the server restarted, a network cut): the pool drops it and opens another when needed. */
  onError?: (error: Error) => void;
  /** This node's id, set on every connection as `hourglass.node_id`: a claim records it on the leases it takes. */
  nodeId?: string;
  /** Settings of every connection of this pool (`set_config`, for the session). */
  settings?: Record<string, string>;
  /**
   * Keep idle connections open (node-postgres closes them after 10 s): each holds its prepared
   * statements and their plans, which a new connection prepares again on first use.
   */
  keepIdle?: boolean;
}

/** How long opening a connection may take before the query waiting for it fails (an unreachable server answers nothing). */
const CONNECT_TIMEOUT_MS = 5_000;

/** A node-postgres pool whose int8 values arrive as numbers (chosen by bench/pg-driver.mjs; see its commit). */
export function createPool(config: PoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.size,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(config.keepIdle ? { idleTimeoutMillis: 0 } : {}),
    types: { getTypeParser } as pg.CustomTypesConfig,
  });
  const settings = Object.entries({ ...(config.nodeId === undefined ? {} : { "hourglass.node_id": config.nodeId }), ...config.settings });
  const applySettings = `SELECT ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, false)`).join(", ")}`;
  pool.on("connect", (client) => {
    // The pool listens for errors of idle connections only: one that breaks while checked out
    // (its server process terminated between two statements of a transaction) would otherwise
    // emit an uncaught exception and end the process. Its user sees the failure on its next
    // query, and the pool drops it when it is released.
    client.on("error", () => undefined);
    // Queued on the new connection before anything its first user sends. A failure shows on that query too.
    if (settings.length > 0) void client.query(applySettings, settings.flat()).catch(() => undefined);
  });
  // Without a listener, an idle connection's error would be thrown as an uncaught exception.
  pool.on("error", (error) => config.onError?.(error));
  return pool;
}
