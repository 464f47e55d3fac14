import { ManualClock } from "../../src/clock.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { Store } from "../../src/store/store.js";
import type { ClaimedTrigger } from "../../src/store/types.js";
import { makeTempDir } from "./temp-dir.js";

/** What the dispatcher's tests run on: a real SQLite store in a new folder, a manual clock, and one project. */
export interface DispatchFixture {
  store: KyselyStore;
  clock: ManualClock;
  projectId: string;
  /** Closes the store and removes its folder. */
  dispose(): Promise<void>;
}

export async function openDispatchFixture(start: number): Promise<DispatchFixture> {
  const temp = makeTempDir();
  const store = openSqliteStore({ path: `${temp.dir}/h.db`, synchronous: "NORMAL", runMissedCap: 100, missedGraceMs: 60_000 });
  const clock = new ManualClock(start);
  const projectId = await store.ensureApiKey("a".repeat(64), "hg_a", start);
  return {
    store,
    clock,
    projectId,
    dispose: async () => {
      await store.close();
      temp.remove();
    },
  };
}

/**
 * `store` as a dispatcher under test sees it: each claimDue call goes through `around`, which gets
 * the call's arguments and the real claim to run, and returns what the dispatcher gets.
 */
export function interceptClaims(
  store: Store,
  around: (args: Parameters<Store["claimDue"]>, claim: () => Promise<ClaimedTrigger[]>) => Promise<ClaimedTrigger[]>,
): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "claimDue") return (...args: Parameters<Store["claimDue"]>) => around(args, () => target.claimDue(...args));
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
