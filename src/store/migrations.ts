import { readFileSync, readdirSync } from "node:fs";

/** One schema change: `NNNN_name.sql` in an engine's migrations folder, applied once, in order. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Raised when the database was migrated by a newer Hourglass than this one: running would corrupt it. */
export class SchemaTooNewError extends Error {
  constructor(databaseVersion: number, knownVersion: number) {
    super(
      `The database schema is at version ${databaseVersion}, newer than this Hourglass knows (${knownVersion}): ` +
        "it was upgraded by a newer release. Run that release (or newer) against it.",
    );
    this.name = "SchemaTooNewError";
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * An engine's migrations folder, `migrations/<engine>/` at the package root: two folders above
 * this module, from src/store/ and dist/store/ alike, and from the bundle dist/bundle/main.js
 * (scripts/bundle.mjs), where this module's code ends up.
 */
export function migrationsFolder(engine: "sqlite" | "postgres"): URL {
  return new URL(`../../migrations/${engine}/`, import.meta.url);
}

/** The migrations of a folder, in version order: 1, 2, 3 … with no gap and no duplicate. */
export function loadMigrations(folder: URL): Migration[] {
  const migrations = readdirSync(folder)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (match === null) throw new Error(`Migration file ${file} is not named NNNN_name.sql`);
      return { version: Number(match[1]), name: match[2] as string, sql: readFileSync(new URL(file, folder), "utf8") };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) throw new Error(`Migrations must be numbered 1, 2, 3 …: found ${migration.version} at position ${i + 1}`);
  });
  return migrations;
}

/** What is left to apply to a database that has `applied` versions; refuses a database from a newer release. */
export function pendingMigrations(all: Migration[], applied: readonly number[]): Migration[] {
  const known = all.length;
  const newest = applied.length === 0 ? 0 : Math.max(...applied);
  if (newest > known) throw new SchemaTooNewError(newest, known);
  const done = new Set(applied);
  return all.filter((migration) => !done.has(migration.version));
}
