import { randomBytes } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import type { Store } from "../store/store.js";
import type { DeliveryPolicy } from "../store/types.js";
import type { LocalTarget } from "./deliver.js";
import { type DeliverFn, Dispatcher, type DispatcherOptions } from "./dispatcher.js";

/** A rehearsed delivery: a typical JSON request of a few hundred bytes, answered at once. */
const REHEARSAL_HEADERS: [string, string][] = [["content-type", "application/json"], ["user-agent", "hourglass-rehearsal"]];
const REHEARSAL_BODY = new TextEncoder().encode(JSON.stringify({ rehearsal: true, padding: "x".repeat(256) }));
const REHEARSAL_POLICY: DeliveryPolicy = {
  retries: 0,
  retryDelayMs: 1_000,
  timeoutMs: 5_000,
  callbackUrl: null,
  failureUrl: null,
  successStatus: null,
  retryOn: null,
  flowKey: null,
};
/** The longest a rehearsal runs (it normally takes well under a second): shutdown waits for it. */
export const REHEARSAL_MAX_MS = 10_000;
/** Triggers scheduled per group commit while the rehearsal's store is filled. */
const SCHEDULE_CHUNK = 256;
const silent = { error: () => {}, debug: () => {} };
/** How long after the claiming-ahead reach a round's burst is due (see rehearseRound). */
const START_WAIT_MS = 5;

export interface RehearsalOptions {
  /** Triggers delivered, all due at once: a burst. */
  count: number;
  clock: Clock;
  /** What {@link REHEARSAL_MAX_MS} is measured on: real time (a test may give its own clock), even where `clock` is manual. */
  boundClock?: Clock;
  /** The real dispatcher's options: the rehearsal claims and sends as it does. */
  dispatcher: DispatcherOptions;
  /** A new, empty store of the rehearsal's own, closed after each round (OpenedStore.openScratch). */
  openStore: () => Store;
  /** Where the rehearsal delivers (Deliverer.withLocalTarget). */
  target: LocalTarget;
  /** Attaches to each round's dispatcher what observes the real one (its metrics). */
  observe?: (dispatcher: Dispatcher) => void;
  /** Asked before each delivery: true ends the rehearsal (real work began, or shutdown). */
  stop: () => boolean;
}

/**
 * Triggers pending in the rehearsal's store at most, a round at a time on a new store: memory a
 * closed store freed goes back to the C heap, not to the system, so the process stays as large as
 * the largest round made it.
 */
const ROUND_SIZE = 1_000;
/**
 * The first round is this short and ends by closing its connections. A connection's end changes
 * the shapes of the HTTP client's and server's objects (fields that held a socket or a parser
 * become empty), and V8 then discards every function optimized for the old shapes. Closed once
 * before the rounds that optimize them, those functions are optimized for the shapes they keep,
 * and the code stays valid when the rehearsal's connections close and real ones open.
 */
const FIRST_ROUND_SIZE = 64;

/**
 * A burst of `count` one-shots, delivered right after start-up through the code real ones run —
 * a Dispatcher claiming in batches from a store of its own (a new one each round, dropped after),
 * the deliverer's HTTP client, outcomes recorded, metrics observed (on a registry of its own) — to
 * a server of this process, in a first round of {@link FIRST_ROUND_SIZE} and then rounds of at most
 * {@link ROUND_SIZE}. A process that just started otherwise delivers its first burst in V8's
 * interpreter and baseline code, at about half the rate of the next ones: a burst through the
 * real pipeline is what brings every function of it (claims, row decoding, sending, judging,
 * recording) to optimized code. Delivering only (without the claims and the records) left the
 * first burst at about half. Nothing reaches the real store, the metrics or the history. Ends
 * early once `stop()` says so, and after {@link REHEARSAL_MAX_MS} at the latest.
 */
export async function rehearseBurst(options: RehearsalOptions): Promise<number> {
  const deadline = new AbortController();
  const boundClock = options.boundClock ?? systemClock;
  const disarm = boundClock.setTimer(boundClock.now() + REHEARSAL_MAX_MS, () => deadline.abort());
  let recorded = 0;
  try {
    for (let left = options.count, round = 0; left > 0 && !deadline.signal.aborted && !options.stop(); round++) {
      // The first round's connections close before the next round (see FIRST_ROUND_SIZE); after
      // the last, they close with the target anyway.
      if (round === 1) await options.target.reconnect();
      const count = Math.min(round === 0 ? FIRST_ROUND_SIZE : ROUND_SIZE, left);
      left -= count;
      recorded += await rehearseRound(count, options, deadline.signal);
    }
  } finally {
    disarm();
  }
  return recorded;
}

/** One round of {@link rehearseBurst}: `count` triggers due at once, on a store of its own. */
async function rehearseRound(count: number, options: RehearsalOptions, deadline: AbortSignal): Promise<number> {
  const { clock, target } = options;
  const store = options.openStore();
  let dispatcher: Dispatcher | null = null;
  let recorded = 0;
  let end = (): void => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  deadline.addEventListener("abort", end);
  try {
    const now = clock.now();
    const projectId = await store.ensureApiKey(randomBytes(32).toString("hex"), "hg_rehearsal", now);
    const request = { method: "POST", url: target.url, headers: REHEARSAL_HEADERS, body: REHEARSAL_BODY };
    // Due just beyond the claiming-ahead reach, as a real burst is: claims made ahead wait for the
    // due time (those of a round scheduled quickly enough, the first one's at least).
    const scheduledAt = now + (options.dispatcher.claimAheadMs ?? 0) + START_WAIT_MS;
    const input = { projectId, customKey: null, triggerId: null, request, delivery: REHEARSAL_POLICY, title: null, tags: [], now, scheduledAt };
    let scheduled = 0;
    while (scheduled < count && !options.stop()) {
      const chunk = Math.min(SCHEDULE_CHUNK, count - scheduled);
      await Promise.all(Array.from({ length: chunk }, () => store.scheduleJob(input)));
      scheduled += chunk;
    }
    if (options.stop()) return 0;
    const deliver: DeliverFn = (req, opts) => {
      if (!options.stop()) return target.deliver(req, opts);
      end();
      const at = clock.now();
      return Promise.resolve({ ok: false, httpStatus: null, error: "rehearsal stopped", responseExcerpt: null, responseHeaders: [], startedAt: at, finishedAt: at });
    };
    dispatcher = new Dispatcher(store, clock, deliver, options.dispatcher, silent);
    options.observe?.(dispatcher);
    dispatcher.on("attempt", () => {
      if (++recorded >= scheduled) end();
    });
    dispatcher.start();
    await ended;
  } finally {
    deadline.removeEventListener("abort", end);
    await dispatcher?.stop(0);
    await store.close();
  }
  return recorded;
}
