import type { ManualClock } from "../clock.js";
import type { Store } from "../store/store.js";
import type { Dispatcher } from "./dispatcher.js";

/** What moving the virtual clock did. */
export interface AdvanceResult {
  /** The clock's time after the move, epoch ms. */
  now: number;
  /** Attempts recorded on the way (first attempts, retries, ticks, callbacks). */
  attempts: number;
}

/**
 * Hourglass's time when it runs on a virtual clock (`HOURGLASS_CLOCK=manual`, for users' own
 * tests): time moves only when told, and moving it fires everything that comes due on the way —
 * in due order, each attempt recorded (and the retries, next ticks and callbacks it leads to)
 * before the clock moves past it — so a test can say "three days later" and then look.
 */
export class VirtualTime {
  /** Moves are serialized: a second one starts when the first has settled. */
  private moving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clock: ManualClock,
    private readonly dispatcher: Dispatcher,
    private readonly store: Store,
  ) {}

  now(): number {
    return this.clock.now();
  }

  /** Moves the clock to `target` (never backwards: a RangeError), firing what comes due on the way. */
  advanceTo(target: number): Promise<AdvanceResult> {
    const move = this.moving.then(() => this.move(target));
    this.moving = move.catch(() => undefined);
    return move;
  }

  private async move(target: number): Promise<AdvanceResult> {
    if (target < this.clock.now()) {
      throw new RangeError(`The virtual clock cannot go back (it is ${new Date(this.clock.now()).toISOString()}).`);
    }
    let attempts = 0;
    const count = (): void => {
      attempts++;
    };
    this.dispatcher.on("attempt", count);
    try {
      for (;;) {
        await this.dispatcher.whenIdle();
        const next = await this.store.nextDueAt();
        if (next === null || next > target) break;
        // Each step lands on the next due instant, so nothing is claimed late (a missed tick) or early.
        this.clock.set(Math.max(next, this.clock.now()));
      }
      this.clock.set(target);
      await this.dispatcher.whenIdle();
    } finally {
      this.dispatcher.off("attempt", count);
    }
    return { now: this.clock.now(), attempts };
  }
}
