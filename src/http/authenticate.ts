import { BoundedCache } from "../bounded-cache.js";
import { UnauthorizedError } from "../errors.js";
import type { Store } from "../store/store.js";
import { digestsEqual, hashApiKey } from "./api-key.js";

const CACHE_TTL_MS = 10_000;
const CACHE_MAX_ENTRIES = 10_000;

/** Who a request is: the key's project and that project's rate limit (null: none). */
export interface Caller {
  projectId: string;
  rateLimit: number | null;
}

/** Resolves an API key to its caller, or throws {@link UnauthorizedError}. */
export interface Authenticator {
  /** The caller of a key {@link authenticate} accepted within the last 10 s, without a promise; else undefined. */
  cached(apiKey: string | undefined): Caller | undefined;
  authenticate(apiKey: string | undefined): Promise<Caller>;
  /** Drops cached look-ups (after a key is revoked or a project's limits change). */
  forget(): void;
}

/**
 * Keys are looked up by their SHA-256 digest, so the secret itself is never compared byte by
 * byte; the digest found is then compared to the computed one in constant time. Successful
 * look-ups are cached briefly (10 s), in this process's memory by the key itself, so /schedule
 * pays neither a database round trip nor a hash per request (the hash alone was ≈ 2% of it);
 * this process forgets them at once when a key is revoked through its admin API.
 */
export function createAuthenticator(store: Store, now: () => number): Authenticator {
  const cache = new BoundedCache<string, { caller: Caller; expiresAt: number }>(CACHE_MAX_ENTRIES);
  const cached = (apiKey: string | undefined): Caller | undefined => {
    if (apiKey === undefined) return undefined;
    const entry = cache.get(apiKey);
    return entry !== undefined && entry.expiresAt > now() ? entry.caller : undefined;
  };
  const authenticate = async (apiKey: string | undefined): Promise<Caller> => {
    if (apiKey === undefined || apiKey.length === 0) {
      throw new UnauthorizedError("missing_api_key", "Send your API key in the ttr-api-key header.");
    }
    if (apiKey.length > 512) throw new UnauthorizedError("invalid_api_key", "The API key is not valid.");
    const known = cached(apiKey);
    if (known !== undefined) return known;
    const digest = hashApiKey(apiKey);
    const found = await store.findApiKey(digest);
    if (!found || !digestsEqual(found.keyHash, digest)) {
      throw new UnauthorizedError("invalid_api_key", "The API key is not valid.");
    }
    const caller = { projectId: found.projectId, rateLimit: found.rateLimit };
    cache.set(apiKey, { caller, expiresAt: now() + CACHE_TTL_MS });
    return caller;
  };
  return { cached, authenticate, forget: () => cache.clear() };
}
