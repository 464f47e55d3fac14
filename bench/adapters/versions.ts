import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { repoRoot } from "../lib/paths.js";

/** The installed version of an npm package, or "?" when it cannot be read. */
export function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(resolvePackageJson(name), "utf8")) as { version?: string };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}

/** The bench's own peers live in `bench/node_modules`; Hourglass's dependencies in the root's. */
function resolvePackageJson(name: string): string {
  const own = resolve(repoRoot, "bench", "node_modules", name, "package.json");
  return existsSync(own) ? own : resolve(repoRoot, "node_modules", name, "package.json");
}
