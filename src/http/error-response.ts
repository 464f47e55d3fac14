import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorKind, HourglassError, RateLimitedError } from "../errors.js";

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  quota_exceeded: 402,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  rate_limited: 429,
  headers_too_large: 431,
};

/** The JSON error body every endpoint answers with. */
export interface ErrorBody {
  error: string;
  message: string;
}

/**
 * The one place that turns an error into an HTTP response. Domain errors keep their code and
 * message; anything else is a 500 whose details go to the log, never to the client.
 */
export function errorResponse(c: Context, error: unknown, logUnexpected: (error: unknown) => void): Response {
  if (error instanceof HourglassError) {
    if (error instanceof RateLimitedError) c.header("Retry-After", String(error.retryAfterSeconds));
    return c.json<ErrorBody>({ error: error.code, message: error.message }, STATUS_BY_KIND[error.kind]);
  }
  logUnexpected(error);
  return c.json<ErrorBody>({ error: "internal_error", message: "Something went wrong on our side; it has been logged." }, 500);
}
