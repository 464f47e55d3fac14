import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("server protection settings", () => {
  it("has defaults and reads HOURGLASS_* overrides", () => {
    expect(loadConfig({}).server).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, maxConnections: 4096, maxPendingWrites: 1024 });
    expect(loadConfig({}).limits.maxJsonBodyBytes).toBe(16 * 1024);
    const config = loadConfig({
      HOURGLASS_HEADERS_TIMEOUT_MS: "500",
      HOURGLASS_REQUEST_TIMEOUT_MS: "500",
      HOURGLASS_MAX_CONNECTIONS: "10",
      HOURGLASS_MAX_PENDING_WRITES: "5",
      HOURGLASS_MAX_JSON_BODY_BYTES: "1024",
    });
    expect(config.server).toEqual({ headersTimeoutMs: 500, requestTimeoutMs: 500, maxConnections: 10, maxPendingWrites: 5 });
    expect(config.limits.maxJsonBodyBytes).toBe(1024);
  });

  it("refuses a headers timeout longer than the request timeout, and values out of range", () => {
    expect(() => loadConfig({ HOURGLASS_HEADERS_TIMEOUT_MS: "20000", HOURGLASS_REQUEST_TIMEOUT_MS: "10000" })).toThrow(ConfigError);
    expect(() => loadConfig({ HOURGLASS_MAX_CONNECTIONS: "0" })).toThrow(/HOURGLASS_MAX_CONNECTIONS/);
    expect(() => loadConfig({ HOURGLASS_MAX_PENDING_WRITES: "x" })).toThrow(/HOURGLASS_MAX_PENDING_WRITES/);
  });
});

describe("database selection", () => {
  it("keeps SQLite as the default, and reads an SQLite path or sqlite: URL", () => {
    expect(loadConfig({}).database).toEqual({ kind: "sqlite", path: "./data/hourglass.db", synchronous: "NORMAL" });
    expect(loadConfig({ DATABASE_URL: "sqlite:/var/lib/hg.db" }).database).toMatchObject({ kind: "sqlite", path: "/var/lib/hg.db" });
  });

  it("selects PostgreSQL for a postgres:// or postgresql:// URL, with a configurable pool", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://hg:secret@db:5432/hourglass" }).database).toEqual({
      kind: "postgres",
      url: "postgres://hg:secret@db:5432/hourglass",
      poolSize: 10,
    });
    expect(loadConfig({ DATABASE_URL: "postgresql://db/hourglass", HOURGLASS_PG_POOL_SIZE: "4" }).database).toMatchObject({
      kind: "postgres",
      poolSize: 4,
    });
    expect(() => loadConfig({ DATABASE_URL: "postgres://db/hourglass", HOURGLASS_PG_POOL_SIZE: "1" })).toThrow(/HOURGLASS_PG_POOL_SIZE/);
    expect(() => loadConfig({ DATABASE_URL: "postgres://db:notaport/x" })).toThrow(/DATABASE_URL/);
  });
});
