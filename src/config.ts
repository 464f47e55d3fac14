import { validateAllowedPorts, validateAllowedTargets } from "./egress/address-policy.js";
import { MAX_RETRIES, MAX_RETRY_DELAY_MS, MAX_TIMEOUT_MS, MIN_DURATION_MS } from "./schedule/ttr-headers.js";
import { MAX_CLAIM_AHEAD_MS } from "./store/row-builders.js";
import type { SqliteSynchronous } from "./store/sqlite/open.js";

/** Everything Hourglass reads from its environment, validated. Built once, frozen. */
export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  /** Keys from HOURGLASS_API_KEYS; each is ensured at start-up as its own project. */
  apiKeys: string[];
  /** HOURGLASS_ALLOWED_TARGETS: hosts, *.suffixes, IPs and CIDRs the egress policy lets through anyway. */
  allowedTargets: string[];
  /** HOURGLASS_ALLOWED_PORTS: destination ports and ranges egress may use. */
  allowedPorts: string[];
  /** HOURGLASS_ADMIN_TOKEN: turns the admin API on; null keeps it off. */
  adminToken: string | null;
  limits: {
    maxBodyBytes: number;
    /** Request bodies of the JSON management and admin routes. */
    maxJsonBodyBytes: number;
    /** The JSON body of `POST /triggers/batch` (up to 1,000 creates). */
    maxBatchBodyBytes: number;
    maxHeaderCount: number;
    maxHeaderBytes: number;
  };
  /** Protection of the HTTP server against slow and numerous clients. */
  server: {
    /** A client must have sent its whole header block within this time (408 otherwise). */
    headersTimeoutMs: number;
    /** A client must have sent its whole request, body included, within this time (408 otherwise). */
    requestTimeoutMs: number;
    /** Open client connections; further ones are closed on arrival. */
    maxConnections: number;
    /** Client writes waiting for a commit; further ones are answered 503 `overloaded`. */
    maxPendingWrites: number;
  };
  /** Delivery policy when a trigger's `ttr-` headers say nothing; also how callbacks are delivered. */
  delivery: { retries: number; retryDelayMs: number; timeoutMs: number };
  dispatch: {
    /** Deliveries in flight at once. */
    concurrency: number;
    /** Triggers claimed per database round trip. */
    batchSize: number;
    /** A claim is owned for the trigger's timeout plus this margin before another claim may take it over. */
    leaseMarginMs: number;
    /** Open connections per target origin. */
    connectionsPerOrigin: number;
    /** The longest the dispatcher sleeps without looking at the database. */
    maxIdleMs: number;
    /** How long before their due time plain attempts are claimed (each still starts at its due time). */
    claimAheadMs: number;
    /** On SIGTERM, how long in-flight deliveries may run before the process exits anyway. */
    shutdownGraceMs: number;
    /** The burst rehearsed after start-up (rehearsal.ts); 0: none. */
    warmUpDeliveries: number;
  };
  /** Executions and finished triggers older than this many days are pruned. */
  historyDays: number;
  runMissedCap: number;
  missedGraceMs: number;
  logLevel: string;
  /** `system` (real time) or `manual`: a virtual clock moved only through `POST /admin/clock` (tests). */
  clock: "system" | "manual";
}

/** Which engine stores everything: an SQLite file (the default), or PostgreSQL when DATABASE_URL is a postgres:// URL. */
export type DatabaseConfig =
  | { kind: "sqlite"; path: string; synchronous: SqliteSynchronous }
  | {
      kind: "postgres";
      url: string;
      /** HOURGLASS_PG_POOL_SIZE: connections this process opens at most. */
      poolSize: number;
    };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const DEFAULT_DATABASE_PATH = "./data/hourglass.db";
/** Writes go through one connection at a time (group commit); the rest serve reads and the claim. */
const DEFAULT_PG_POOL_SIZE = 10;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Reads and validates configuration from `env`; throws {@link ConfigError} listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const config: Config = {
    port: int("PORT", 8080, 0, 65_535),
    host: env.HOST?.trim() || "0.0.0.0",
    database: parseDatabase(env, problems, int),
    apiKeys: parseApiKeys(env.HOURGLASS_API_KEYS, problems),
    allowedTargets: parseAllowedTargets(env.HOURGLASS_ALLOWED_TARGETS, problems),
    allowedPorts: parseAllowedPorts(env.HOURGLASS_ALLOWED_PORTS, problems),
    adminToken: parseAdminToken(env.HOURGLASS_ADMIN_TOKEN, problems),
    limits: {
      maxBodyBytes: int("HOURGLASS_MAX_BODY_BYTES", 1024 * 1024, 0, 64 * 1024 * 1024),
      maxJsonBodyBytes: int("HOURGLASS_MAX_JSON_BODY_BYTES", 16 * 1024, 64, 1024 * 1024),
      maxBatchBodyBytes: int("HOURGLASS_MAX_BATCH_BODY_BYTES", 16 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
      maxHeaderCount: int("HOURGLASS_MAX_HEADER_COUNT", 100, 1, 1000),
      maxHeaderBytes: int("HOURGLASS_MAX_HEADER_BYTES", 16 * 1024, 256, 1024 * 1024),
    },
    server: {
      headersTimeoutMs: int("HOURGLASS_HEADERS_TIMEOUT_MS", 10_000, 100, 600_000),
      requestTimeoutMs: int("HOURGLASS_REQUEST_TIMEOUT_MS", 60_000, 100, 3_600_000),
      maxConnections: int("HOURGLASS_MAX_CONNECTIONS", 4096, 1, 1_000_000),
      maxPendingWrites: int("HOURGLASS_MAX_PENDING_WRITES", 1024, 1, 1_000_000),
    },
    delivery: {
      retries: int("HOURGLASS_DEFAULT_RETRIES", 3, 0, MAX_RETRIES),
      retryDelayMs: int("HOURGLASS_DEFAULT_RETRY_DELAY_MS", 10_000, MIN_DURATION_MS, MAX_RETRY_DELAY_MS),
      timeoutMs: int("HOURGLASS_DEFAULT_TIMEOUT_MS", 30_000, MIN_DURATION_MS, MAX_TIMEOUT_MS),
    },
    dispatch: {
      concurrency: int("HOURGLASS_DISPATCH_CONCURRENCY", 256, 1, 10_000),
      batchSize: int("HOURGLASS_DISPATCH_BATCH", 256, 1, 10_000),
      leaseMarginMs: int("HOURGLASS_LEASE_MARGIN_MS", 30_000, 1_000, 3_600_000),
      connectionsPerOrigin: int("HOURGLASS_CONNECTIONS_PER_ORIGIN", 64, 1, 10_000),
      maxIdleMs: int("HOURGLASS_MAX_IDLE_MS", 60_000, 10, 3_600_000),
      claimAheadMs: int("HOURGLASS_CLAIM_AHEAD_MS", 20, 0, MAX_CLAIM_AHEAD_MS),
      shutdownGraceMs: int("HOURGLASS_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
      warmUpDeliveries: int("HOURGLASS_WARM_UP_DELIVERIES", 2_000, 0, 100_000),
    },
    historyDays: int("HOURGLASS_HISTORY_DAYS", 30, 1, 36_500),
    runMissedCap: int("HOURGLASS_RUN_MISSED_CAP", 100, 1, 100_000),
    missedGraceMs: int("HOURGLASS_MISSED_GRACE_MS", 60_000, 1_000, 86_400_000),
    logLevel: env.LOG_LEVEL?.trim() || "info",
    clock: parseClock(env.HOURGLASS_CLOCK, problems),
  };
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    problems.push("HOURGLASS_HEADERS_TIMEOUT_MS must not be longer than HOURGLASS_REQUEST_TIMEOUT_MS (the headers are part of the request)");
  }
  if (!LOG_LEVELS.includes(config.logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function parseDatabase(
  env: NodeJS.ProcessEnv,
  problems: string[],
  int: (name: string, fallback: number, min: number, max: number) => number,
): DatabaseConfig {
  const value = env.DATABASE_URL?.trim();
  if (value && /^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      problems.push("DATABASE_URL is not a valid postgres:// URL");
    }
    return { kind: "postgres", url: value, poolSize: int("HOURGLASS_PG_POOL_SIZE", DEFAULT_PG_POOL_SIZE, 2, 1000) };
  }
  return { kind: "sqlite", path: parseSqlitePath(value), synchronous: parseSynchronous(env.HOURGLASS_SQLITE_SYNCHRONOUS, problems) };

  function parseSqlitePath(raw: string | undefined): string {
    if (!raw) return DEFAULT_DATABASE_PATH;
    const path = raw.replace(/^(sqlite|file):(\/\/)?/i, "");
    if (path === "") problems.push("DATABASE_URL names no SQLite file");
    return path;
  }
}

function parseAdminToken(raw: string | undefined, problems: string[]): string | null {
  const token = raw?.trim();
  if (!token) return null;
  if (token.length < 24) problems.push("HOURGLASS_ADMIN_TOKEN must be at least 24 characters (use a long random string)");
  return token;
}

function parseAllowedTargets(raw: string | undefined, problems: string[]): string[] {
  const entries = splitList(raw);
  try {
    validateAllowedTargets(entries, "HOURGLASS_ALLOWED_TARGETS");
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return entries;
}

/*
 * HTTP, HTTPS and every unprivileged port: webhook receivers live there (8080, 3000, 8443, …),
 * while the well-known ports below 1024 are where other protocols' servers listen (SMTP 25/587,
 * SSH 22, LDAP 389, …) — a tenant's crafted request to them is a cross-protocol attack on a
 * public host, and no webhook needs them. An operator widens it here or per project.
 */
const DEFAULT_ALLOWED_PORTS = "80,443,1024-65535";

function parseAllowedPorts(raw: string | undefined, problems: string[]): string[] {
  const entries = splitList(raw?.trim() ? raw : DEFAULT_ALLOWED_PORTS);
  try {
    validateAllowedPorts(entries, "HOURGLASS_ALLOWED_PORTS");
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return entries;
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function parseClock(raw: string | undefined, problems: string[]): "system" | "manual" {
  const value = raw?.trim().toLowerCase() || "system";
  if (value === "system" || value === "manual") return value;
  problems.push(`HOURGLASS_CLOCK must be system or manual (got "${raw}")`);
  return "system";
}

function parseSynchronous(raw: string | undefined, problems: string[]): SqliteSynchronous {
  const value = raw?.trim().toUpperCase() || "NORMAL";
  if (value === "NORMAL" || value === "FULL") return value;
  problems.push(`HOURGLASS_SQLITE_SYNCHRONOUS must be NORMAL or FULL (got "${raw}")`);
  return "NORMAL";
}

function parseApiKeys(raw: string | undefined, problems: string[]): string[] {
  const keys = (raw ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  for (const key of keys) {
    if (key.length < 16 || key.length > 256 || !/^[\x21-\x7e]+$/.test(key)) {
      problems.push(`HOURGLASS_API_KEYS: every key must be 16-256 printable ASCII characters without spaces (one is ${key.length} long)`);
    }
  }
  return [...new Set(keys)];
}
