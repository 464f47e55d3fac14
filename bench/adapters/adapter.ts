/** Memory and disk used by a running system under test. `null`: not measurable for that system. */
export interface Footprint {
  /** Resident set size of the process that serves `/schedule` and fires (with several nodes: the largest). */
  processRssBytes: number | null;
  /** With several nodes: each node's RSS. */
  nodeRssBytes?: (number | null)[];
  /** Memory of a separate store server attributable to this run (Redis `used_memory`). */
  storeMemoryBytes: number | null;
  /** Bytes the store keeps on disk for this run. */
  diskBytes: number | null;
}

/** How to start a system under test. */
export interface StartOptions {
  /** Triggers already pending (due days from now) before the first request. */
  pending: number;
  /** Claim lease / lock / expiry, when the default should be shortened (recovery). */
  leaseMs?: number;
  /** Write a V8 CPU profile into this folder (Hourglass only). */
  cpuProfileDir?: string;
}

/** A running system under test. */
export interface Session {
  /** Base URL of its `/schedule`, on 127.0.0.1 (the first node's, for several). */
  readonly baseUrl: string;
  /** Every node's base URL when the system runs as several processes: the load goes round robin. */
  readonly baseUrls?: readonly string[];
  footprint(): Promise<Footprint>;
  /** Kills the serving process (with several nodes: the first) with SIGKILL; the store is left as it is. */
  kill9(): Promise<void>;
  /**
   * Several nodes only: the bench ids of the triggers the killed first node held leases on when it died
   * (in flight there, to be delivered again by the others), read from the store after {@link kill9}.
   */
  leasedByKilledNode?(): Promise<string[]>;
  /** Starts the serving process again on the same store; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops the process and empties the store. Safe to call twice. */
  stop(): Promise<void>;
}

/** One system the bench compares. */
export interface Adapter {
  readonly name: string;
  /** What "acknowledged" means on disk for this system, as run by the bench. */
  readonly durability: string;
  /** Null when the system can run here, or why it is skipped. */
  probe(): Promise<string | null>;
  /** Versions worth printing (library and server). */
  versions(): Promise<Record<string, string>>;
  /** One-time preparation of shared servers (called after a successful probe). */
  prepare(): Promise<void>;
  start(options: StartOptions): Promise<Session>;
  /** Undoes {@link prepare} and removes whatever the runs left. Safe to call on failure. */
  dispose(): Promise<void>;
}
