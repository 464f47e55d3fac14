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

/** An error as an HTTP answer: status, JSON body, extra headers. */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ErrorBody;
  headers: Record<string, string> | undefined;
}

/**
 * The one place that turns an error into an HTTP answer. Domain errors keep their code and
 * message; anything else is a 500 whose details go to the log, never to the client.
 */
export function errorAnswer(error: unknown, logUnexpected: (error: unknown) => void): ErrorAnswer {
  if (error instanceof HourglassError) {
    const headers = error instanceof RateLimitedError ? { "Retry-After": String(error.retryAfterSeconds) } : undefined;
    return { status: STATUS_BY_KIND[error.kind], body: { error: error.code, message: error.message }, headers };
  }
  logUnexpected(error);
  return { status: 500, body: { error: "internal_error", message: "Something went wrong on our side; it has been logged." }, headers: undefined };
}

/** {@link errorAnswer} as a Hono response. */
export function errorResponse(c: Context, error: unknown, logUnexpected: (error: unknown) => void): Response {
  const { status, body, headers } = errorAnswer(error, logUnexpected);
  return c.json<ErrorBody>(body, status, headers);
}
