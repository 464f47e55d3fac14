import { createHash } from "node:crypto";
import { constants, existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Pool } from "undici";
import { type ScheduleCall, kilobyteBody, scheduleHeaders } from "../lib/load.js";
import { benchDir, repoRoot } from "../lib/paths.js";
import { startHourglass } from "./hourglass-process.js";

const FIXTURE_DIR = resolve(benchDir, ".fixtures");
const DAY_MS = 86_400_000;
/** Pending triggers are due between 7 and 37 days after the fixture was built. */
const DUE_FROM_MS = 7 * DAY_MS;
const DUE_SPAN_MS = 30 * DAY_MS;
/** A fixture is rebuilt after this long, well before its first trigger is due. */
const MAX_AGE_MS = 6 * DAY_MS;

interface FixtureMeta {
  count: number;
  /** SHA-256 of the SQLite migrations and the body: either changing makes the fixture stale. */
  schemaHash: string;
  builtAt: number;
  buildMs: number;
}

/**
 * Copies an SQLite database holding exactly `count` pending one-shot triggers (1 KB bodies, due
 * days from now, in random order) to `dest`. The database is built once and cached under
 * `bench/.fixtures/`: Hourglass itself creates the schema, the project and one template
 * trigger, then the template is cloned `count` times in one transaction.
 */
export async function copyFixture(count: number, dest: string, log: (line: string) => void): Promise<void> {
  const file = await ensureFixture(count, log);
  await copyFile(file, dest, constants.COPYFILE_FICLONE);
}

async function ensureFixture(count: number, log: (line: string) => void): Promise<string> {
  await mkdir(FIXTURE_DIR, { recursive: true });
  const file = resolve(FIXTURE_DIR, `hourglass-${count}.db`);
  const metaFile = `${file}.json`;
  const schema = createHash("sha256");
  const migrations = resolve(repoRoot, "migrations/sqlite");
  for (const file of (await readdir(migrations)).sort()) schema.update(await readFile(resolve(migrations, file)));
  const schemaHash = schema.update(kilobyteBody()).digest("hex");
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, "utf8")) as FixtureMeta;
    if (meta.count === count && meta.schemaHash === schemaHash && Date.now() - meta.builtAt < MAX_AGE_MS) return file;
  }
  log(`building the ${count.toLocaleString("en-US")}-trigger SQLite fixture (cached in bench/.fixtures/)…`);
  const started = performance.now();
  const tmp = `${file}.building`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) await rm(f, { force: true });
  const templateId = await createTemplateTrigger(tmp, { id: "fixture", targetUrl: "http://127.0.0.1:9999", scheduledAt: "now | add 30d", body: kilobyteBody() });
  cloneTemplate(tmp, templateId, count);
  await rename(tmp, file);
  const meta: FixtureMeta = { count, schemaHash, builtAt: Date.now(), buildMs: Math.round(performance.now() - started) };
  await writeFile(metaFile, JSON.stringify(meta));
  log(`  built in ${(meta.buildMs / 1000).toFixed(1)} s, ${((await stat(file)).size / 1e6).toFixed(0)} MB`);
  return file;
}

/**
 * Starts Hourglass on a new database at `databaseUrl` (an SQLite file or a PostgreSQL URL), schedules `call` through `/schedule`,
 * stops it, and returns the trigger's id: the database then holds the schema, the bench project
 * and key, and that one trigger as Hourglass stores it.
 */
export async function createTemplateTrigger(databaseUrl: string, call: ScheduleCall): Promise<string> {
  const server = await startHourglass({ databaseUrl, synchronous: "NORMAL" });
  try {
    const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: 1 });
    const response = await pool.request({ path: "/schedule", method: "POST", headers: scheduleHeaders(call), body: call.body });
    const answer = (await response.body.json()) as { triggerId?: string };
    await pool.close();
    if (response.statusCode !== 200 || typeof answer.triggerId !== "string") {
      throw new Error(`fixture template refused: ${response.statusCode} ${JSON.stringify(answer)}`);
    }
    return answer.triggerId;
  } finally {
    await server.proc.stop();
  }
}

function cloneTemplate(databasePath: string, templateId: string, count: number): void {
  const db = new BetterSqlite3(databasePath);
  try {
    db.pragma("journal_mode = WAL");
    const columns = (db.prepare("SELECT name FROM pragma_table_info('triggers')").all() as { name: string }[]).map((c) => c.name);
    const base = Date.now() + DUE_FROM_MS;
    const expression = (column: string): string => {
      if (column === "id") return "printf('01BENCH%019d', n)";
      if (column === "scheduled_at" || column === "due_at") return `${base} + ((n * 2654435761) % ${DUE_SPAN_MS})`;
      return `t.${column}`;
    };
    const list = columns.map((c) => `"${c}"`).join(", ");
    db.transaction(() => {
      db.prepare(
        `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
         INSERT INTO triggers (${list})
         SELECT ${columns.map(expression).join(", ")} FROM seq CROSS JOIN (SELECT * FROM triggers WHERE id = ?) AS t`,
      ).run(count, templateId);
      db.prepare("DELETE FROM triggers WHERE id = ?").run(templateId);
    })();
    const pending = db.prepare("SELECT count(*) AS n FROM triggers WHERE status = 'registered'").get() as { n: number };
    if (pending.n !== count) throw new Error(`fixture holds ${pending.n} pending triggers, expected ${count}`);
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}
