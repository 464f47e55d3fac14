import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built server, bundled: `npm test` builds it first (`pretest`), as `npm start` does, and runs this file. */
export const MAIN_JS = fileURLToPath(new URL("../../dist/bundle/main.js", import.meta.url));

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

/** Starts `node dist/bundle/main.js` with `env`, resolving once it logs that it listens. */
export async function spawnHourglass(env: Record<string, string>): Promise<HourglassProcess> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first (npm test does).`);
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
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
