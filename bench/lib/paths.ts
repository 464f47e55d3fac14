import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const compiledLib = dirname(fileURLToPath(import.meta.url));

/** The repository root (the bench runs from `bench/dist/lib/`, three levels below it). */
export const repoRoot = resolve(compiledLib, "../../..");
/** `bench/` in the repository: results and fixtures live here. */
export const benchDir = resolve(repoRoot, "bench");
/** Compiled peer server entry points. */
export const compiledAdapters = resolve(compiledLib, "../adapters");
/** Core the servers under test are pinned to; the load generator and sink take {@link LOAD_CORE}. */
export const SERVER_CORE = 0;
/** Core of the bench process itself (load generator and delivery sink). */
export const LOAD_CORE = 1;
/** Deliveries in flight at once, for every system (Hourglass's default). */
export const DELIVERY_CONCURRENCY = 256;
/** Outbound connections per origin, for every system (Hourglass's default). */
export const CONNECTIONS_PER_ORIGIN = 64;
