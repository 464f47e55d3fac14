// Hourglass on PostgreSQL beside SQLite (issue 16, item 11): one or more Hourglass builds, each
// started on a fresh SQLite file and on a fresh PostgreSQL schema, interleaved round by round.
//
// --workload=ingest (the default): `--concurrency` closed-loop clients post 1 KB /schedule
// requests (due in an hour, so nothing is delivered), a fixed number after a warm-up; reports
// accepted/s. --workload=burst: `--burst` 1 KB triggers due at one instant, delivered to a local
// sink; reports deliveries/s from the due instant to the last delivery (claims and outcomes).
//
//   npm run build
//   node bench/pg-ingest.mjs [--workload=ingest|burst] [--builds=before=/tmp/before/dist/bundle/main.js,after=dist/bundle/main.js]
//     [--rounds=3] [--requests=20000] [--warmup=2000] [--concurrency=32] [--burst=5000]
//     [--url=postgres://postgres@127.0.0.1:5432/test] [--pin]
//
// Both report, per build and engine, the median over rounds of the rate, the Hourglass process's
// CPU per request or delivery (user + system, from /proc/<pid>/stat) over the measured part, and
// on PostgreSQL the CPU of the server backends serving that process (found by application_name
// in pg_stat_activity). On a shared 2-core machine compare figures of one run only. --pin (needs
// `npx tsc -p bench/tsconfig.json`) pins as the suite does: Hourglass and every PostgreSQL process
// on core 0, this script (load and sink) on core 1; PostgreSQL's affinity is given back at the end.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { Pool } from "undici";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=").map((s, i, all) => (i === 1 ? all.slice(1).join("=") : s))));
const SERVER_URL = args.url ?? process.env.HOURGLASS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ROUNDS = Number(args.rounds ?? 3);
const REQUESTS = Number(args.requests ?? 20_000);
const WARMUP = Number(args.warmup ?? 2_000);
const CONCURRENCY = Number(args.concurrency ?? 32);
const WORKLOAD = args.workload ?? "ingest";
const BURST = Number(args.burst ?? 5_000);
/** A burst is due this long after its first /schedule: time enough to accept it all before. */
const BURST_LEAD_MS = Number(args.lead ?? 20_000);
const API_KEY = "hg-bench-key-0123456789abcdef";
const BUILDS = (args.builds ?? "this=dist/bundle/main.js").split(",").map((entry) => {
  const [name, path] = entry.split("=");
  return { name, main: resolve(path) };
});
const ENGINES = ["sqlite", "postgres"];
const PIN = args.pin !== undefined;
/** The taskset binary when pinning (bench/lib/processes.ts finds it). */
const TASKSET = PIN ? (await import("./dist/lib/processes.js")).taskset() : null;
if (PIN && TASKSET === null) throw new Error("--pin needs taskset");
const TICKS = 100; // USER_HZ on Linux

const body = Buffer.from(`{"event":"bench","padding":"${"x".repeat(1024 - 30)}"}`);

/** User + system CPU of `pid` in microseconds, or 0 once it is gone. */
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS;
  } catch {
    return 0;
  }
}

async function admin(text) {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** The backends' pids of connections named `app`, and their CPU so far. */
async function backendCpu(app) {
  const rows = await admin(`SELECT pid FROM pg_stat_activity WHERE application_name = '${app}'`);
  return new Map(rows.map((r) => [r.pid, cpuMicros(r.pid)]));
}

function startServer(main, databaseUrl) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, HOURGLASS_API_KEYS: API_KEY, HOURGLASS_ALLOWED_TARGETS: "127.0.0.1", LOG_LEVEL: "info" };
  const [command, ...argv] = TASKSET !== null ? [TASKSET, "-c", "0", process.execPath, main] : [process.execPath, main];
  const proc = spawn(command, argv, { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolvePort, reject) => {
    let buffered = "";
    proc.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    proc.stdout.on("data", (chunk) => {
      buffered += chunk;
      for (let i; (i = buffered.indexOf("\n")) >= 0; ) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        try {
          const parsed = JSON.parse(line);
          if (parsed.msg === "hourglass listening") resolvePort({ proc, port: parsed.port });
        } catch {}
      }
    });
  });
}

async function load(port, count, scheduledAt = "now | add 3600s", targetPort = 9999) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 });
  let next = 0;
  let accepted = 0;
  const samples = [];
  const headers = { "ttr-api-key": API_KEY, "ttr-url": `http://127.0.0.1:${targetPort}/hook`, "ttr-scheduled-at": scheduledAt, "content-type": "application/json" };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) {
        const res = await pool.request({ path: "/schedule", method: "POST", headers, body });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) accepted++;
        else if (samples.length < 3) samples.push(`${res.statusCode} ${text}`);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  await pool.close();
  if (samples.length > 0) console.error(samples.join("\n"));
  return { accepted, elapsedMs };
}

async function measure(build, engine, round) {
  const app = `hgbench_${process.pid}_${round}`;
  let databaseUrl;
  let dispose;
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hg-ingest-"));
    databaseUrl = join(dir, "hourglass.db");
    dispose = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `hg_ingest_${process.pid}_${round}`;
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    const url = new URL(SERVER_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    url.searchParams.set("application_name", app);
    databaseUrl = url.toString();
    dispose = () => admin(`DROP SCHEMA ${schema} CASCADE`);
  }
  const { proc, port } = await startServer(build.main, databaseUrl);
  try {
    if (WORKLOAD === "burst") return await measureBurst(proc, port, engine, app);
    await load(port, WARMUP);
    const backendsBefore = engine === "postgres" ? await backendCpu(app) : new Map();
    const cpuBefore = cpuMicros(proc.pid);
    const { accepted, elapsedMs } = await load(port, REQUESTS);
    const cpu = cpuMicros(proc.pid) - cpuBefore;
    let dbCpu = 0;
    if (engine === "postgres") for (const [pid, end] of await backendCpu(app)) dbCpu += end - (backendsBefore.get(pid) ?? 0);
    return { perSecond: (accepted * 1000) / elapsedMs, cpuPerRequest: cpu / REQUESTS, dbCpuPerRequest: dbCpu / REQUESTS, accepted };
  } finally {
    proc.removeAllListeners("exit");
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
    await dispose();
  }
}

/** A local sink that answers 200 and resolves once it has had `count` deliveries. */
async function startSink(count) {
  let received = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.end("ok");
      if (++received === count) done(performance.now());
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, finished, received: () => received, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function measureBurst(proc, port, engine, app) {
  const sink = await startSink(BURST);
  try {
    const dueAt = Date.now() + BURST_LEAD_MS;
    const { accepted } = await load(port, BURST, new Date(dueAt).toISOString(), sink.port);
    if (Date.now() > dueAt - 1_000) throw new Error(`accepting the burst took past its due time; raise --lead`);
    await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now() - 500));
    const backendsBefore = engine === "postgres" ? await backendCpu(app) : new Map();
    const cpuBefore = cpuMicros(proc.pid);
    const startedAt = performance.now() + (dueAt - Date.now());
    const endedAt = await sink.finished;
    const cpu = cpuMicros(proc.pid) - cpuBefore;
    let dbCpu = 0;
    if (engine === "postgres") for (const [pid, end] of await backendCpu(app)) dbCpu += end - (backendsBefore.get(pid) ?? 0);
    return { perSecond: (BURST * 1000) / (endedAt - startedAt), cpuPerRequest: cpu / BURST, dbCpuPerRequest: dbCpu / BURST, accepted };
  } finally {
    await sink.close();
  }
}

if (PIN) {
  const { pinSelf } = await import("./dist/lib/processes.js");
  const { pinStoreServers } = await import("./dist/lib/store-pinning.js");
  pinSelf(1);
  const pinning = pinStoreServers(0);
  process.on("exit", () => pinning.restore());
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = new Map();
for (let round = 0; round < ROUNDS; round++) {
  for (const build of BUILDS) {
    for (const engine of ENGINES) {
      const r = await measure(build, engine, round);
      const key = `${build.name}\t${engine}`;
      results.set(key, [...(results.get(key) ?? []), r]);
      console.error(`round ${round + 1} ${build.name} ${engine}: ${r.perSecond.toFixed(0)}/s, ${r.cpuPerRequest.toFixed(0)} µs CPU/request (+${r.dbCpuPerRequest.toFixed(0)} µs PostgreSQL), ${r.accepted}/${WORKLOAD === "burst" ? BURST : REQUESTS} accepted`);
    }
  }
}
if (WORKLOAD === "burst") {
  console.log(`a burst of ${BURST} 1 KB triggers due at one instant, delivered to a local sink; median of ${ROUNDS} rounds`);
  console.log("build\tengine\tdelivered/s\tHourglass CPU µs/delivery\tPostgreSQL CPU µs/delivery");
} else {
  console.log(`${REQUESTS} /schedule requests, ${CONCURRENCY} clients, 1 KB bodies; median of ${ROUNDS} rounds`);
  console.log("build\tengine\taccepted/s\tHourglass CPU µs/request\tPostgreSQL CPU µs/request");
}
for (const [key, runs] of results) {
  console.log(`${key}\t${median(runs.map((r) => r.perSecond)).toFixed(0)}\t${median(runs.map((r) => r.cpuPerRequest)).toFixed(0)}\t${key.endsWith("postgres") ? median(runs.map((r) => r.dbCpuPerRequest)).toFixed(0) : "-"}`);
}
