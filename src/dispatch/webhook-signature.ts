import { createHmac, randomBytes } from "node:crypto";
import type { HeaderPair } from "../store/types.js";

const SECRET_PREFIX = "whsec_";

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes, base64. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** True for `whsec_<base64 of 24 to 64 bytes>`. */
export function isValidSigningSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const length = Buffer.from(encoded, "base64").length;
  return length >= 24 && length <= 64;
}

/** The stable id of every delivery of one trigger: its retries and replays share it. */
export function webhookIdOf(triggerId: string): string {
  return `msg_${triggerId}`;
}

/**
 * Standard Webhooks headers for one attempt: `webhook-id`, `webhook-timestamp` (seconds) and
 * `webhook-signature` — one `v1,<base64 HMAC-SHA256>` per secret (two during a rotation), over
 * `id.timestamp.` followed by the exact body bytes.
 */
export function signatureHeaders(input: {
  webhookId: string;
  timestampSeconds: number;
  body: Uint8Array | null;
  secrets: string[];
}): HeaderPair[] {
  const timestamp = String(input.timestampSeconds);
  const signatures = input.secrets.map((secret) => {
    const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
    const hmac = createHmac("sha256", key).update(`${input.webhookId}.${timestamp}.`);
    if (input.body !== null) hmac.update(input.body);
    return `v1,${hmac.digest("base64")}`;
  });
  return [
    ["webhook-id", input.webhookId],
    ["webhook-timestamp", timestamp],
    ["webhook-signature", signatures.join(" ")],
  ];
}
