/** Errors of a connection that could not be opened, or broke: the database is out of reach, not wrong. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** PostgreSQL's: the server is shutting down or starting, or refuses more connections (SQLSTATE 57P01–57P03, 53300). */
const SERVER_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);
/** What node-postgres throws when a connection broke, or none could be had in time. */
const DRIVER_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /not queryable/, /Client was closed/];

/**
 * True when `error` says the database cannot be reached now — a refused or broken connection,
 * a server shutting down — rather than that a statement was wrong: the caller may retry later.
 * SQLSTATE class 08 is PostgreSQL's "connection exception".
 */
export function isStoreUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith("08"))) return true;
  if (DRIVER_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  // An AggregateError (several addresses refused) or a wrapped cause.
  if (error instanceof AggregateError && error.errors.some(isStoreUnreachable)) return true;
  return error.cause !== undefined && error.cause !== error && isStoreUnreachable(error.cause);
}
