import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { LookupAddress } from "node:dns";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDeliverer, type Deliverer, type DeliveryOutcome } from "../../src/dispatch/deliver.js";
import { createEgressPolicy } from "../../src/egress/address-policy.js";
import { createGuardedLookup, type HostResolver } from "../../src/egress/guarded-lookup.js";
import type { RequestTemplate } from "../../src/store/types.js";

/**
 * A listener on loopback that counts every TCP connection it accepts. Blocked deliveries must
 * leave it at zero; allowed ones reach it and get a 200.
 */
interface Canary {
  host: string;
  port: number;
  /** Connections accepted, not counting the sentinels of {@link settle}. */
  connections(): number;
  requests: string[];
  /**
   * Resolves once every connection started before the call has been accepted: it opens a
   * sentinel connection and waits until the listener has accepted it (accept order is FIFO).
   */
  settle(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

async function startCanary(host: string, port = 0): Promise<Canary> {
  const accepted: number[] = [];
  const sentinels = new Set<number>();
  const waiters: { port: number; resolve: () => void }[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end("canary");
  });
  server.on("connection", (socket: net.Socket) => {
    socket.on("error", () => {});
    const remotePort = socket.remotePort ?? -1;
    accepted.push(remotePort);
    for (const waiter of waiters.filter((w) => w.port === remotePort)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  server.listen(port, host);
  await once(server, "listening");
  const bound = (server.address() as AddressInfo).port;
  return {
    host,
    port: bound,
    requests,
    connections: () => accepted.filter((p) => !sentinels.has(p)).length,
    async settle() {
      const socket = net.connect({ host, port: bound });
      await once(socket, "connect");
      const localPort = socket.localPort ?? -1;
      sentinels.add(localPort);
      if (!accepted.includes(localPort)) await new Promise<void>((resolve) => waiters.push({ port: localPort, resolve }));
      socket.destroy();
    },
    reset() {
      accepted.length = 0;
      sentinels.clear();
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** The IPv6 canary takes the IPv4 canary's port when it can, so `localhost:PORT` hits one either way. */
async function startIPv6Canary(port: number): Promise<Canary | null> {
  try {
    return await startCanary("::1", port);
  } catch {
    try {
      return await startCanary("::1", 0);
    } catch {
      return null; // no IPv6 loopback on this host
    }
  }
}

let v4: Canary;
let v6: Canary | null;
const deliverers: Deliverer[] = [];
/** The whole reason of every refusal, as the operator's log gets it. */
const refusals: string[] = [];

beforeAll(async () => {
  v4 = await startCanary("127.0.0.1");
  v6 = await startIPv6Canary(v4.port);
});

afterAll(async () => {
  await v4.close();
  await v6?.close();
});

afterEach(async () => {
  await Promise.all(deliverers.splice(0).map((d) => d.close()));
  refusals.length = 0;
  v4.reset();
  v6?.reset();
});

function deliverer(allowed: string[], resolveHost?: HostResolver): Deliverer {
  let t = 0;
  const d = createDeliverer({ now: () => (t += 1), egress: createEgressPolicy(allowed), resolveHost, onBlocked: (details) => refusals.push(details.reason) });
  deliverers.push(d);
  return d;
}

function post(url: string): RequestTemplate {
  return { method: "POST", url, headers: [["Content-Type", "text/plain"]], body: new TextEncoder().encode("secret") };
}

/** `{v4}` and `{v6}` in a URL template become the canaries' ports. */
function expand(template: string): string {
  return template.replace("{v4}", String(v4.port)).replace("{v6}", String(v6?.port ?? 0));
}

async function expectNoConnection(): Promise<void> {
  await v4.settle();
  await v6?.settle();
  expect(v4.connections()).toBe(0);
  expect(v6?.connections() ?? 0).toBe(0);
  expect([...v4.requests, ...(v6?.requests ?? [])]).toEqual([]);
}

function expectBlocked(outcome: DeliveryOutcome, rule = "loopback"): void {
  expect(outcome).toMatchObject({ ok: false, httpStatus: null, responseExcerpt: null });
  expect(outcome.error).toMatch(/^blocked: /);
  expect(outcome.error).toContain(`egress rule "${rule}"`);
  expect(outcome.error).toContain("HOURGLASS_ALLOWED_TARGETS=");
}

const needsV6 = (template: string): boolean => template.includes("{v6}");

describe("a refused target is blocked before any connection", () => {
  it.each([
    "http://127.0.0.1:{v4}/hook",
    "http://127.1:{v4}/hook",
    "http://0177.0.0.1:{v4}/hook",
    "http://0x7f000001:{v4}/hook",
    "http://2130706433:{v4}/hook",
    "http://[::ffff:127.0.0.1]:{v4}/hook",
    "http://[::ffff:7f00:1]:{v4}/hook",
    "https://127.0.0.1:{v4}/hook",
    "http://localhost:{v4}/hook",
    "http://[::1]:{v6}/hook",
    "https://[::1]:{v6}/hook",
  ])("%s", async (template) => {
    if (needsV6(template) && v6 === null) return;
    const outcome = await deliverer([]).deliver(post(expand(template)), { timeoutMs: 5_000 });
    expectBlocked(outcome);
    await expectNoConnection();
  });

  it("every request queued for a blocked origin is blocked, none connects", async () => {
    const d = deliverer([]);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => d.deliver(post(expand("http://127.1:{v4}/")), { timeoutMs: 5_000 })));
    for (const outcome of outcomes) expectBlocked(outcome);
    await expectNoConnection();
  });
});

describe("the allow-list opens a target", () => {
  it.each([
    ["127.0.0.1", "http://127.0.0.1:{v4}/hook"],
    ["127.0.0.0/8", "http://0x7f000001:{v4}/hook"],
    ["127.0.0.1", "http://127.1:{v4}/hook"],
    ["127.0.0.1", "http://[::ffff:127.0.0.1]:{v4}/hook"],
    ["localhost", "http://localhost:{v4}/hook"],
    ["::1", "http://[::1]:{v6}/hook"],
    ["::/0", "http://[::1]:{v6}/hook"],
  ])("%s opens %s", async (entry, template) => {
    if (needsV6(template) && v6 === null) return;
    const outcome = await deliverer([entry]).deliver(post(expand(template)), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok: true, httpStatus: 200, error: null, responseExcerpt: "canary" });
    expect([...v4.requests, ...(v6?.requests ?? [])]).toEqual(["POST /hook"]);
  });
});

describe("DNS rebinding", () => {
  const PUBLIC: LookupAddress = { address: "93.184.216.34", family: 4 };
  const LOOPBACK: LookupAddress = { address: "127.0.0.1", family: 4 };

  /** A resolver that gives each answer once, in order, then repeats the last one. */
  function scripted(...answers: LookupAddress[][]): HostResolver & { calls: string[] } {
    const calls: string[] = [];
    const resolve = async (hostname: string): Promise<LookupAddress[]> => {
      calls.push(hostname);
      return answers.length > 1 ? answers.shift()! : answers[0]!;
    };
    return Object.assign(resolve, { calls });
  }

  it("a name that resolved to a public address, then to loopback, is blocked on the socket", async () => {
    const policy = createEgressPolicy([]);
    const resolve = scripted([PUBLIC], [LOOPBACK]);
    const url = expand("http://rebind.test:{v4}/hook");

    // What a separate pre-resolution would have seen: a public address, allowed.
    expect(policy.checkUrlAtSchedule(new URL(url))).toEqual({ allowed: true });
    const first = await new Promise<unknown>((resolvePre, reject) =>
      createGuardedLookup(policy, resolve)("rebind.test", {}, (error, address) => (error ? reject(error) : resolvePre(address))),
    );
    expect(first).toBe(PUBLIC.address);

    const outcome = await deliverer([], resolve).deliver(post(url), { timeoutMs: 5_000 });
    expectBlocked(outcome);
    // The history says which rule refused it; the address the name resolved to is the operator's alone.
    expect(outcome.error).not.toContain("127.0.0.1");
    expect(refusals).toEqual([expect.stringContaining("rebind.test resolves to 127.0.0.1")]);
    expect(resolve.calls).toEqual(["rebind.test", "rebind.test"]);
    await expectNoConnection();
  });

  it.each([
    ["public first", [PUBLIC, LOOPBACK]],
    ["loopback first", [LOOPBACK, PUBLIC]],
    ["IPv6 loopback among them", [PUBLIC, { address: "::1", family: 6 }]],
    ["IPv4-mapped loopback among them", [PUBLIC, { address: "::ffff:127.0.0.1", family: 6 }]],
  ] as [string, LookupAddress[]][])("an answer with a public and a refused address at once (%s) is blocked", async (_name, answer) => {
    const outcome = await deliverer([], scripted(answer)).deliver(post(expand("http://rebind.test:{v4}/hook")), { timeoutMs: 5_000 });
    expectBlocked(outcome);
    await expectNoConnection();
  });

  it("a resolved address on the allow-list, or the name itself, is delivered", async () => {
    const byAddress = await deliverer(["127.0.0.1"], scripted([LOOPBACK])).deliver(post(expand("http://rebind.test:{v4}/a")), {
      timeoutMs: 5_000,
    });
    expect(byAddress).toMatchObject({ ok: true, httpStatus: 200 });
    const byName = await deliverer(["*.test"], scripted([LOOPBACK])).deliver(post(expand("http://rebind.test:{v4}/b")), {
      timeoutMs: 5_000,
    });
    expect(byName).toMatchObject({ ok: true, httpStatus: 200 });
    expect(v4.requests).toEqual(["POST /a", "POST /b"]);
  });
});

describe("proxy environment variables", () => {
  const NAMES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"];
  let saved: Record<string, string | undefined>;
  let proxy: Canary;

  beforeAll(async () => {
    proxy = await startCanary("127.0.0.1");
    saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
    for (const name of NAMES) {
      process.env[name] = name.toLowerCase().startsWith("no_") ? "" : `http://127.0.0.1:${proxy.port}`;
    }
  });

  afterAll(async () => {
    for (const name of NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await proxy.close();
  });

  it("change nothing: a refused target is still blocked, and nothing reaches the proxy", async () => {
    for (const template of ["http://127.0.0.1:{v4}/", "https://127.1:{v4}/", "http://localhost:{v4}/"]) {
      expectBlocked(await deliverer([]).deliver(post(expand(template)), { timeoutMs: 5_000 }));
    }
    await expectNoConnection();
    await proxy.settle();
    expect(proxy.connections()).toBe(0);
  });

  it("change nothing: an allowed target is reached directly, not through the proxy", async () => {
    const outcome = await deliverer(["127.0.0.1"]).deliver(post(expand("http://127.0.0.1:{v4}/direct")), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok: true, httpStatus: 200 });
    expect(v4.requests).toEqual(["POST /direct"]);
    await proxy.settle();
    expect(proxy.connections()).toBe(0);
  });
});

describe("per-project policies and ports", () => {
  const PUBLIC: LookupAddress = { address: "93.184.216.34", family: 4 };
  const perProject = (policies: Record<string, ReturnType<typeof createEgressPolicy>>, resolveHost?: HostResolver) => {
    const global = createEgressPolicy([]);
    const d = createDeliverer({
      now: () => 0,
      egress: global,
      egressFor: (projectId) => policies[projectId] ?? global,
      resolveHost,
      onBlocked: (details) => refusals.push(`${details.projectId}: ${details.reason}`),
    });
    deliverers.push(d);
    return d;
  };

  it("a project's allowlist opens a target for that project only, even over a connection the other opened", async () => {
    const d = perProject({ a: createEgressPolicy(["127.0.0.1"]) });
    const url = expand("http://127.0.0.1:{v4}/hook");
    expect(await d.deliver(post(url), { timeoutMs: 5_000, projectId: "a" })).toMatchObject({ ok: true, httpStatus: 200 });
    // A's keep-alive connection to this origin is open now; B must not ride on it.
    expectBlocked(await d.deliver(post(url), { timeoutMs: 5_000, projectId: "b" }));
    expectBlocked(await d.deliver(post(url), { timeoutMs: 5_000 }));
    expect(v4.requests).toEqual(["POST /hook"]);
    expect(refusals).toHaveLength(2);
  });

  it("a name resolving to an address only one project allows is delivered for it and blocked for the other", async () => {
    const resolve: HostResolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const d = perProject({ a: createEgressPolicy(["127.0.0.0/8"]) }, resolve);
    const url = expand("http://target.test:{v4}/hook");
    const blocked = await d.deliver(post(url), { timeoutMs: 5_000, projectId: "b" });
    expectBlocked(blocked);
    expect(blocked.error).not.toContain("127.0.0.1");
    expect(refusals).toEqual([expect.stringMatching(/^b: target\.test resolves to 127\.0\.0\.1/)]);
    expect(await d.deliver(post(url), { timeoutMs: 5_000, projectId: "a" })).toMatchObject({ ok: true });
  });

  it("a port outside the allowed ports is refused on the socket, and a project may widen them", async () => {
    const resolve: HostResolver = async () => [PUBLIC];
    const d = perProject({ a: createEgressPolicy(["127.0.0.1"], ["80", "443", `${v4.port}`]) }, resolve);
    const policyB = createEgressPolicy(["127.0.0.1"], ["80", "443"]);
    const e = perProject({ b: policyB }, resolve);
    const url = expand("http://127.0.0.1:{v4}/hook");
    const refused = await e.deliver(post(url), { timeoutMs: 5_000, projectId: "b" });
    expect(refused.error).toMatch(/^blocked: .*egress rule "port".*HOURGLASS_ALLOWED_PORTS/);
    await expectNoConnection();
    expect(await d.deliver(post(url), { timeoutMs: 5_000, projectId: "a" })).toMatchObject({ ok: true });
  });
});

describe("the local target (the start-up rehearsal's)", () => {
  it("is a server of its own, reached by connections of its own: the egress policy stays as it was", async () => {
    const d = deliverer([]);
    const outcomes = await d.withLocalTarget(async (target) => {
      expect(target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      return Promise.all(Array.from({ length: 20 }, () => target.deliver(post(target.url), { timeoutMs: 5_000 })));
    });
    expect(outcomes.map((o) => o.httpStatus)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(refusals).toEqual([]);
    await expectNoConnection();
    // Loopback is still refused to real deliveries: the local target's connections are its own.
    expectBlocked(await d.deliver(post(expand("http://127.0.0.1:{v4}/hook")), { timeoutMs: 5_000 }));
    await expectNoConnection();
  });

  it("reaches its own server only, and keeps answering once told to reconnect", async () => {
    const d = deliverer(["127.0.0.1"]);
    await d.withLocalTarget(async (target) => {
      const send = () => target.deliver(post(target.url), { timeoutMs: 5_000 });
      // Another port of the same address, allowed to real deliveries here: not to the local target's connections.
      const sendElsewhere = () => target.deliver(post(expand("http://127.0.0.1:{v4}/hook")), { timeoutMs: 5_000 });
      expect((await send()).httpStatus).toBe(200);
      expect((await sendElsewhere()).error).toMatch(/^blocked: .*egress rule "port"/);
      await target.reconnect();
      expect((await Promise.all([send(), send()])).map((o) => o.httpStatus)).toEqual([200, 200]);
      expect((await sendElsewhere()).error).toMatch(/^blocked: .*egress rule "port"/);
      await expectNoConnection();
    });
    expect(await d.deliver(post(expand("http://127.0.0.1:{v4}/hook")), { timeoutMs: 5_000 })).toMatchObject({ ok: true });
  });
});
