// Which PostgreSQL driver for the store (issue 16): node-postgres (`pg`), postgres.js (`postgres`),
// and Kysely over each, on the store's hot statements — a multi-row INSERT of one-shots, the claim
// (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *), the fenced single-row
// UPDATE of an outcome — in one run, interleaved round by round, in a schema of its own.
//
//   npm install --prefix bench --no-package-lock   # postgres.js and kysely-postgres-js (bench/package.json)
//   node bench/pg-driver.mjs [--rounds=7] [--url=postgres://postgres@127.0.0.1:5432/test]
//
// Reports, per driver, the median over rounds of wall time and of this process's CPU time per
// row, and each one's ratio to node-postgres. Each statement runs in its own implicit transaction
// (what one /schedule, one claim, one outcome costs without group commit); both drivers send
// parameters as text over the extended protocol, with int8 parsed as JS numbers.
import { Kysely, PostgresDialect, sql as ksql } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import pg from "pg";
import postgres from "postgres";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const URL_ = args.url ?? process.env.HOURGLASS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ROUNDS = Number(args.rounds ?? 7);
const ROWS_PER_INSERT = 64;
const INSERTS = 20; // 1,280 rows per driver per round
const CLAIM_BATCH = 256;
const SCHEMA = "bench_pg_driver";

const COLUMNS = [
  "id", "project_id", "generator_id", "origin", "parent_trigger_id", "custom_key",
  "method", "url", "headers", "body", "title", "tags",
  "retries", "retry_delay_ms", "timeout_ms", "callback_url", "failure_url", "retries_left",
  "scheduled_at", "due_at", "status", "created_at", "updated_at", "finished_at", "cancel_reason",
];
const DDL = `
  DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA};
  CREATE TABLE ${SCHEMA}.triggers (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, generator_id TEXT, origin TEXT NOT NULL, parent_trigger_id TEXT,
    custom_key TEXT, method TEXT NOT NULL, url TEXT NOT NULL, headers TEXT NOT NULL, body BYTEA, title TEXT, tags TEXT NOT NULL,
    retries INTEGER NOT NULL, retry_delay_ms BIGINT NOT NULL, timeout_ms BIGINT NOT NULL, callback_url TEXT, failure_url TEXT,
    retries_left INTEGER NOT NULL, scheduled_at BIGINT NOT NULL, due_at BIGINT NOT NULL, status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finished_at BIGINT, cancel_reason TEXT);
  CREATE INDEX triggers_due ON ${SCHEMA}.triggers (due_at) WHERE status IN ('registered', 'running');`;

const INSERT_SQL = (() => {
  const rows = [];
  for (let r = 0; r < ROWS_PER_INSERT; r++) rows.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(", ")})`);
  return `INSERT INTO ${SCHEMA}.triggers (${COLUMNS.join(", ")}) VALUES ${rows.join(", ")}`;
})();
const CLAIM_SQL = `UPDATE ${SCHEMA}.triggers SET status = 'running', due_at = timeout_ms + $1, attempts = attempts + 1, updated_at = $2
  WHERE id IN (SELECT id FROM ${SCHEMA}.triggers WHERE status IN ('registered', 'running') AND due_at <= $3
  ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *`;
const FINISH_SQL = `UPDATE ${SCHEMA}.triggers SET status = $1, finished_at = $2, updated_at = $3 WHERE id = $4 AND status = 'running' AND attempts = $5`;

const body = Buffer.alloc(1024, 7);
const headers = JSON.stringify([["Content-Type", "application/json"], ["X-Request", "1"]]);
let seq = 0;
function rowValues(now) {
  const id = `T${String(seq++).padStart(12, "0")}`;
  return [id, "P1", null, "job", null, null, "POST", "https://example.com/hook", headers, body, null, "",
    3, 10_000, 30_000, null, null, 3, now, now, "registered", now, now, null, null];
}

/** postgres.js, with int8 read as a JS number as the store needs. */
const POSTGRES_JS_OPTIONS = {
  max: 4,
  onnotice: () => {},
  types: { int8: { to: 20, from: [20], serialize: (x) => String(x), parse: (x) => Number(x) } },
};

// ---- the drivers -----------------------------------------------------------------------------

function pgDriver() {
  pg.types.setTypeParser(20, (v) => Number(v)); // int8 as numbers, as the store does
  const pool = new pg.Pool({ connectionString: URL_, max: 4 });
  return {
    name: "pg",
    insert: (values) => pool.query(INSERT_SQL, values),
    claim: async (now) => (await pool.query(CLAIM_SQL, [now + 30_000, now, now, CLAIM_BATCH])).rows,
    finish: async (id, attempt, now) => (await pool.query(FINISH_SQL, ["succeeded", now, now, id, attempt])).rowCount,
    close: () => pool.end(),
  };
}

function pgPreparedDriver() {
  const pool = new pg.Pool({ connectionString: URL_, max: 4 });
  return {
    name: "pg (named prepared)",
    insert: (values) => pool.query({ name: "insert", text: INSERT_SQL, values }),
    claim: async (now) => (await pool.query({ name: "claim", text: CLAIM_SQL, values: [now + 30_000, now, now, CLAIM_BATCH] })).rows,
    finish: async (id, attempt, now) => (await pool.query({ name: "finish", text: FINISH_SQL, values: ["succeeded", now, now, id, attempt] })).rowCount,
    close: () => pool.end(),
  };
}

function postgresJsDriver() {
  const sql = postgres(URL_, POSTGRES_JS_OPTIONS);
  return {
    name: "postgres.js",
    insert: (values) => sql.unsafe(INSERT_SQL, values, { prepare: true }),
    claim: (now) => sql.unsafe(CLAIM_SQL, [now + 30_000, now, now, CLAIM_BATCH], { prepare: true }),
    finish: async (id, attempt, now) => (await sql.unsafe(FINISH_SQL, ["succeeded", now, now, id, attempt], { prepare: true })).count,
    close: () => sql.end(),
  };
}

function kyselyDriver(name, dialect) {
  const db = new Kysely({ dialect }).withSchema(SCHEMA);
  return {
    name,
    insert: (values) => {
      const rows = [];
      for (let r = 0; r < ROWS_PER_INSERT; r++) rows.push(Object.fromEntries(COLUMNS.map((c, i) => [c, values[r * COLUMNS.length + i]])));
      return db.insertInto("triggers").values(rows).execute();
    },
    claim: (now) =>
      db
        .updateTable("triggers")
        .set((eb) => ({ status: "running", due_at: eb("timeout_ms", "+", now + 30_000), attempts: eb("attempts", "+", 1), updated_at: now }))
        .where("id", "in", (eb) =>
          eb.selectFrom("triggers").select("id").where(ksql`status IN ('registered', 'running')`).where("due_at", "<=", now)
            .orderBy("due_at").limit(CLAIM_BATCH).forUpdate().skipLocked(),
        )
        .returningAll()
        .execute(),
    finish: async (id, attempt, now) =>
      Number(
        (await db.updateTable("triggers").set({ status: "succeeded", finished_at: now, updated_at: now })
          .where("id", "=", id).where("status", "=", "running").where("attempts", "=", attempt).executeTakeFirst()).numUpdatedRows,
      ),
    close: () => db.destroy(),
  };
}

// ---- the run ---------------------------------------------------------------------------------

/** One round of one driver: inserts, claims everything, finishes every claim. Returns µs per row (wall, CPU) per phase. */
async function round(driver) {
  const now = Date.now();
  const phases = {};
  const measure = async (phase, fn) => {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const rows = await fn();
    const wall = Number(process.hrtime.bigint() - start) / 1000;
    const used = process.cpuUsage(cpu);
    phases[phase] = { wall: wall / rows, cpu: (used.user + used.system) / rows };
  };
  await measure("insert", async () => {
    for (let i = 0; i < INSERTS; i++) {
      const values = [];
      for (let r = 0; r < ROWS_PER_INSERT; r++) values.push(...rowValues(now));
      await driver.insert(values);
    }
    return INSERTS * ROWS_PER_INSERT;
  });
  let claimed = [];
  await measure("claim", async () => {
    for (;;) {
      const rows = await driver.claim(now);
      if (rows.length === 0) break;
      claimed = claimed.concat(rows);
    }
    return claimed.length;
  });
  if (claimed.length !== INSERTS * ROWS_PER_INSERT) throw new Error(`${driver.name} claimed ${claimed.length}`);
  await measure("finish", async () => {
    for (const row of claimed) {
      if ((await driver.finish(row.id, row.attempts, now)) !== 1) throw new Error(`${driver.name}: finish moved nothing`);
    }
    return claimed.length;
  });
  return phases;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(DDL);
  const drivers = [
    pgDriver(),
    pgPreparedDriver(),
    postgresJsDriver(),
    kyselyDriver("Kysely + pg", new PostgresDialect({ pool: new pg.Pool({ connectionString: URL_, max: 4 }) })),
    kyselyDriver("Kysely + postgres.js", new PostgresJSDialect({ postgres: postgres(URL_, POSTGRES_JS_OPTIONS) })),
  ];
  const results = new Map(drivers.map((d) => [d.name, []]));
  for (const d of drivers) await round(d); // warm-up: connections, prepared statements, JIT
  await admin.query(`TRUNCATE ${SCHEMA}.triggers`);
  for (let r = 0; r < ROUNDS; r++) {
    // A different order each round, so no driver always runs right after the same one.
    const order = drivers.map((d, i) => drivers[(i + r) % drivers.length]);
    for (const d of order) {
      results.get(d.name).push(await round(d));
      await admin.query(`TRUNCATE ${SCHEMA}.triggers`);
    }
  }
  for (const d of drivers) await d.close();
  await admin.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await admin.end();

  const phases = ["insert", "claim", "finish"];
  const table = drivers.map((d) => {
    const rounds = results.get(d.name);
    return { name: d.name, ...Object.fromEntries(phases.flatMap((p) => [[`${p}Wall`, median(rounds.map((x) => x[p].wall))], [`${p}Cpu`, median(rounds.map((x) => x[p].cpu))]])) };
  });
  const base = table[0];
  console.log(`PostgreSQL drivers, ${ROUNDS} interleaved rounds of ${INSERTS * ROWS_PER_INSERT} rows; median µs per row (wall / this process's CPU), ratio to pg`);
  console.log(`| driver | ${phases.map((p) => `${p} wall | ${p} CPU`).join(" | ")} |`);
  console.log(`|---|${phases.map(() => "---|---").join("|")}|`);
  for (const row of table) {
    const cell = (key) => `${row[key].toFixed(1)} (${(row[key] / base[key]).toFixed(2)}×)`;
    console.log(`| ${row.name} | ${phases.map((p) => `${cell(`${p}Wall`)} | ${cell(`${p}Cpu`)}`).join(" | ")} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
