import type { Server } from "node:http";
import type { Hono } from "hono";
import type { Logger } from "pino";
import { type Clock, ManualClock } from "./clock.js";
import { VirtualTime } from "./dispatch/virtual-time.js";
import type { Config } from "./config.js";
import { createDeliverer } from "./dispatch/deliver.js";
import { Dispatcher, type DispatcherOptions } from "./dispatch/dispatcher.js";
import { rehearseBurst } from "./dispatch/rehearsal.js";
import { HistoryPruner } from "./dispatch/history-pruner.js";
import type { HostResolver } from "./egress/guarded-lookup.js";
import { createProjectPolicies } from "./egress/project-policies.js";
import { createProjectDefaults } from "./http/project-defaults.js";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "./http/api-key.js";
import { createApp } from "./http/app.js";
import { createAuthenticator } from "./http/authenticate.js";
import { WriteGate } from "./http/availability.js";
import type { AppDeps, AppEnv } from "./http/context.js";
import { type RequestListener, createRequestListener } from "./http/node-listener.js";
import { createNodeServer } from "./http/node-server.js";
import { createRateLimiter } from "./http/rate-limiter.js";
import { type Metrics, createMetrics, observeRehearsal } from "./metrics.js";
import { type Cluster, type ClusterMessage, singleNode } from "./store/cluster.js";
import type { Store } from "./store/store.js";

const DAY_MS = 24 * 60 * 60_000;
const SIGNING_SECRETS_TTL_MS = 5_000;
/**
 * In a cluster, how much later than due a node that was outpaced looks for triggers (see
 * Dispatcher.outpaced): what a trigger may be late by when the node that claimed last is gone.
 */
const OUTPACED_DELAY_MS = 10;

export interface Service {
  app: Hono<AppEnv>;
  /** The Node request listener to serve: {@link app}, with `/schedule` answered without Hono. */
  requestListener: RequestListener;
  /** A Node HTTP server (not listening) for {@link requestListener}, with the configured header limit, timeouts and connection limit. */
  createServer(): Server;
  store: Store;
  dispatcher: Dispatcher;
  metrics: Metrics;
  /**
   * Ensures the keys of HOURGLASS_API_KEYS and revokes those it listed before but no longer does;
   * returns a newly generated key when the store has no live key.
   */
  bootstrapKeys(): Promise<string | null>;
  /** Starts the dispatcher and the history pruner. */
  start(): void;
  /**
   * Rehearses a burst of `requests` deliveries to a server of this process through the whole
   * delivery pipeline (rehearsal.ts), until the dispatcher has real ones in flight or shutdown
   * begins: the first burst after a start is then delivered by optimized code. Records nothing
   * in the store; resolves to the deliveries rehearsed.
   */
  warmUpDelivery(requests: number): Promise<number>;
  /** Refuses new requests (503) and fails /healthz, stops claiming, drains in-flight deliveries (bounded), closes the store. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Test-only: where the dispatcher crashes deliberately (fault tests start Hourglass through test/support/failpoint-main.mjs). */
  failpoint?: DispatcherOptions["failpoint"];
  /** Test-only: the DNS the egress-checked deliverer resolves with. */
  resolveHost?: HostResolver;
  /** Backoff jitter source (tests make it fixed). */
  random?: () => number;
  /** The other nodes on the store's database (PostgreSQL); none: this process is alone (SQLite). */
  cluster?: Cluster;
  /** Opens a new store of the start-up rehearsal's own (OpenedStore.openScratch); none: no rehearsal. */
  scratchStore?: () => Store;
}

/** Wires a store, the HTTP app, the dispatcher and the pruner together. Opens no socket. */
export function createService(config: Config, store: Store, clock: Clock, log: Logger, options: ServiceOptions = {}): Service {
  const cluster = options.cluster ?? singleNode;
  const egress = createProjectPolicies({ allowedTargets: config.allowedTargets, allowedPorts: config.allowedPorts }, (projectId) =>
    store.getProjectEgress(projectId),
  );
  const deliverer = createDeliverer({
    now: () => clock.now(),
    connectionsPerOrigin: config.dispatch.connectionsPerOrigin,
    egress: egress.global,
    egressFor: (projectId) => egress.cached(projectId) ?? egress.policyFor(projectId),
    onBlocked: (details) => log.warn(details, "egress policy refused a delivery"),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  /** How this process claims and sends: the dispatcher's, and (without its failpoint) its start-up rehearsal's. */
  const dispatching: DispatcherOptions = {
    ...config.dispatch,
    callbackPolicy: { ...config.delivery, callbackUrl: null, failureUrl: null, successStatus: null, retryOn: null, flowKey: null },
    signingSecretsTtlMs: SIGNING_SECRETS_TTL_MS,
    outpacedDelayMs: () => (cluster.liveNodes() > 1 ? OUTPACED_DELAY_MS : 0),
    // A manual clock moves only once the work due so far is done: nothing is due ahead of it.
    claimAheadMs: clock instanceof ManualClock ? 0 : config.dispatch.claimAheadMs,
    random: options.random,
    failpoint: options.failpoint,
  };
  const dispatcher = new Dispatcher(
    store,
    clock,
    (request, opts) => deliverer.deliver(request, opts),
    dispatching,
    {
      error: (details, message) => log.error(details, message),
      debug: (details, message) => log.debug(details, message),
    },
  );
  const pruner = new HistoryPruner(
    store,
    clock,
    { retentionMs: config.historyDays * DAY_MS, intervalMs: 10 * 60_000, batchSize: 500 },
    (error) => log.error({ err: error }, "history pruning failed; will try again"),
    (work) => cluster.exclusive("prune-history", work),
  );
  const auth = createAuthenticator(store, () => clock.now());
  const projectDefaults = createProjectDefaults(config.delivery, (projectId) => store.getProjectDefaults(projectId));
  /** What another node changed: drop what this one caches of it. */
  const apply = (message: ClusterMessage): void => {
    if (message.kind === "due") dispatcher.notify(message.at);
    if (message.kind === "keys" || message.kind === "resync") auth.forget();
    // A project's settings changed (PATCH /admin/projects/:id): its egress policy and its delivery defaults.
    if (message.kind === "egress") {
      egress.forget(message.projectId);
      projectDefaults.forget(message.projectId);
    }
    if (message.kind === "secrets") dispatcher.forgetSigningSecrets(message.projectId);
    if (message.kind === "resync") {
      egress.forgetAll();
      projectDefaults.forgetAll();
      dispatcher.forgetSigningSecrets(null);
      dispatcher.notify(clock.now());
    }
  };
  cluster.subscribe(apply);
  // An attempt of a flow ended: its flow may have un-parked triggers due already, for any node to claim.
  dispatcher.on("attempt", ({ claim }) => {
    if (claim.delivery.flowKey !== null) changed({ kind: "due", at: clock.now() });
  });
  /** A change made here: applied here at once, and on the other nodes when they hear of it. */
  const changed = (message: ClusterMessage): void => {
    apply(message);
    cluster.publish(message);
  };
  const metrics = createMetrics(dispatcher, store);
  /** Set when stop() is first called; a second call waits for the same shutdown. */
  let stopped: Promise<void> | null = null;
  let warming: Promise<number> | null = null;
  const deps: AppDeps = {
    store,
    clock,
    limits: config.limits,
    projectDefaults,
    egress: { ...egress, forget: (projectId) => changed({ kind: "egress", projectId }) },
    auth: { ...auth, forget: () => changed({ kind: "keys" }) },
    rateLimiter: createRateLimiter(() => clock.now(), { nodes: () => cluster.liveNodes() }),
    clusterNodes: () => cluster.nodes(),
    adminToken: config.adminToken,
    onScheduled: (dueAt) => changed({ kind: "due", at: dueAt }),
    onSigningSecretsChanged: (projectId) => changed({ kind: "secrets", projectId }),
    metrics,
    logError: (error) => log.error({ err: error }, "unhandled error in request"),
    isShuttingDown: () => stopped !== null,
    writeGate: new WriteGate(config.server.maxPendingWrites),
    virtualTime: config.clock === "manual" && clock instanceof ManualClock ? new VirtualTime(clock, dispatcher, store) : null,
  };
  const app = createApp(deps);
  const requestListener = createRequestListener(app, deps);

  return {
    app,
    requestListener,
    createServer: () => createNodeServer(requestListener, config),
    store,
    dispatcher,
    metrics,
    async bootstrapKeys() {
      const configured = config.apiKeys.map((key) => ({ hash: hashApiKey(key), prefix: apiKeyPrefix(key) }));
      const revoked = await store.provisionApiKeys(configured, clock.now());
      if (revoked.length > 0) log.warn({ prefixes: revoked }, "revoked API keys no longer listed in HOURGLASS_API_KEYS");
      if ((await store.countApiKeys()) > 0) return null;
      const key = generateApiKey();
      await store.ensureApiKey(hashApiKey(key), apiKeyPrefix(key), clock.now());
      return key;
    },
    start() {
      dispatcher.start();
      pruner.start();
    },
    warmUpDelivery(requests) {
      const { scratchStore } = options;
      if (requests === 0 || scratchStore === undefined) return Promise.resolve(0);
      // Real deliveries warm the same code: the rehearsal gives way to the first of them.
      warming ??= deliverer.withLocalTarget((target) =>
        rehearseBurst({
          count: requests,
          clock,
          // The real dispatcher's options, so that its code meets one shape of them.
          dispatcher: { ...dispatching, failpoint: undefined },
          openStore: scratchStore,
          target,
          observe: observeRehearsal,
          stop: () => stopped !== null || dispatcher.inFlightCount > 0,
        }),
      );
      return warming;
    },
    stop() {
      stopped ??= (async () => {
        await pruner.stop();
        await warming?.catch(() => undefined);
        await dispatcher.stop(config.dispatch.shutdownGraceMs);
        // The leases it gave back are due now: another node may take them.
        cluster.publish({ kind: "due", at: clock.now() });
        await cluster.stop();
        // Whatever is still in flight after the grace period has had its lease released: cut it.
        await deliverer.destroy();
        await store.close();
      })();
      return stopped;
    },
  };
}
