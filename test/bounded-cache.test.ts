import { describe, expect, it } from "vitest";
import { BoundedCache } from "../src/bounded-cache.js";

describe("BoundedCache", () => {
  it("holds at most its bound, forgetting the oldest key first; replacing a key does not evict", () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    cache.set("b", 20); // already there: nothing forgotten
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.size]).toEqual([1, 20, 3, 3]);
    cache.set("d", 4); // full: "a", the oldest, goes
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.get("d"), cache.size]).toEqual([undefined, 20, 3, 4, 3]);
    cache.clear();
    expect([cache.get("b"), cache.size]).toEqual([undefined, 0]);
  });
});
