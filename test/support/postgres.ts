import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";

/** The PostgreSQL server the PostgreSQL tests use (`.ci/run` sets it when one answers on this machine). */
export const TEST_POSTGRES_URL = process.env.HOURGLASS_TEST_POSTGRES_URL?.trim() || null;

/**
 * Registers `define(url)`'s tests when a test PostgreSQL is configured. Without one they are
 * skipped visibly — except under CI (`CI=true`), where a failing test says so: CI must run them.
 */
export function describePostgres(name: string, define: (url: string) => void): void {
  if (TEST_POSTGRES_URL !== null) {
    define(TEST_POSTGRES_URL);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("runs on a real PostgreSQL: HOURGLASS_TEST_POSTGRES_URL must be set in CI", () => {
        throw new Error("HOURGLASS_TEST_POSTGRES_URL is unset under CI=true: the PostgreSQL tests must run in CI, not skip");
      });
    });
  } else {
    describe.skip(`${name} (skipped: set HOURGLASS_TEST_POSTGRES_URL to run them)`, () => {
      it("needs a PostgreSQL server", () => {});
    });
  }
}

/**
 * A fresh, empty schema on the test server, and a URL whose connections use it (their
 * `search_path`): a database of its own for one test, for less than CREATE DATABASE costs.
 */
export async function createTestSchema(serverUrl: string): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `hourglass_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE SCHEMA ${schema}`);
  const url = new URL(serverUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { url: url.toString(), schema, drop: async () => void (await adminQuery(serverUrl, `DROP SCHEMA ${schema} CASCADE`)) };
}

/** Runs one statement on its own connection. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
