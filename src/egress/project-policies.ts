import { createLoadedCache } from "../loaded-cache.js";
import { type EgressPolicy, createEgressPolicy } from "./address-policy.js";

/** Entries in the syntax of HOURGLASS_ALLOWED_TARGETS / HOURGLASS_ALLOWED_PORTS. */
export interface EgressRules {
  allowedTargets: readonly string[];
  allowedPorts: readonly string[];
}

/** Each project's egress policy: the global rules, widened by the project's own. */
export interface ProjectPolicies {
  /** The policy of projects with no rules of their own. */
  readonly global: EgressPolicy;
  /** The project's compiled policy when it is at hand, without a promise; else undefined. */
  cached(projectId: string): EgressPolicy | undefined;
  /** The project's policy, loaded and compiled on first use. */
  policyFor(projectId: string): Promise<EgressPolicy>;
  /** Drops the project's compiled policy (after its rules changed). */
  forget(projectId: string): void;
  /** The policy a project with these rules of its own has (to check a change before it is stored). */
  policyWith(own: EgressRules): EgressPolicy;
  /** Drops every project's compiled policy (changes may have been missed). */
  forgetAll(): void;
}

const MAX_CACHED_PROJECTS = 10_000;

/**
 * Compiled policies are cached per project, so a delivery or a /schedule costs a map look-up.
 * They are not expired: a project's rules change only through the admin API, which calls
 * {@link ProjectPolicies.forget} on this node and, through the cluster's messages, on the others. A project without
 * rules of its own shares the global policy (and its decision cache). A project's rules widen
 * only its own policy: each project's is compiled from the global rules plus its own.
 */
export function createProjectPolicies(global: EgressRules, load: (projectId: string) => Promise<EgressRules>): ProjectPolicies {
  const globalPolicy = createEgressPolicy(global.allowedTargets, global.allowedPorts);
  const compile = (own: EgressRules): EgressPolicy =>
    own.allowedTargets.length === 0 && own.allowedPorts.length === 0
      ? globalPolicy
      : createEgressPolicy([...global.allowedTargets, ...own.allowedTargets], [...global.allowedPorts, ...own.allowedPorts]);
  const policies = createLoadedCache(MAX_CACHED_PROJECTS, async (projectId) => compile(await load(projectId)));

  return {
    global: globalPolicy,
    cached: (projectId) => policies.cached(projectId),
    policyFor: (projectId) => policies.get(projectId),
    forget: (projectId) => policies.forget(projectId),
    policyWith: compile,
    forgetAll: () => policies.forgetAll(),
  };
}
