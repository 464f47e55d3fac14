import type { NodeStatus } from "../../store/cluster.js";
import type { StoreEngine } from "../../store/types.js";
import { Layout, type PageContext, Time } from "../components.js";
import { formatBytes, formatDuration } from "../format.js";

/** What the health page shows: the same readiness as `/healthz`, and the engine. */
export interface HealthData {
  engine: StoreEngine;
  /** "ok", or why `/healthz` would answer 503. */
  status: "ok" | "shutting_down" | "store_unavailable";
  /** How long the readiness read took. */
  readMs: number;
  /** SQLite's WAL waiting to be checkpointed, in bytes; null on PostgreSQL. */
  walBytes: number | null;
  projects: number;
  /** The nodes sharing the database (PostgreSQL); empty: this process alone (SQLite). */
  nodes: NodeStatus[];
  /** When the page was made, to show each heartbeat's age. */
  now: number;
}

/** The operator's engine health. */
export function HealthPage(props: { page: PageContext; health: HealthData }) {
  const h = props.health;
  return (
    <Layout title="Health" page={props.page} section="health">
      <h1>Engine health</h1>
      <div class="scroll">
        <table class="kv" data-testid="health">
          <tbody>
            <tr>
              <th scope="row">Readiness (/healthz)</th>
              <td>
                <span class={`status ${h.status === "ok" ? "s-succeeded" : "s-failed"}`}>{h.status}</span> · read in {formatDuration(h.readMs)}
              </td>
            </tr>
            <tr>
              <th scope="row">Engine</th>
              <td>{h.engine === "sqlite" ? "SQLite" : "PostgreSQL"}</td>
            </tr>
            {h.walBytes !== null && (
              <tr>
                <th scope="row">Write-ahead log</th>
                <td data-testid="wal">{formatBytes(h.walBytes)} waiting to be checkpointed</td>
              </tr>
            )}
            <tr>
              <th scope="row">Projects</th>
              <td>{h.projects}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <h2>Nodes</h2>
      {h.nodes.length === 0 ? (
        <p class="muted">One process serves this database (SQLite allows no other).</p>
      ) : (
        <div class="scroll">
          <table data-testid="nodes">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Started</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {h.nodes.map((node) => (
                <tr>
                  <td>
                    <code>{node.id}</code>
                    {node.self ? " (this one)" : ""}
                  </td>
                  <td>
                    <Time ms={node.startedAt} />
                  </td>
                  <td>{formatDuration(Math.max(0, h.now - node.heartbeatAt))} ago</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
