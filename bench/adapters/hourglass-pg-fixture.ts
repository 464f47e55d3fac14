import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import { kilobyteBody } from "../lib/load.js";
import { repoRoot } from "../lib/paths.js";
import { createTemplateTrigger } from "./hourglass-fixture.js";
import { adminQuery, schemaUrl } from "./postgres-admin.js";

const DAY_MS = 86_400_000;
/** Pending triggers are due between 7 and 37 days after the fixture was built (as on SQLite). */
const DUE_FROM_MS = 7 * DAY_MS;
const DUE_SPAN_MS = 30 * DAY_MS;
/** A fixture is rebuilt after this long, well before its first trigger is due. */
const MAX_AGE_MS = 6 * DAY_MS;
/** Ids of the fixture's triggers start with this; whatever a session adds does not. */
const FIXTURE_ID_PREFIX = "01BENCH";

interface FixtureMeta {
  count: number;
  /** SHA-256 of the PostgreSQL migrations and the body: either changing makes the fixture stale. */
  schemaHash: string;
  builtAt: number;
  buildMs: number;
}

/** The schema a cached fixture of `count` pending triggers lives in. */
export const fixtureSchema = (count: number): string => `hourglass_bench_fixture_${count}`;

/**
 * The name of a schema holding exactly `count` pending one-shot triggers (1 KB bodies, due days
 * from now, in random order) on the local PostgreSQL, built once and kept between runs (its
 * description records what it was built from): Hourglass itself creates the schema, the project
 * and one template trigger, then the template is cloned `count` times by one INSERT … SELECT.
 * Sessions run on it directly; {@link resetFixture} removes what they added.
 */
export async function ensurePgFixture(count: number, log: (line: string) => void): Promise<string> {
  const schema = fixtureSchema(count);
  const hash = createHash("sha256");
  const migrations = resolve(repoRoot, "migrations/postgres");
  for (const file of (await readdir(migrations)).sort()) hash.update(await readFile(resolve(migrations, file)));
  const schemaHash = hash.update(kilobyteBody()).digest("hex");
  const described = await adminQuery<{ meta: string | null }>(
    "SELECT obj_description(oid, 'pg_namespace') AS meta FROM pg_namespace WHERE nspname = $1",
    [schema],
  );
  if (described[0]?.meta) {
    try {
      const meta = JSON.parse(described[0].meta) as FixtureMeta;
      if (meta.count === count && meta.schemaHash === schemaHash && Date.now() - meta.builtAt < MAX_AGE_MS) return schema;
    } catch {
      // not ours, or half-built: rebuilt below
    }
  }
  log(`building the ${count.toLocaleString("en-US")}-trigger PostgreSQL fixture (schema ${schema}, kept between runs)…`);
  const started = performance.now();
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const templateId = await createTemplateTrigger(schemaUrl(schema, "hourglass-bench-fixture"), {
    id: "fixture",
    targetUrl: "http://127.0.0.1:9999",
    scheduledAt: "now | add 30d",
    body: kilobyteBody(),
  });
  const columns = (
    await adminQuery<{ name: string }>(
      "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'triggers' ORDER BY ordinal_position",
      [schema],
    )
  ).map((c) => c.name);
  const base = Date.now() + DUE_FROM_MS;
  const expression = (column: string): string => {
    if (column === "id") return `'${FIXTURE_ID_PREFIX}' || lpad(n::text, 19, '0')`;
    if (column === "scheduled_at" || column === "due_at") return `${base}::bigint + ((n::bigint * 2654435761) % ${DUE_SPAN_MS})`;
    return `t."${column}"`;
  };
  await adminQuery(
    `INSERT INTO ${schema}.triggers (${columns.map((c) => `"${c}"`).join(", ")})
     SELECT ${columns.map(expression).join(", ")} FROM generate_series(1, $1::int) AS n
     CROSS JOIN (SELECT * FROM ${schema}.triggers WHERE id = $2) AS t`,
    [count, templateId],
  );
  await adminQuery(`DELETE FROM ${schema}.triggers WHERE id = $1`, [templateId]);
  await adminQuery(`DELETE FROM ${schema}.nodes`);
  await adminQuery(`VACUUM ANALYZE ${schema}.triggers`);
  // The build wrote ≈ 2 GB: without a checkpoint now, PostgreSQL writes it back during the
  // measurements that follow, on the server's core.
  await adminQuery("CHECKPOINT");
  await checkPending(schema, count);
  const meta: FixtureMeta = { count, schemaHash, builtAt: Date.now(), buildMs: Math.round(performance.now() - started) };
  await adminQuery(`COMMENT ON SCHEMA ${schema} IS '${JSON.stringify(meta)}'`);
  log(`  built in ${(meta.buildMs / 1000).toFixed(1)} s`);
  return schema;
}

/**
 * Removes what a session added to a fixture (its triggers, their executions and tags, the
 * nodes it registered) so the next session starts from the same `count` pending triggers; a
 * fixture that no longer holds them is dropped, to be built again.
 */
export async function resetFixture(schema: string, count: number): Promise<void> {
  try {
    await adminQuery(`DELETE FROM ${schema}.executions`);
    await adminQuery(`DELETE FROM ${schema}.trigger_tags WHERE trigger_id NOT LIKE '${FIXTURE_ID_PREFIX}%'`);
    await adminQuery(`DELETE FROM ${schema}.custom_keys`);
    await adminQuery(`DELETE FROM ${schema}.triggers WHERE id NOT LIKE '${FIXTURE_ID_PREFIX}%'`);
    await adminQuery(`DELETE FROM ${schema}.nodes`);
    await checkPending(schema, count);
  } catch {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

async function checkPending(schema: string, count: number): Promise<void> {
  const rows = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.triggers WHERE status = 'registered'`);
  const pending = Number(rows[0]?.n ?? 0);
  if (pending !== count) throw new Error(`fixture ${schema} holds ${pending} pending triggers, expected ${count}`);
}
