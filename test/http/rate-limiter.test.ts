import { describe, expect, it } from "vitest";
import { RateLimitedError } from "../../src/errors.js";
import { createRateLimiter } from "../../src/http/rate-limiter.js";

/** Requests `limiter` admits for the project at one instant, out of `tries`. */
function admitted(limiter: ReturnType<typeof createRateLimiter>, rate: number, tries = 1_000): number {
  let n = 0;
  for (let i = 0; i < tries; i++) {
    try {
      limiter.take("p", rate);
      n++;
    } catch (error) {
      expect(error).toBeInstanceOf(RateLimitedError);
    }
  }
  return n;
}

describe("rate limiter", () => {
  it("admits one second's worth at once, then the rate", () => {
    let now = 0;
    const limiter = createRateLimiter(() => now);
    expect(admitted(limiter, 30)).toBe(30);
    now += 500;
    expect(admitted(limiter, 30)).toBe(15);
  });

  it("with N live nodes, each admits rate / N: the cluster stays within the limit", () => {
    let now = 0;
    let nodes = 3;
    const limiter = createRateLimiter(() => now, { nodes: () => nodes });
    expect(admitted(limiter, 30)).toBe(10);
    now += 1_000;
    expect(admitted(limiter, 30)).toBe(10);
    // A node left: the share grows (the bucket starts over at the new rate).
    nodes = 2;
    now += 1_000;
    expect(admitted(limiter, 30)).toBe(15);
  });

  it("below one request a second per node, each node admits one at a time at its share", () => {
    let now = 0;
    const limiter = createRateLimiter(() => now, { nodes: () => 3 });
    expect(admitted(limiter, 2)).toBe(1);
    now += 1_000;
    expect(admitted(limiter, 2)).toBe(0);
    now += 500;
    expect(admitted(limiter, 2)).toBe(1);
  });
});
