import { createLoadedCache, type LoadedCache } from "../loaded-cache.js";
import type { DeliveryDefaults } from "../schedule/schedule-fields.js";
import type { ProjectDefaults } from "../store/types.js";

const MAX_CACHED_PROJECTS = 10_000;

/**
 * What a trigger of the project gets when its request does not say: the project's own defaults,
 * else the server's. Pure.
 */
export function deliveryDefaultsOf(server: DeliveryDefaults, project: ProjectDefaults): DeliveryDefaults {
  return {
    retries: project.retries ?? server.retries,
    retryDelayMs: project.retryDelayMs ?? server.retryDelayMs,
    timeoutMs: project.timeoutMs ?? server.timeoutMs,
    callbackUrl: project.callbackUrl,
    failureUrl: project.failureUrl,
  };
}

/**
 * Each project's delivery defaults, merged over the server's and cached, so a `/schedule` costs a
 * map look-up. Not expired, like the egress policies (project-policies.ts): a project's defaults
 * change only through the admin API, which drops the project's entry.
 */
export function createProjectDefaults(server: DeliveryDefaults, load: (projectId: string) => Promise<ProjectDefaults>): LoadedCache<DeliveryDefaults> {
  return createLoadedCache(MAX_CACHED_PROJECTS, async (projectId) => deliveryDefaultsOf(server, await load(projectId)));
}
