import { resolve } from "node:path";
import { compiledAdapters } from "../lib/paths.js";
import { rssBytes } from "../lib/processes.js";
import type { Adapter, Session } from "./adapter.js";
import { startNodeServer } from "./node-server.js";
import { packageVersion } from "./versions.js";

/** The HTTP-stack ceiling: Hono that reads the body and answers JSON, storing nothing. */
export function bareHonoAdapter(): Adapter {
  return {
    name: "bare Hono",
    durability: "none (stores nothing)",
    probe: async () => null,
    versions: async () => ({ hono: packageVersion("hono"), "@hono/node-server": packageVersion("@hono/node-server") }),
    prepare: async () => {},
    dispose: async () => {},
    async start(): Promise<Session> {
      const server = await startNodeServer({
        name: "bare hono",
        script: resolve(compiledAdapters, "bare-hono-server.js"),
        env: {},
        readyMessage: "listening",
      });
      return {
        baseUrl: `http://127.0.0.1:${server.port}`,
        footprint: async () => ({ processRssBytes: rssBytes(server.proc.pid), storeMemoryBytes: null, diskBytes: null }),
        kill9: () => server.proc.kill9(),
        restart: async () => {
          throw new Error("bare Hono has nothing to recover");
        },
        stop: () => server.proc.stop(),
      };
    },
  };
}
