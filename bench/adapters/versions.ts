import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { repoRoot } from "../lib/paths.js";

/** The installed version of an npm package, or "?" when it cannot be read. */
export function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(repoRoot, "node_modules", name, "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}
