import { resolve } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { BENCH_API_KEY, kilobyteBody } from "../lib/load.js";
import { CONNECTIONS_PER_ORIGIN, DELIVERY_CONCURRENCY, compiledAdapters } from "../lib/paths.js";
import { rssBytes } from "../lib/processes.js";
import { BENCH_ID_HEADER } from "../lib/sink.js";
import type { Adapter, Footprint, Session, StartOptions } from "./adapter.js";
import type { StoredCall } from "./front-end.js";
import { type NodeServer, startNodeServer } from "./node-server.js";
import { packageVersion } from "./versions.js";

const REDIS = { host: "127.0.0.1", port: 6379 };
const DAY_MS = 86_400_000;
const FILL_CHUNK = 1_000;
const FILL_PARALLEL = 4;
const FILL_LIMIT_MS = 300_000;

/**
 * BullMQ behind a Hono front end (`bullmq-server.ts`). Redis runs with AOF `everysec` for the
 * bench (set by {@link Adapter.prepare}, the previous settings restored by dispose). Each
 * session uses a new queue name and deletes its keys when it stops.
 */
export function bullmqAdapter(log: (line: string) => void): Adapter {
  let admin: Redis | null = null;
  let saved: { appendonly: string; appendfsync: string } | null = null;
  let sessions = 0;
  const queues = new Set<string>();

  const redis = (): Redis => {
    admin ??= new Redis({ ...REDIS, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    return admin;
  };
  const info = async (section: string, field: string): Promise<number> => {
    const text = await redis().info(section);
    const match = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  };
  const settleAof = async (): Promise<void> => {
    for (let i = 0; i < 600; i += 1) {
      const busy = (await info("persistence", "aof_rewrite_in_progress")) + (await info("persistence", "aof_rewrite_scheduled"));
      if (busy === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const rewriteAof = async (): Promise<void> => {
    await settleAof();
    await redis().bgrewriteaof();
    await new Promise((r) => setTimeout(r, 50));
    await settleAof();
  };
  const deleteQueue = async (name: string): Promise<void> => {
    let cursor = "0";
    do {
      const [next, keys] = await redis().scan(cursor, "MATCH", `bull:${name}:*`, "COUNT", 10_000);
      cursor = next;
      if (keys.length > 0) await redis().unlink(...keys);
    } while (cursor !== "0");
    queues.delete(name);
  };

  return {
    name: "BullMQ",
    durability: "Redis AOF, appendfsync everysec (up to 1 s of acknowledged jobs lost if Redis itself dies)",
    async probe() {
      try {
        await redis().connect();
        await redis().ping();
        return null;
      } catch (error) {
        admin?.disconnect();
        admin = null;
        return `Redis is not reachable at 127.0.0.1:6379 (${error instanceof Error ? error.message : String(error)})`;
      }
    },
    async versions() {
      const text = await redis().info("server");
      return {
        bullmq: packageVersion("bullmq"),
        ioredis: packageVersion("ioredis"),
        redis: /^redis_version:(\S+)/m.exec(text)?.[1] ?? "?",
      };
    },
    async prepare() {
      const [, appendonly = "no"] = (await redis().config("GET", "appendonly")) as string[];
      const [, appendfsync = "everysec"] = (await redis().config("GET", "appendfsync")) as string[];
      saved = { appendonly, appendfsync };
      await redis().config("SET", "appendfsync", "everysec");
      await redis().config("SET", "appendonly", "yes");
      await settleAof();
    },
    async dispose() {
      if (admin === null) return;
      try {
        for (const name of [...queues]) await deleteQueue(name);
        if (saved !== null) {
          if (saved.appendonly === "yes") await rewriteAof();
          await redis().config("SET", "appendonly", saved.appendonly);
          await redis().config("SET", "appendfsync", saved.appendfsync);
          saved = null;
        }
      } finally {
        admin.disconnect();
        admin = null;
      }
    },
    async start(start: StartOptions): Promise<Session> {
      sessions += 1;
      const queueName = `hgbench-${process.pid}-${sessions}`;
      queues.add(queueName);
      await rewriteAof();
      const baseMemory = await info("memory", "used_memory");
      const baseAof = await info("persistence", "aof_current_size");
      const launch = (): Promise<NodeServer> =>
        startNodeServer({
          name: "bullmq front end",
          script: resolve(compiledAdapters, "bullmq-server.js"),
          env: {
            BENCH_API_KEY,
            BENCH_CONNECTIONS: String(CONNECTIONS_PER_ORIGIN),
            BENCH_CONCURRENCY: String(DELIVERY_CONCURRENCY),
            BENCH_QUEUE: queueName,
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
          await rewriteAof();
          return {
            processRssBytes: rssBytes(server.proc.pid),
            storeMemoryBytes: (await info("memory", "used_memory")) - baseMemory,
            diskBytes: (await info("persistence", "aof_current_size")) - baseAof,
          };
        },
        kill9: () => server.proc.kill9(),
        async restart() {
          server = await launch();
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await server.proc.stop();
          await deleteQueue(queueName);
        },
      };
      try {
        if (start.pending > 0) await fill(queueName, start.pending, log);
      } catch (error) {
        await session.stop();
        throw error;
      }
      return session;
    },
  };
}

async function fill(queueName: string, count: number, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const queue = new Queue<StoredCall>(queueName, { connection: { ...REDIS, maxRetriesPerRequest: null } });
  try {
    const body = Buffer.from(kilobyteBody()).toString("base64");
    const chunk = (from: number) => {
      const jobs = [];
      for (let n = from; n < Math.min(count, from + FILL_CHUNK); n += 1) {
        jobs.push({
          name: "fire",
          data: { m: "POST", u: "http://127.0.0.1:9/hook", h: [["content-type", "application/json"], [BENCH_ID_HEADER, `fill-${n}`]] as [string, string][], b: body },
          opts: { delay: 7 * DAY_MS + ((n * 2654435761) % (30 * DAY_MS)), attempts: 4, backoff: { type: "exponential", delay: 10_000 } },
        });
      }
      return jobs;
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: FILL_PARALLEL }, async () => {
        while (next < count) {
          const from = next;
          next += FILL_CHUNK;
          await queue.addBulk(chunk(from));
          if (performance.now() - started > FILL_LIMIT_MS) throw new Error(`filling Redis took over ${FILL_LIMIT_MS / 1000} s`);
        }
      }),
    );
  } finally {
    await queue.close();
  }
  log(`  BullMQ: ${count.toLocaleString("en-US")} delayed jobs added in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
