import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import type { Cluster, ClusterMessage, NodeStatus } from "../cluster.js";
import type { DatabaseClock } from "./database-clock.js";
import { MAX_CLAIM_AHEAD_MS } from "../row-builders.js";

export interface ClusterLinkOptions {
  url: string;
  /** This node's id: recorded on the leases it takes (see {@link newNodeId}). */
  nodeId: string;
  /** The database's clock as this node reads it: every heartbeat takes a reading. */
  clock: DatabaseClock;
  /** Time between heartbeats (each also looks for dead nodes). */
  heartbeatMs: number;
  /** A node whose last heartbeat is older than this is dead: its leases are released. */
  staleMs: number;
  /**
   * Other nodes re-read the next due time at least this often (the dispatcher's longest idle
   * sleep): a trigger due later than this from now needs no message to be on time.
   */
  horizonMs: number;
  log: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

/** First and longest wait before connecting again after the link was lost. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2_000;
/** Messages kept while the link is down; past this, the others are told to drop everything once it is back. */
const MAX_QUEUED = 100;
/**
 * Triggers due at once are announced at most once per this many milliseconds: the nodes told
 * claim every due trigger when they wake, and the accepting node claims its own anyway. Without
 * it, a burst of immediate /schedule requests would queue one pg_notify each on the link's
 * connection, ahead of the heartbeats.
 */
const DUE_NOW_COALESCE_MS = 10;
/** The database's clock in epoch milliseconds, read when the statement runs (not when its transaction began). */
const DB_NOW = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/** A node id an operator can trace: host, process, and a random part (a pid is reused after a restart). */
export function newNodeId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * The cluster on PostgreSQL, over one dedicated connection (not from the pool: LISTEN needs a
 * session of its own). It LISTENs for the other nodes' messages and sends its own with
 * pg_notify, after the commit they announce; it heartbeats every `heartbeatMs` in the database's
 * time (and reads the database's clock for {@link DatabaseClock}); and it releases the leases of
 * nodes whose heartbeat is older than `staleMs`, so that their triggers are due again at once.
 * A lost connection is opened again by itself, with backoff; the node then tells itself to
 * resync, since messages may have been missed meanwhile.
 */
export class PostgresClusterLink implements Cluster {
  private client: pg.Client | null = null;
  /** The backend of {@link client}: PostgreSQL echoes a session's own notifications to it. */
  private backendPid = 0;
  private channel = "";
  private lockScope = "";
  private readonly handlers: ((message: ClusterMessage) => void)[] = [];
  private live = 1;
  /** Local time of the first heartbeat after the link was (re)opened. */
  private beatingSince: number | null = null;
  private stopped = false;
  private beatTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay = RECONNECT_FIRST_MS;
  private beating: Promise<void> | null = null;
  /** The earliest due time announced that is still ahead: a later one needs no message (see publish). */
  private announced: number | null = null;
  /** When {@link announced} was sent (this node's clock). */
  private announcedAt = 0;
  private readonly queued: ClusterMessage[] = [];

  private constructor(private readonly options: ClusterLinkOptions) {}

  /** Connects, registers the node and reads the database's clock; rejects when the database cannot be reached. */
  static async start(options: ClusterLinkOptions): Promise<PostgresClusterLink> {
    const link = new PostgresClusterLink(options);
    await link.connect();
    link.beatTimer = setInterval(() => void link.beat(), options.heartbeatMs);
    link.beatTimer.unref();
    return link;
  }

  publish(message: ClusterMessage): void {
    if (this.stopped) return;
    if (message.kind === "due") {
      const now = this.options.clock.now();
      if (message.at > now + this.options.horizonMs) return;
      // Every other node was told of a due time no later than this one that has not come yet:
      // each is armed by then, and re-reads the store (this trigger included) when it wakes.
      if (this.announced !== null && this.announced > now && message.at >= this.announced) return;
      if (message.at <= now && this.announced !== null && this.announced <= now && now - this.announcedAt < DUE_NOW_COALESCE_MS) return;
      this.announced = message.at;
      this.announcedAt = now;
    }
    const client = this.client;
    if (client === null) {
      this.queue(message);
      return;
    }
    client.query("SELECT pg_notify($1, $2)", [this.channel, JSON.stringify(message)]).catch(() => this.queue(message));
  }

  subscribe(handler: (message: ClusterMessage) => void): void {
    this.handlers.push(handler);
  }

  liveNodes(): number {
    return this.live;
  }

  async nodes(): Promise<NodeStatus[]> {
    const client = this.client;
    if (client === null) return [];
    const { rows } = await client.query<{ id: string; started_at: string; heartbeat_at: string }>(
      "SELECT id, started_at, heartbeat_at FROM nodes ORDER BY started_at, id",
    );
    return rows.map((r) => ({ id: r.id, startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at), self: r.id === this.options.nodeId }));
  }

  async exclusive<T>(name: string, work: () => Promise<T>): Promise<T | null> {
    const client = this.client;
    if (client === null) return null;
    const key = `hourglass.${name}.${this.lockScope}`;
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [key]);
    if (!rows[0]?.locked) return null;
    try {
      return await work();
    } finally {
      // A lost connection has let go of the lock already.
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.beating;
    const client = this.client;
    this.client = null;
    if (client === null) return;
    // Gone cleanly: its leases were released by the dispatcher's stop, there is nothing to rescue.
    await client.query("DELETE FROM nodes WHERE id = $1", [this.options.nodeId]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: 5_000 });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    client.on("notification", (note) => {
      if (note.processId === this.backendPid || note.channel !== this.channel || note.payload === undefined) return;
      let message: ClusterMessage;
      try {
        message = JSON.parse(note.payload) as ClusterMessage;
      } catch {
        return;
      }
      this.deliver(message);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string; pid: number }>("SELECT current_schema() AS schema, pg_backend_pid() AS pid");
      // Channels are per database, not per schema: databases in schemas of one server (tests) stay apart.
      this.lockScope = rows[0]?.schema ?? "";
      this.channel = `hourglass.${this.lockScope}`;
      this.backendPid = rows[0]?.pid ?? 0;
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.beatingSince = null;
    await this.beat();
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = null;
    this.beatingSince = null;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.options.log.warn({ error: error.message }, "lost the cluster's PostgreSQL connection; connecting again");
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopped || this.reconnectTimer !== null) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().then(
        () => {
          this.reconnectDelay = RECONNECT_FIRST_MS;
          this.options.log.info({}, "cluster connection to PostgreSQL restored");
          const missed = this.queued.splice(0);
          for (const message of missed) this.publish(message);
          // What the others sent meanwhile was missed.
          this.deliver({ kind: "resync" });
        },
        () => {
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
          this.reconnectLater();
        },
      );
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }

  private queue(message: ClusterMessage): void {
    if (this.queued.length >= MAX_QUEUED) this.queued.splice(0, this.queued.length, { kind: "resync" });
    else this.queued.push(message);
  }

  private deliver(message: ClusterMessage): void {
    for (const handler of this.handlers) handler(message);
  }

  /** One heartbeat, then the search for dead nodes; one at a time. */
  private beat(): Promise<void> {
    if (this.beating !== null) return this.beating;
    this.beating = this.beatOnce()
      .catch((error: unknown) => {
        // The connection's own error event reconnects; a failed statement alone is retried next beat.
        this.options.log.warn({ error: error instanceof Error ? error.message : String(error) }, "cluster heartbeat failed");
      })
      .finally(() => {
        this.beating = null;
      });
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const client = this.client;
    if (client === null || this.stopped) return;
    const { nodeId, staleMs } = this.options;
    const sentAt = Date.now();
    const { rows } = await client.query<{ now: number; inserted: boolean; live: number }>(
      `WITH d AS (SELECT ${DB_NOW} AS now),
            up AS (INSERT INTO nodes (id, started_at, heartbeat_at) SELECT $1, now, now FROM d
                   ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at
                   RETURNING (xmax = 0) AS inserted)
       SELECT d.now::float8 AS now, (SELECT inserted FROM up) AS inserted,
              (SELECT count(*)::int FROM nodes WHERE id <> $1 AND heartbeat_at >= d.now - $2) + 1 AS live
       FROM d`,
      [nodeId, staleMs],
    );
    const receivedAt = Date.now();
    const row = rows[0];
    if (row === undefined) return;
    this.options.clock.record(sentAt, Number(row.now), receivedAt);
    this.live = row.live;
    if (this.beatingSince === null) {
      this.beatingSince = receivedAt;
    } else if (row.inserted) {
      this.options.log.warn({ nodeId }, "this node was taken for dead (no heartbeat for a while) and its leases released; it registered again");
    }
    // Only a node that has itself heartbeaten for a whole stale period judges the others: after
    // an outage of the database, every node's heartbeat is old, and none is dead.
    if (receivedAt - this.beatingSince >= staleMs) await this.releaseDeadNodes(client, Number(row.now));
  }

  /**
   * Removes the nodes whose heartbeat is older than `staleMs` and makes their leases due again,
   * {@link MAX_CLAIM_AHEAD_MS} from now: a node taken for dead may still be claiming, ahead of due
   * times up to that much later. The attempt number stays, so an outcome the dead node might still
   * record is fenced off once another node has claimed the trigger.
   */
  private async releaseDeadNodes(client: pg.Client, dbNow: number): Promise<void> {
    const { rows } = await client.query<{ dead: string[] | null; released: number; due: number | null }>(
      `WITH dead AS (DELETE FROM nodes WHERE heartbeat_at < $1 AND id <> $2 RETURNING id, heartbeat_at),
            released AS (UPDATE triggers t SET due_at = $3::bigint + $4::bigint, updated_at = $3
                         FROM dead WHERE t.claimed_by = dead.id AND t.status = 'running'
                         RETURNING t.due_at)
       SELECT (SELECT array_agg(id) FROM dead) AS dead, (SELECT count(*)::int FROM released) AS released,
              (SELECT min(due_at)::float8 FROM released) AS due`,
      [dbNow - this.options.staleMs, this.options.nodeId, dbNow, MAX_CLAIM_AHEAD_MS],
    );
    const row = rows[0];
    if (row?.dead == null) return;
    this.options.log.warn({ nodes: row.dead, released: row.released }, "nodes stopped heartbeating: their leases are released");
    if (row.due !== null) {
      const message: ClusterMessage = { kind: "due", at: Number(row.due) };
      this.deliver(message);
      this.publish(message);
    }
  }
}
