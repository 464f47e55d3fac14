import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Logger, pino } from "pino";
import { type Clock, systemClock } from "../../src/clock.js";
import { type Config, loadConfig } from "../../src/config.js";
import { hashApiKey } from "../../src/http/api-key.js";
import { type Service, createService } from "../../src/service.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { Cluster } from "../../src/store/cluster.js";
import type { Store } from "../../src/store/store.js";
import type { HostResolver } from "../../src/egress/guarded-lookup.js";
import { checkResponse } from "./openapi-check.js";
import { makeTempDir } from "./temp-dir.js";

export const API_KEY = "hg_test_key_project_a_0123456789";
export const OTHER_API_KEY = "hg_test_key_project_b_0123456789";

export interface TestHourglass {
  service: Service;
  config: Config;
  /** Base URL of the real HTTP server, when started with `listen: true`. */
  url: string;
  dbPath: string;
  projectId: string;
  otherProjectId: string;
  close(): Promise<void>;
}

/**
 * A full Hourglass on a real SQLite file in a temp dir, with two projects (API_KEY and
 * OTHER_API_KEY). With `listen`, also a real HTTP server on 127.0.0.1:0, served as `hourglass`
 * serves (the service's server: `/schedule` without Hono, the rest through it).
 */
export async function startHourglass(options: {
  clock?: Clock;
  listen?: boolean;
  env?: Record<string, string>;
  dispatch?: boolean;
  /** Backoff jitter source; fixed in tests that assert retry times. */
  random?: () => number;
  /** Reuse this database file (a restart); it is not removed on close. */
  dbPath?: string;
  /** DNS for the deliverer (egress tests). */
  resolveHost?: HostResolver;
  /** The service's logger (default: silent). */
  log?: Logger;
  /** Replaces the store the service sees (to slow or break some of its methods). */
  wrapStore?: (store: Store) => Store;
  /** The other nodes, as the service sees them (default: none). */
  cluster?: Cluster;
} = {}): Promise<TestHourglass> {
  const temp = makeTempDir();
  const dbPath = options.dbPath ?? join(temp.dir, "hourglass.db");
  const config = loadConfig({
    HOURGLASS_API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    DATABASE_URL: dbPath,
    LOG_LEVEL: "silent",
    // Test targets listen on loopback, which the egress policy refuses by default.
    HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
    // Some tests name a port that is never reached (127.0.0.1:9); the default port set is tested
    // by passing HOURGLASS_ALLOWED_PORTS="" (egress tests).
    HOURGLASS_ALLOWED_PORTS: "1-65535",
    ...options.env,
  });
  const clock = options.clock ?? systemClock;
  const store = openSqliteStore({ path: dbPath, synchronous: "NORMAL", runMissedCap: config.runMissedCap, missedGraceMs: config.missedGraceMs });
  const service = createService(config, options.wrapStore ? options.wrapStore(store) : store, clock, options.log ?? pino({ level: "silent" }), {
    ...(options.random ? { random: options.random } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  checkAnswersOf(service);
  await service.bootstrapKeys();
  const projectId = (await store.findApiKey(hashApiKey(API_KEY)))?.projectId as string;
  const otherProjectId = (await store.findApiKey(hashApiKey(OTHER_API_KEY)))?.projectId as string;
  if (options.dispatch !== false) service.start();
  let server: HttpServer | null = null;
  let url = "";
  if (options.listen) {
    const s = service.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
    server = s;
    url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    checkedOrigins.add(url);
  }
  return {
    service,
    config,
    url,
    dbPath,
    projectId,
    otherProjectId,
    async close() {
      if (server) {
        const s = server;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      checkedOrigins.delete(url);
      await service.stop();
      temp.remove();
    },
  };
}

/** Origins of the test servers whose answers the patched `fetch` checks against the OpenAPI document. */
const checkedOrigins = new Set<string>();
const unpatchedFetch = globalThis.fetch;

/*
 * Every answer a test receives — through `app.request` in process, or `fetch` from a test server
 * — is checked against the OpenAPI document: a status or body it does not describe fails the test.
 */
globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await unpatchedFetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  if (checkedOrigins.has(new URL(url).origin)) await checkResponse(methodOf(input, init), url, response);
  return response;
};

function checkAnswersOf(service: Service): void {
  const app = service.app;
  const request = app.request.bind(app);
  app.request = (async (input: string | URL | Request, init?: RequestInit, ...rest: unknown[]) => {
    const response = await (request as (...args: unknown[]) => Response | Promise<Response>)(input, init, ...rest);
    const url = input instanceof Request ? input.url : String(input);
    await checkResponse(methodOf(input, init), url, response);
    return response;
  }) as typeof app.request;
}

function methodOf(input: string | URL | Request, init: RequestInit | undefined): string {
  return init?.method ?? (input instanceof Request ? input.method : "GET");
}
