import { BoundedCache } from "./bounded-cache.js";

/** Values loaded by key, kept until dropped: see {@link createLoadedCache}. */
export interface LoadedCache<V> {
  /** The value when it is at hand, without a promise; else undefined. */
  cached(key: string): V | undefined;
  /** The value, loaded on first use. */
  get(key: string): Promise<V>;
  /** Drops the value (after what it was loaded from changed). */
  forget(key: string): void;
  /** Drops every value (changes may have been missed). */
  forgetAll(): void;
}

/**
 * A cache of values loaded asynchronously (a project's egress policy, its delivery defaults), so
 * the request path costs a map look-up: one load however many callers ask at once; a failed load
 * is not kept (the next caller asks again); at most `max` keys, the oldest forgotten first. No
 * expiry: the owner calls {@link LoadedCache.forget} when the source changes.
 */
export function createLoadedCache<V>(max: number, load: (key: string) => Promise<V>): LoadedCache<V> {
  const entries = new BoundedCache<string, { value: V | undefined; loading: Promise<V> }>(max);
  return {
    cached: (key) => entries.get(key)?.value,
    get(key) {
      const known = entries.get(key);
      if (known !== undefined) return known.loading;
      const entry: { value: V | undefined; loading: Promise<V> } = { value: undefined, loading: load(key) };
      entries.set(key, entry);
      entry.loading.then(
        (value) => {
          entry.value = value;
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.loading;
    },
    forget: (key) => entries.delete(key),
    forgetAll: () => entries.clear(),
  };
}
