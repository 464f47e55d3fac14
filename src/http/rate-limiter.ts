import { RateLimitedError } from "../errors.js";

interface Bucket {
  tokens: number;
  updatedAt: number;
  rate: number;
}

/** Per-project request rate limits: a token bucket per project, holding one second of requests. */
export interface RateLimiter {
  /** Takes one request of `projectId` at `ratePerSecond` (null: unlimited), or throws RateLimitedError with Retry-After. */
  take(projectId: string, ratePerSecond: number | null): void;
}

export interface RateLimiterOptions {
  /** Most projects with a bucket; past it, all buckets start over. */
  maxProjects?: number;
  /** Nodes sharing each project's limit (live nodes on the database); 1: this process alone. */
  nodes?: () => number;
}

/**
 * In-memory token buckets, refilled continuously at the project's rate, bursting up to one
 * second's worth. With N nodes on one database, each node's bucket gets rate/N (and holds at
 * least one request): the cluster never admits more than the limit, in any second, however the
 * requests are spread, as long as N counts every live node — and a client that sends everything
 * to one node gets rate/N. While a node joins (not yet seen, for up to one heartbeat) the cluster
 * may admit up to (N+1)/N of the limit; below one request per second per node, each node still
 * admits one request at a time.
 */
export function createRateLimiter(now: () => number, options: RateLimiterOptions = {}): RateLimiter {
  const maxProjects = options.maxProjects ?? 100_000;
  const nodes = options.nodes ?? (() => 1);
  const buckets = new Map<string, Bucket>();
  return {
    take(projectId, ratePerSecond) {
      if (ratePerSecond === null) return;
      const rate = ratePerSecond / Math.max(1, nodes());
      const capacity = Math.max(1, rate);
      const at = now();
      let bucket = buckets.get(projectId);
      if (!bucket || bucket.rate !== rate) {
        if (buckets.size >= maxProjects) buckets.clear();
        bucket = { tokens: capacity, updatedAt: at, rate };
        buckets.set(projectId, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.updatedAt) / 1000) * rate);
      bucket.updatedAt = at;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
      throw new RateLimitedError(
        "rate_limited",
        `This project may send ${ratePerSecond} requests per second to /schedule, /cancel and the JSON API; retry after ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      );
    },
  };
}
