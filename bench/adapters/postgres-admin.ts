import pg from "pg";

/** The local PostgreSQL the bench uses (pg-boss's schema and Hourglass's). */
export const BENCH_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Runs one statement on a connection of its own. */
export async function adminQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A URL whose connections use `schema` (their `search_path`), named `application` in pg_stat_activity. */
export function schemaUrl(schema: string, application: string): string {
  const url = new URL(BENCH_PG_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  url.searchParams.set("application_name", application);
  return url.toString();
}

/** Bytes of every table of `schema` with its indexes and TOAST (the WAL is not counted). */
export async function schemaBytes(schema: string): Promise<number> {
  const rows = await adminQuery<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** `synchronous_commit` and `fsync` as the server runs them, for the durability lines. */
export async function durabilitySettings(): Promise<string> {
  const rows = await adminQuery<{ sc: string; fs: string }>("SELECT current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fs");
  return `synchronous_commit=${rows[0]?.sc}, fsync=${rows[0]?.fs}`;
}
