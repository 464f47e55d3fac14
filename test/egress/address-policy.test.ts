import { describe, expect, it } from "vitest";
import { createEgressPolicy, type EgressDecision } from "../../src/egress/address-policy.js";

const policy = createEgressPolicy([]);

function refusedRule(decision: EgressDecision): string | null {
  return decision.allowed ? null : decision.rule;
}

/** The IPv6 forms that carry an IPv4 address, built from its dotted form. */
function embeddings(v4: string): Record<string, string> {
  const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
  const high = ((a << 8) | b).toString(16);
  const low = ((c << 8) | d).toString(16);
  const inverted = (n: number): string => (~n & 0xffff).toString(16);
  return {
    "IPv4-mapped dotted": `::ffff:${v4}`,
    "IPv4-mapped hex": `::ffff:${high}:${low}`,
    "IPv4-mapped expanded": `0:0:0:0:0:ffff:${high}:${low}`,
    "IPv4-compatible": `::${v4}`,
    "IPv4-translated": `::ffff:0:${v4}`,
    "NAT64 well-known": `64:ff9b::${v4}`,
    "6to4": `2002:${high}:${low}::1`,
    Teredo: `2001:0:4136:e378:8000:63bf:${inverted((a << 8) | b)}:${inverted((c << 8) | d)}`,
  };
}

describe("refused address classes", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "reserved"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.254", "cgnat"],
    ["169.254.169.254", "cloud-metadata"],
    ["169.254.1.1", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.170", "reserved"],
    ["192.88.99.1", "reserved"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.1", "documentation"],
    ["203.0.113.1", "documentation"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["fd00:ec2::254", "cloud-metadata"],
    ["ff02::1", "multicast"],
    ["ff0e::1", "multicast"],
    ["fec0::1", "site-local"],
    ["100::1", "reserved"],
    ["2001:db8::1", "documentation"],
    ["2001:2::1", "benchmarking"],
    ["64:ff9b:1::a00:1", "nat64-local"],
    ["64:ff9b:1:808:8:800::", "nat64-local"],
    ["5f00::1", "reserved"],
    ["4000::1", "reserved"],
  ])("%s is refused as %s", (ip, rule) => {
    expect(refusedRule(policy.checkAddress(ip, ip))).toBe(rule);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "198.20.0.1", "2606:4700:4700::1111", "2a00:1450:4001::1"])(
    "%s (public) is allowed",
    (ip) => {
      expect(policy.checkAddress(ip, ip)).toEqual({ allowed: true });
    },
  );

  it.each(["not-an-ip", "", "127.1", "0x7f000001", "1.2.3.4.5"])("%j is not an address and is refused", (text) => {
    expect(refusedRule(policy.checkAddress(text, text))).toBe("invalid-address");
  });

  it("the Teredo example of RFC 4380 embeds the documentation address 192.0.2.45", () => {
    expect(refusedRule(policy.checkAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2", "x"))).toBe("documentation");
  });
});

describe("IPv6 forms embedding an IPv4 address", () => {
  const refused: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["10.0.0.1", "private"],
    ["192.168.0.10", "private"],
    ["100.64.0.1", "cgnat"],
    ["169.254.169.254", "cloud-metadata"],
    ["169.254.0.9", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.251", "multicast"],
    ["198.18.0.1", "benchmarking"],
  ];
  const cases = refused.flatMap(([v4, rule]) => Object.entries(embeddings(v4)).map(([form, ip]) => [form, ip, v4, rule] as const));

  it.each(cases)("%s %s (of %s) is refused as %s", (_form, ip, v4, rule) => {
    const decision = policy.checkAddress(ip, ip);
    expect(refusedRule(decision)).toBe(rule);
    expect(decision.allowed ? "" : decision.message).toContain(v4);
  });

  it.each(Object.entries(embeddings("8.8.8.8")))("%s %s of a public address is allowed", (_form, ip) => {
    expect(policy.checkAddress(ip, ip)).toEqual({ allowed: true });
  });

  it("an IPv4-mapped address is matched by an IPv4 CIDR of the allow-list", () => {
    const open = createEgressPolicy(["127.0.0.0/8"]);
    expect(open.checkAddress("::ffff:127.0.0.1", "::ffff:127.0.0.1")).toEqual({ allowed: true });
    expect(open.checkAddress("::ffff:7f00:1", "::ffff:7f00:1")).toEqual({ allowed: true });
    expect(open.checkUrlAtSchedule(new URL("http://[::ffff:127.0.0.1]:8080/"))).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("::ffff:10.0.0.1", "::ffff:10.0.0.1"))).toBe("private");
  });

  it("an IPv4-mapped allow-list entry is read as the IPv4 range it maps", () => {
    const open = createEgressPolicy(["::ffff:10.0.0.0/104", "::ffff:192.168.0.1"]);
    expect(open.checkAddress("10.9.9.9", "10.9.9.9")).toEqual({ allowed: true });
    expect(open.checkAddress("192.168.0.1", "192.168.0.1")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("192.168.0.2", "192.168.0.2"))).toBe("private");
  });
});

describe("the refusal message", () => {
  it("names the rule and says how to allow a literal address", () => {
    const decision = policy.checkAddress("169.254.169.254", "169.254.169.254");
    expect(decision).toMatchObject({ allowed: false, rule: "cloud-metadata" });
    const message = decision.allowed ? "" : decision.message;
    expect(message).toContain('"cloud-metadata"');
    expect(message).toContain("169.254.169.254/32");
    expect(message).toContain("HOURGLASS_ALLOWED_TARGETS=169.254.169.254");
  });

  it("names the host and the address it resolved to", () => {
    const decision = policy.checkAddress("10.1.2.3", "internal.example");
    const message = decision.allowed ? "" : decision.message;
    expect(message).toMatch(/^internal\.example resolves to 10\.1\.2\.3, which is a private network/);
    expect(message).toContain("HOURGLASS_ALLOWED_TARGETS=internal.example");
    expect(message).toContain("10.1.2.3");
  });

  it("stays the answer for its own host when the same address is judged again under other names", () => {
    const fresh = createEgressPolicy(["allowed.example"]);
    const asked = () => [
      fresh.checkAddress("10.1.2.3", "a.example"),
      fresh.checkAddress("10.1.2.3", "b.example"),
      fresh.checkAddress("10.1.2.3", "allowed.example"),
      fresh.checkAddress("10.1.2.3", "10.1.2.3"),
    ];
    const first = asked();
    expect(first.map((d) => (d.allowed ? "allowed" : d.message.split(",")[0]))).toEqual([
      "a.example resolves to 10.1.2.3",
      "b.example resolves to 10.1.2.3",
      "allowed",
      "10.1.2.3 is a private network of RFC 1918 (10.0.0.0/8)",
    ]);
    expect(asked()).toEqual(first);
  });

  it("suggests the embedded IPv4 address for an embedding form, and no zone id", () => {
    const mapped = policy.checkAddress("::ffff:10.0.0.7", "::ffff:10.0.0.7");
    expect(mapped.allowed ? "" : mapped.message).toContain("IPv4-mapped form of 10.0.0.7");
    expect(mapped.allowed ? "" : mapped.message).toContain("HOURGLASS_ALLOWED_TARGETS=10.0.0.7 ");
    const zoned = policy.checkAddress("fe80::1%eth0", "fe80::1%eth0");
    expect(zoned.allowed ? "" : zoned.message).toContain("HOURGLASS_ALLOWED_TARGETS=fe80::1 ");
  });
});

describe("checkUrlAtSchedule", () => {
  it.each([
    ["http://127.1:8080/", "127.0.0.1"],
    ["http://0177.0.0.1/", "127.0.0.1"],
    ["http://0x7f000001/", "127.0.0.1"],
    ["http://2130706433/", "127.0.0.1"],
    ["http://0x7f.1/", "127.0.0.1"],
    ["http://017700000001/", "127.0.0.1"],
    ["http://127.000.000.001/", "127.0.0.1"],
    ["http://127.0.0.1./", "127.0.0.1"],
    ["http://0/", "0.0.0.0"],
    ["http://0xa9fea9fe/latest/meta-data/", "169.254.169.254"],
    ["http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["http://[0:0:0:0:0:ffff:7f00:1]/", "[::ffff:7f00:1]"],
    ["http://[::127.0.0.1]/", "[::7f00:1]"],
  ])("the URL parser reads %s as the address %s", (url, hostname) => {
    expect(new URL(url).hostname).toBe(hostname);
  });

  it.each([
    ["http://127.0.0.1:8080/hook", "loopback"],
    ["http://127.1/", "loopback"],
    ["http://0177.0.0.1/", "loopback"],
    ["http://0x7f000001/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["https://0x7f.1/", "loopback"],
    ["http://0/", "unspecified"],
    ["http://10.0.0.1/", "private"],
    ["http://169.254.169.254/latest/meta-data/", "cloud-metadata"],
    ["http://0xa9fea9fe/", "cloud-metadata"],
    ["http://[fd00:ec2::254]/", "cloud-metadata"],
    ["http://[::1]:8080/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:169.254.169.254]/", "cloud-metadata"],
    ["http://[::127.0.0.1]/", "loopback"],
    ["http://[64:ff9b::10.0.0.1]/", "private"],
    ["http://[2002:c0a8:1::]/", "private"],
    ["http://[fe80::1]/", "link-local"],
    ["http://localhost/", "loopback"],
    ["http://LOCALHOST.:8080/", "loopback"],
    ["http://api.localhost/", "loopback"],
  ])("%s is refused as %s", (url, rule) => {
    expect(refusedRule(policy.checkUrlAtSchedule(new URL(url)))).toBe(rule);
  });

  it.each(["http://example.com/", "https://internal.corp.example/hook", "http://8.8.8.8/", "http://[2606:4700:4700::1111]/", "http://localhost.example.com/"])(
    "%s passes (a name is judged on the socket when fired)",
    (url) => {
      expect(policy.checkUrlAtSchedule(new URL(url))).toEqual({ allowed: true });
    },
  );

  it("localhost passes when it is allowed by name, or when both loopback addresses are", () => {
    expect(createEgressPolicy(["localhost"]).checkUrlAtSchedule(new URL("http://localhost/"))).toEqual({ allowed: true });
    expect(createEgressPolicy(["*.localhost"]).checkUrlAtSchedule(new URL("http://a.localhost/"))).toEqual({ allowed: true });
    expect(createEgressPolicy(["127.0.0.1", "::1"]).checkUrlAtSchedule(new URL("http://localhost/"))).toEqual({ allowed: true });
    expect(refusedRule(createEgressPolicy(["127.0.0.1"]).checkUrlAtSchedule(new URL("http://localhost/")))).toBe("loopback");
  });
});

describe("the allow-list", () => {
  it("an exact hostname opens every address that name resolves to, and nothing else", () => {
    const open = createEgressPolicy(["API.Internal."]);
    expect(open.checkAddress("10.0.0.5", "api.internal")).toEqual({ allowed: true });
    expect(open.checkAddress("::1", "api.internal.")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("10.0.0.5", "other.internal"))).toBe("private");
    expect(refusedRule(open.checkAddress("10.0.0.5", "x.api.internal"))).toBe("private");
    expect(refusedRule(open.checkAddress("10.0.0.5", "10.0.0.5"))).toBe("private");
  });

  it("a wildcard opens subdomains at any depth, not the apex nor look-alikes", () => {
    const open = createEgressPolicy(["*.corp.example"]);
    expect(open.checkAddress("10.0.0.5", "a.corp.example")).toEqual({ allowed: true });
    expect(open.checkAddress("10.0.0.5", "a.b.corp.example")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("10.0.0.5", "corp.example"))).toBe("private");
    expect(refusedRule(open.checkAddress("10.0.0.5", "evilcorp.example"))).toBe("private");
    expect(refusedRule(open.checkAddress("10.0.0.5", "a.corp.example.evil.test"))).toBe("private");
  });

  it("an internationalized hostname is matched in its ASCII form", () => {
    const open = createEgressPolicy(["bücher.example"]);
    expect(open.checkAddress("10.0.0.5", new URL("http://BÜCHER.example/").hostname)).toEqual({ allowed: true });
  });

  it("an IPv4 address opens exactly that address, in whatever encoding it is written", () => {
    const open = createEgressPolicy(["10.0.0.5", "127.1"]);
    expect(open.checkAddress("10.0.0.5", "10.0.0.5")).toEqual({ allowed: true });
    expect(open.checkAddress("10.0.0.5", "service.internal")).toEqual({ allowed: true });
    expect(open.checkAddress("127.0.0.1", "127.0.0.1")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("10.0.0.6", "10.0.0.6"))).toBe("private");
    expect(open.checkUrlAtSchedule(new URL("http://0x7f000001/"))).toEqual({ allowed: true });
  });

  it("an IPv6 address, bare or bracketed", () => {
    const open = createEgressPolicy(["[::1]", "fd00:ec2::254"]);
    expect(open.checkAddress("::1", "::1")).toEqual({ allowed: true });
    expect(open.checkAddress("0:0:0:0:0:0:0:1", "localhost")).toEqual({ allowed: true });
    expect(open.checkAddress("fd00:ec2::254", "fd00:ec2::254")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("fd00:ec2::253", "fd00:ec2::253"))).toBe("unique-local");
  });

  it("an IPv4 CIDR", () => {
    const open = createEgressPolicy(["10.1.0.0/16"]);
    expect(open.checkAddress("10.1.255.255", "10.1.255.255")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("10.2.0.1", "10.2.0.1"))).toBe("private");
    expect(open.checkUrlAtSchedule(new URL("http://10.1.2.3/"))).toEqual({ allowed: true });
  });

  it("an IPv6 CIDR", () => {
    const open = createEgressPolicy(["fd00:1234::/32"]);
    expect(open.checkAddress("fd00:1234:ffff::5", "fd00:1234:ffff::5")).toEqual({ allowed: true });
    expect(refusedRule(open.checkAddress("fd00:1235::5", "fd00:1235::5"))).toBe("unique-local");
    expect(refusedRule(open.checkAddress("10.0.0.1", "10.0.0.1"))).toBe("private");
  });

  it("0.0.0.0/0 and ::/0 open everything", () => {
    const open = createEgressPolicy(["0.0.0.0/0", "::/0"]);
    for (const ip of ["127.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254", "::ffff:10.0.0.1"]) {
      expect(open.checkAddress(ip, ip)).toEqual({ allowed: true });
    }
  });

  it("ignores blank entries", () => {
    expect(() => createEgressPolicy(["", "  ", "10.0.0.1"])).not.toThrow();
    expect(() => createEgressPolicy(" a.example , ,10.0.0.0/8 ,".split(","))).not.toThrow();
  });

  it.each([
    "http://example.com",
    "example.com:8080",
    "example.com/path",
    "10.0.0.0/33",
    "10.0.0.0/x",
    "10.0.0.0/",
    "10.0.0.1/8/2",
    "0x0a000000/8",
    "fd00::/129",
    "::gg",
    "fe80::1%eth0",
    "*",
    "*.10.0.0.1",
    "*.*.example",
    "exa mple.com",
    "a..b",
    "-bad-.example",
    "999.1.1.1",
    "user@example.com",
  ])("refuses the entry %j with an error naming it", (entry) => {
    expect(() => createEgressPolicy(["ok.example", entry])).toThrow(/^HOURGLASS_ALLOWED_TARGETS: ".*" .*expected comma-separated hostnames/);
    expect(() => createEgressPolicy([entry])).toThrow(entry.trim());
  });
});

describe("the port policy", () => {
  it("HOURGLASS_ALLOWED_PORTS defaults to 80, 443 and the unprivileged ports, and refuses a bad entry at start-up", async () => {
    const { loadConfig, ConfigError } = await import("../../src/config.js");
    expect(loadConfig({}).allowedPorts).toEqual(["80", "443", "1024-65535"]);
    expect(loadConfig({ HOURGLASS_ALLOWED_PORTS: " 443 , 8000-9000 " }).allowedPorts).toEqual(["443", "8000-9000"]);
    for (const bad of ["0", "65536", "90-80", "http", "80-"]) {
      expect(() => loadConfig({ HOURGLASS_ALLOWED_PORTS: bad })).toThrow(ConfigError);
    }
  });

  it("judges a URL's explicit port, or its scheme's default", () => {
    const policy = createEgressPolicy([], ["443", "8000-8999"]);
    expect(policy.checkUrlAtSchedule(new URL("https://example.com/")).allowed).toBe(true);
    expect(policy.checkUrlAtSchedule(new URL("http://example.com:8080/")).allowed).toBe(true);
    expect(policy.checkUrlAtSchedule(new URL("http://example.com/"))).toMatchObject({ allowed: false, rule: "port" });
    expect(policy.checkUrlAtSchedule(new URL("https://example.com:9000/"))).toMatchObject({ allowed: false, rule: "port" });
    // Without a port list every port is allowed (the policy of tests and tools that build one).
    expect(createEgressPolicy([]).checkPort(25).allowed).toBe(true);
  });
});
