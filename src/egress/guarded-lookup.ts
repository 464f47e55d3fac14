import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction, type Socket } from "node:net";
import { buildConnector } from "undici";
import type { EgressDecision, EgressPolicy } from "./address-policy.js";

/**
 * Socket-level enforcement of the egress policy. The addresses checked are the addresses the
 * socket connects to, never a separate pre-resolution, so DNS rebinding cannot slip past.
 */

/** Resolves a hostname to every address it has. Injectable so tests can play a rebinding DNS. */
export type HostResolver = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

/** The system resolver (`dns.lookup` with `all: true`), as `net.connect` uses by default. */
export const systemResolver: HostResolver = (hostname, options) => dns.promises.lookup(hostname, { ...options, all: true });

/** Why a connection was not made: the egress policy refused an address. */
export class EgressBlockedError extends Error {
  readonly code = "EGRESS_BLOCKED";
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = "EgressBlockedError";
  }
}

function blockedError(decision: EgressDecision & { allowed: false }): EgressBlockedError {
  return new EgressBlockedError(decision.rule, decision.message);
}

/**
 * A `lookup` for `net.connect` / `tls.connect` (and so for undici's `connect: { lookup }`):
 * resolves `hostname` with `resolve`, and fails with an {@link EgressBlockedError} (code
 * `EGRESS_BLOCKED`) unless the policy allows EVERY address, so no connection is attempted.
 */
export function createGuardedLookup(policy: EgressPolicy, resolve: HostResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
    resolve(hostname, options).then(
      (resolved) => {
        // The family is recomputed from the text: that text is what the socket connects to.
        const addresses = resolved
          .map(({ address }) => ({ address, family: isIP(address) }))
          .filter(({ family }) => wanted === 0 || family === wanted);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = "ENOTFOUND";
          callback(error, options.all === true ? [] : "", undefined);
          return;
        }
        for (const { address } of addresses) {
          const decision = policy.checkAddress(address, hostname);
          if (!decision.allowed) {
            callback(blockedError(decision), options.all === true ? [] : "", undefined);
            return;
          }
        }
        if (options.all === true) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all === true ? [] : "", undefined),
    );
  };
}

/** Options of {@link createGuardedConnector}. */
export interface GuardedConnectorOptions {
  /** DNS for hostnames. Default {@link systemResolver}. */
  resolve?: HostResolver;
  /** Connect timeout, as undici's `connectTimeout`. Default 10 s. */
  timeoutMs?: number;
}

/**
 * An undici connector (`new Agent({ connect })`) that enforces the policy on every connection:
 * - the destination port (the scheme's default when none is given) is checked first;
 * - a hostname goes through {@link createGuardedLookup}: every resolved address is checked
 *   before the socket connects;
 * - a literal IP (which `net.connect` never passes to `lookup`) is checked here, before
 *   connecting;
 * - once connected, the socket's `remoteAddress` is checked again as a backstop, before any
 *   request byte is written.
 */
export function createGuardedConnector(policy: EgressPolicy, options: GuardedConnectorOptions = {}): buildConnector.connector {
  const connect = buildConnector({
    timeout: options.timeoutMs ?? 10_000,
    lookup: createGuardedLookup(policy, options.resolve),
  });
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = connectOptions.port === "" ? (connectOptions.protocol === "https:" ? 443 : 80) : Number(connectOptions.port);
    const decision = isIP(host) !== 0 ? firstRefusal(policy.checkPort(port), () => policy.checkAddress(host, host)) : policy.checkPort(port);
    if (!decision.allowed) {
      process.nextTick(callback, blockedError(decision), null);
      return;
    }
    connect(connectOptions, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      const refusal = checkConnected(policy, socket, host);
      if (refusal !== null) {
        socket.destroy();
        callback(refusal, null);
        return;
      }
      callback(null, socket);
    });
  };
}

function firstRefusal(first: EgressDecision, then: () => EgressDecision): EgressDecision {
  return first.allowed ? then() : first;
}

function checkConnected(policy: EgressPolicy, socket: Socket, host: string): Error | null {
  const remote = socket.remoteAddress;
  if (remote === undefined) return new Error(`connection to ${host} closed before its address could be checked`);
  const decision = policy.checkAddress(remote, host);
  return decision.allowed ? null : blockedError(decision);
}

/** The {@link EgressBlockedError} behind `error` (itself, an AggregateError member or a cause), if any. */
export function findEgressBlocked(error: unknown, depth = 0): Error | undefined {
  if (!(error instanceof Error) || depth > 4) return undefined;
  if ((error as { code?: unknown }).code === "EGRESS_BLOCKED") return error;
  if (error instanceof AggregateError) {
    for (const member of error.errors) {
      const found = findEgressBlocked(member, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findEgressBlocked(error.cause, depth + 1);
}
