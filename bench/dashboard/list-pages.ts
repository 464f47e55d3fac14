/*
 * The dashboard's list pages against 1,000,000 triggers (issue 18: every list page < 200 ms).
 * Not part of npm test. Run (the bundle sits two levels deep, as dist/bundle/main.js does, to find migrations/):
 *   npx esbuild bench/dashboard/list-pages.ts --bundle --platform=node --format=esm --packages=external --outfile=.scratch/bench/list-pages.mjs
 *   node .scratch/bench/list-pages.mjs [path/to/fixture.db]      (default .scratch/million.db)
 * The fixture is built once by direct SQL (a real trigger copied 1,000,000 times with its id,
 * status, kind, key, tags, title, URL and times varied), then every page is served in-process
 * through the real app, 3 warm-up loads and the median of 7.
 */
import { existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { API_KEY, startHourglass } from "../../test/support/hourglass.js";

const TRIGGERS = 1_000_000;
const dbPath = process.argv[2] ?? ".scratch/million.db";
const now = Date.now();

if (!existsSync(dbPath)) await buildFixture();

const hg = await startHourglass({ dbPath, dispatch: false });
const app = hg.service.app;
const signIn = await app.request("/ui/sign-in", {
  method: "POST",
  body: new URLSearchParams({ credential: API_KEY }).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" },
});
const cookie = /hourglass_session=[^;]*/.exec(signIn.headers.get("set-cookie") ?? "")?.[0] as string;

const pages = [
  "/ui/overview",
  "/ui/triggers",
  "/ui/triggers?status=registered",
  "/ui/triggers?status=failed",
  "/ui/triggers?status=running",
  "/ui/triggers?kind=job",
  "/ui/triggers?kind=generator",
  "/ui/triggers?kind=callback",
  "/ui/triggers?tag=reports",
  "/ui/triggers?tag=absent",
  "/ui/triggers?key=key-999962",
  "/ui/triggers?key=absent",
  "/ui/triggers?q=Job+99999",
  "/ui/triggers?q=hooks%2F42",
  "/ui/triggers?q=no-such-text",
  "/ui/triggers?status=failed&q=hooks%2F42",
  "/ui/generators",
];
console.log(`| page | median ms | min | max | rows |\n|---|---:|---:|---:|---:|`);
for (const path of pages) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    const res = await app.request(path, { headers: { cookie } });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    if (i >= 3) times.push(performance.now() - started);
    rows = (html.match(/<tr[ >]/g) ?? []).length;
  }
  times.sort((a, b) => a - b);
  const ms = (n: number) => n.toFixed(1);
  console.log(`| \`${path}\` | ${ms(times[3] as number)} | ${ms(times[0] as number)} | ${ms(times[6] as number)} | ${rows} |`);
}
await hg.close();

async function buildFixture(): Promise<void> {
  const started = performance.now();
  // Schema, projects and keys from a real start; a template trigger, generator and execution from the JSON API and the store.
  const hg = await startHourglass({ dbPath, dispatch: false });
  const post = (path: string, body: unknown) =>
    app0(hg).request(path, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  for (let g = 0; g < 100; g++) await post("/generators", { url: `https://api.example.com/cron/${g}`, cron: `${g % 60} * * * *`, title: `Generator ${g}` });
  const template = (await (await post("/triggers", { url: "https://api.example.com/hooks/0", scheduledAt: "now", headers: { "content-type": "application/json" }, body: '{"n":1}' })).json()) as { triggerId: string };
  const [claim] = await hg.service.store.claimDue(now + 1000, 1, 30_000);
  await hg.service.store.finishAttempt({
    triggerId: template.triggerId, projectId: hg.projectId, attempt: claim?.attempt ?? 1, startedAt: now, finishedAt: now + 80, outcome: "succeeded",
    httpStatus: 200, error: null, responseHeaders: [], responseExcerpt: "{}", retryAt: null, callbacks: [],
  });
  await hg.close();

  const db = new BetterSqlite3(dbPath);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const columns = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const generator = (db.prepare("SELECT id FROM generators LIMIT 1").get() as { id: string }).id;
  // i = 1 … N, oldest first, one a second up to now; ids sort as i does ('01J' + 23 digits: valid ULID characters).
  const overrides: Record<string, string> = {
    id: "'01J' || printf('%023d', i)",
    origin: "CASE WHEN i % 10 = 5 THEN 'tick' WHEN i % 50 = 7 THEN 'callback' ELSE 'job' END",
    generator_id: `CASE WHEN i % 10 = 5 THEN '${generator}' ELSE NULL END`,
    status: `CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 20 = 1 THEN 'cancelled' WHEN i % 10 IN (2, 3, 4) AND i > ${TRIGGERS - 50_000} THEN 'registered' ELSE 'succeeded' END`,
    custom_key: "CASE WHEN i % 20 = 2 THEN 'key-' || i ELSE NULL END",
    title: "CASE WHEN i % 4 = 0 THEN NULL ELSE 'Job ' || i END",
    url: "'https://api.example.com/hooks/' || (i % 1000)",
    tags: "CASE WHEN i % 10 = 3 THEN ',reports,' ELSE '' END",
    created_at: `${now} - (${TRIGGERS} - i) * 1000`,
    updated_at: `${now} - (${TRIGGERS} - i) * 1000`,
    scheduled_at: `CASE WHEN i % 10 IN (2, 3, 4) AND i > ${TRIGGERS - 50_000} THEN ${now} + i * 1000 ELSE ${now} - (${TRIGGERS} - i) * 1000 END`,
    due_at: `CASE WHEN i % 10 IN (2, 3, 4) AND i > ${TRIGGERS - 50_000} THEN ${now} + i * 1000 ELSE ${now} - (${TRIGGERS} - i) * 1000 END`,
    finished_at: `CASE WHEN i % 10 IN (2, 3, 4) AND i > ${TRIGGERS - 50_000} THEN NULL ELSE ${now} - (${TRIGGERS} - i) * 1000 + 500 END`,
    attempts: "1",
  };
  const triggerColumns = columns("triggers");
  const select = triggerColumns.map((c) => overrides[c] ?? `t.${c}`).join(", ");
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${TRIGGERS})
    INSERT INTO triggers (${triggerColumns.join(", ")}) SELECT ${select} FROM n, (SELECT * FROM triggers WHERE id = '${template.triggerId}') AS t`);
  db.exec("INSERT INTO trigger_tags (project_id, tag, trigger_id) SELECT project_id, 'reports', id FROM triggers WHERE tags = ',reports,'");
  // One attempt for each of the newest 100,000 finished triggers (a bit over a day).
  const executionOverrides: Record<string, string> = {
    id: "'01K' || substr(tr.id, 4)",
    trigger_id: "tr.id",
    started_at: "tr.finished_at - 100",
    finished_at: "tr.finished_at",
    outcome: "CASE WHEN tr.status = 'failed' THEN 'failed' ELSE 'succeeded' END",
    http_status: "CASE WHEN tr.status = 'failed' THEN 503 ELSE 200 END",
  };
  const executionColumns = columns("executions");
  db.exec(`INSERT INTO executions (${executionColumns.join(", ")})
    SELECT ${executionColumns.map((c) => executionOverrides[c] ?? `e.${c}`).join(", ")}
    FROM triggers tr, (SELECT * FROM executions LIMIT 1) AS e
    WHERE tr.id > '01J' || printf('%023d', ${TRIGGERS - 100_000}) AND tr.id LIKE '01J%' AND tr.status IN ('succeeded', 'failed')`);
  db.exec("ANALYZE");
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`fixture: ${TRIGGERS} triggers in ${((performance.now() - started) / 1000).toFixed(1)} s → ${dbPath}`);
}

function app0(hg: Awaited<ReturnType<typeof startHourglass>>) {
  return hg.service.app;
}
