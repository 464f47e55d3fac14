import type pg from "pg";
import { type Migration, pendingMigrations } from "../migrations.js";

/**
 * Applies the migrations the database lacks, each recorded in `schema_migrations`, all in one
 * transaction under an advisory lock: nodes starting together wait for each other, and each
 * migration is applied once. The lock is per schema, so that databases in different schemas of
 * one server (tests) do not wait for each other.
 */
export async function migratePostgres(pool: pg.Pool, migrations: Migration[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('hourglass.migrate.' || coalesce(current_schema(), '')))");
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      const applied = (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((row) => row.version);
      for (const migration of pendingMigrations(migrations, applied)) {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
