import { type Spawned, spawnTracked } from "../lib/processes.js";
import { SERVER_CORE } from "../lib/paths.js";

/** Options of {@link startNodeServer}. */
export interface NodeServerOptions {
  name: string;
  script: string;
  nodeArgs?: string[];
  /** Added to a copy of the bench's environment stripped of Hourglass's own variables. */
  env: Record<string, string>;
  /** The `msg` of the JSON log line that announces the port. */
  readyMessage: string;
  timeoutMs?: number;
}

/** A server process that has announced its port. */
export interface NodeServer {
  proc: Spawned;
  port: number;
  /** Milliseconds from spawn to the announcement. */
  startupMs: number;
}

const OWN_VARIABLES = /^(HOURGLASS_|BENCH_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|NODE_OPTIONS$)/;

/** Environment for a child: the bench's own, minus anything that would configure the child. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!OWN_VARIABLES.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Starts `node script` pinned to the server core and waits for its JSON "listening" line. */
export async function startNodeServer(options: NodeServerOptions): Promise<NodeServer> {
  const started = performance.now();
  const proc = spawnTracked(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    name: options.name,
    core: SERVER_CORE,
    env: childEnv(options.env),
  });
  try {
    const line = await proc.waitForLine((l) => readyPort(l, options.readyMessage) !== null, options.timeoutMs ?? 60_000);
    return { proc, port: readyPort(line, options.readyMessage) as number, startupMs: performance.now() - started };
  } catch (error) {
    await proc.kill9();
    throw error;
  }
}

function readyPort(line: string, message: string): number | null {
  if (!line.startsWith("{")) return null;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return parsed.msg === message && typeof parsed.port === "number" ? parsed.port : null;
  } catch {
    return null;
  }
}
