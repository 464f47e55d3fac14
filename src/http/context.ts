import type { NodeStatus } from "../store/cluster.js";
import type { VirtualTime } from "../dispatch/virtual-time.js";
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { ProjectPolicies } from "../egress/project-policies.js";
import type { LoadedCache } from "../loaded-cache.js";
import type { Metrics } from "../metrics.js";
import type { DeliveryDefaults } from "../schedule/schedule-fields.js";
import type { Store } from "../store/store.js";
import type { Authenticator } from "./authenticate.js";
import type { WriteGate } from "./availability.js";
import type { RateLimiter } from "./rate-limiter.js";

/** What the HTTP layer needs from the rest of Hourglass. */
export interface AppDeps {
  store: Store;
  clock: Clock;
  limits: Config["limits"];
  /** Each project's delivery defaults over the server's (HOURGLASS_DEFAULT_*), cached; dropped by the admin API when they change. */
  projectDefaults: LoadedCache<DeliveryDefaults>;
  /** Each project's egress policy: checked at schedule time for the target and callback URLs (and on the socket at fire time). */
  egress: ProjectPolicies;
  auth: Authenticator;
  rateLimiter: RateLimiter;
  /** HOURGLASS_ADMIN_TOKEN; null: the admin API is off. */
  adminToken: string | null;
  /** Told about every committed trigger time, so the dispatcher (this node's and the others') can wake earlier. */
  onScheduled: (dueAt: number) => void;
  /** Told after a project's signing secrets changed, so that no node signs with the old ones. */
  onSigningSecretsChanged: (projectId: string) => void;
  metrics: Metrics;
  /** Receives unexpected errors (500s) for the log. */
  logError: (error: unknown) => void;
  /** True once shutdown has begun: requests are refused with 503 and `/healthz` reports it. */
  isShuttingDown: () => boolean;
  /** Bounds the client writes waiting for a commit (503 `overloaded` past it). */
  writeGate: WriteGate;
  /** The nodes sharing the database, for the operator's health view (none on SQLite). */
  clusterNodes: () => Promise<NodeStatus[]>;
  /** The virtual clock (`HOURGLASS_CLOCK=manual`), moved through `POST /admin/clock`; null on real time. */
  virtualTime: VirtualTime | null;
}

/** Hono environment: the Node request is there when served by @hono/node-server. */
export type AppEnv = { Bindings: { incoming?: IncomingMessage } };

/** The raw header list in arrival order with duplicates and original case (Node's `rawHeaders`). */
export function rawHeadersOf(c: Context<AppEnv>): string[] {
  const incoming = c.env?.incoming;
  if (incoming) return incoming.rawHeaders;
  // In-process requests (app.request in tests) have only the folded Fetch headers.
  const flat: string[] = [];
  c.req.raw.headers.forEach((value, name) => flat.push(name, value));
  return flat;
}
