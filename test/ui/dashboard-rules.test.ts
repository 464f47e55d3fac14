import { describe, expect, it } from "vitest";
import { activityByMinute } from "../../src/ui/activity.js";
import { HealthPage } from "../../src/ui/pages/health.js";
import { formatDuration, hexDump, previewBody } from "../../src/ui/format.js";
import { isSameOrigin } from "../../src/ui/security.js";
import { createSessionCodec } from "../../src/ui/session.js";
import type { FireTime } from "../../src/schedule/dst-preview.js";
import { dstNote, nextFires } from "../../src/ui/fire-times.js";
import { firesBetween, firesPerHour, zonedWall } from "../../src/ui/timeline.js";
import type { GeneratorRecord } from "../../src/store/types.js";

const T0 = Date.UTC(2026, 2, 28, 12, 0, 30);

describe("dashboard rules (pure)", () => {
  it("previews UTF-8 text as text and anything else as a hex dump, cut at the limit", () => {
    expect(previewBody(null, 10)).toEqual({ kind: "none" });
    expect(previewBody(new TextEncoder().encode('{"a":"é"}\n'), 100)).toEqual({ kind: "text", size: 11, text: '{"a":"é"}\n', truncated: false });
    expect(previewBody(new Uint8Array([0x41, 0x00]), 100)).toMatchObject({ kind: "binary", lines: ["00000000  41 00" + " ".repeat(44) + "|A.|"] });
    expect(previewBody(new Uint8Array([0xc3, 0x28]), 100).kind).toBe("binary");
    const long = previewBody(new Uint8Array(40).fill(0xff), 20);
    expect(long).toMatchObject({ kind: "binary", size: 40, truncated: true });
    expect(hexDump(new Uint8Array(17).fill(0x61))[1]).toBe(`00000010  61${" ".repeat(45)}  |a|`);
  });

  it("formats durations at a readable precision", () => {
    expect([850, 3_250, 42_000, 243_000, 7_500_000, 2 * 86_400_000 + 3_600_000].map(formatDuration)).toEqual([
      "850 ms",
      "3.3 s",
      "42 s",
      "4 min 3 s",
      "2 h 5 min",
      "2 d 1 h",
    ]);
  });

  it("buckets attempts by the minute they finished; lateness from first attempts only", () => {
    const minute = Math.floor(T0 / 60_000) * 60_000;
    const activity = activityByMinute(
      [
        { attempt: 1, scheduledAt: minute - 1000, startedAt: minute + 500, finishedAt: minute + 900, outcome: "succeeded" },
        { attempt: 1, scheduledAt: minute, startedAt: minute + 100, finishedAt: minute + 200, outcome: "failed" },
        { attempt: 2, scheduledAt: minute - 600_000, startedAt: minute + 100, finishedAt: minute + 300, outcome: "failed" },
        { attempt: 1, scheduledAt: minute - 60_000, startedAt: minute - 59_000, finishedAt: minute - 58_000, outcome: "succeeded" },
        { attempt: 1, scheduledAt: 0, startedAt: 0, finishedAt: minute - 3_600_000, outcome: "succeeded" },
      ],
      T0,
      60,
    );
    expect(activity).toHaveLength(60);
    expect(activity[59]).toEqual({ start: minute, succeeded: 1, failed: 2, maxLateMs: 1500, medianLateMs: 100 });
    expect(activity[58]).toEqual({ start: minute - 60_000, succeeded: 1, failed: 0, maxLateMs: 1000, medianLateMs: 1000 });
    expect(activity[0]).toMatchObject({ succeeded: 0, failed: 0, maxLateMs: null });
  });

  it("projects a generator's ticks after its pending one, and lists fire times in its zone across DST", () => {
    const generator = { id: "G", status: "active", cronExpr: "0 */6 * * *", cronTz: "UTC", nextAt: Date.UTC(2026, 2, 28, 18), title: null, method: "GET", url: "u" } as GeneratorRecord;
    const fires = firesBetween([], [generator], T0, T0 + 86_400_000, 100);
    expect(fires.map((f) => new Date(f.at).toISOString())).toEqual(["2026-03-29T00:00:00.000Z", "2026-03-29T06:00:00.000Z", "2026-03-29T12:00:00.000Z"]);
    expect(firesPerHour(fires, T0, 24).reduce((a, b) => a + b)).toBe(3);
    expect(firesBetween([], [{ ...generator, status: "paused", nextAt: null }], T0, T0 + 86_400_000, 100)).toEqual([]);

    // Paris leaves winter time on 29 March 2026: 09:00 is 08:00 UTC, then 07:00 UTC.
    expect(nextFires("0 9 * * *", "Europe/Paris", null, T0, 2).map((f) => [f.at, zonedWall(f.at, "Europe/Paris")])).toEqual([
      [Date.UTC(2026, 2, 29, 7), "2026-03-29 09:00:00 +02:00"],
      [Date.UTC(2026, 2, 30, 7), "2026-03-30 09:00:00 +02:00"],
    ]);
    // From the pending tick (itself included).
    expect(nextFires("0 9 * * *", "Europe/Paris", Date.UTC(2026, 2, 28, 8), T0, 2).map((f) => zonedWall(f.at, "Europe/Paris"))).toEqual([
      "2026-03-28 09:00:00 +01:00",
      "2026-03-29 09:00:00 +02:00",
    ]);
  });

  it("marks the fire times daylight saving time moves, doubles or skips", () => {
    // 02:30 does not exist in Paris on 29 March 2026: it fires at 03:30 CEST.
    const [gap] = nextFires("30 2 * * *", "Europe/Paris", null, T0, 1);
    expect(new Date(gap?.at ?? 0).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(dstNote(gap as FireTime)).toBe("DST: 02:30 does not exist that day; fires 1 h later");
    // A cadence runs through both passes of the repeated hour on 25 October 2026.
    const passes = nextFires("30 * * * *", "Europe/Paris", null, Date.UTC(2026, 9, 24, 23, 45), 3).map(dstNote);
    expect(passes).toEqual(["DST: the hour repeats; this is pass 1 of 2", "DST: the hour repeats; this is pass 2 of 2", null]);
    const skipped = nextFires("30 * * * *", "Europe/Paris", null, Date.UTC(2026, 2, 29, 0, 45), 1).map(dstNote);
    expect(skipped).toEqual(["DST: 1 time skipped (02:30 do not exist)"]);
  });

  it("accepts a state change from this origin only", () => {
    const base = { host: "hg.example:8080", forwardedHost: undefined, secFetchSite: undefined };
    expect(isSameOrigin({ ...base, origin: "http://hg.example:8080" })).toBe(true);
    expect(isSameOrigin({ ...base, origin: undefined })).toBe(true);
    expect(isSameOrigin({ ...base, origin: "http://evil.example" })).toBe(false);
    expect(isSameOrigin({ ...base, origin: "null" })).toBe(false);
    expect(isSameOrigin({ ...base, origin: undefined, secFetchSite: "cross-site" })).toBe(false);
    expect(isSameOrigin({ ...base, origin: undefined, secFetchSite: "same-site" })).toBe(false);
    expect(isSameOrigin({ host: "127.0.0.1:8080", forwardedHost: "hg.example", secFetchSite: "same-origin", origin: "https://hg.example" })).toBe(true);
  });

  it("seals sessions that only the same secret opens, until they expire", () => {
    const codec = createSessionCodec("secret-1");
    const session = { role: "project", projectId: "P", keyId: "K", sid: "S", expiresAt: T0 + 1000 } as const;
    const sealed = codec.seal(session);
    expect(codec.open(sealed, T0)).toEqual(session);
    expect(codec.open(sealed, T0 + 1000)).toBeNull();
    expect(createSessionCodec("secret-2").open(sealed, T0)).toBeNull();
    expect(codec.open(`${sealed}.x`, T0)).toBeNull();
    expect(codec.open(undefined, T0)).toBeNull();
    expect(codec.checkCsrf(session, codec.csrfToken(session))).toBe(true);
    expect(codec.checkCsrf({ ...session, sid: "other" }, codec.csrfToken(session))).toBe(false);
    expect(codec.checkCsrf(session, undefined)).toBe(false);
  });
});

describe("the operator's health page", () => {
  const page = { session: null, csrf: "", nonce: "n" } as unknown as Parameters<typeof HealthPage>[0]["page"];
  const base = { engine: "postgresql" as const, status: "ok" as const, readMs: 2, walBytes: null, projects: 3, now: 1_000_000 };

  it("lists the nodes sharing the database with the age of their last heartbeat", async () => {
    const nodes = [
      { id: "node-a", startedAt: 900_000, heartbeatAt: 999_500, self: true },
      { id: "node-b", startedAt: 950_000, heartbeatAt: 998_000, self: false },
    ];
    const html = String(await HealthPage({ page, health: { ...base, nodes } }));
    expect(html).toMatch(/node-a<\/code> \(this one\)/);
    expect(html).toContain("node-b");
    expect(html).toMatch(/500 ms ago/);
    expect(html).toMatch(/2(\.0)? s ago/);
  });

  it("says one process serves an SQLite database", async () => {
    const html = String(await HealthPage({ page, health: { ...base, engine: "sqlite", walBytes: 0, nodes: [] } }));
    expect(html).toContain("One process serves this database");
  });
});
