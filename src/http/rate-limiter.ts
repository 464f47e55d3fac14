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

/**
 * In-memory token buckets, refilled continuously at the project's rate, bursting up to one
 * second's worth. Limits are per process: with several processes each enforces its own.
 */
export function createRateLimiter(now: () => number, maxProjects = 100_000): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    take(projectId, ratePerSecond) {
      if (ratePerSecond === null) return;
      const at = now();
      let bucket = buckets.get(projectId);
      if (!bucket || bucket.rate !== ratePerSecond) {
        if (buckets.size >= maxProjects) buckets.clear();
        bucket = { tokens: ratePerSecond, updatedAt: at, rate: ratePerSecond };
        buckets.set(projectId, bucket);
      }
      bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((at - bucket.updatedAt) / 1000) * ratePerSecond);
      bucket.updatedAt = at;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
      throw new RateLimitedError(
        "rate_limited",
        `This project may send ${ratePerSecond} requests per second to /schedule, /cancel and the JSON API; retry after ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      );
    },
  };
}
