import PgBoss from "pg-boss";
import { createFirer, createFrontEnd, envInt, serveFrontEnd, type StoredCall } from "./front-end.js";

/*
 * The pg-boss peer: a Hono front end that sends a job with `startAfter` per /schedule, and a
 * worker in the same process that replays batches with undici. Polling is tuned to pg-boss's
 * minimum (0.5 s) with batches as large as Hourglass's claims. Retries mirror Hourglass's
 * defaults. BENCH_LEASE_MS, when set, becomes the job expiry (Hourglass's lease), checked every
 * second.
 */
const name = process.env.BENCH_QUEUE ?? "hourglass_bench";
const leaseMs = envInt("BENCH_LEASE_MS", 0);
const boss = new PgBoss({
  connectionString: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  schema: process.env.BENCH_PG_SCHEMA ?? "hourglass_bench_pgboss",
  max: 16,
  schedule: false,
  ...(leaseMs > 0 ? { maintenanceIntervalSeconds: 1 } : {}),
});
boss.on("error", (error: Error) => process.stderr.write(`pg-boss error: ${error.message}\n`));
const firer = createFirer(envInt("BENCH_CONNECTIONS", 64));

await boss.start();
await boss.createQueue(name, {
  name,
  retryLimit: 3,
  retryDelay: leaseMs > 0 ? 0 : 10,
  retryBackoff: leaseMs === 0,
  ...(leaseMs > 0 ? { expireInSeconds: Math.max(1, Math.round(leaseMs / 1000)) } : {}),
});
await boss.work<StoredCall>(name, { batchSize: envInt("BENCH_CONCURRENCY", 256), pollingIntervalSeconds: 0.5 }, async (jobs) => {
  const outcomes = await Promise.all(jobs.map((job) => firer.fire(job.data)));
  const failed = jobs.filter((_, i) => !outcomes[i]?.ok).map((job) => job.id);
  if (failed.length > 0) await boss.fail(name, failed);
});

const app = createFrontEnd(process.env.BENCH_API_KEY ?? "", async (call, dueAt) => {
  const id = await boss.send(name, call, { startAfter: new Date(dueAt) });
  if (id === null) throw new Error("pg-boss refused the job");
  return id;
});

serveFrontEnd(app, async () => {
  await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  await firer.close();
});
