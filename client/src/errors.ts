/**
 * An answer of Hourglass that is not a success: `status` is the HTTP status, `code` the answer's
 * `error` field (`rate_limited`, `trigger_not_found`, … — docs/protocol.md lists them), and
 * `retryAfter` the seconds of its `Retry-After` header (429, 503). An answer that is not
 * Hourglass's JSON (a proxy's error page, say) has the code `http_<status>`.
 */
export class HourglassError extends Error {
  override readonly name = "HourglassError";
  readonly status: number;
  readonly code: string;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Hourglass could not be reached, or did not answer in time; `cause` is fetch's own error. */
export class HourglassConnectionError extends Error {
  override readonly name = "HourglassConnectionError";
}
