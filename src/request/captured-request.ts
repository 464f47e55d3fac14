import { HeadersTooLargeError, InvalidInputError } from "../errors.js";
import type { HeaderPair } from "../store/types.js";

/**
 * Lower-cased names of the headers that are never replayed, besides every `ttr-*` header and
 * every header named by a `Connection` header: hop-by-hop headers, `Host` (taken from
 * `ttr-url`), `Content-Length` (recomputed from the stored bytes) and the Standard Webhooks
 * headers (reserved for Hourglass's own signature).
 */
export const NOT_FORWARDED_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "expect",
  "http2-settings",
  "host",
  "content-length",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

/** Prefix (lower case) of the headers that configure Hourglass itself; they are never replayed. */
export const TTR_HEADER_PREFIX = "ttr-";

/** Caps on the headers of a `/schedule` request, counted over every header including `ttr-*`. */
export interface HeaderLimits {
  /** Most header fields allowed (each duplicate counts). */
  maxCount: number;
  /** Most bytes allowed for all names plus values together. */
  maxBytes: number;
}

/** The headers of a `/schedule` request, split into what is replayed and what configures Hourglass. */
export interface SplitHeaders {
  /** Replayed headers: original order, original name case, duplicates as separate pairs. */
  forwarded: HeaderPair[];
  /** `ttr-*` headers keyed by lower-cased name; values in the order they were sent. */
  ttr: Map<string, string[]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/*
 * Anything outside field-vchar, SP and HTAB. CR, LF and NUL are the dangerous ones (header
 * injection), but the other control characters are refused too: the delivery client rejects
 * them, so accepting them here would store a trigger that can never be delivered.
 */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

const METHODS_WITHOUT_BODY: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Splits Node's `IncomingMessage.rawHeaders` (`[name, value, name, value, …]`) into the headers
 * to replay and the `ttr-*` headers. Drops everything in {@link NOT_FORWARDED_HEADERS} and every
 * header a `Connection` header names, matching names case-insensitively.
 *
 * Sizes are counted in characters, which are bytes for headers parsed by Node (it decodes
 * header bytes as latin1) and for every value that passes validation.
 *
 * @throws HeadersTooLargeError `headers_too_large` when over `limits`.
 * @throws InvalidInputError `invalid_header_name` for a name that is not an HTTP token, or
 *   `invalid_header_value` for a value containing CR, LF, NUL or another control character.
 */
export function splitHeaders(rawHeaders: readonly string[], limits: HeaderLimits): SplitHeaders {
  if (rawHeaders.length % 2 !== 0) {
    throw new TypeError("rawHeaders must hold name/value pairs");
  }
  const count = rawHeaders.length / 2;
  if (count > limits.maxCount) {
    throw new HeadersTooLargeError(
      "headers_too_large",
      `The request has ${count} headers; at most ${limits.maxCount} are allowed.`,
    );
  }

  const forwarded: HeaderPair[] = [];
  const ttr = new Map<string, string[]>();
  let connectionNamed: Set<string> | null = null;
  let bytes = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    bytes += name.length + value.length;
    if (bytes > limits.maxBytes) {
      throw new HeadersTooLargeError(
        "headers_too_large",
        `The request headers exceed ${limits.maxBytes} bytes in total.`,
      );
    }
    if (!TOKEN.test(name)) {
      throw new InvalidInputError("invalid_header_name", `Header name ${JSON.stringify(name)} is not a valid HTTP token.`);
    }
    if (INVALID_VALUE_CHAR.test(value)) {
      throw new InvalidInputError(
        "invalid_header_value",
        `Header ${name} has a value containing a control character (CR, LF, NUL or similar).`,
      );
    }
    const lower = name.toLowerCase();
    if (lower.startsWith(TTR_HEADER_PREFIX)) {
      const values = ttr.get(lower);
      if (values) values.push(value);
      else ttr.set(lower, [value]);
    } else if (!NOT_FORWARDED_HEADERS.has(lower)) {
      forwarded.push([name, value]);
    } else if (lower === "connection") {
      for (const token of value.split(",")) {
        const named = token.trim().toLowerCase();
        if (named !== "") (connectionNamed ??= new Set()).add(named);
      }
    }
  }
  // A header named by Connection is hop-by-hop wherever it appears, before or after it.
  if (connectionNamed === null) return { forwarded, ttr };
  const named = connectionNamed;
  return { forwarded: forwarded.filter(([name]) => !named.has(name.toLowerCase())), ttr };
}

/**
 * Whether a request with this method has its body read and stored: false for GET, HEAD and
 * OPTIONS, true for every other method. Methods are case-sensitive, as in HTTP.
 */
export function methodCarriesBody(method: string): boolean {
  return !METHODS_WITHOUT_BODY.has(method);
}

/** Whether `method` is a syntactically valid HTTP method (an RFC 9110 token). */
export function isValidMethod(method: string): boolean {
  return TOKEN.test(method);
}
