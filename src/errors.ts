/**
 * Domain errors. They carry a stable machine `code` and a human `message`, never an HTTP
 * status: `http/error-response.ts` is the one place that maps a kind to a status.
 */
export type ErrorKind =
  | "invalid"
  | "unauthorized"
  | "quota_exceeded"
  | "not_found"
  | "conflict"
  | "gone"
  | "too_large"
  | "headers_too_large"
  | "rate_limited"
  | "timeout"
  | "unavailable";

export abstract class HourglassError extends Error {
  abstract readonly kind: ErrorKind;
  /** Stable snake_case identifier clients can branch on. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from the client: a malformed header, an impossible schedule, an unknown `ttr-` header. */
export class InvalidInputError extends HourglassError {
  readonly kind = "invalid";
}

/** Missing, unknown or revoked API key. */
export class UnauthorizedError extends HourglassError {
  readonly kind = "unauthorized";
}

/** The project's monthly quota is used up. */
export class QuotaExceededError extends HourglassError {
  readonly kind = "quota_exceeded";
}

/** No such trigger/generator in the caller's project (another project's ids are not found either). */
export class NotFoundError extends HourglassError {
  readonly kind = "not_found";
}

/** The request contradicts the current state in a way the client can fix by choosing differently. */
export class ConflictError extends HourglassError {
  readonly kind = "conflict";
}

/** The trigger/generator exists but has already executed or been cancelled. */
export class GoneError extends HourglassError {
  readonly kind = "gone";
}

/** The request body exceeds the configured limit. */
export class PayloadTooLargeError extends HourglassError {
  readonly kind = "too_large";
}

/** Too many headers, or headers too large in total. */
export class HeadersTooLargeError extends HourglassError {
  readonly kind = "headers_too_large";
}

/** The client did not send its whole request in time. */
export class RequestTimeoutError extends HourglassError {
  readonly kind = "timeout";
}

/** The client is over its rate limit; it may retry after `retryAfterSeconds`. */
export class RateLimitedError extends HourglassError {
  readonly kind = "rate_limited";
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

/** The server cannot take the request now (shutting down, overloaded); the client may retry after `retryAfterSeconds`. */
export class ServiceUnavailableError extends HourglassError {
  readonly kind = "unavailable";
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : "non-error thrown", { cause: thrown });
}
