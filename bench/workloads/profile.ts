import { mkdir, readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Adapter } from "../adapters/adapter.js";
import { summarizeCpuProfile } from "../lib/cpuprofile.js";
import { benchDir, repoRoot } from "../lib/paths.js";
import type { ProfileRun } from "../lib/results.js";

/**
 * Runs `workload` against `adapter` with every Hourglass process it starts writing a V8 CPU
 * profile (`node --cpu-prof`, written when the process exits after SIGTERM), and summarizes
 * the largest profile written.
 */
export async function profileWorkload(
  name: string,
  missed: string[],
  adapter: Adapter,
  workload: (profiled: Adapter) => Promise<unknown>,
): Promise<ProfileRun | null> {
  const dir = join(benchDir, ".fixtures", "profiles", `${name}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const profiled: Adapter = { ...adapter, start: (options) => adapter.start({ ...options, cpuProfileDir: dir }) };
  await workload(profiled);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(dir, f));
  if (files.length === 0) return null;
  const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(f)).size })));
  const largest = sized.sort((a, b) => b.size - a.size)[0]!.f;
  return { workload: name, missed, file: relative(repoRoot, largest), summary: summarizeCpuProfile(await readFile(largest, "utf8"), repoRoot) };
}
