import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import type { Dispatcher } from "undici";
import { createEgressPolicy, type EgressPolicy, PORT_RULE } from "../egress/address-policy.js";
import { EgressBlockedError, createGuardedConnector, findEgressBlocked, type HostResolver } from "../egress/guarded-lookup.js";
import type { HeaderPair, RequestTemplate } from "../store/types.js";
import { httpStatusError } from "./outcome-rules.js";

/** What happened when a request was sent once. A value, never an exception. */
export interface DeliveryOutcome {
  /** The target answered 2xx or 3xx (redirects are recorded, never followed); the dispatcher then applies the trigger's own rules (outcome-rules.ts). */
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
  /**
   * The policy of a delivery that names its project: a project whose policy is not
   * {@link egress} gets connections of its own, so a connection opened under one project's
   * allowlist is never reused by another's.
   */
  egressFor?: (projectId: string) => EgressPolicy | Promise<EgressPolicy>;
  /** DNS used for egress-checked connections (tests inject one). Default `dns.lookup`. */
  resolveHost?: HostResolver;
  /**
   * Told the whole reason of each egress refusal (which names resolved addresses): for the
   * operator's log. The outcome, which the tenant reads, only names the rule.
   */
  onBlocked?: (details: { projectId: string | null; origin: string; rule: string; reason: string }) => void;
}

/** Options of one {@link Deliverer.deliver}. */
export interface DeliverOptions {
  /** Bounds the whole attempt: queueing, connect, response headers and body. */
  timeoutMs: number;
  /** The project delivering: its egress policy applies ({@link DelivererOptions.egressFor}). */
  projectId?: string;
  /**
   * Aborts the attempt (`ttr-overlap: cancel-previous`): the connection is closed and the outcome
   * is `aborted: <the signal's reason>`.
   */
  signal?: AbortSignal;
}

/** Sends stored requests over a shared keep-alive connection pool. */
export interface Deliverer {
  /**
   * Sends `request` once and reports what happened. Never rejects: network errors, timeouts,
   * non-success statuses and invalid requests are all reported in the outcome.
   */
  deliver(request: RequestTemplate, opts: DeliverOptions): Promise<DeliveryOutcome>;
  /**
   * Runs `use` with a server of this process on 127.0.0.1 that answers every request `200 ok`,
   * and a `deliver` to it through this client's own code (see rehearsal.ts). Its connections
   * are its own, to that server only (so the egress policy has nothing to check), and closed,
   * with the server, once `use` settles.
   */
  withLocalTarget<T>(use: (target: LocalTarget) => Promise<T>): Promise<T>;
  /** Waits for in-flight requests, then closes every connection. Safe to call more than once. */
  close(): Promise<void>;
  /** Aborts in-flight requests and closes every connection at once (shutdown after the grace period). */
  destroy(): Promise<void>;
}

/** A server of this process and the way to deliver to it (see {@link Deliverer.withLocalTarget}). */
export interface LocalTarget {
  url: string;
  deliver(request: RequestTemplate, opts: DeliverOptions): Promise<DeliveryOutcome>;
  /** Closes the connections to it; the next deliveries open new ones. */
  reconnect(): Promise<void>;
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
  const newAgent = (egress: EgressPolicy | undefined): Agent =>
    new Agent({
      connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
      // A plain Agent, never EnvHttpProxyAgent: a proxy would connect on our behalf, unchecked.
      ...(egress ? { connect: createGuardedConnector(egress, { resolve: options.resolveHost }) } : {}),
    });
  const agent = newAgent(options.egress);
  /** Projects whose policy differs from the default one, with the connections made under it. */
  const projectAgents = new Map<string, { policy: EgressPolicy; agent: Agent }>();

  const agentOf = (projectId: string, policy: EgressPolicy): Agent => {
    if (policy === options.egress) return agent;
    const own = projectAgents.get(projectId);
    if (own?.policy === policy) return own.agent;
    // The project's rules changed: its old connections finish what they carry, then close.
    void own?.agent.close();
    const fresh = newAgent(policy);
    projectAgents.set(projectId, { policy, agent: fresh });
    return fresh;
  };

  function deliver(request: RequestTemplate, opts: DeliverOptions): Promise<DeliveryOutcome> {
    const projectId = opts.projectId;
    if (projectId === undefined || options.egressFor === undefined) return send(agent, request, opts);
    const policy = options.egressFor(projectId);
    if (!(policy instanceof Promise)) return send(agentOf(projectId, policy), request, opts);
    return policy.then(
      (loaded) => send(agentOf(projectId, loaded), request, opts),
      (error: unknown) => {
        const now = options.now();
        const reason = `egress policy unavailable: ${error instanceof Error ? error.message : String(error)}`;
        return { ok: false, httpStatus: null, error: reason, responseExcerpt: null, responseHeaders: [], startedAt: now, finishedAt: now };
      },
    );
  }

  /*
   * Undici's dispatch API rather than request(): no response stream and no AbortSignal per
   * attempt (a signal alone cost ≈ 11 µs a request here, request() ≈ 12 µs more than dispatch).
   * One promise per attempt, settled once: by the response's end, by an error, or by the
   * deadline — which settles on its own, because a request still queued or connecting has no
   * controller to abort yet (it is aborted as soon as it gets one).
   */
  function send(agent: Agent, request: RequestTemplate, opts: DeliverOptions): Promise<DeliveryOutcome> {
    const startedAt = options.now();
    const timeoutError = `timeout after ${opts.timeoutMs} ms`;
    return new Promise<DeliveryOutcome>((resolve) => {
      const state: AttemptState = { httpStatus: null, headers: [], excerpt: [], excerptSize: 0, truncated: false };
      let drained = 0;
      let settled = false;
      let stopReason: string | null = null;
      let controller: Dispatcher.DispatchController | null = null;
      const settle = (error: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        resolve({
          ok: error === null,
          httpStatus: state.httpStatus,
          error,
          responseExcerpt: decodeExcerpt(state),
          responseHeaders: state.headers,
          startedAt,
          finishedAt: options.now(),
        });
      };
      // Ends the attempt now, whatever stage it is at; a request not started yet is aborted as it starts.
      const stop = (reason: string): void => {
        stopReason = reason;
        settle(reason);
        controller?.abort(new Error(reason));
      };
      const timer = setTimeout(() => stop(timeoutError), opts.timeoutMs);
      const onAbort = (): void => stop(`aborted: ${abortReason(opts.signal)}`);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });

      let url: URL;
      try {
        url = new URL(request.url);
      } catch (error) {
        return settle(describeError(error));
      }
      const describe = (error: unknown): string => {
        const blocked = findEgressBlocked(error);
        if (blocked === undefined) return describeError(error);
        const rule = blocked instanceof EgressBlockedError ? blocked.rule : "unknown";
        options.onBlocked?.({ projectId: opts.projectId ?? null, origin: url.origin, rule, reason: blocked.message });
        return blockedOutcome(rule);
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          controller = started;
          if (stopReason !== null) started.abort(new Error(stopReason));
        },
        onResponseStart(_controller, statusCode, headers) {
          if (statusCode < 200) return; // 1xx informational: the final status follows
          state.httpStatus = statusCode;
          state.headers = keptHeaders(headers);
        },
        onResponseData(active, chunk) {
          const room = excerptBytes - state.excerptSize;
          if (room > 0) {
            state.excerpt.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
            state.excerptSize += Math.min(chunk.length, room);
          }
          if (chunk.length < room) return;
          state.truncated = true;
          drained += chunk.length - Math.max(0, room);
          if (drained <= MAX_DRAIN_BYTES) return;
          // Too long to drain for reuse: the outcome stands, the connection is closed.
          settle(outcomeError(state.httpStatus));
          active.abort(new Error("response too long to drain"));
        },
        // After the deadline these find the outcome settled already (a timeout): settle is once.
        onResponseEnd() {
          settle(outcomeError(state.httpStatus));
        },
        onResponseError(_controller, error) {
          settle(describe(error));
        },
      };
      try {
        agent.dispatch(
          {
            origin: url.origin,
            path: url.pathname + url.search,
            method: request.method,
            headers: flattenHeaders(request.headers),
            body: request.body !== null && request.body.byteLength > 0 ? request.body : null,
            // The deadline bounds headers and body; undici's own 300 s timeouts would only interfere.
            headersTimeout: 0,
            bodyTimeout: 0,
          },
          handler,
        );
      } catch (error) {
        settle(describe(error));
      }
    });
  }

  async function withLocalTarget<T>(use: (target: LocalTarget) => Promise<T>): Promise<T> {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    // Connected as real deliveries are (through the guarded connector when a policy applies), so
    // that the code optimized here meets the same objects later; this policy reaches this server only.
    const localPolicy = options.egress === undefined ? undefined : createEgressPolicy(["127.0.0.1"], [String(port)]);
    let local = newAgent(localPolicy);
    try {
      return await use({
        url: `http://127.0.0.1:${port}/rehearsal`,
        deliver: (request, opts) => send(local, request, opts),
        reconnect: async () => {
          await local.destroy();
          local = newAgent(localPolicy);
        },
      });
    } finally {
      await local.destroy();
      server.closeAllConnections();
      server.close();
    }
  }

  const allAgents = (): Agent[] => [agent, ...[...projectAgents.values()].map((own) => own.agent)];
  let closing: Promise<void> | null = null;
  return {
    deliver,
    withLocalTarget,
    close: () => (closing ??= Promise.all(allAgents().map((a) => a.close())).then(() => {})),
    destroy: () => (closing ??= Promise.all(allAgents().map((a) => a.destroy())).then(() => {})),
  };
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

function keptHeaders(headers: Record<string, string | string[] | undefined>): HeaderPair[] {
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

/** A response's outcome: 2xx and 3xx succeed (redirects are recorded, never followed). */
function outcomeError(httpStatus: number | null): string | null {
  if (httpStatus === null) return "no response";
  return httpStatus >= 200 && httpStatus < 400 ? null : httpStatusError(httpStatus);
}

function decodeExcerpt(state: AttemptState): string | null {
  if (state.excerptSize === 0) return null;
  const bytes = Buffer.concat(state.excerpt, state.excerptSize);
  return new TextDecoder("utf-8").decode(bytes, { stream: state.truncated });
}

/**
 * A refusal as the tenant reads it in the execution history: the rule, never the addresses the
 * name resolved to (those are the operator's: see {@link DelivererOptions.onBlocked}).
 */
function blockedOutcome(rule: string): string {
  const setting = rule === PORT_RULE ? "HOURGLASS_ALLOWED_PORTS=<port> or the project's allowedPorts" : "HOURGLASS_ALLOWED_TARGETS=<host or address> or the project's allowedTargets";
  return `blocked: the egress policy refused the destination (egress rule "${rule}"); an operator can allow it with ${setting}`;
}

/** `connect ECONNREFUSED 127.0.0.1:1`, `UND_ERR_SOCKET: other side closed`, … */
function describeError(error: unknown): string {
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
