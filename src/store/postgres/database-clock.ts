import { type Clock, systemClock } from "../../clock.js";

/** Readings kept: a few seconds' worth at one per heartbeat, so that clock drift between them stays far below a millisecond. */
const SAMPLES = 4;

/**
 * This node's clock, moved onto the database's: every node of a cluster then tells time by one
 * clock (PostgreSQL's), so a node whose own clock runs ahead never claims a trigger early.
 *
 * Each reading of the database's clock was taken somewhere between the query's sending and its
 * answer, so `dbNow - receivedAt` is at most the true offset: the offset used is the largest such
 * lower bound among the last few readings. This clock is therefore never ahead of the database's,
 * and behind it by at most the shortest round trip among those readings (plus drift since then).
 */
export class DatabaseClock implements Clock {
  private readonly lowerBounds: number[] = [];
  private offset = 0;

  constructor(private readonly local: Clock = systemClock) {}

  /** A reading `dbNow` of the database's clock, asked at local time `sentAt` and answered at `receivedAt`. */
  record(sentAt: number, dbNow: number, receivedAt: number): void {
    if (receivedAt < sentAt) return;
    this.lowerBounds.push(dbNow - receivedAt);
    if (this.lowerBounds.length > SAMPLES) this.lowerBounds.shift();
    this.offset = Math.max(...this.lowerBounds);
  }

  /** Milliseconds to add to this machine's clock to get (no later than) the database's. */
  get offsetMs(): number {
    return this.offset;
  }

  now(): number {
    return this.local.now() + this.offset;
  }

  setTimer(at: number, fn: () => void): () => void {
    let disarm: () => void;
    const arm = () => {
      // The offset may grow while the timer waits: check on wake, and wait the rest if need be.
      disarm = this.local.setTimer(at - this.offset, () => (this.now() >= at ? fn() : arm()));
    };
    arm();
    return () => disarm();
  }
}
