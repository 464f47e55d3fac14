import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import ipaddr from "ipaddr.js";
import { BoundedCache } from "../bounded-cache.js";

/**
 * The egress policy: which addresses Hourglass may send requests to. Pure: no DNS, no sockets.
 * The socket-level enforcement that uses it lives in `guarded-lookup.ts`.
 */

/** Whether a target may be contacted; a refusal names the rule and says how to open it. */
export type EgressDecision = Readonly<{ allowed: true } | { allowed: false; rule: string; message: string }>;

/** Decides, for a URL at schedule time and for each address at connect time, whether egress is allowed. */
export interface EgressPolicy {
  /**
   * Judges `ip`, an address about to be connected to. `hostname` is the name it was resolved
   * from (the IP itself for a literal), matched against hostname entries of the allow-list and
   * quoted in the message.
   */
  checkAddress(ip: string, hostname: string): EgressDecision;
  /**
   * Judges a target URL without DNS: literal IPs and `localhost` / `*.localhost` are decided
   * here; any other hostname passes and is judged on the socket when it is fired.
   */
  checkUrlAtSchedule(url: Readonly<URL>): EgressDecision;
  /** Judges a destination port (a URL's explicit port, or its scheme's default). */
  checkPort(port: number): EgressDecision;
}

/** The rule a port outside the allowed ports is refused by. */
export const PORT_RULE = "port";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

interface RefusedRange {
  rule: string;
  label: string;
  cidr: Cidr;
}

const MAX_REMEMBERED_DECISIONS = 4096;
const ALLOW_HINT = "comma-separated hostnames, *.suffixes, IPs and CIDRs";

function range(rule: string, label: string, cidr: string): RefusedRange {
  return { rule, label, cidr: ipaddr.parseCIDR(cidr) };
}

/* First match wins, so the narrow ranges come before the ranges that contain them. */
const REFUSED_V4: readonly RefusedRange[] = [
  range("cloud-metadata", "the cloud instance metadata service", "169.254.169.254/32"),
  range("broadcast", "the limited broadcast address", "255.255.255.255/32"),
  range("unspecified", "the unspecified address", "0.0.0.0/32"),
  range("reserved", "\"this network\"", "0.0.0.0/8"),
  range("private", "a private network of RFC 1918", "10.0.0.0/8"),
  range("cgnat", "the carrier-grade NAT shared space of RFC 6598", "100.64.0.0/10"),
  range("loopback", "loopback", "127.0.0.0/8"),
  range("link-local", "link-local", "169.254.0.0/16"),
  range("private", "a private network of RFC 1918", "172.16.0.0/12"),
  range("reserved", "the IETF protocol assignments block", "192.0.0.0/24"),
  range("documentation", "documentation block TEST-NET-1", "192.0.2.0/24"),
  range("reserved", "the deprecated 6to4 relay anycast block", "192.88.99.0/24"),
  range("private", "a private network of RFC 1918", "192.168.0.0/16"),
  range("benchmarking", "the benchmarking block of RFC 2544", "198.18.0.0/15"),
  range("documentation", "documentation block TEST-NET-2", "198.51.100.0/24"),
  range("documentation", "documentation block TEST-NET-3", "203.0.113.0/24"),
  range("multicast", "multicast", "224.0.0.0/4"),
  range("reserved", "the reserved class E block", "240.0.0.0/4"),
];

/* Checked after the forms that embed an IPv4 address have been unwrapped. */
const REFUSED_V6: readonly RefusedRange[] = [
  range("unspecified", "the unspecified address", "::/128"),
  range("loopback", "loopback", "::1/128"),
  range("cloud-metadata", "the cloud instance metadata service", "fd00:ec2::254/128"),
  range("unique-local", "a unique local address", "fc00::/7"),
  range("link-local", "link-local", "fe80::/10"),
  range("site-local", "a deprecated site-local address", "fec0::/10"),
  range("multicast", "multicast", "ff00::/8"),
  range("nat64-local", "a local-use NAT64 prefix of RFC 8215", "64:ff9b:1::/48"),
  range("reserved", "the discard-only block", "100::/64"),
  range("benchmarking", "the benchmarking block of RFC 5180", "2001:2::/48"),
  range("reserved", "an ORCHID block", "2001:10::/28"),
  range("reserved", "an ORCHID block", "2001:20::/28"),
  range("documentation", "a documentation block", "2001:db8::/32"),
  range("documentation", "a documentation block", "3fff::/20"),
];

const GLOBAL_UNICAST_V6: Cidr = ipaddr.parseCIDR("2000::/3");

/** IPv6 forms that carry an IPv4 address, and where it sits. */
const EMBEDDING_FORMS: readonly { form: string; cidr: Cidr; extract: (parts: number[]) => number[] }[] = [
  { form: "IPv4-mapped", cidr: ipaddr.parseCIDR("::ffff:0:0/96"), extract: (p) => words(p[6], p[7]) },
  { form: "IPv4-compatible", cidr: ipaddr.parseCIDR("::/96"), extract: (p) => words(p[6], p[7]) },
  { form: "IPv4-translated (SIIT)", cidr: ipaddr.parseCIDR("::ffff:0:0:0/96"), extract: (p) => words(p[6], p[7]) },
  { form: "NAT64", cidr: ipaddr.parseCIDR("64:ff9b::/96"), extract: (p) => words(p[6], p[7]) },
  { form: "6to4", cidr: ipaddr.parseCIDR("2002::/16"), extract: (p) => words(p[1], p[2]) },
  // The Teredo client address is stored inverted in the last 32 bits; packets go there.
  { form: "Teredo", cidr: ipaddr.parseCIDR("2001::/32"), extract: (p) => words(~(p[6] ?? 0), ~(p[7] ?? 0)) },
];

function words(high: number | undefined, low: number | undefined): number[] {
  const h = (high ?? 0) & 0xffff;
  const l = (low ?? 0) & 0xffff;
  return [h >> 8, h & 0xff, l >> 8, l & 0xff];
}

interface Embedded {
  form: string;
  v4: ipaddr.IPv4;
}

function embeddedIPv4(address: ipaddr.IPv6): Embedded | null {
  const parts = address.parts;
  // :: and ::1 are themselves, not IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
  if (parts.slice(0, 7).every((p) => p === 0) && (parts[7] ?? 0) <= 1) return null;
  for (const { form, cidr, extract } of EMBEDDING_FORMS) {
    if (address.match(cidr)) return { form, v4: new ipaddr.IPv4(extract(parts)) };
  }
  return null;
}

interface Refusal {
  rule: string;
  label: string;
  cidr: string;
}

function describeCidr([address, bits]: Cidr): string {
  return `${address.toString()}/${bits}`;
}

function refusedByTable(address: Address, table: readonly RefusedRange[]): Refusal | null {
  for (const entry of table) {
    if (entry.cidr[0].kind() === address.kind() && address.match(entry.cidr)) {
      return { rule: entry.rule, label: entry.label, cidr: describeCidr(entry.cidr) };
    }
  }
  return null;
}

/* An IPv6 address outside every table entry is still refused unless it is global unicast. */
function refusedV6(address: ipaddr.IPv6): Refusal | null {
  const listed = refusedByTable(address, REFUSED_V6);
  if (listed !== null) return listed;
  if (!address.match(GLOBAL_UNICAST_V6)) {
    return { rule: "reserved", label: "outside global unicast space", cidr: "2000::/3" };
  }
  return null;
}

type AllowEntry = { kind: "host"; name: string } | { kind: "suffix"; suffix: string } | { kind: "cidr"; cidr: Cidr };

/**
 * Parses one `HOURGLASS_ALLOWED_TARGETS` entry: a hostname (`api.internal`), a subdomain
 * wildcard (`*.internal.example`, which does not include `internal.example` itself), an IP
 * (`10.0.0.5`, `fd00::5`, `[fd00::5]`) or a CIDR (`10.0.0.0/8`, `fd00::/8`). An IPv4-mapped
 * IPv6 entry is read as the IPv4 address or range it maps.
 */
function parseAllowEntry(raw: string, setting = "HOURGLASS_ALLOWED_TARGETS"): AllowEntry {
  const entry = raw.trim().toLowerCase();
  const invalid = (why: string): Error =>
    new Error(`${setting}: "${raw.trim()}" ${why} (expected ${ALLOW_HINT}, e.g. api.internal,*.corp.example,10.0.0.5,10.1.0.0/16,fd00::/8)`);

  if (entry.includes("/")) {
    const slash = entry.indexOf("/");
    const unbracketed = stripBrackets(entry.slice(0, slash));
    const bits = entry.slice(slash + 1);
    const v4 = ipaddr.IPv4.isValidFourPartDecimal(unbracketed);
    if (!(v4 || ipaddr.IPv6.isValid(unbracketed)) || !/^\d{1,3}$/.test(bits)) throw invalid("is not a valid CIDR");
    const cidr = `${unbracketed}/${bits}`;
    if (!ipaddr.isValidCIDR(cidr)) throw invalid("has a prefix length out of range");
    return { kind: "cidr", cidr: normalizeCidr(ipaddr.parseCIDR(cidr)) };
  }
  const unbracketed = stripBrackets(entry);
  if (unbracketed.includes(":")) {
    if (!ipaddr.IPv6.isValid(unbracketed) || unbracketed.includes("%")) throw invalid("is not a valid IPv6 address (no scheme, port or zone)");
    return { kind: "cidr", cidr: normalizeCidr([ipaddr.IPv6.parse(unbracketed), 128]) };
  }

  const wildcard = entry.startsWith("*.");
  const name = normalizeHostname(domainToASCII(wildcard ? entry.slice(2) : entry));
  if (name === "" || entry === "*") throw invalid("is not a hostname, IP or CIDR; to allow every address use 0.0.0.0/0,::/0");
  // The WHATWG host parser turns 127.1, 0x7f000001, 2130706433 … into the dotted IPv4 address.
  if (isIP(name) === 4) {
    if (wildcard) throw invalid("puts a wildcard on an IP address");
    return { kind: "cidr", cidr: [ipaddr.IPv4.parse(name), 32] };
  }
  if (name.length > 253 || !name.split(".").every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) {
    throw invalid("is not a valid hostname");
  }
  return wildcard ? { kind: "suffix", suffix: `.${name}` } : { kind: "host", name };
}

function normalizeCidr([address, bits]: Cidr): Cidr {
  if (address.kind() === "ipv6" && bits >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** Lower case, IDNA already applied by the URL parser, at most one trailing dot dropped. */
function normalizeHostname(hostname: string): string {
  const lower = stripBrackets(hostname).toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

type PortRange = readonly [number, number];

/** Parses one allowed-ports entry: a port (`443`) or an inclusive range (`1024-65535`). */
function parsePortEntry(raw: string, setting: string): PortRange {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw.trim());
  const low = Number(match?.[1]);
  const high = match?.[2] === undefined ? low : Number(match[2]);
  if (match === null || low < 1 || high > 65_535 || low > high) {
    throw new Error(`${setting}: "${raw.trim()}" is not a port or a range of ports (expected comma-separated ports 1-65535 and ranges, e.g. 80,443,1024-65535)`);
  }
  return [low, high];
}

/** Throws an Error naming the first entry of `entries` that is not an allowed-targets entry, prefixed with `setting`. */
export function validateAllowedTargets(entries: readonly string[], setting: string): void {
  for (const raw of entries) if (raw.trim() !== "") parseAllowEntry(raw, setting);
}

/** Throws an Error naming the first entry of `entries` that is not a port or a range of ports, prefixed with `setting`. */
export function validateAllowedPorts(entries: readonly string[], setting: string): void {
  for (const raw of entries) if (raw.trim() !== "") parsePortEntry(raw, setting);
}

const DEFAULT_PORT: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

/**
 * Builds the policy from the `HOURGLASS_ALLOWED_TARGETS` entries and, when given, the
 * `HOURGLASS_ALLOWED_PORTS` entries (without them every port is allowed); blank entries are
 * ignored. Throws an Error naming the first entry that is not a hostname, `*.suffix`, IP or
 * CIDR, or not a port or range.
 */
export function createEgressPolicy(allowed: readonly string[], allowedPorts?: readonly string[]): EgressPolicy {
  const entries = allowed.filter((raw) => raw.trim() !== "").map((raw) => parseAllowEntry(raw));
  const portRanges = allowedPorts?.filter((raw) => raw.trim() !== "").map((raw) => parsePortEntry(raw, "HOURGLASS_ALLOWED_PORTS")) ?? null;
  const hosts = new Set(entries.flatMap((e) => (e.kind === "host" ? [e.name] : [])));
  const suffixes = entries.flatMap((e) => (e.kind === "suffix" ? [e.suffix] : []));
  const cidrs = entries.flatMap((e) => (e.kind === "cidr" ? [e.cidr] : []));

  const hostAllowed = (hostname: string): boolean => {
    const name = normalizeHostname(hostname);
    return hosts.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };
  const addressAllowed = (address: Address): boolean =>
    cidrs.some((cidr) => cidr[0].kind() === address.kind() && address.match(cidr));

  // A decision depends only on (ip, hostname) and this policy, and the same few targets come
  // back on every /schedule and delivery: decisions are remembered (parsing the address and
  // walking the tables was ≈ 2% of a /schedule).
  const decided = new BoundedCache<string, EgressDecision>(MAX_REMEMBERED_DECISIONS);
  function checkAddress(ip: string, hostname: string): EgressDecision {
    const key = `${ip} ${hostname}`; // neither holds a space
    let decision = decided.get(key);
    if (decision === undefined) {
      decision = judgeAddress(ip, hostname);
      decided.set(key, decision);
    }
    return decision;
  }

  function judgeAddress(ip: string, hostname: string): EgressDecision {
    if (hostAllowed(hostname)) return { allowed: true };
    const text = stripBrackets(ip);
    if (isIP(text) === 0 || !ipaddr.isValid(text)) {
      return refuse("invalid-address", `"${ip}" is not an IP address, so egress to it is refused`);
    }
    const address = ipaddr.parse(text);
    if (addressAllowed(address)) return { allowed: true };
    // Zone ids (fe80::1%eth0) have no place in the allow-list, so none in the suggestion.
    const plain = text.split("%")[0]!;

    const isName = isIP(stripBrackets(hostname)) === 0 && hostname !== "";
    const subject = isName ? `${hostname} resolves to ${address.toString()}, which` : address.toString();
    const suggestion = (v4: string): string =>
      isName
        ? `to allow it, set HOURGLASS_ALLOWED_TARGETS=${normalizeHostname(hostname)} (or the address ${v4}; ${ALLOW_HINT})`
        : `to allow it, set HOURGLASS_ALLOWED_TARGETS=${v4} (${ALLOW_HINT})`;

    if (address.kind() === "ipv4") {
      const refusal = refusedByTable(address, REFUSED_V4);
      if (refusal === null) return { allowed: true };
      return refuse(refusal.rule, `${subject} is ${refusal.label} (${refusal.cidr}), refused by the egress rule "${refusal.rule}"; ${suggestion(address.toString())}`);
    }

    const v6 = address as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    if (embedded !== null) {
      if (addressAllowed(embedded.v4)) return { allowed: true };
      const refusal = refusedByTable(embedded.v4, REFUSED_V4);
      if (refusal === null) return { allowed: true };
      const v4 = embedded.v4.toString();
      return refuse(
        refusal.rule,
        `${subject} is the ${embedded.form} form of ${v4}, ${refusal.label} (${refusal.cidr}), refused by the egress rule "${refusal.rule}"; ${suggestion(v4)}`,
      );
    }
    const refusal = refusedV6(v6);
    if (refusal === null) return { allowed: true };
    return refuse(refusal.rule, `${subject} is ${refusal.label} (${refusal.cidr}), refused by the egress rule "${refusal.rule}"; ${suggestion(ipaddr.parse(plain).toString())}`);
  }

  function checkPort(port: number): EgressDecision {
    if (portRanges === null || portRanges.some(([low, high]) => port >= low && port <= high)) return { allowed: true };
    const ranges = portRanges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(",") || "none";
    return refuse(
      PORT_RULE,
      `port ${port} is not an allowed port (${ranges}), refused by the egress rule "${PORT_RULE}"; to allow it, add it to HOURGLASS_ALLOWED_PORTS or the project's allowedPorts`,
    );
  }

  function checkUrlAtSchedule(url: Readonly<URL>): EgressDecision {
    const hostname = normalizeHostname(url.hostname);
    if (hostname === "") return refuse("invalid-address", `${url.protocol} URLs name no host, so egress to them is refused`);
    const port = url.port === "" ? DEFAULT_PORT[url.protocol] : Number(url.port);
    if (port !== undefined) {
      const decision = checkPort(port);
      if (!decision.allowed) return decision;
    }
    if (isIP(hostname) !== 0) return checkAddress(hostname, hostname);
    if (hostAllowed(hostname)) return { allowed: true };
    if (hostname === "localhost" || hostname.endsWith(".localhost")) {
      // localhost is loopback by definition (RFC 6761): judge both loopback addresses now.
      for (const loopback of ["127.0.0.1", "::1"]) {
        const decision = checkAddress(loopback, hostname);
        if (!decision.allowed) return decision;
      }
    }
    return { allowed: true };
  }

  return { checkAddress, checkUrlAtSchedule, checkPort };
}

function refuse(rule: string, message: string): EgressDecision {
  return { allowed: false, rule, message };
}
