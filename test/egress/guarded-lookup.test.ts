import { once } from "node:events";
import type { LookupAddress, LookupOptions } from "node:dns";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgressPolicy, type EgressPolicy } from "../../src/egress/address-policy.js";
import {
  EgressBlockedError,
  createGuardedConnector,
  createGuardedLookup,
  findEgressBlocked,
  type HostResolver,
} from "../../src/egress/guarded-lookup.js";

const PUBLIC_V4: LookupAddress = { address: "93.184.216.34", family: 4 };
const PUBLIC_V6: LookupAddress = { address: "2606:2800:220:1:248:1893:25c8:1946", family: 6 };
const LOOPBACK: LookupAddress = { address: "127.0.0.1", family: 4 };

const fixed =
  (...answer: LookupAddress[]): HostResolver =>
  async () =>
    answer;

type LookupResult = { error: NodeJS.ErrnoException | null; address: unknown; family: number | undefined };

function lookup(resolve: HostResolver, options: LookupOptions, policy: EgressPolicy = createEgressPolicy([])): Promise<LookupResult> {
  return new Promise((done) =>
    createGuardedLookup(policy, resolve)("target.test", options, (error, address, family) => done({ error, address, family })),
  );
}

describe("createGuardedLookup", () => {
  it("answers every address with `all: true`, and the first with an address and family otherwise", async () => {
    expect(await lookup(fixed(PUBLIC_V4, PUBLIC_V6), { all: true })).toEqual({ error: null, address: [PUBLIC_V4, PUBLIC_V6], family: undefined });
    expect(await lookup(fixed(PUBLIC_V6, PUBLIC_V4), {})).toEqual({ error: null, address: PUBLIC_V6.address, family: 6 });
  });

  it("keeps only the family asked for", async () => {
    expect((await lookup(fixed(PUBLIC_V4, PUBLIC_V6), { family: 6, all: true })).address).toEqual([PUBLIC_V6]);
    expect((await lookup(fixed(PUBLIC_V4, PUBLIC_V6), { family: 4 })).address).toBe(PUBLIC_V4.address);
  });

  it("fails with EGRESS_BLOCKED when any address is refused, naming the rule", async () => {
    for (const answer of [[LOOPBACK], [PUBLIC_V4, LOOPBACK], [LOOPBACK, PUBLIC_V4], [PUBLIC_V6, { address: "fd00:ec2::254", family: 6 }]]) {
      const { error } = await lookup(fixed(...answer), { all: true });
      expect(error).toBeInstanceOf(EgressBlockedError);
      expect(error?.code).toBe("EGRESS_BLOCKED");
      expect(error?.message).toMatch(/^target\.test resolves to .*refused by the egress rule "(loopback|cloud-metadata)"/);
    }
  });

  it("judges the family by the address text, and refuses text that is not an address", async () => {
    const { error } = await lookup(fixed({ address: "0177.0.0.1", family: 4 }), { all: true });
    expect((error as EgressBlockedError).rule).toBe("invalid-address");
    const lying = await lookup(fixed({ address: "127.0.0.1", family: 6 }), { all: true });
    expect((lying.error as EgressBlockedError).rule).toBe("loopback");
  });

  it("an allowed name or address passes", async () => {
    expect((await lookup(fixed(LOOPBACK), {}, createEgressPolicy(["target.test"]))).address).toBe("127.0.0.1");
    expect((await lookup(fixed(LOOPBACK), {}, createEgressPolicy(["127.0.0.0/8"]))).address).toBe("127.0.0.1");
  });

  it("passes resolver failures on, and reports an empty answer as ENOTFOUND", async () => {
    const failing: HostResolver = async () => {
      throw Object.assign(new Error("getaddrinfo EAI_AGAIN target.test"), { code: "EAI_AGAIN" });
    };
    expect((await lookup(failing, {})).error?.code).toBe("EAI_AGAIN");
    expect((await lookup(fixed(), { all: true })).error?.code).toBe("ENOTFOUND");
    expect((await lookup(fixed(PUBLIC_V4), { family: 6 })).error?.code).toBe("ENOTFOUND");
  });

  it("the system resolver is used by default", async () => {
    const result = await new Promise<LookupResult>((done) =>
      createGuardedLookup(createEgressPolicy([]))("localhost", { all: true }, (error, address, family) => done({ error, address, family })),
    );
    expect(result.error?.code).toBe("EGRESS_BLOCKED");
  });
});

describe("on a real socket", () => {
  let canary: net.Server;
  let port: number;
  let accepted = 0;

  beforeAll(async () => {
    canary = net.createServer((socket) => {
      accepted += 1;
      socket.on("error", () => {}).end();
    });
    canary.listen(0, "127.0.0.1");
    await once(canary, "listening");
    port = (canary.address() as AddressInfo).port;
  });

  afterAll(async () => {
    canary.close();
    await once(canary, "close");
  });

  /**
   * Connections the canary accepted before this call: it sends a probe of its own, which the
   * canary closes on accept, and accepts are in order, so any earlier connection is counted.
   */
  async function acceptedBefore(): Promise<number> {
    const probe = net.connect({ host: "127.0.0.1", port });
    await once(probe, "close");
    return accepted - 1;
  }

  it.each([true, false])("net.connect with the guarded lookup never connects to a refused address (autoSelectFamily %s)", async (autoSelectFamily) => {
    const before = accepted;
    const socket = net.connect({ host: "rebind.test", port, autoSelectFamily, lookup: createGuardedLookup(createEgressPolicy([]), fixed(PUBLIC_V4, LOOPBACK)) });
    const [error] = (await once(socket, "error").catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    expect(error.code).toBe("EGRESS_BLOCKED");
    expect(await acceptedBefore()).toBe(before);
  });

  it("the connector checks the connected socket's address as a backstop", async () => {
    // A policy that lets the pre-connect check through once, then refuses: only the backstop can catch it.
    const loopbackOnce = createEgressPolicy([]);
    let calls = 0;
    const policy: EgressPolicy = {
      checkUrlAtSchedule: (url) => loopbackOnce.checkUrlAtSchedule(url),
      checkPort: (port) => loopbackOnce.checkPort(port),
      checkAddress: (ip, hostname) => (++calls === 1 ? { allowed: true } : loopbackOnce.checkAddress(ip, hostname)),
    };
    const connect = createGuardedConnector(policy);
    const result = await new Promise<{ error: Error | null; socket: net.Socket | null }>((done) =>
      connect({ hostname: "127.0.0.1", protocol: "http:", port: String(port) }, (error, socket) => done({ error, socket })),
    );
    expect(result.socket).toBeNull();
    expect(result.error).toBeInstanceOf(EgressBlockedError);
    expect(calls).toBe(2);
  });

  it("the connector refuses a literal address without connecting, asynchronously", async () => {
    const before = accepted;
    const connect = createGuardedConnector(createEgressPolicy([]));
    let called = false;
    const done = new Promise<Error | null>((resolve) =>
      connect({ hostname: "[::ffff:127.0.0.1]", protocol: "https:", port: String(port) }, (error, _socket) => {
        called = true;
        resolve(error);
      }),
    );
    expect(called).toBe(false);
    expect(((await done) as EgressBlockedError).code).toBe("EGRESS_BLOCKED");
    expect(await acceptedBefore()).toBe(before);
  });
});

describe("findEgressBlocked", () => {
  it("finds the refusal directly, in an AggregateError, or as a cause", () => {
    const blocked = new EgressBlockedError("loopback", "127.0.0.1 is loopback");
    expect(findEgressBlocked(blocked)).toBe(blocked);
    expect(findEgressBlocked(new AggregateError([new Error("other"), blocked]))).toBe(blocked);
    expect(findEgressBlocked(new Error("wrapped", { cause: blocked }))).toBe(blocked);
    expect(findEgressBlocked(new Error("connect ECONNREFUSED"))).toBeUndefined();
    expect(findEgressBlocked("EGRESS_BLOCKED")).toBeUndefined();
  });
});
