import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import type { DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { Dispatcher } from "../../src/dispatch/dispatcher.js";
import type { KyselyStore } from "../../src/store/kysely-store.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { Store } from "../../src/store/store.js";
import { DELIVERY, jobInput } from "../store/store-contract.js";
import { makeTempDir } from "../support/temp-dir.js";

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const TTL_MS = 1_000;
const silent = pino({ level: "silent" });

describe("dispatcher: a project's signing secrets are looked up once for the deliveries that start together", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: KyselyStore;
  let clock: ManualClock;
  let projectId: string;
  /** Calls of getSigningSecrets; `failNext` makes the next one reject. */
  let lookups: number;
  let failNext: boolean;
  let counting: Store;
  /** The dispatcher's log: errors are counted, so a test can await the attempts that could not be made. */
  let errorsLogged: number;
  let onError: () => void;
  const log = {
    error: () => {
      errorsLogged++;
      onError();
    },
    debug: silent.debug.bind(silent),
  };

  beforeEach(async () => {
    temp = makeTempDir();
    store = openSqliteStore({ path: `${temp.dir}/h.db`, synchronous: "NORMAL", runMissedCap: 100, missedGraceMs: 60_000 });
    clock = new ManualClock(T0);
    projectId = await store.ensureApiKey("a".repeat(64), "hg_a", T0);
    await store.setSigningSecrets(projectId, ["whsec_" + Buffer.alloc(32, 7).toString("base64")]);
    lookups = 0;
    failNext = false;
    errorsLogged = 0;
    onError = () => undefined;
    counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === "getSigningSecrets") {
          return (id: string) => {
            lookups++;
            if (failNext) {
              failNext = false;
              return Promise.reject(new Error("database is locked"));
            }
            return target.getSigningSecrets(id);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  });
  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  /** A dispatcher whose deliveries succeed at once, recording each request's headers. */
  function dispatcherRecording(sent: [string, string][][], secretsTtlMs = TTL_MS): Dispatcher {
    const deliver = async (request: { headers: [string, string][] }): Promise<DeliveryOutcome> => {
      sent.push(request.headers);
      return { ok: true, httpStatus: 200, error: null, responseExcerpt: null, responseHeaders: [], startedAt: clock.now(), finishedAt: clock.now() };
    };
    return new Dispatcher(counting, clock, deliver, {
      concurrency: 64,
      batchSize: 64,
      leaseMarginMs: 30_000,
      maxIdleMs: 60_000,
      callbackPolicy: DELIVERY,
      signingSecretsTtlMs: secretsTtlMs,
    }, log);
  }

  function attempts(dispatcher: Dispatcher, n: number): Promise<void> {
    let seen = 0;
    return new Promise((resolve) => {
      const onAttempt = () => {
        if (++seen < n) return;
        dispatcher.off("attempt", onAttempt);
        resolve();
      };
      dispatcher.on("attempt", onAttempt);
    });
  }

  function errors(n: number): Promise<void> {
    return new Promise((resolve) => {
      onError = () => (errorsLogged >= n ? resolve() : undefined);
      onError();
    });
  }

  const schedule = async (count: number, at: number) => {
    for (let i = 0; i < count; i++) await store.scheduleJob(jobInput(projectId, { now: T0, scheduledAt: at }));
  };

  it("one look-up for a batch of 40 claimed together, again only once it has expired, every delivery signed", async () => {
    await schedule(40, T0);
    const sent: [string, string][][] = [];
    const dispatcher = dispatcherRecording(sent);
    const firstBatch = attempts(dispatcher, 40);
    dispatcher.start();
    await firstBatch;
    expect(lookups).toBe(1);

    // Within the TTL: the cached secrets, no look-up.
    await schedule(10, T0 + TTL_MS - 1);
    dispatcher.notify(T0 + TTL_MS - 1);
    const within = attempts(dispatcher, 10);
    clock.set(T0 + TTL_MS - 1);
    await within;
    expect(lookups).toBe(1);

    // Expired: one look-up again for the 30 that start together.
    await schedule(30, T0 + TTL_MS);
    dispatcher.notify(T0 + TTL_MS);
    const after = attempts(dispatcher, 30);
    clock.set(T0 + TTL_MS);
    await after;
    expect(lookups).toBe(2);

    expect(sent).toHaveLength(80);
    for (const headers of sent) expect(headers.some(([name]) => name === "webhook-signature")).toBe(true);
    await dispatcher.stop(0);
  });

  it("a failed look-up is not kept: the deliveries waiting on it keep their leases, the next claim asks again", async () => {
    await schedule(5, T0);
    const sent: [string, string][][] = [];
    // Secrets kept far longer than a lease: a cached failure would still be served at the retry.
    const dispatcher = dispatcherRecording(sent, 3_600_000);
    failNext = true;
    const failed = errors(5);
    dispatcher.start();
    // The five shared the one failed look-up and were not sent; their leases expire, then they are claimed again.
    await failed;
    await new Promise((resolve) => setImmediate(resolve)); // each leaves the in-flight set as its attempt settles
    expect(dispatcher.inFlightCount).toBe(0);
    expect(lookups).toBe(1);
    expect(sent).toHaveLength(0);

    const retried = attempts(dispatcher, 5);
    clock.advance(60_000); // past the leases (timeout + 30 s margin)
    await retried;
    expect(lookups).toBe(2);
    expect(sent).toHaveLength(5);
    await dispatcher.stop(0);
  });
});
