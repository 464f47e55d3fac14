import { pino } from "pino";
import { ManualClock } from "./clock.js";
import { ConfigError, loadConfig } from "./config.js";
import { type ServiceOptions, createService } from "./service.js";
import { databaseLabel, openStore } from "./store/open-store.js";

/**
 * Nodes on one PostgreSQL database heartbeat this often; one silent for {@link NODE_DEAD_AFTER_MS}
 * is dead and its leases are released: a killed node's triggers are delivered again within about
 * 3.5 s (plus the claim), well inside the 5 s promised, while a node is not taken for dead over a
 * garbage collection pause or a slow heartbeat.
 */
const NODE_HEARTBEAT_MS = 500;
const NODE_DEAD_AFTER_MS = 3_000;

async function serve(env: NodeJS.ProcessEnv, options: ServiceOptions): Promise<void> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel });
  const { store, cluster, clock: storeClock, openScratch } = await openStore(
    config.database,
    { runMissedCap: config.runMissedCap, missedGraceMs: config.missedGraceMs },
    { warn: (details, message) => log.warn(details, message), info: (details, message) => log.info(details, message) },
    { heartbeatMs: NODE_HEARTBEAT_MS, staleMs: NODE_DEAD_AFTER_MS, maxIdleMs: config.dispatch.maxIdleMs },
  );
  if (config.clock === "manual") {
    log.warn("HOURGLASS_CLOCK=manual: time stands still until POST /admin/clock moves it — for tests only, never in production");
  }
  const clock = config.clock === "manual" ? new ManualClock(Date.now()) : storeClock;
  const service = createService(config, store, clock, log, { ...options, cluster, scratchStore: openScratch });

  const generatedKey = await service.bootstrapKeys();
  if (generatedKey !== null) {
    // Printed once, to stdout only, never through the logger: it is the only copy there is.
    process.stdout.write(
      `\nNo API key existed, so one was created. It is shown only this once:\n\n  ${generatedKey}\n\n` +
        "Send it as the ttr-api-key header. Set HOURGLASS_API_KEYS to choose your own keys.\n\n",
    );
  }

  service.start();
  const server = service.createServer();
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.port;
    log.info({ port, host: config.host, database: databaseLabel(config.database) }, "hourglass listening");
  });
  if (config.dispatch.warmUpDeliveries > 0) {
    const warmUpStarted = performance.now();
    service.warmUpDelivery(config.dispatch.warmUpDeliveries).then(
      (delivered) => log.info({ delivered, ms: Math.round(performance.now() - warmUpStarted) }, "delivery rehearsal done"),
      (error: unknown) => log.warn({ err: error }, "delivery rehearsal failed (harmless: the first deliveries run slower)"),
    );
  }

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down: no new claims, draining in-flight deliveries");
    server.close();
    service
      .stop()
      .then(() => {
        log.info("stopped");
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "error while stopping");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

/**
 * Runs Hourglass as `npm start` does: configuration from `env`, the store (SQLite, or PostgreSQL), the HTTP server,
 * the dispatcher; SIGTERM/SIGINT drain and exit. A configuration or start-up error is printed and
 * exits 1. `options` are the service's injection points (tests only; production passes none).
 */
export function runHourglass(env: NodeJS.ProcessEnv, options: ServiceOptions = {}): void {
  serve(env, options).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`hourglass failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  });
}
