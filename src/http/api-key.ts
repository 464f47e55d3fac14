import { hash, randomBytes, timingSafeEqual } from "node:crypto";

/** Prefix that makes a Hourglass key recognisable in logs and secret scanners. */
export const API_KEY_PREFIX = "hg_";

/** A new API key: the prefix and 192 random bits, base64url. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(24).toString("base64url");
}

/** SHA-256 hex digest: the only form in which a key is stored. One-shot `hash` (Node ≥ 20.12): a third of a Hash object's cost. */
export function hashApiKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** The first characters of a key, safe to store and show to recognise it. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, Math.min(8, Math.floor(key.length / 3)));
}

/** Constant-time equality of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}
