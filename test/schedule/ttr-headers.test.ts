import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { KNOWN_TTR_HEADERS, parseCancelHeaders, parseScheduleHeaders } from "../../src/schedule/ttr-headers.js";

const NOW = Date.parse("2026-03-28T09:00:00.000Z");
const DEFAULTS = { retries: 3, retryDelayMs: 10_000, timeoutMs: 30_000 };
const CTX = { now: NOW, defaults: DEFAULTS };
const DEFAULT_DELIVERY = { ...DEFAULTS, callbackUrl: null, failureUrl: null, successStatus: null, retryOn: null, flowKey: null };
const ULID = "01HZY3J5W9M8Q2R4T6V8X0Z2B4";

function headers(extra: Record<string, string | string[]> = {}): Map<string, string[]> {
  const all: Record<string, string | string[]> = {
    "ttr-api-key": "key",
    "ttr-url": "https://example.com/hook?x=1",
    "ttr-scheduled-at": "now | add 10s",
    ...extra,
  };
  return new Map(Object.entries(all).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));
}

function without(map: Map<string, string[]>, name: string): Map<string, string[]> {
  map.delete(name);
  return map;
}

function failure(ttr: Map<string, string[]>): InvalidInputError {
  try {
    parseScheduleHeaders(ttr, CTX);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error("expected the headers to be refused");
}

describe("parseScheduleHeaders", () => {
  it("parses the minimal request with defaults", () => {
    expect(parseScheduleHeaders(headers(), CTX)).toEqual({
      when: { kind: "once", at: NOW + 10_000 },
      url: "https://example.com/hook?x=1",
      customKey: null,
      triggerId: null,
      title: null,
      tags: [],
      runMissed: "once",
      overlap: "allow",
      endsAt: null,
      maxRuns: null,
      delivery: DEFAULT_DELIVERY,
      flowLimits: null,
      urls: [{ header: "ttr-url", url: new URL("https://example.com/hook?x=1") }],
    });
  });

  it("parses the delivery policy: retries, durations with units, callback URLs, overlap", () => {
    const spec = parseScheduleHeaders(
      headers({
        "ttr-scheduled-at": "cron(@hourly)",
        "ttr-retries": "0",
        "ttr-retry-delay": "500ms",
        "ttr-timeout": "2m",
        "ttr-callback-url": "https://cb.example/done",
        "ttr-failure-url": "https://cb.example/failed",
        "ttr-overlap": "SKIP",
        "ttr-success-status": " 2XX, 409 ,2xx",
        "ttr-retry-on": "Network,429,5xx",
      }),
      CTX,
    );
    expect(spec.delivery).toEqual({
      retries: 0,
      retryDelayMs: 500,
      timeoutMs: 120_000,
      callbackUrl: "https://cb.example/done",
      failureUrl: "https://cb.example/failed",
      successStatus: "2xx,409",
      retryOn: "network,429,5xx",
      flowKey: null,
    });
    expect(spec.urls).toEqual([
      { header: "ttr-url", url: new URL("https://example.com/hook?x=1") },
      { header: "ttr-callback-url", url: new URL("https://cb.example/done") },
      { header: "ttr-failure-url", url: new URL("https://cb.example/failed") },
    ]);
    expect(spec.overlap).toBe("skip");
    const cancelling = parseScheduleHeaders(
      new Map([["ttr-url", ["https://example.com/"]], ["ttr-scheduled-at", ["cron(@daily)"]], ["ttr-overlap", ["Cancel-Previous"]]]),
      { now: NOW, defaults: DEFAULTS },
    );
    expect(cancelling.overlap).toBe("cancel-previous");
    expect(parseScheduleHeaders(headers({ "ttr-retry-delay": "15", "ttr-timeout": "15m" }), CTX).delivery).toMatchObject({
      retryDelayMs: 15_000,
      timeoutMs: 15 * 60_000,
    });
  });

  it("judges a URL seen before like a new one: its href, under each header's own name; a refused one stays refused", () => {
    const same = "HTTPS://Example.com:443/a/../hook";
    for (let i = 0; i < 3; i++) {
      const spec = parseScheduleHeaders(headers({ "ttr-url": same, "ttr-callback-url": same, "ttr-failure-url": same }), CTX);
      expect(spec.url).toBe("https://example.com/hook");
      expect(spec.delivery.callbackUrl).toBe("https://example.com/hook");
      expect(spec.urls.map((u) => [u.header, u.url.href])).toEqual([
        ["ttr-url", "https://example.com/hook"],
        ["ttr-callback-url", "https://example.com/hook"],
        ["ttr-failure-url", "https://example.com/hook"],
      ]);
    }
    for (let i = 0; i < 2; i++) {
      expect(failure(headers({ "ttr-url": "https://user:pw@example.com/" })).message).toMatch(/ttr-url .*credentials/);
      expect(failure(headers({ "ttr-callback-url": "https://user:pw@example.com/" })).message).toMatch(/ttr-callback-url .*credentials/);
    }
    // Many more distinct URLs than are remembered: each still parses to its own href.
    for (let i = 0; i < 1500; i++) {
      expect(parseScheduleHeaders(headers({ "ttr-url": `https://example.com/${i}` }), CTX).url).toBe(`https://example.com/${i}`);
    }
    expect(parseScheduleHeaders(headers({ "ttr-url": same }), CTX).url).toBe("https://example.com/hook");
  });

  it("parses every optional header", () => {
    const spec = parseScheduleHeaders(
      headers({
        "ttr-scheduled-at": "cron(0 9 * * 1-5)",
        "ttr-timezone": "Europe/Paris",
        "ttr-custom-key": " order-42 ",
        "ttr-trigger-id": ULID.toLowerCase(),
        "ttr-title": "Morning report",
        "ttr-tags": " a, b ,, a,c ",
        "ttr-run-missed": "ALL",
        "ttr-ends-at": "2026-12-31T23:59",
        "ttr-max-runs": "100",
      }),
      CTX,
    );
    expect(spec).toEqual({
      when: { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Paris" },
      url: "https://example.com/hook?x=1",
      customKey: "order-42",
      triggerId: ULID,
      title: "Morning report",
      tags: ["a", "b", "c"],
      runMissed: "all",
      overlap: "allow",
      // A wall time in ttr-timezone, as for ttr-scheduled-at.
      endsAt: Date.UTC(2026, 11, 31, 22, 59),
      maxRuns: 100,
      delivery: DEFAULT_DELIVERY,
      flowLimits: null,
      urls: [{ header: "ttr-url", url: new URL("https://example.com/hook?x=1") }],
    });
  });

  it("parses flow control: a limit without a key names the target's origin; a key alone sets no limit", () => {
    const limited = parseScheduleHeaders(headers({ "ttr-flow-parallelism": "2", "ttr-flow-rate": "10000" }), CTX);
    expect([limited.delivery.flowKey, limited.flowLimits]).toEqual(["https://example.com", { parallelism: 2, rate: 10_000 }]);
    const keyed = parseScheduleHeaders(headers({ "ttr-flow-key": "partner", "ttr-flow-rate": "5" }), CTX);
    expect([keyed.delivery.flowKey, keyed.flowLimits]).toEqual(["partner", { parallelism: null, rate: 5 }]);
    const alone = parseScheduleHeaders(headers({ "ttr-flow-key": "partner" }), CTX);
    expect([alone.delivery.flowKey, alone.flowLimits]).toEqual(["partner", null]);
  });

  it("uses ttr-timezone for an offset-less time", () => {
    const spec = parseScheduleHeaders(
      headers({ "ttr-scheduled-at": "2026-03-29T02:30:00", "ttr-timezone": "Europe/Paris" }),
      CTX,
    );
    expect(spec.when).toEqual({ kind: "once", at: Date.parse("2026-03-29T01:30:00Z") });
  });

  it("normalizes the URL with WHATWG URL", () => {
    expect(parseScheduleHeaders(headers({ "ttr-url": "HTTP://Example.COM" }), CTX).url).toBe("http://example.com/");
  });

  it("accepts 20 tags of 64 characters and an empty title as none", () => {
    const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(64, "x"));
    const spec = parseScheduleHeaders(headers({ "ttr-tags": tags.join(","), "ttr-title": "" }), CTX);
    expect(spec.tags).toEqual(tags);
    expect(spec.title).toBeNull();
  });

  it("lists every protocol header as known", () => {
    expect(KNOWN_TTR_HEADERS).toEqual(
      expect.arrayContaining(["ttr-api-key", "ttr-url", "ttr-scheduled-at", "ttr-run-missed", "ttr-retries", "ttr-failure-url"]),
    );
  });
});

describe("parseScheduleHeaders errors", () => {
  it.each<[string, Map<string, string[]>, string, RegExp]>([
    ["unknown header", headers({ "ttr-custom-id": "x" }), "unknown_ttr_header", /ttr-custom-id.*ttr-custom-key/],
    ["duplicate header", headers({ "ttr-custom-key": ["a", "b"] }), "duplicate_ttr_header", /ttr-custom-key/],
    ["retries above 20", headers({ "ttr-retries": "21" }), "invalid_retries", /0 to 20/],
    ["negative retries", headers({ "ttr-retries": "-1" }), "invalid_retries", /"-1"/],
    ["retry delay unit", headers({ "ttr-retry-delay": "10 fortnights" }), "invalid_retry_delay", /500ms, 10s, 5m or 1h/],
    ["retry delay too long", headers({ "ttr-retry-delay": "2h" }), "invalid_retry_delay", /60 min/],
    ["timeout too short", headers({ "ttr-timeout": "10ms" }), "invalid_timeout", /100 ms/],
    ["timeout too long", headers({ "ttr-timeout": "16m" }), "invalid_timeout", /15 min/],
    ["callback URL", headers({ "ttr-callback-url": "ftp://a.example" }), "invalid_url", /ttr-callback-url/],
    ["failure URL", headers({ "ttr-failure-url": "not a url" }), "invalid_url", /ttr-failure-url/],
    ["overlap on a one-shot", headers({ "ttr-overlap": "skip" }), "invalid_overlap", /cron\(…\) schedules only/],
    ["bad overlap", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-overlap": "never" }), "invalid_overlap", /"never"/],
    ["missing ttr-url", without(headers(), "ttr-url"), "missing_header", /ttr-url is required/],
    ["missing ttr-scheduled-at", without(headers(), "ttr-scheduled-at"), "missing_header", /ttr-scheduled-at is required/],
    ["relative URL", headers({ "ttr-url": "/hook" }), "invalid_url", /not an absolute URL/],
    ["ftp URL", headers({ "ttr-url": "ftp://example.com/x" }), "invalid_url", /http: or https:/],
    ["userinfo", headers({ "ttr-url": "https://user:pw@example.com/" }), "invalid_url", /credentials/],
    ["empty userinfo", headers({ "ttr-url": "https://@example.com/" }), "invalid_url", /credentials/],
    ["long URL", headers({ "ttr-url": `https://example.com/${"a".repeat(2048)}` }), "invalid_url", /2048/],
    ["empty custom key", headers({ "ttr-custom-key": "" }), "invalid_custom_key", /1 to 256/],
    ["long custom key", headers({ "ttr-custom-key": "k".repeat(257) }), "invalid_custom_key", /257/],
    ["non-printable custom key", headers({ "ttr-custom-key": "a\tb" }), "invalid_custom_key", /printable/],
    ["bad trigger id", headers({ "ttr-trigger-id": "not-a-ulid" }), "invalid_trigger_id", /"not-a-ulid"/],
    ["trigger id with I", headers({ "ttr-trigger-id": "01HZY3J5W9M8Q2R4T6V8X0Z2BI" }), "invalid_trigger_id", /ULID/],
    ["trigger id overflow", headers({ "ttr-trigger-id": "81HZY3J5W9M8Q2R4T6V8X0Z2B4" }), "invalid_trigger_id", /ULID/],
    ["bad timezone", headers({ "ttr-timezone": "Paris" }), "invalid_timezone", /"Paris"/],
    ["long title", headers({ "ttr-title": "t".repeat(201) }), "invalid_title", /200/],
    ["long tag", headers({ "ttr-tags": `ok,${"t".repeat(65)}` }), "invalid_tags", /64/],
    ["too many tags", headers({ "ttr-tags": Array.from({ length: 21 }, (_, i) => `t${i}`).join(",") }), "invalid_tags", /21 distinct/],
    ["bad run-missed", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-run-missed": "sometimes" }), "invalid_run_missed", /"sometimes"/],
    ["run-missed on a one-shot", headers({ "ttr-run-missed": "skip" }), "invalid_run_missed", /cron\(…\) schedules only/],
    ["bad scheduled-at", headers({ "ttr-scheduled-at": "tomorrow" }), "invalid_scheduled_at", /"tomorrow"/],
    ["bad cron", headers({ "ttr-scheduled-at": "cron(0 0 30 2 *)" }), "cron_never_fires", /never/],
    ["ends-at on a one-shot", headers({ "ttr-ends-at": "now | add 1d" }), "invalid_ends_at", /cron\(…\) schedules only/],
    ["max-runs on a one-shot", headers({ "ttr-max-runs": "3" }), "invalid_max_runs", /cron\(…\) schedules only/],
    ["bad ends-at", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-ends-at": "next week" }), "invalid_ends_at", /ttr-ends-at .*"next week"/],
    ["cron ends-at", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-ends-at": "cron(@weekly)" }), "invalid_ends_at", /not cron/],
    ["zero max-runs", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-max-runs": "0" }), "invalid_max_runs", /1 to 1000000000/],
    ["fractional max-runs", headers({ "ttr-scheduled-at": "cron(@daily)", "ttr-max-runs": "2.5" }), "invalid_max_runs", /"2.5"/],
    ["success status out of range", headers({ "ttr-success-status": "2xx,600" }), "invalid_success_status", /"600".*200 to 599/],
    ["success status 1xx", headers({ "ttr-success-status": "1xx" }), "invalid_success_status", /"1xx"/],
    ["network as success", headers({ "ttr-success-status": "network" }), "invalid_success_status", /"network"/],
    ["empty success status", headers({ "ttr-success-status": "" }), "invalid_success_status", /empty item/],
    ["success status list gap", headers({ "ttr-success-status": "2xx,,409" }), "invalid_success_status", /empty item/],
    ["retry-on word", headers({ "ttr-retry-on": "5xx,timeouts" }), "invalid_retry_on", /"timeouts".*network/],
    ["retry-on range", headers({ "ttr-retry-on": "500-599" }), "invalid_retry_on", /"500-599"/],
    ["retry-on too long", headers({ "ttr-retry-on": "500,".repeat(60) }), "invalid_retry_on", /200 characters/],
  ])("%s", (_, ttr, code, message) => {
    const error = failure(ttr);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it("reports an unknown header before anything else", () => {
    expect(failure(without(headers({ "ttr-retries": "1", "ttr-typo": "x" }), "ttr-url")).code).toBe("unknown_ttr_header");
  });
});

describe("parseCancelHeaders", () => {
  const map = (entries: Record<string, string>): Map<string, string[]> =>
    new Map(Object.entries(entries).map(([name, value]) => [name, [value]]));

  it("takes exactly one of trigger id and custom key", () => {
    expect(parseCancelHeaders(map({ "ttr-api-key": "k", "ttr-trigger-id": ULID.toLowerCase() }))).toEqual({ triggerId: ULID, customKey: null });
    expect(parseCancelHeaders(map({ "ttr-custom-key": "order-42" }))).toEqual({ triggerId: null, customKey: "order-42" });
  });

  it.each<[Record<string, string>, string]>([
    [{ "ttr-api-key": "k" }, "missing_header"],
    [{ "ttr-trigger-id": ULID, "ttr-custom-key": "x" }, "ambiguous_cancel"],
    [{ "ttr-trigger-id": "nope" }, "invalid_trigger_id"],
    [{ "ttr-custom-key": "x", "ttr-bogus": "1" }, "unknown_ttr_header"],
  ])("%o → %s", (entries, code) => {
    expect(() => parseCancelHeaders(map(entries))).toThrow(expect.objectContaining({ code }));
  });
});
