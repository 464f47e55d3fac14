import BetterSqlite3 from "better-sqlite3";
import { type Generated, Kysely, SqliteDialect } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommitter, MAX_GATHER_TURNS } from "../../src/store/group-commit.js";

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

  it("runs the whole transaction again, every item of it, after an error that asks for it (a deadlock victim)", async () => {
    class Deadlock extends Error {}
    let victimCalls = 0;
    const committer = new GroupCommitter(db, 64, () => false, 3, null, (error) => error instanceof Deadlock);
    const victim = async (trx: Kysely<DB>) => {
      victimCalls++;
      await trx.insertInto("items").values({ label: `victim-${victimCalls}` }).execute();
      if (victimCalls === 1) throw new Deadlock("chosen as the deadlock victim");
      return victimCalls;
    };
    // One transaction: the first item's write is undone with the victim's, and both run again.
    const results = await Promise.all([committer.run(insert("first")), committer.run(victim), committer.run(insert("last"))]);
    expect(results).toEqual(["first", 2, "last"]);
    expect((await db.selectFrom("items").select("label").orderBy("id").execute()).map((r) => r.label)).toEqual(["first", "victim-2", "last"]);
  });

  it("gives up after as many runs as an item may retry, and fails with the error", async () => {
    class Deadlock extends Error {}
    let calls = 0;
    const committer = new GroupCommitter(db, 64, () => false, 3, null, (error) => error instanceof Deadlock);
    const always = async () => {
      calls++;
      throw new Deadlock("again");
    };
    await expect(committer.run(always)).rejects.toBeInstanceOf(Deadlock);
    expect(calls).toBe(3);
  });

  describe("synchronous work", () => {
    /** The raw connection, with `intercept` seeing (and possibly refusing) every control statement. */
    const connection = (intercept: (sql: string) => void = () => {}) => ({
      exec: (sql: string) => {
        intercept(sql);
        sqlite.prepare(sql).run();
      },
      get inTransaction() {
        return sqlite.inTransaction;
      },
    });
    /** Synchronous commits where a RangeError is a refusal (thrown before any write). */
    const syncCommits = (intercept?: (sql: string) => void) => ({
      connection: connection(intercept),
      isRefusal: (error: unknown) => error instanceof RangeError,
    });
    const insertSync = (label: string) => () => {
      sqlite.prepare("INSERT INTO items (label) VALUES (?)").run(label);
      return label;
    };
    const labels = () => sqlite.prepare("SELECT label FROM items ORDER BY id").all().map((r) => (r as { label: string }).label);

    it("gathers the work of one event-loop turn into one transaction, no savepoints; a refusal rejects the item alone", async () => {
      const controls: string[] = [];
      const committer = new GroupCommitter(db, 64, () => false, 5, syncCommits((sql) => void controls.push(sql)));
      const results = await Promise.allSettled([
        committer.runSync(insertSync("a")),
        committer.runSync(() => {
          throw new RangeError("over quota"); // refused before writing anything
        }),
        committer.runSync(insertSync("b")),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(labels()).toEqual(["a", "b"]);
      expect(controls).toEqual(["BEGIN", "COMMIT"]);
      // A lone item later gets a transaction of its own.
      expect(await committer.runSync(insertSync("c"))).toBe("c");
      expect(controls).toEqual(["BEGIN", "COMMIT", "BEGIN", "COMMIT"]);
    });

    /** Resolves after the committer's end-of-turn check of the current turn (scheduled before it). */
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    /** Synchronous commits that record how many items each transaction held. */
    const sizedCommits = (sizes: number[]) => {
      let items = 0;
      return {
        ...syncCommits(),
        hooks: { beforeCommit: () => void sizes.push(items), end: () => void (items = 0) },
        count: () => void items++,
      };
    };
    const counted = (commits: { count: () => void }, label: string) => () => {
      commits.count();
      return insertSync(label)();
    };

    it("lets gathering items of consecutive turns share a transaction while more keep arriving; a quiet turn commits them", async () => {
      const sizes: number[] = [];
      const commits = sizedCommits(sizes);
      const committer = new GroupCommitter(db, 64, () => false, 5, commits);
      const submitted: Promise<unknown>[] = [];
      const submit = (label: string, gather: boolean) => submitted.push(committer.runSync(counted(commits, label), { gather }));
      submit("t0-a", true);
      submit("t0-b", true);
      await nextTurn();
      submit("t1-a", true);
      submit("t1-b", true);
      await Promise.all(submitted);
      expect(sizes).toEqual([4]);
      expect(labels()).toEqual(["t0-a", "t0-b", "t1-a", "t1-b"]);

      // The same arrivals without gathering: a transaction per turn, as before.
      sizes.length = 0;
      submitted.length = 0;
      submit("u0-a", false);
      submit("u0-b", false);
      await nextTurn();
      submit("u1-a", false);
      submit("u1-b", false);
      await Promise.all(submitted);
      expect(sizes).toEqual([2, 2]);
    });

    it("does not keep a lone gathering item waiting, and commits at the end of the turn once a non-gathering item is queued", async () => {
      const sizes: number[] = [];
      const commits = sizedCommits(sizes);
      const committer = new GroupCommitter(db, 64, () => false, 5, commits);
      // Nothing arrives after it: committed at the end of its own turn, before the test's next turn.
      let settled = false;
      const lone = committer.runSync(counted(commits, "lone"), { gather: true }).then(() => (settled = true));
      await nextTurn();
      expect(settled).toBe(true);
      await lone;
      // A claim or an outcome among gathering items: no waiting for the next arrivals.
      const first = [
        committer.runSync(counted(commits, "g1"), { gather: true }),
        committer.runSync(counted(commits, "claim")),
        committer.runSync(counted(commits, "g2"), { gather: true }),
      ];
      await nextTurn();
      const second = committer.runSync(counted(commits, "g3"), { gather: true });
      await Promise.all([...first, second]);
      expect(sizes).toEqual([1, 3, 1]);
    });

    it("stops gathering after a few turns while items keep arriving, and at the batch limit", async () => {
      const sizes: number[] = [];
      const commits = sizedCommits(sizes);
      const committer = new GroupCommitter(db, 64, () => false, 5, commits);
      const submitted: Promise<unknown>[] = [];
      // Two at first, then one every turn for 20 turns: waiting MAX_GATHER_TURNS turns at most.
      submitted.push(committer.runSync(counted(commits, "first-0"), { gather: true }));
      submitted.push(committer.runSync(counted(commits, "first-1"), { gather: true }));
      for (let turn = 0; turn < 20; turn++) {
        await nextTurn();
        submitted.push(committer.runSync(counted(commits, `turn-${turn}`), { gather: true }));
      }
      await Promise.all(submitted);
      expect(sizes[0]).toBe(2 + MAX_GATHER_TURNS);
      expect(sizes.reduce((a, b) => a + b)).toBe(22);

      // A batch limit of 4: four gathering items arriving at once are committed at the end of their turn.
      const limited: number[] = [];
      const limitedCommits = sizedCommits(limited);
      const small = new GroupCommitter(db, 4, () => false, 5, limitedCommits);
      const batch = ["l0", "l1", "l2", "l3"].map((label) => small.runSync(counted(limitedCommits, label), { gather: true }));
      let batchSettled = false;
      void Promise.all(batch).then(() => (batchSettled = true));
      await nextTurn();
      expect(batchSettled).toBe(true);
      const later = small.runSync(counted(limitedCommits, "l4"), { gather: true });
      await Promise.all([...batch, later]);
      expect(limited).toEqual([4, 1]);
    });

    it("flushes on demand: what is queued is committed without waiting for the turn to end, Kysely work included", async () => {
      const sizes: number[] = [];
      const commits = sizedCommits(sizes);
      const committer = new GroupCommitter(db, 64, () => false, 5, commits);
      const settled: string[] = [];
      const track = (p: Promise<unknown>) => void p.then((v) => settled.push(String(v)));
      track(committer.runSync(counted(commits, "gathering"), { gather: true }));
      track(committer.runSync(counted(commits, "plain")));
      track(committer.run(insert("kysely")));
      await committer.flush();
      expect(settled.sort()).toEqual(["gathering", "kysely", "plain"]);
      expect(labels()).toEqual(["gathering", "plain", "kysely"]);
      await committer.flush(); // nothing queued: returns at once
      await nextTurn(); // the end-of-turn check scheduled before the flush finds nothing to do
      expect(sizes).toEqual([2]);
    });

    it("keeps submission order across synchronous and Kysely work", async () => {
      const committer = new GroupCommitter(db, 64, () => false, 5, syncCommits());
      await Promise.all([
        committer.runSync(insertSync("1")),
        committer.run(insert("2")),
        committer.runSync(insertSync("3")),
        committer.run(insert("4")),
      ]);
      expect(labels()).toEqual(["1", "2", "3", "4"]);
    });

    it("fails every item of a batch whose commit fails, leaving nothing written", async () => {
      const committer = new GroupCommitter(
        db,
        64,
        () => false,
        5,
        syncCommits((sql) => {
          if (sql === "COMMIT") throw new Error("disk I/O error");
        }),
      );
      const results = await Promise.allSettled([committer.runSync(insertSync("x")), committer.runSync(insertSync("y"))]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
      expect(sqlite.inTransaction).toBe(false);
      expect(labels()).toEqual([]);
    });

    it("fails the whole batch when an item fails other than by refusing, committing nothing", async () => {
      const committer = new GroupCommitter(db, 64, () => false, 5, syncCommits());
      const results = await Promise.allSettled([
        committer.runSync(insertSync("a")),
        committer.runSync(() => {
          sqlite.prepare("INSERT INTO items (label) VALUES ('half')").run();
          throw new Error("disk full after a write");
        }),
        committer.runSync(insertSync("a")), // a UNIQUE violation, after a write of its own kind: not a refusal either
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/disk full/);
      expect(sqlite.inTransaction).toBe(false);
      expect(labels()).toEqual([]);
      // The committer goes on working afterwards.
      expect(await committer.runSync(insertSync("c"))).toBe("c");
    });

    it("runs the batch hooks: deferred writes before COMMIT, and the end of every batch, committed or not", async () => {
      const events: string[] = [];
      const hooks = {
        beforeCommit: () => {
          events.push("beforeCommit");
          sqlite.prepare("INSERT INTO items (label) VALUES ('deferred')").run();
        },
        end: () => void events.push("end"),
      };
      const committer = new GroupCommitter(db, 64, () => false, 5, { ...syncCommits(), hooks });
      await Promise.all([committer.runSync(insertSync("a")), committer.runSync(insertSync("b"))]);
      expect(labels()).toEqual(["a", "b", "deferred"]);
      await expect(committer.runSync(insertSync("a"))).rejects.toThrow(/UNIQUE/);
      expect(events).toEqual(["beforeCommit", "end", "end"]);
      expect(labels()).toEqual(["a", "b", "deferred"]);
    });

    it("refuses synchronous work without a synchronous connection", async () => {
      await expect(new GroupCommitter(db, 64, () => false).runSync(() => 1)).rejects.toThrow(/synchronous connection/);
    });
  });
});
