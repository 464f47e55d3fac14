// Bundles the compiled server (dist/main.js) into one file, dist/bundle/main.js, which is what
// `npm start` and the Docker image run. Node 20 loads ES modules one file at a time — Hourglass
// and its libraries are ~550 of them (kysely alone 263) — and that was half of its start-up:
// ≈ 750 ms to listening on a 2-core VM, ≈ 350 ms bundled. better-sqlite3 stays outside (a native
// addon, loaded from node_modules). The bundle sits two folders below the package root, like
// dist/store/migrations.js, so the migrations folder it resolves (../../migrations/) is the same.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const fromRoot = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

await build({
  entryPoints: [fromRoot("dist/main.js")],
  outfile: fromRoot("dist/bundle/main.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  sourcemap: "linked",
  logLevel: "warning",
  // The CommonJS libraries inside (undici, pino, prom-client) call require() for Node's own modules.
  banner: { js: "import { createRequire as __hourglassRequire } from 'node:module'; const require = __hourglassRequire(import.meta.url);" },
});
