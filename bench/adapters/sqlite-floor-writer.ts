import BetterSqlite3 from "better-sqlite3";
import { SERVER_CORE } from "../lib/paths.js";
import { coreBusyMicros } from "../lib/processes.js";

/**
 * The durable write of the ingest workload alone, with nothing around it: no HTTP, no
 * authentication, no parsing. Run as a child pinned to the server core:
 *
 *   node sqlite-floor-writer.js <database> <rows per transaction> <warm-up ms> <measured ms>
 *
 * `database` holds the schema and exactly one trigger, written by Hourglass itself for the
 * ingest workload's request. That row is cloned — fresh monotonic ids and times, everything else
 * as stored — in transactions of `rows per transaction` rows, each one multi-row INSERT plus the
 * month-usage upsert, as Hourglass's group commit writes them; same pragmas (WAL,
 * synchronous=NORMAL), SQLite's own checkpoints. Prints one JSON line: rows written and the
 * server core's busy time over the measured part.
 */
const [path, rowsArg, warmupArg, durationArg] = process.argv.slice(2);
if (path === undefined || durationArg === undefined) throw new Error("usage: sqlite-floor-writer <database> <rows per transaction> <warm-up ms> <measured ms>");
const rowsPerTransaction = Number(rowsArg);
const HOUR_MS = 3_600_000;

const db = new BetterSqlite3(path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("temp_store = MEMORY");
db.pragma("foreign_keys = ON");

const template = db.prepare("SELECT * FROM triggers").all() as Record<string, unknown>[];
const usage = db.prepare("SELECT project_id, month FROM project_usage").all() as { project_id: string; month: string }[];
if (template.length !== 1 || usage.length !== 1) throw new Error(`expected one template trigger and one usage row, found ${template.length} and ${usage.length}`);
const row = template[0]!;
const { project_id: projectId, month } = usage[0]!;
db.prepare("DELETE FROM triggers").run();

const columns = Object.keys(row);
const placeholders = `(${columns.map(() => "?").join(", ")})`;
const insert = db.prepare(`INSERT INTO triggers (${columns.join(", ")}) VALUES ${Array(rowsPerTransaction).fill(placeholders).join(", ")}`);
// The statements mirror Hourglass's own on this path (src/store/prepared-paths.ts: sqlInsertJobs,
// SQL_ADD_INSTANCES), which the bench cannot import: keep them alike.
const addUsage = db.prepare(`INSERT INTO project_usage (project_id, month, created) VALUES (?, ?, ?)
  ON CONFLICT (project_id, month) DO UPDATE SET created = created + excluded.created`);
const begin = db.prepare("BEGIN");
const commit = db.prepare("COMMIT");

// Ids keep the template's 10-character time prefix and count up after it: monotonic, as Hourglass's are.
const idPrefix = String(row.id).slice(0, 10);
let counter = 0;
const valueOf = columns.map((column): ((now: number) => unknown) => {
  if (column === "id") return () => idPrefix + (counter++).toString(32).toUpperCase().padStart(16, "0");
  if (column === "scheduled_at" || column === "due_at") return (now) => now + HOUR_MS;
  if (column === "created_at" || column === "updated_at") return (now) => now;
  const stored = row[column];
  return () => stored;
});

function writeTransaction(): void {
  const now = Date.now();
  const values: unknown[] = [];
  for (let r = 0; r < rowsPerTransaction; r++) for (const value of valueOf) values.push(value(now));
  begin.run();
  insert.run(values);
  addUsage.run(projectId, month, rowsPerTransaction);
  commit.run();
}

function writeFor(ms: number): number {
  const deadline = performance.now() + ms;
  let transactions = 0;
  while (performance.now() < deadline) {
    writeTransaction();
    transactions++;
  }
  return transactions * rowsPerTransaction;
}

writeFor(Number(warmupArg));
const busyBefore = coreBusyMicros(SERVER_CORE);
const started = performance.now();
const rows = writeFor(Number(durationArg));
const elapsedMs = performance.now() - started;
const busyAfter = coreBusyMicros(SERVER_CORE);
db.close();
process.stdout.write(`${JSON.stringify({ rows, elapsedMs, busyMicros: busyBefore === null || busyAfter === null ? null : busyAfter - busyBefore })}\n`);
