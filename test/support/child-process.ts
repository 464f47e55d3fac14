import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Failpoint } from "../../src/dispatch/dispatcher.js";

/** The built server, bundled: `npm test` builds it first (`pretest`), as `npm start` does, and runs this file. */
export const MAIN_JS = fileURLToPath(new URL("../../dist/bundle/main.js", import.meta.url));
/** The fault tests' entry point: the same server (built, unbundled) with a failpoint wired in. */
export const FAILPOINT_MAIN = fileURLToPath(new URL("./failpoint-main.mjs", import.meta.url));
const BUILT_SERVER_JS = fileURLToPath(new URL("../../dist/server.js", import.meta.url));

export interface HourglassProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout so far. */
  output: () => string;
  /** Everything the process wrote to stderr so far. */
  errors: () => string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/bundle/main.js` with `env`, resolving once it logs that it listens. With a
 * `failpoint`, starts the test-only entry point instead, which kills the process at that point.
 */
export async function spawnHourglass(env: Record<string, string>, options: { failpoint?: Failpoint } = {}): Promise<HourglassProcess> {
  const built = options.failpoint === undefined ? MAIN_JS : BUILT_SERVER_JS;
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first (npm test does).`);
  const args = options.failpoint === undefined ? [MAIN_JS] : [FAILPOINT_MAIN, options.failpoint];
  const child = spawn(process.execPath, args, {
    // No start-up rehearsal (5,000 deliveries, a second or two of CPU per process) unless a test asks for one.
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", HOURGLASS_WARM_UP_DELIVERIES: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = stdout.match(/"port":(\d+)[^\n]*"msg":"hourglass listening"/);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`hourglass exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`)),
    );
  });
  return { child, url, output: () => stdout, errors: () => stderr, exited };
}

/** Kills the process with SIGKILL unless it has exited already, and waits for its exit (test teardown). */
export async function killIfRunning(running: HourglassProcess | null): Promise<void> {
  if (running === null || running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill("SIGKILL");
  await running.exited;
}
