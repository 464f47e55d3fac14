import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSigningSecret, signatureHeaders } from "../../src/dispatch/webhook-signature.js";
import { type Cluster, type ClusterMessage, singleNode } from "../../src/store/cluster.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";

const ADMIN = "admin-token-cluster-changes-0123456789";

/** The other nodes, played by the test: what this node publishes, and a way to send it messages. */
function fakeCluster(): Cluster & { published: ClusterMessage[]; send(message: ClusterMessage): void } {
  const handlers: ((message: ClusterMessage) => void)[] = [];
  const published: ClusterMessage[] = [];
  return {
    ...singleNode,
    published,
    publish: (message) => published.push(message),
    subscribe: (handler) => handlers.push(handler),
    send: (message) => handlers.forEach((handler) => handler(message)),
  };
}

describe("changes that every node must see", () => {
  let hg: TestHourglass;
  let cluster: ReturnType<typeof fakeCluster>;
  let target: TargetServer;
  beforeEach(async () => {
    cluster = fakeCluster();
    target = await startTargetServer();
    hg = await startHourglass({ cluster, env: { HOURGLASS_ADMIN_TOKEN: ADMIN } });
  });
  afterEach(async () => {
    await hg.close();
    await target.close();
  });

  const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

  it("tells the other nodes of a committed trigger, a revoked key, changed limits and egress, and rotated secrets", async () => {
    const at = Date.now() + 60_000;
    const scheduled = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": `${target.url}/x`, "ttr-scheduled-at": new Date(at).toISOString() },
    });
    expect(scheduled.status).toBe(200);
    expect(cluster.published).toContainEqual({ kind: "due", at });

    cluster.published.length = 0;
    const patched = await hg.service.app.request(`/admin/projects/${hg.projectId}`, {
      method: "PATCH",
      headers: admin,
      body: JSON.stringify({ rateLimit: 5, allowedTargets: ["10.0.0.1"] }),
    });
    expect(patched.status).toBe(200);
    expect(cluster.published).toEqual([{ kind: "keys" }, { kind: "egress", projectId: hg.projectId }]);

    cluster.published.length = 0;
    expect((await hg.service.app.request("/signing-secret", { method: "POST", headers: { "ttr-api-key": API_KEY } })).status).toBe(200);
    expect((await hg.service.app.request("/signing-secret", { method: "DELETE", headers: { "ttr-api-key": API_KEY } })).status).toBe(204);
    expect(cluster.published).toEqual([
      { kind: "secrets", projectId: hg.projectId },
      { kind: "secrets", projectId: hg.projectId },
    ]);
  });

  it("drops its cached signing secrets when another node changed them", async () => {
    const store = hg.service.store;
    const first = generateSigningSecret();
    const second = generateSigningSecret();
    await store.setSigningSecrets(hg.projectId, [first]);
    const fire = async (body: string) => {
      const res = await hg.service.app.request("/schedule", {
        method: "POST",
        headers: { "ttr-api-key": API_KEY, "ttr-url": `${target.url}/x`, "ttr-scheduled-at": "now" },
        body,
      });
      expect(res.status).toBe(200);
      const received = await target.waitFor((r) => r.some((x) => x.body.toString() === body));
      return received.find((x) => x.body.toString() === body)!;
    };
    const signedWith = (r: Awaited<ReturnType<typeof fire>>, secret: string) => {
      const header = (name: string) => r.rawHeaders[r.rawHeaders.findIndex((h) => h.toLowerCase() === name) + 1] as string;
      const expected = signatureHeaders({
        webhookId: header("webhook-id"),
        timestampSeconds: Number(header("webhook-timestamp")),
        body: r.body,
        secrets: [secret],
      }).find(([name]) => name === "webhook-signature")?.[1];
      return header("webhook-signature") === expected;
    };
    expect(signedWith(await fire("one"), first)).toBe(true);
    // Another node rotates: this one still holds the first secret (cached for 5 s) until told.
    await store.setSigningSecrets(hg.projectId, [second]);
    expect(signedWith(await fire("two"), first)).toBe(true);
    cluster.send({ kind: "secrets", projectId: hg.projectId });
    expect(signedWith(await fire("three"), second)).toBe(true);
  });
});
