import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

/** A loopback listener that must never be reached: it counts connections. */
async function startCanary(host: string): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((_req, res) => res.end("reached"));
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

describe("egress policy through the whole service", () => {
  let hg: TestHourglass;
  let canary: Awaited<ReturnType<typeof startCanary>>;

  beforeEach(async () => {
    canary = await startCanary("127.0.0.2");
    // Only 127.0.0.1 is allowed (the harness default); the canary lives on 127.0.0.2.
    // "rebind.test" resolves to the canary, as a hostile DNS answer would.
    hg = await startHourglass({
      resolveHost: async (hostname) => (hostname === "rebind.test" ? [{ address: "127.0.0.2", family: 4 }] : []),
    });
  });
  afterEach(async () => {
    await hg.close();
    await new Promise<void>((resolve) => canary.server.close(() => resolve()));
  });

  const schedule = (headers: Record<string, string>) =>
    hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-scheduled-at": "now", ...headers },
      body: "x",
    });

  it.each([
    ["ttr-url", `http://127.0.0.2:PORT/`],
    ["ttr-url", `http://[::ffff:127.0.0.2]:PORT/`],
    ["ttr-url", `http://2130706434:PORT/`],
    ["ttr-url", `http://169.254.169.254/latest/meta-data/`],
    ["ttr-url", `http://10.0.0.1/`],
    ["ttr-callback-url", `http://192.168.1.1/`],
    ["ttr-failure-url", `http://[fd00:ec2::254]/`],
  ])("refuses %s %s at schedule time, saying which rule and how to allow it", async (header, raw) => {
    const url = raw.replace("PORT", String(canary.port));
    const headers = header === "ttr-url" ? { "ttr-url": url } : { "ttr-url": "https://example.com/", [header]: url };
    const res = await schedule(headers);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("egress_blocked");
    expect(body.message).toContain(header);
    expect(body.message).toContain("HOURGLASS_ALLOWED_TARGETS");
    expect((await hg.service.store.listTriggers(hg.projectId, {}, { limit: 10 })).items).toEqual([]);
    expect(canary.connections()).toBe(0);
  });

  it("blocks a hostname that resolves to a refused address on the socket, records it, and does not retry", async () => {
    const attempts = new AttemptLog(hg.service.dispatcher);
    const res = await schedule({ "ttr-url": `http://rebind.test:${canary.port}/hook` });
    expect(res.status).toBe(200);
    const { result } = await attempts.next();
    expect(result).toMatchObject({ outcome: "failed", httpStatus: null, retryAt: null });
    expect(result.error).toMatch(/^blocked: .*loopback.*HOURGLASS_ALLOWED_TARGETS/);
    expect((await hg.service.store.getTrigger(hg.projectId, result.triggerId))?.status).toBe("failed");
    expect(canary.connections()).toBe(0);
  });
});
