import { randomBytes } from "node:crypto";
import { rssBytes } from "../lib/processes.js";
import { BENCH_ID_HEADER } from "../lib/sink.js";
import type { Adapter, Footprint, Session, StartOptions } from "./adapter.js";
import { ensurePgFixture, resetFixture } from "./hourglass-pg-fixture.js";
import { hourglassMain, startHourglass } from "./hourglass-process.js";
import type { NodeServer } from "./node-server.js";
import { BENCH_PG_URL, adminQuery, durabilitySettings, schemaBytes, schemaUrl } from "./postgres-admin.js";
import { existsSync } from "node:fs";

/** Options of {@link hourglassPostgresAdapter}. */
export interface HourglassPostgresOptions {
  /** Hourglass processes on the one database, each answering /schedule and firing. */
  nodes: number;
  log: (line: string) => void;
}

/** Schemas of empty-store sessions start with this (a run killed outright leaves them: prepare drops them). */
const SESSION_SCHEMA_PREFIX = "hourglass_bench_pg_";

/**
 * Hourglass on the local PostgreSQL (`DATABASE_URL` with `options=-c search_path=<schema>`):
 * `nodes` processes of `node dist/bundle/main.js` on one database, every one pinned to the server
 * core with PostgreSQL, as the peers run with their store server. An empty store is a new schema
 * per session, dropped at its end; a store with pending triggers is the cached fixture schema of
 * that size (hourglass-pg-fixture.ts), reset at the session's end.
 */
export function hourglassPostgresAdapter(options: HourglassPostgresOptions): Adapter {
  let settings = "";
  const schemas = new Set<string>();
  const dropLeftovers = async (): Promise<void> => {
    const rows = await adminQuery<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1", [`${SESSION_SCHEMA_PREFIX}%`]);
    for (const { name } of rows) await adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  };
  return {
    name: options.nodes === 1 ? "Hourglass (PostgreSQL)" : `Hourglass (PostgreSQL, ${options.nodes} nodes)`,
    get durability() {
      return `PostgreSQL as configured (${settings || "not read yet"}), acknowledged after COMMIT${options.nodes > 1 ? `; ${options.nodes} Hourglass processes on one database, each serving /schedule and firing` : ""}`;
    },
    async probe() {
      if (!existsSync(hourglassMain)) return "dist/bundle/main.js is missing: run `npm run build` first";
      try {
        settings = await durabilitySettings();
        return null;
      } catch (error) {
        return `PostgreSQL is not reachable at ${BENCH_PG_URL} (${error instanceof Error ? error.message : String(error)})`;
      }
    },
    async versions() {
      const rows = await adminQuery<{ v: string }>("SELECT current_setting('server_version') AS v");
      return { postgresql: rows[0]?.v ?? "?" };
    },
    async prepare() {
      await dropLeftovers();
    },
    async dispose() {
      for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      schemas.clear();
      await dropLeftovers().catch(() => undefined);
    },
    async start(start: StartOptions): Promise<Session> {
      const fixture = start.pending > 0;
      let schema: string;
      if (fixture) {
        schema = await ensurePgFixture(start.pending, options.log);
      } else {
        schema = `${SESSION_SCHEMA_PREFIX}${randomBytes(5).toString("hex")}`;
        await adminQuery(`CREATE SCHEMA ${schema}`);
        schemas.add(schema);
      }
      const release = async (): Promise<void> => {
        if (fixture) {
          await resetFixture(schema, start.pending);
        } else {
          await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          schemas.delete(schema);
        }
      };
      const nodeIds: (string | null)[] = [];
      const launch = async (node: number): Promise<NodeServer> => {
        const server = await startHourglass({
          databaseUrl: schemaUrl(schema, `hourglass-bench-node-${node}`),
          synchronous: "NORMAL",
          ...(start.leaseMs === undefined ? {} : { leaseMs: start.leaseMs }),
          ...(start.cpuProfileDir === undefined ? {} : { cpuProfileDir: start.cpuProfileDir }),
        });
        nodeIds[node] = await nodeIdOf(server);
        return server;
      };
      const servers: NodeServer[] = [];
      try {
        // The first node alone applies the migrations; the others join once they are there.
        servers.push(await launch(0));
        servers.push(...(await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => launch(i + 1)))));
      } catch (error) {
        await Promise.all(servers.map((s) => s.proc.stop()));
        await release();
        throw error;
      }
      let killedNodeId: string | null = null;
      let stopped = false;
      return {
        get baseUrl() {
          return `http://127.0.0.1:${servers[0]!.port}`;
        },
        get baseUrls() {
          return servers.map((s) => `http://127.0.0.1:${s.port}`);
        },
        async footprint(): Promise<Footprint> {
          const nodeRssBytes = servers.map((s) => rssBytes(s.proc.pid));
          const known = nodeRssBytes.filter((x): x is number => x !== null);
          return {
            processRssBytes: known.length === 0 ? null : Math.max(...known),
            ...(servers.length > 1 ? { nodeRssBytes } : {}),
            storeMemoryBytes: null,
            diskBytes: await schemaBytes(schema),
          };
        },
        async kill9() {
          killedNodeId = nodeIds[0] ?? null;
          await servers[0]!.proc.kill9();
        },
        async leasedByKilledNode() {
          if (killedNodeId === null) return [];
          const rows = await adminQuery<{ headers: string }>(`SELECT headers FROM ${schema}.triggers WHERE status = 'running' AND claimed_by = $1`, [killedNodeId]);
          const pattern = new RegExp(`${BENCH_ID_HEADER}"\\s*[,:]\\s*"([^"]+)"`, "i");
          return rows.map((r) => pattern.exec(r.headers)?.[1]).filter((id): id is string => id !== undefined);
        },
        async restart() {
          servers[0] = await launch(0);
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await Promise.all(servers.map((s) => s.proc.stop()));
          await release();
        },
      };
    },
  };
}

/** The node id a process announced when it joined the database's nodes. */
async function nodeIdOf(server: NodeServer): Promise<string | null> {
  try {
    const line = await server.proc.waitForLine((l) => l.includes('"nodeId"'), 100);
    return (JSON.parse(line) as { nodeId?: string }).nodeId ?? null;
  } catch {
    return null;
  }
}
