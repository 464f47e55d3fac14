import { resolve } from "node:path";
import pg from "pg";
import { BENCH_API_KEY, kilobyteBody } from "../lib/load.js";
import { CONNECTIONS_PER_ORIGIN, DELIVERY_CONCURRENCY, compiledAdapters } from "../lib/paths.js";
import { rssBytes } from "../lib/processes.js";
import { BENCH_ID_HEADER } from "../lib/sink.js";
import type { Adapter, Footprint, Session, StartOptions } from "./adapter.js";
import { type NodeServer, startNodeServer } from "./node-server.js";
import { packageVersion } from "./versions.js";

const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = "hourglass_bench_pgboss";
const QUEUE = "hourglass_bench";
const DAY_MS = 86_400_000;

/**
 * pg-boss 10 behind a Hono front end (`pgboss-server.ts`) on the local PostgreSQL, in its own
 * schema, dropped before and after every session. PostgreSQL runs as configured (the bench
 * reads and prints `synchronous_commit` and `fsync`).
 */
export function pgbossAdapter(log: (line: string) => void): Adapter {
  let settings = "";
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const dropSchema = (): Promise<unknown> => query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);

  return {
    name: "pg-boss",
    get durability() {
      return `PostgreSQL as configured (${settings || "synchronous_commit and fsync not read yet"})`;
    },
    async probe() {
      try {
        const rows = await query<{ sc: string; fs: string }>("SELECT current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fs");
        settings = `synchronous_commit=${rows[0]?.sc}, fsync=${rows[0]?.fs}`;
        return null;
      } catch (error) {
        return `PostgreSQL is not reachable at ${PG_URL} (${error instanceof Error ? error.message : String(error)})`;
      }
    },
    async versions() {
      const rows = await query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return { "pg-boss": packageVersion("pg-boss"), pg: packageVersion("pg"), postgresql: rows[0]?.v ?? "?" };
    },
    async prepare() {
      await dropSchema();
    },
    async dispose() {
      await dropSchema().catch(() => undefined);
    },
    async start(start: StartOptions): Promise<Session> {
      await dropSchema();
      const launch = (): Promise<NodeServer> =>
        startNodeServer({
          name: "pg-boss front end",
          script: resolve(compiledAdapters, "pgboss-server.js"),
          env: {
            BENCH_API_KEY,
            BENCH_CONNECTIONS: String(CONNECTIONS_PER_ORIGIN),
            BENCH_CONCURRENCY: String(DELIVERY_CONCURRENCY),
            BENCH_PG_URL: PG_URL,
            BENCH_PG_SCHEMA: SCHEMA,
            BENCH_QUEUE: QUEUE,
            ...(start.leaseMs === undefined ? {} : { BENCH_LEASE_MS: String(start.leaseMs) }),
          },
          readyMessage: "listening",
        });
      let server = await launch();
      let stopped = false;
      const session: Session = {
        get baseUrl() {
          return `http://127.0.0.1:${server.port}`;
        },
        async footprint(): Promise<Footprint> {
          await query(`VACUUM ANALYZE ${SCHEMA}.job`);
          const rows = await query<{ bytes: string }>(
            `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
            [SCHEMA],
          );
          return { processRssBytes: rssBytes(server.proc.pid), storeMemoryBytes: null, diskBytes: Number(rows[0]?.bytes ?? 0) };
        },
        kill9: () => server.proc.kill9(),
        async restart() {
          server = await launch();
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await server.proc.stop();
          await dropSchema();
        },
      };
      try {
        if (start.pending > 0) await fill(query, start.pending, log);
      } catch (error) {
        await session.stop();
        throw error;
      }
      return session;
    },
  };
}

/** Inserts `count` jobs as pg-boss's own `send` would, due days from now, in one statement. */
async function fill(query: (text: string, values?: unknown[]) => Promise<unknown[]>, count: number, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const body = Buffer.from(kilobyteBody()).toString("base64");
  await query(
    `INSERT INTO ${SCHEMA}.job (name, data, start_after, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy)
     SELECT q.name,
            jsonb_build_object('m', 'POST', 'u', 'http://127.0.0.1:9/hook', 'b', $2::text,
              'h', jsonb_build_array(jsonb_build_array('content-type', 'application/json'), jsonb_build_array($3::text, 'fill-' || g))),
            s.at, coalesce(q.expire_seconds, 900) * interval '1 second', s.at + interval '14 days',
            q.retry_limit, q.retry_delay, q.retry_backoff, q.policy
       FROM generate_series(1, $4::int) AS g
       CROSS JOIN ${SCHEMA}.queue AS q
       CROSS JOIN LATERAL (SELECT now() + (${7 * DAY_MS} + (g::bigint * 2654435761) % ${30 * DAY_MS}) * interval '1 millisecond' AS at) AS s
      WHERE q.name = $1`,
    [QUEUE, body, BENCH_ID_HEADER, count],
  );
  log(`  pg-boss: ${count.toLocaleString("en-US")} jobs inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
