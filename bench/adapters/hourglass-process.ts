import { resolve } from "node:path";
import { BENCH_API_KEY } from "../lib/load.js";
import { CONNECTIONS_PER_ORIGIN, DELIVERY_CONCURRENCY, repoRoot } from "../lib/paths.js";
import { type NodeServer, startNodeServer } from "./node-server.js";

/** Options of {@link startHourglass}. */
export interface HourglassProcessOptions {
  /** An SQLite file, or a postgres:// URL (PostgreSQL: `synchronous` does not apply). */
  databaseUrl: string;
  synchronous: "NORMAL" | "FULL";
  leaseMs?: number;
  cpuProfileDir?: string;
}

/** The built Hourglass server, as `npm start` runs it (bundled by `npm run build`). */
export const hourglassMain = resolve(repoRoot, "dist/bundle/main.js");
/**
 * The same build before bundling, one file per module: profiled runs use it so a profile
 * attributes time to Hourglass's modules and libraries rather than to one bundle.
 */
export const hourglassModules = resolve(repoRoot, "dist/main.js");

/**
 * Starts `node dist/bundle/main.js` on `databaseUrl`, pinned to the server core, with the bench key,
 * loopback delivery allowed, info logging, and the delivery concurrency and connection pool the
 * peers get too. A `leaseMs` is split into a 1 s lease margin and the rest as the default
 * attempt timeout (a claim is leased for the trigger's timeout plus the margin).
 */
export function startHourglass(options: HourglassProcessOptions): Promise<NodeServer> {
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: options.databaseUrl,
    HOURGLASS_API_KEYS: BENCH_API_KEY,
    HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
    HOURGLASS_SQLITE_SYNCHRONOUS: options.synchronous,
    HOURGLASS_DISPATCH_CONCURRENCY: String(DELIVERY_CONCURRENCY),
    HOURGLASS_CONNECTIONS_PER_ORIGIN: String(CONNECTIONS_PER_ORIGIN),
    LOG_LEVEL: "info",
  };
  if (options.leaseMs !== undefined) {
    env.HOURGLASS_LEASE_MARGIN_MS = "1000";
    env.HOURGLASS_DEFAULT_TIMEOUT_MS = String(Math.max(100, options.leaseMs - 1000));
  }
  return startNodeServer({
    name: "hourglass",
    ...(options.cpuProfileDir === undefined
      ? { script: hourglassMain, nodeArgs: [] }
      : { script: hourglassModules, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] }),
    env,
    readyMessage: "hourglass listening",
  });
}
