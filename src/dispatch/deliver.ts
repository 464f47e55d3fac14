import { Agent } from "undici";
import type { Dispatcher } from "undici";
import type { EgressPolicy } from "../egress/address-policy.js";
import { createGuardedConnector, findEgressBlocked, type HostResolver } from "../egress/guarded-lookup.js";
import type { HeaderPair, RequestTemplate } from "../store/types.js";

/** What happened when a request was sent once. A value, never an exception. */
export interface DeliveryOutcome {
  /** The target answered 2xx or 3xx (redirects are recorded, never followed). */
  ok: boolean;
  /** The response status, or `null` when no response headers arrived. */
  httpStatus: number | null;
  /** Why the attempt failed (`HTTP 500`, `timeout after 200 ms`, `connect ECONNREFUSED …`), `null` on success. */
  error: string | null;
  /** The start of the response body decoded as UTF-8 (lossy), `null` when no body bytes were read. */
  responseExcerpt: string | null;
  /** The response headers worth keeping in the history ({@link KEPT_RESPONSE_HEADERS}), lower-case names. */
  responseHeaders: HeaderPair[];
  startedAt: number;
  finishedAt: number;
}

/** Options of {@link createDeliverer}. */
export interface DelivererOptions {
  /** Clock for `startedAt` / `finishedAt` (epoch ms). */
  now: () => number;
  /** Most open connections per origin; further requests queue. Default 16. */
  connectionsPerOrigin?: number;
  /** Most response body bytes kept in `responseExcerpt`. Default 1024. */
  excerptBytes?: number;
  /**
   * The egress policy, enforced on every connection (resolved and literal addresses alike).
   * A refused target is the outcome `blocked: <why>` and no connection is attempted.
   * Without it, every address is allowed.
   */
  egress?: EgressPolicy;
  /** DNS used for egress-checked connections (tests inject one). Default `dns.lookup`. */
  resolveHost?: HostResolver;
}

/** Sends stored requests over a shared keep-alive connection pool. */
export interface Deliverer {
  /**
   * Sends `request` once and reports what happened. Never rejects: network errors, timeouts,
   * non-success statuses and invalid requests are all reported in the outcome.
   * `timeoutMs` bounds the whole attempt: queueing, connect, response headers and body.
   */
  deliver(request: RequestTemplate, opts: { timeoutMs: number }): Promise<DeliveryOutcome>;
  /** Waits for in-flight requests, then closes every connection. Safe to call more than once. */
  close(): Promise<void>;
  /** Aborts in-flight requests and closes every connection at once (shutdown after the grace period). */
  destroy(): Promise<void>;
}

const DEFAULT_CONNECTIONS_PER_ORIGIN = 16;
const DEFAULT_EXCERPT_BYTES = 1024;

/*
 * After the excerpt, up to this many more response bytes are read and discarded so the
 * connection can be reused; a longer response has its connection closed instead.
 */
const MAX_DRAIN_BYTES = 256 * 1024;

/** Headers the client writes itself (Host, Content-Length, Connection) or refuses to send. */
const CLIENT_MANAGED_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

type ResponseBody = Dispatcher.ResponseData["body"];

/** Response headers recorded with an execution: enough to understand an answer, never cookies or secrets. */
export const KEPT_RESPONSE_HEADERS: readonly string[] = [
  "content-type",
  "content-length",
  "location",
  "retry-after",
  "date",
  "server",
  "x-request-id",
  "x-correlation-id",
];

interface AttemptState {
  httpStatus: number | null;
  headers: HeaderPair[];
  excerpt: Buffer[];
  excerptSize: number;
  truncated: boolean;
}

/**
 * Creates the outbound HTTP client. It uses its own undici `Agent`, so proxy environment
 * variables and undici's global dispatcher are ignored, and no redirect is ever followed.
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const excerptBytes = Math.max(0, options.excerptBytes ?? DEFAULT_EXCERPT_BYTES);
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
    // A plain Agent, never EnvHttpProxyAgent: a proxy would connect on our behalf, unchecked.
    ...(options.egress ? { connect: createGuardedConnector(options.egress, { resolve: options.resolveHost }) } : {}),
  });

  async function deliver(request: RequestTemplate, opts: { timeoutMs: number }): Promise<DeliveryOutcome> {
    const startedAt = options.now();
    const state: AttemptState = { httpStatus: null, headers: [], excerpt: [], excerptSize: 0, truncated: false };
    const controller = new AbortController();
    const finish = (error: string | null): DeliveryOutcome => ({
      ok: error === null,
      httpStatus: state.httpStatus,
      error,
      responseExcerpt: decodeExcerpt(state),
      responseHeaders: state.headers,
      startedAt,
      finishedAt: options.now(),
    });
    const timeoutError = `timeout after ${opts.timeoutMs} ms`;

    /*
     * The deadline settles the outcome on its own instead of waiting for the aborted request
     * to reject: undici only notices an abort once the request has a connection, so a request
     * still queued or connecting would otherwise outlive its timeout.
     */
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<DeliveryOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(timeoutError));
        resolve(finish(timeoutError));
      }, opts.timeoutMs);
    });

    const attempt = (async (): Promise<DeliveryOutcome> => {
      try {
        const url = new URL(request.url);
        const response = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: request.method,
          headers: flattenHeaders(request.headers),
          body: request.body !== null && request.body.byteLength > 0 ? request.body : null,
          signal: controller.signal,
          // The deadline bounds headers and body; undici's own 300 s timeouts would only interfere.
          headersTimeout: 0,
          bodyTimeout: 0,
        });
        state.httpStatus = response.statusCode;
        state.headers = keptHeaders(response.headers);
        await readExcerpt(response.body, excerptBytes, state);
        if (controller.signal.aborted) return finish(timeoutError);
        const ok = response.statusCode >= 200 && response.statusCode < 400;
        return finish(ok ? null : `HTTP ${response.statusCode}`);
      } catch (error) {
        return finish(controller.signal.aborted ? timeoutError : describeError(error));
      }
    })();

    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  let closing: Promise<void> | null = null;
  return {
    deliver,
    close: () => (closing ??= agent.close()),
    destroy: () => (closing ??= agent.destroy()),
  };
}

function keptHeaders(headers: Dispatcher.ResponseData["headers"]): HeaderPair[] {
  const kept: HeaderPair[] = [];
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) kept.push([name, one]);
  }
  return kept;
}

function flattenHeaders(headers: RequestTemplate["headers"]): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) {
    if (!CLIENT_MANAGED_HEADERS.has(name.toLowerCase())) flat.push(name, value);
  }
  return flat;
}

/**
 * Reads up to `maxBytes` of `body` into `state`, then discards the rest without buffering it.
 * Resolves once the body stream is closed, which hands its connection back to the pool (or
 * closes it when the rest is too long to drain); rejects if the stream fails before the
 * excerpt is complete.
 */
function readExcerpt(body: ResponseBody, maxBytes: number, state: AttemptState): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (maxBytes === 0) {
      state.truncated = true;
      body.dump({ limit: MAX_DRAIN_BYTES }).then(() => resolve(), reject);
      return;
    }
    const onData = (chunk: Buffer): void => {
      const room = maxBytes - state.excerptSize;
      state.excerpt.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      state.excerptSize += Math.min(chunk.length, room);
      if (state.excerptSize < maxBytes) return;
      state.truncated = true;
      detach();
      body.pause();
      body.dump({ limit: MAX_DRAIN_BYTES }).then(() => resolve(), reject);
    };
    const onEnd = (): void => {
      detach();
      resolve();
    };
    const onError = (error: Error): void => {
      detach();
      reject(error);
    };
    const detach = (): void => {
      body.off("data", onData).off("end", onEnd).off("error", onError);
    };
    body.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

function decodeExcerpt(state: AttemptState): string | null {
  if (state.excerptSize === 0) return null;
  const bytes = Buffer.concat(state.excerpt, state.excerptSize);
  return new TextDecoder("utf-8").decode(bytes, { stream: state.truncated });
}

/** `connect ECONNREFUSED 127.0.0.1:1`, `UND_ERR_SOCKET: other side closed`, … */
function describeError(error: unknown): string {
  const blocked = findEgressBlocked(error);
  if (blocked !== undefined) return `blocked: ${blocked.message}`;
  const failure = error instanceof AggregateError && error.errors[0] instanceof Error ? error.errors[0] : error;
  if (!(failure instanceof Error)) return String(failure);
  const code = errorCode(failure) ?? (error instanceof Error ? errorCode(error) : undefined);
  const message = failure.message || failure.name;
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

function errorCode(error: Error): string | undefined {
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}
