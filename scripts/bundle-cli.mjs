// Builds the CLI, dist/cli.js, as one file from src/cli.ts: it imports the client's TypeScript
// source (client/src/), which lies outside the server build's rootDir (src/), so tsc cannot emit
// it beside dist/cli/. One file also starts faster. `hourglass serve` still loads the server
// bundle (dist/bundle/main.js) at run time, so the server is not part of this file.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const fromRoot = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

await build({
  entryPoints: [fromRoot("src/cli.ts")],
  outfile: fromRoot("dist/cli.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});
