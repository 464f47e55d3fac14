import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const ADMIN = "admin-token-for-tests-0123456789";
// Response bodies are asserted field by field.
type Json = any;

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

describe("per-project egress and the port policy", () => {
  let hg: TestHourglass;
  let canary: Awaited<ReturnType<typeof startCanary>>;
  let attempts: AttemptLog;
  const logLines: string[] = [];

  beforeEach(async () => {
    logLines.length = 0;
    canary = await startCanary("127.0.0.2");
    hg = await startHourglass({
      // HOURGLASS_ALLOWED_PORTS="" is the default set: 80, 443, 1024-65535.
      env: { HOURGLASS_ADMIN_TOKEN: ADMIN, HOURGLASS_ALLOWED_PORTS: "" },
      resolveHost: async (hostname) => (hostname === "rebind.test" ? [{ address: "127.0.0.2", family: 4 }] : []),
      log: pino({ level: "warn" }, { write: (line: string) => void logLines.push(line) }),
    });
    attempts = new AttemptLog(hg.service.dispatcher);
  });
  afterEach(async () => {
    await hg.close();
    await new Promise<void>((resolve) => canary.server.close(() => resolve()));
  });

  const schedule = (key: string, url: string) =>
    hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-scheduled-at": "now", "ttr-url": url, "ttr-retries": "0" },
      body: "x",
    });
  const patchProject = (id: string, body: unknown) =>
    hg.service.app.request(`/admin/projects/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify(body),
    });

  it("a project's allowedTargets open a target for it alone, at /schedule and on the socket", async () => {
    const patched = await patchProject(hg.projectId, { allowedTargets: ["127.0.0.2"] });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as Json).allowedTargets).toEqual(["127.0.0.2"]);

    const literal = `http://127.0.0.2:${canary.port}/hook`;
    const other = await schedule(OTHER_API_KEY, literal);
    expect(other.status).toBe(400);
    expect(((await other.json()) as Json).error).toBe("egress_blocked");

    expect((await schedule(API_KEY, literal)).status).toBe(200);
    expect((await attempts.next()).result).toMatchObject({ outcome: "succeeded", httpStatus: 200 });

    // A name resolving to the address: delivered for the project that allows it, blocked for the other.
    expect((await schedule(OTHER_API_KEY, `http://rebind.test:${canary.port}/hook`)).status).toBe(200);
    const blocked = (await attempts.next()).result;
    expect(blocked).toMatchObject({ outcome: "failed", projectId: hg.otherProjectId });
    expect(blocked.error).toMatch(/^blocked: .*egress rule "loopback"/);
    expect(blocked.error).not.toContain("127.0.0.2");
    const stored = await hg.service.store.listExecutions(hg.otherProjectId, { triggerId: blocked.triggerId }, { limit: 10 });
    expect(JSON.stringify(stored)).not.toContain("127.0.0.2");
    // The operator's log has the whole reason.
    expect(logLines.join("")).toContain("rebind.test resolves to 127.0.0.2");
    expect(canary.connections()).toBe(1);

    expect((await schedule(API_KEY, `http://rebind.test:${canary.port}/hook`)).status).toBe(200);
    expect((await attempts.next()).result).toMatchObject({ outcome: "succeeded", httpStatus: 200 });

    // Narrowing takes effect at once.
    expect((await patchProject(hg.projectId, { allowedTargets: [] })).status).toBe(200);
    expect((await schedule(API_KEY, literal)).status).toBe(400);
  });

  it("refuses ports outside HOURGLASS_ALLOWED_PORTS at /schedule; a project's allowedPorts widen them for it", async () => {
    for (const url of ["http://example.com:25/", "https://example.com:22/", "http://example.com:1023/"]) {
      const res = await schedule(API_KEY, url);
      expect(res.status).toBe(400);
      const body = (await res.json()) as Json;
      expect(body).toMatchObject({ error: "egress_blocked" });
      expect(body.message).toMatch(/egress rule "port".*HOURGLASS_ALLOWED_PORTS/);
    }
    for (const url of ["http://example.com/", "https://example.com/", "http://example.com:8080/"]) {
      expect((await schedule(API_KEY, `${url}?never`)).status).not.toBe(400);
    }
    expect((await patchProject(hg.projectId, { allowedPorts: ["25", "20-22"] })).status).toBe(200);
    expect((await schedule(API_KEY, "http://example.com:25/")).status).toBe(200);
    expect((await schedule(API_KEY, "http://example.com:21/")).status).toBe(200);
    expect((await schedule(OTHER_API_KEY, "http://example.com:25/")).status).toBe(400);
  });

  it("validates a project's egress entries: 400 naming the entry", async () => {
    for (const body of [
      { allowedTargets: ["http://x.example"] },
      { allowedTargets: "10.0.0.0/8" },
      { allowedTargets: ["10.0.0.0/33"] },
      { allowedPorts: ["0"] },
      { allowedPorts: ["90-80"] },
      { allowedPorts: [true] },
    ]) {
      const res = await patchProject(hg.projectId, body);
      expect(res.status).toBe(400);
      const answer = (await res.json()) as Json;
      expect(answer.error).toBe("invalid_body");
      expect(answer.message).toMatch(/^allowed(Targets|Ports)/);
    }
    expect((await patchProject(hg.projectId, { allowedPorts: [8025, "9000-9100"] })).status).toBe(200);
    const listed = (await (await hg.service.app.request("/admin/projects", { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Json;
    expect(listed.projects.find((p: Json) => p.id === hg.projectId)).toMatchObject({ allowedTargets: [], allowedPorts: ["8025", "9000-9100"] });
  });
});
