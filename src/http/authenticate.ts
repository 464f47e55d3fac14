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
  authenticate(apiKey: string | undefined): Promise<Caller>;
  /** Drops cached look-ups (after a key is revoked or a project's limits change). */
  forget(): void;
}

/**
 * Keys are looked up by their SHA-256 digest, so the secret itself is never compared byte by
 * byte; the digest found is then compared to the computed one in constant time. Successful
 * look-ups are cached briefly (10 s) so /schedule does not pay a database round trip per
 * request; this process forgets them at once when a key is revoked through its admin API.
 */
export function createAuthenticator(store: Store, now: () => number): Authenticator {
  const cache = new Map<string, { caller: Caller; expiresAt: number }>();
  const authenticate = async (apiKey: string | undefined): Promise<Caller> => {
    if (apiKey === undefined || apiKey.length === 0) {
      throw new UnauthorizedError("missing_api_key", "Send your API key in the ttr-api-key header.");
    }
    if (apiKey.length > 512) throw new UnauthorizedError("invalid_api_key", "The API key is not valid.");
    const digest = hashApiKey(apiKey);
    const cached = cache.get(digest);
    if (cached && cached.expiresAt > now()) return cached.caller;
    const found = await store.findApiKey(digest);
    if (!found || !digestsEqual(found.keyHash, digest)) {
      throw new UnauthorizedError("invalid_api_key", "The API key is not valid.");
    }
    const caller = { projectId: found.projectId, rateLimit: found.rateLimit };
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(digest, { caller, expiresAt: now() + CACHE_TTL_MS });
    return caller;
  };
  return { authenticate, forget: () => cache.clear() };
}
