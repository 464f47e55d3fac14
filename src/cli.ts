#!/usr/bin/env node
/**
 * `hourglass` / `npm run cli --`: the admin operations as a thin HTTP client of a running
 * server's admin API (it never opens the database, which the server holds locked), plus
 * `hourglass serve`, which runs the server itself. See `hourglass help`.
 */
import { runCli } from "./cli/run.js";

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // What `npm start` runs, the bundled server (see scripts/bundle.mjs): it starts when imported.
  serve: async () => {
    await import(new URL("./bundle/main.js", import.meta.url).href);
  },
});
if (code !== "serving") process.exitCode = code;
