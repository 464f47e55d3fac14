import { afterEach, beforeEach } from "vitest";
import { type HourglassProcess, killIfRunning } from "./child-process.js";
import { createTestSchema } from "./postgres.js";
import { type TargetServer, startTargetServer } from "./target-server.js";

/** What a several-nodes test works with; each field is new for every test. */
export interface PostgresNodes {
  /** A fresh schema on the test server, dropped after the test. */
  schema: Awaited<ReturnType<typeof createTestSchema>>;
  /** A real target server on port 0. */
  target: TargetServer;
  /** The Hourglass processes the test started: killed (SIGKILL) after it, if still running. */
  nodes: HourglassProcess[];
  /** The i-th node, round robin: requests spread over the nodes. */
  node(i: number): HourglassProcess;
  /** POSTs `/schedule` to node `i` (round robin) with the project's `apiKey`; answers the status. */
  post(i: number, apiKey: string, headers: Record<string, string>, body: string): Promise<number>;
}

/**
 * Registers, in the calling `describe`, a fresh schema and target before each test and, after it,
 * the end of every node the test put in `nodes`, the target and the schema. Read the fields
 * inside tests and hooks only: they are replaced before each test.
 */
export function postgresNodes(serverUrl: string): PostgresNodes {
  const harness = {
    nodes: [],
    node: (i: number) => harness.nodes[i % harness.nodes.length] as HourglassProcess,
    post: async (i: number, apiKey: string, headers: Record<string, string>, body: string) => {
      const res = await fetch(`${harness.node(i).url}/schedule`, { method: "POST", headers: { "ttr-api-key": apiKey, ...headers }, body });
      await res.arrayBuffer();
      return res.status;
    },
  } as unknown as PostgresNodes;
  beforeEach(async () => {
    harness.schema = await createTestSchema(serverUrl);
    harness.target = await startTargetServer();
    harness.nodes = [];
  });
  afterEach(async () => {
    await Promise.all(harness.nodes.map(killIfRunning));
    await harness.target.close();
    await harness.schema.drop();
  });
  return harness;
}
