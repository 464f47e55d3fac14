/**
 * What one node tells the others on the same database. A message may be lost (a connection
 * drops): after a gap the receiver is told `resync`, and drops everything it caches.
 */
export type ClusterMessage =
  /** A trigger was committed (or released) due at `at`: wake by then. */
  | { kind: "due"; at: number }
  /** An API key was revoked or a project's rate limit changed: drop accepted keys. */
  | { kind: "keys" }
  /** The project's egress rules changed: drop its compiled policy. */
  | { kind: "egress"; projectId: string }
  /** The project's signing secrets changed: drop them. */
  | { kind: "secrets"; projectId: string }
  /** Messages may have been missed (the link was down): drop every cache and look at the store again. */
  | { kind: "resync" };

/**
 * The other nodes on the same database, as the service sees them. On SQLite there are none (one
 * process owns the file) and {@link singleNode} stands in; on PostgreSQL, postgres/cluster-link.ts.
 */
export interface Cluster {
  /** Tells every other node (not this one: it has acted already). Never throws; best effort. */
  publish(message: ClusterMessage): void;
  /** `handler` receives what other nodes publish, and `resync` after a gap. */
  subscribe(handler: (message: ClusterMessage) => void): void;
  /** Nodes alive now, this one included (≥ 1). */
  liveNodes(): number;
  /** The nodes registered on the database and their last heartbeat, oldest first; empty when there are none (SQLite). */
  nodes(): Promise<NodeStatus[]>;
  /**
   * Runs `work` unless another node is running work of the same `name` (maintenance: one node
   * at a time); resolves to null when it was skipped.
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T | null>;
  /** Leaves the cluster (a clean stop: no survivor needs to release anything). */
  stop(): Promise<void>;
}

/** A node as the operator sees it: when it started and when it last heartbeat, in the database's time (epoch ms). */
export interface NodeStatus {
  id: string;
  startedAt: number;
  heartbeatAt: number;
  /** The node that answers this request. */
  self: boolean;
}

/** One process alone on its database: nobody to tell, and maintenance always runs. */
export const singleNode: Cluster = {
  publish: () => {},
  subscribe: () => {},
  liveNodes: () => 1,
  nodes: async () => [],
  exclusive: (_name, work) => work(),
  stop: async () => {},
};
