import BetterSqlite3 from "better-sqlite3";
import { type Generated, Kysely, SqliteDialect } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommitter } from "../../src/store/group-commit.js";

interface DB {
  items: { id: Generated<number>; label: string };
}

describe("group commit", () => {
  let sqlite: BetterSqlite3.Database;
  let db: Kysely<DB>;
  let transactions: number;

  beforeEach(() => {
    sqlite = new BetterSqlite3(":memory:");
    sqlite.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE)");
    transactions = 0;
    db = new Kysely<DB>({
      dialect: new SqliteDialect({ database: sqlite }),
      log: (event) => {
        if (event.level === "query" && /^begin/i.test(event.query.sql)) transactions++;
      },
    });
  });
  afterEach(async () => {
    await db.destroy();
  });

  const insert = (label: string) => async (trx: Kysely<DB>) => {
    await trx.insertInto("items").values({ label }).execute();
    return label;
  };

  it("commits concurrent work together, and an item's error undoes only that item", async () => {
    const committer = new GroupCommitter(db, 64, () => false);
    const labels = Array.from({ length: 100 }, (_, i) => (i === 50 ? "dup" : `item-${i}`));
    const results = await Promise.allSettled([
      committer.run(insert("dup")),
      ...labels.map((label) => committer.run(insert(label))),
    ]);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    const rows = await db.selectFrom("items").select("label").execute();
    expect(rows).toHaveLength(100);
    // 101 items, at most 64 per transaction: the first alone, then the rest in batches.
    expect(transactions).toBeLessThanOrEqual(4);
  });

  it("runs a lone item in its own transaction at once", async () => {
    const committer = new GroupCommitter(db, 64, () => false);
    expect(await committer.run(insert("solo"))).toBe("solo");
    expect(transactions).toBe(1);
  });

  it("retries an item from its savepoint when told the error is retryable", async () => {
    let calls = 0;
    const committer = new GroupCommitter(db, 64, (error) => error instanceof RangeError, 3);
    const flaky = async (trx: Kysely<DB>) => {
      calls++;
      await trx.insertInto("items").values({ label: `try-${calls}` }).execute();
      if (calls < 3) throw new RangeError("lost a race");
      return calls;
    };
    expect(await committer.run(flaky)).toBe(3);
    expect((await db.selectFrom("items").select("label").execute()).map((r) => r.label)).toEqual(["try-3"]);
  });
});
