/**
 * Time as the rest of Hourglass sees it: epoch milliseconds from `now()`, and one-shot timers
 * armed for an absolute instant. Production uses {@link systemClock}; tests use a
 * {@link ManualClock} so that nothing waits on the wall clock.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /**
   * Calls `fn` once, no earlier than `at` by this clock. Returns a function that disarms it.
   * A timer armed for a time already past fires on the next turn of the event loop.
   */
  setTimer(at: number, fn: () => void): () => void;
}

/** setTimeout refuses delays above 2^31-1 ms (~24.8 days); longer waits are re-armed in hops. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The real clock: `Date.now()` and `setTimeout`, unref'd so a pending timer never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = at - Date.now();
      if (delay <= 0) {
        handle = setTimeout(fn, 0);
      } else {
        // Node may fire a timer up to 1 ms early against Date.now(); re-check on wake so the
        // caller's "no earlier than `at`" promise holds.
        handle = setTimeout(() => (Date.now() >= at ? fn() : arm()), Math.min(delay, MAX_TIMEOUT_MS));
      }
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to. Timers fire synchronously inside {@link advance} / {@link set}. */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  setTimer(at: number, fn: () => void): () => void {
    const timer: ManualTimer = { at, seq: this.seq++, fn };
    if (at <= this.current) {
      // Same contract as the system clock: never synchronously inside setTimer.
      queueMicrotask(() => {
        if (this.timers.includes(timer)) this.fire(timer);
      });
    }
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves time to `to` (never backwards), firing due timers in time order. */
  set(to: number | Date): void {
    const target = typeof to === "number" ? to : to.getTime();
    if (target < this.current) throw new Error(`ManualClock cannot go backwards (${target} < ${this.current})`);
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      this.fire(due);
    }
    this.current = target;
  }

  /** Number of armed timers (for assertions in tests). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  private fire(timer: ManualTimer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    timer.fn();
  }
}
