import { STATUS_CODES, type Server, createServer } from "node:http";
import type { Duplex } from "node:stream";
import type { Config } from "../config.js";
import { HeadersTooLargeError, type HourglassError, InvalidInputError, RequestTimeoutError } from "../errors.js";
import { errorAnswer } from "./error-response.js";
import type { RequestListener } from "./node-listener.js";

/**
 * Room for what Node's header limit counts besides the names and values our limit counts: the
 * request line (method, URL, version) and each header's `: ` and CRLF.
 */
const REQUEST_LINE_ALLOWANCE = 8 * 1024;
const FRAMING_PER_HEADER = 4;
/** The longest between two checks of the header and request timeouts. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** What the Node server needs from the configuration. */
export interface ServerSettings {
  limits: Pick<Config["limits"], "maxHeaderBytes" | "maxHeaderCount">;
  server: Pick<Config["server"], "headersTimeoutMs" | "requestTimeoutMs" | "maxConnections">;
}

/**
 * The Node HTTP server Hourglass listens with. Node's own header limit is set above the
 * configured one, so requests within `HOURGLASS_MAX_HEADER_BYTES` reach the application (which
 * enforces the exact limit); slow clients are cut off by the header and request timeouts, and
 * connections past the limit are closed on arrival. What Node refuses before the application
 * sees a request is answered with the same JSON error bodies as everything else.
 */
export function createNodeServer(listener: RequestListener, settings: ServerSettings): Server {
  const { limits, server: options } = settings;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes + limits.maxHeaderCount * FRAMING_PER_HEADER + REQUEST_LINE_ALLOWANCE,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node checks the timeouts every 30 s by default, so a short timeout would last up to that long.
      connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.ceil(options.headersTimeoutMs / 4)),
    },
    listener,
  );
  server.maxConnections = options.maxConnections;
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => answerClientError(error, socket, limits.maxHeaderBytes));
  return server;
}

/** Node's default `clientError` behaviour (see its `socketOnError`), with JSON bodies. */
function answerClientError(error: Error & { code?: string }, socket: Duplex, maxHeaderBytes: number): void {
  // A response already under way cannot be replaced; a reset connection has no one to answer.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (socket.writable && error.code !== "ECONNRESET" && !(inFlight?.headersSent ?? false)) {
    const { status, body } = errorAnswer(clientErrorOf(error, maxHeaderBytes), { logError: () => {}, isShuttingDown: () => false });
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

function clientErrorOf(error: Error & { code?: string }, maxHeaderBytes: number): HourglassError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return new HeadersTooLargeError("headers_too_large", `The request's headers are larger than the ${maxHeaderBytes}-byte limit.`);
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new RequestTimeoutError("request_timeout", "The request did not arrive in time; send it whole, without pausing.");
    default:
      return new InvalidInputError("malformed_request", `The request is not valid HTTP/1.1 (${error.code ?? "unparseable"}).`);
  }
}
