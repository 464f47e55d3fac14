import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorKind, HourglassError, RateLimitedError, ServiceUnavailableError } from "../errors.js";
import { isStoreUnreachable } from "../store/unavailable.js";
import { shuttingDown, storeUnavailable } from "./availability.js";

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  quota_exceeded: 402,
  not_found: 404,
  timeout: 408,
  conflict: 409,
  gone: 410,
  too_large: 413,
  rate_limited: 429,
  headers_too_large: 431,
  unavailable: 503,
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

/** How unexpected errors are handled: where they are logged, and whether the server is shutting down. */
export interface ErrorContext {
  logError: (error: unknown) => void;
  isShuttingDown: () => boolean;
}

/**
 * The one place that turns an error into an HTTP answer. Domain errors keep their code and
 * message; anything else is a 500 whose details go to the log, never to the client — except
 * during shutdown, when the likely cause is the store closing under the request: a 503 the
 * client can retry rather than a 500 blaming a bug. So is a database out of reach: nothing of the
 * request was acknowledged, and the client may send it again once the database is back.
 */
export function errorAnswer(error: unknown, context: ErrorContext): ErrorAnswer {
  if (!(error instanceof HourglassError)) {
    context.logError(error);
    if (isStoreUnreachable(error)) return errorAnswer(storeUnavailable(), context);
    if (!context.isShuttingDown()) {
      return { status: 500, body: { error: "internal_error", message: "Something went wrong on our side; it has been logged." }, headers: undefined };
    }
    return errorAnswer(shuttingDown(), context);
  }
  const retryAfter = error instanceof RateLimitedError || error instanceof ServiceUnavailableError ? error.retryAfterSeconds : undefined;
  const headers = retryAfter === undefined ? undefined : { "Retry-After": String(retryAfter) };
  return { status: STATUS_BY_KIND[error.kind], body: { error: error.code, message: error.message }, headers };
}

/** {@link errorAnswer} as a Hono response. */
export function errorResponse(c: Context, error: unknown, context: ErrorContext): Response {
  const { status, body, headers } = errorAnswer(error, context);
  return c.json<ErrorBody>(body, status, headers);
}
