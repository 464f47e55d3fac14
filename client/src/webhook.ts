import { decodeBase64 } from "./base64.js";

/**
 * Standard Webhooks verification (https://www.standardwebhooks.com/) with Web Crypto, for what
 * Hourglass sends once a project has a signing secret (docs/delivery.md#signing).
 */

/** Request headers as a `Headers`, Node's `req.headers`, or `[name, value]` pairs. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined> | Iterable<readonly [string, string]>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s, as the standardwebhooks libraries). */
  toleranceSeconds?: number;
  /** The time to check against (default: the current time). */
  now?: Date | number;
}

/** A verified message: `id` is the same on every retry and replay of one trigger (deduplicate on it). */
export interface VerifiedWebhook {
  id: string;
  timestamp: Date;
}

export type WebhookFailure = "missing_headers" | "invalid_timestamp" | "timestamp_out_of_tolerance" | "no_matching_signature";

/** The message is not proven to come from Hourglass (or is too old or too new): answer it 4xx. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  readonly reason: WebhookFailure;
  constructor(reason: WebhookFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/* Only what this module uses of Web Crypto: typed here, so it compiles with or without the DOM lib. */
interface HmacSubtle {
  importKey(format: "raw", key: Uint8Array, algorithm: { name: "HMAC"; hash: "SHA-256" }, extractable: false, usages: ["verify"]): Promise<unknown>;
  verify(algorithm: "HMAC", key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = "whsec_";

/**
 * Verifies a delivery's `webhook-signature` against `secret` (or any of `secrets`, during a
 * rotation): HMAC-SHA256 over `webhook-id.webhook-timestamp.rawBody` with the secret's bytes
 * (base64 after `whsec_`). Any `v1,` signature of the header may match. `rawBody` must be the
 * bytes received, not re-serialized JSON. Resolves to the message's id and time; rejects with a
 * WebhookVerificationError. Comparison is Web Crypto's `verify` (constant-time).
 */
export async function verifyWebhook(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<VerifiedWebhook> {
  const keys = (typeof secret === "string" ? [secret] : [...secret]).map(secretBytes);
  if (keys.length === 0) throw new TypeError("verifyWebhook needs at least one secret");
  const get = headerReader(headers);
  const id = get("webhook-id");
  const timestamp = get("webhook-timestamp");
  const signatures = get("webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError("missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required");
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("invalid_timestamp", "webhook-timestamp is not a number of seconds");
  const seconds = Number(timestamp);
  const now = options.now === undefined ? Date.now() : Number(options.now);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now / 1000 - seconds) > tolerance) {
    throw new WebhookVerificationError("timestamp_out_of_tolerance", `webhook-timestamp is more than ${tolerance} s from now`);
  }

  const body = typeof rawBody === "string" ? new TextEncoder().encode(rawBody) : rawBody instanceof ArrayBuffer ? new Uint8Array(rawBody) : rawBody;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);

  const candidates = signatures
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => decodeBase64(s.slice(3)))
    .filter((s): s is Uint8Array => s !== null);
  const subtle = webCrypto();
  for (const key of keys) {
    const cryptoKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const candidate of candidates) {
      if (await subtle.verify("HMAC", cryptoKey, candidate, signed)) return { id, timestamp: new Date(seconds * 1000) };
    }
  }
  throw new WebhookVerificationError("no_matching_signature", "No signature matches the secret(s)");
}

function secretBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = decodeBase64(encoded);
  if (bytes === null || bytes.length === 0) throw new TypeError("A webhook secret is whsec_ followed by base64");
  return bytes;
}

function webCrypto(): HmacSubtle {
  const subtle = (globalThis as unknown as { crypto?: { subtle?: HmacSubtle } }).crypto?.subtle;
  if (subtle === undefined) throw new TypeError("verifyWebhook needs Web Crypto (crypto.subtle): Node >= 20, or a browser on https");
  return subtle;
}

/** A case-insensitive reader; repeated headers are joined with a space (signatures are space-separated). */
function headerReader(headers: WebhookHeaders): (name: string) => string | undefined {
  if (typeof Headers !== "undefined" && headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const values = new Map<string, string[]>();
  const add = (name: string, value: string | readonly string[] | undefined) => {
    if (value === undefined) return;
    const list = values.get(name.toLowerCase()) ?? [];
    list.push(...(typeof value === "string" ? [value] : value));
    values.set(name.toLowerCase(), list);
  };
  if (Symbol.iterator in headers) for (const [name, value] of headers as Iterable<readonly [string, string]>) add(name, value);
  else for (const [name, value] of Object.entries(headers)) add(name, value);
  return (name) => {
    const list = values.get(name);
    return list === undefined ? undefined : list.map((v) => v.trim()).join(" ");
  };
}
