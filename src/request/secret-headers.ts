import type { HeaderPair } from "../store/types.js";

/** What a masked value becomes; an `Authorization`-style value keeps its scheme (`Bearer ***`). */
export const MASK = "***";

const SECRET_NAMES: ReadonlySet<string> = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);
/** Names that look like credentials: X-Api-Key, X-Auth-Token, X-Webhook-Secret, X-Db-Password, … */
const SECRET_NAME_PATTERN = /(?:^|[-_])(?:api[-_]?key|access[-_]?key|token|secret|password|passwd|session)$/;
const SCHEMES_OF: ReadonlySet<string> = new Set(["authorization", "proxy-authorization"]);

/** Whether a header's value carries a secret and is masked in the read API. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAMES.has(lower) || SECRET_NAME_PATTERN.test(lower);
}

/**
 * The headers with secret-bearing values masked, names and order kept. Only what the read API
 * shows: the stored request, and what is replayed, are never changed.
 */
export function maskSecretHeaders(headers: readonly HeaderPair[]): HeaderPair[] {
  return headers.map(([name, value]) => {
    if (!isSecretHeader(name)) return [name, value];
    const scheme = SCHEMES_OF.has(name.toLowerCase()) ? /^([A-Za-z][\w.+-]*)\s+\S/.exec(value)?.[1] : undefined;
    return [name, scheme === undefined ? MASK : `${scheme} ${MASK}`];
  });
}
