/** A V8 `.cpuprofile` as written by `node --cpu-prof` (only the fields used here). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or area. */
export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

/** Where a profiled process spent its CPU time. */
export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** Functions by self time, busiest first. */
  functions: ProfileEntry[];
  /** Self time grouped by package, Hourglass module, Node internals or V8 pseudo-node. */
  areas: ProfileEntry[];
  /**
   * Each sample charged to the innermost Hourglass function on its stack (the code of ours
   * that caused the time, library time included); samples with no Hourglass frame are charged
   * to their area in brackets. Stacks restart after an `await`, so this is per synchronous slice.
   */
  owners: ProfileEntry[];
}

/** Sums self time per function and per area from a `.cpuprofile` document. */
export function summarizeCpuProfile(json: string, repoRoot: string, top = 20): ProfileSummary {
  const profile = JSON.parse(json) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  const owners = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id);
    if (frame === undefined) continue;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const area = areaOf(frame.url, frame.functionName, repoRoot);
    const where = frame.url === "" ? "" : ` ${shortUrl(frame.url, repoRoot)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const owner = ownerOf(id, byId, parent, repoRoot) ?? `[${area}]`;
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const busyUs = [...functions.values()].reduce((a, b) => a + b, 0);
  const rank = (m: Map<string, number>, limit: number): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs === 0 ? 0 : us / busyUs }));
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(functions, top),
    areas: rank(areas, top),
    owners: rank(owners, top),
  };
}

function ownerOf(
  id: number,
  byId: ReadonlyMap<number, CpuProfile["nodes"][number]["callFrame"]>,
  parent: ReadonlyMap<number, number>,
  repoRoot: string,
): string | null {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (frame === undefined || frame.url.includes("/node_modules/")) continue;
    const short = shortUrl(frame.url, repoRoot);
    if (short.startsWith("dist/")) return `${frame.functionName || "(anonymous)"} ${short}:${frame.lineNumber + 1}`;
  }
  return null;
}

function shortUrl(url: string, repoRoot: string): string {
  const path = url.replace(/^file:\/\//, "");
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length + 1) : path;
}

function areaOf(url: string, functionName: string, repoRoot: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node internals";
  const short = shortUrl(url, repoRoot);
  if (url.includes("/node_modules/")) {
    const parts = short.split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? short);
  }
  return short.startsWith("dist/") ? `hourglass ${short.replace(/^dist\//, "").replace(/\.js$/, "")}` : short;
}
