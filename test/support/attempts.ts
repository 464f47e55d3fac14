import type { AttemptEvent, Dispatcher } from "../../src/dispatch/dispatcher.js";

/** Collects the dispatcher's recorded attempts and lets a test await the next ones. */
export class AttemptLog {
  readonly events: AttemptEvent[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private matchers: { match: (event: AttemptEvent) => boolean; resolve: (event: AttemptEvent) => void }[] = [];

  constructor(dispatcher: Dispatcher) {
    dispatcher.on("attempt", (event) => {
      this.events.push(event);
      this.matchers = this.matchers.filter((m) => {
        if (!m.match(event)) return true;
        m.resolve(event);
        return false;
      });
      this.waiters = this.waiters.filter((w) => {
        if (this.events.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves once `count` attempts in total have been recorded; returns them all. */
  async waitForCount(count: number): Promise<AttemptEvent[]> {
    if (this.events.length < count) await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    return this.events.slice();
  }

  /** Resolves with the attempt recorded after the `seen` first ones. */
  async next(seen = this.events.length): Promise<AttemptEvent> {
    const all = await this.waitForCount(seen + 1);
    return all[seen] as AttemptEvent;
  }

  /** Resolves with the first recorded attempt (already recorded, or the next to be) that `match` accepts. */
  async waitFor(match: (event: AttemptEvent) => boolean): Promise<AttemptEvent> {
    const seen = this.events.find(match);
    if (seen) return seen;
    return new Promise((resolve) => this.matchers.push({ match, resolve }));
  }
}
