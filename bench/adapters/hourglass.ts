import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { rssBytes } from "../lib/processes.js";
import { repoRoot } from "../lib/paths.js";
import type { Adapter, Footprint, Session, StartOptions } from "./adapter.js";
import { copyFixture } from "./hourglass-fixture.js";
import { hourglassMain, startHourglass } from "./hourglass-process.js";
import type { NodeServer } from "./node-server.js";

/** Options of {@link hourglassAdapter}. */
export interface HourglassAdapterOptions {
  synchronous: "NORMAL" | "FULL";
  log: (line: string) => void;
}

/**
 * Hourglass itself: `node dist/bundle/main.js` (as `npm start`) on its own temporary SQLite file per session. Temporary
 * folders left by an interrupted session are removed by dispose.
 */
export function hourglassAdapter(options: HourglassAdapterOptions): Adapter {
  const durability =
    options.synchronous === "FULL"
      ? "SQLite WAL, synchronous=FULL (fsync per commit: survives power loss)"
      : "SQLite WAL, synchronous=NORMAL (survives kill -9; the last commits may be lost on power loss)";
  const dirs = new Set<string>();
  return {
    name: options.synchronous === "FULL" ? "Hourglass (FULL)" : "Hourglass",
    durability,
    async probe() {
      return existsSync(hourglassMain) ? null : "dist/bundle/main.js is missing: run `npm run build` first";
    },
    async versions() {
      const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
      return { hourglass: pkg.version };
    },
    async prepare() {},
    async dispose() {
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      dirs.clear();
    },
    async start(start: StartOptions): Promise<Session> {
      const dir = await mkdtemp(join(tmpdir(), "hourglass-bench-"));
      dirs.add(dir);
      const databasePath = join(dir, "hourglass.db");
      if (start.pending > 0) await copyFixture(start.pending, databasePath, options.log);
      const launch = (): Promise<NodeServer> =>
        startHourglass({
          databaseUrl: databasePath,
          synchronous: options.synchronous,
          ...(start.leaseMs === undefined ? {} : { leaseMs: start.leaseMs }),
          ...(start.cpuProfileDir === undefined ? {} : { cpuProfileDir: start.cpuProfileDir }),
        });
      let server: NodeServer;
      try {
        server = await launch();
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      let stopped = false;
      return {
        get baseUrl() {
          return `http://127.0.0.1:${server.port}`;
        },
        async footprint(): Promise<Footprint> {
          let diskBytes = 0;
          for (const suffix of ["", "-wal", "-shm"]) {
            diskBytes += await stat(databasePath + suffix).then((s) => s.size, () => 0);
          }
          return { processRssBytes: rssBytes(server.proc.pid), storeMemoryBytes: null, diskBytes };
        },
        kill9: () => server.proc.kill9(),
        async restart() {
          server = await launch();
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await server.proc.stop();
          await rm(dir, { recursive: true, force: true });
          dirs.delete(dir);
        },
      };
    },
  };
}
