import { Queue, Worker } from "bullmq";
import { createFirer, createFrontEnd, envInt, serveFrontEnd, type StoredCall } from "./front-end.js";

/*
 * The BullMQ peer: a Hono front end that adds a delayed job per /schedule, and a Worker in the
 * same process that replays it with undici. Retries mirror Hourglass's defaults (3 retries,
 * exponential from 10 s). BENCH_LEASE_MS, when set, shortens the lock (Hourglass's lease).
 */
const connection = { host: "127.0.0.1", port: envInt("REDIS_PORT", 6379), maxRetriesPerRequest: null };
const name = process.env.BENCH_QUEUE ?? "hourglass-bench";
const leaseMs = envInt("BENCH_LEASE_MS", 0);
const firer = createFirer(envInt("BENCH_CONNECTIONS", 64));
const queue = new Queue<StoredCall>(name, { connection });
const worker = new Worker<StoredCall>(
  name,
  async (job) => {
    const outcome = await firer.fire(job.data);
    if (!outcome.ok) throw new Error(outcome.error ?? "failed");
  },
  {
    connection,
    concurrency: envInt("BENCH_CONCURRENCY", 256),
    ...(leaseMs > 0 ? { lockDuration: leaseMs, stalledInterval: Math.max(500, Math.floor(leaseMs / 3)) } : {}),
  },
);
worker.on("error", (error) => process.stderr.write(`worker error: ${error.message}\n`));

const app = createFrontEnd(process.env.BENCH_API_KEY ?? "", async (call, dueAt) => {
  const job = await queue.add("fire", call, {
    delay: Math.max(0, dueAt - Date.now()),
    attempts: 4,
    backoff: { type: "exponential", delay: 10_000 },
  });
  return job.id ?? "";
});

await worker.waitUntilReady();
await queue.waitUntilReady();
serveFrontEnd(app, async () => {
  await worker.close();
  await queue.close();
  await firer.close();
});
