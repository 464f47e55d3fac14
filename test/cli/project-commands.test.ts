import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run.js";
import { ManualClock } from "../../src/clock.js";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";

const CLI_JS = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
// JSON answers are asserted field by field.
type Json = any;

/** Runs the CLI in-process with the real fetch, with HOURGLASS_URL and HOURGLASS_API_KEY set for `hg`. */
async function cliAgainst(hg: TestHourglass, argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { HOURGLASS_URL: hg.url, HOURGLASS_API_KEY: API_KEY },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    serve: async () => {
      throw new Error("not here");
    },
  });
  return { code, stdout, stderr };
}

describe("project commands against a real server and target", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  let attempts: AttemptLog;

  const cli = (...argv: string[]) => cliAgainst(hg, argv);

  beforeAll(async () => {
    hg = await startHourglass({ listen: true });
    target = await startTargetServer();
    attempts = new AttemptLog(hg.service.dispatcher);
  });
  afterAll(async () => {
    await hg?.close();
    await target?.close();
  });

  it("schedules a request with method, data and repeated headers; the target receives them", async () => {
    const r = await cli(
      "schedule",
      "--url",
      `${target.url}/cli-hook`,
      "--at",
      "now",
      "-X",
      "put",
      "--data",
      '{"n":1}',
      "--header",
      "Content-Type: application/json",
      "-H",
      "X-Multi: a",
      "-H",
      "X-Multi: b",
      "--title",
      "from the cli",
      "--tag",
      "cli",
      "--tag",
      "e2e",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const answer: Json = JSON.parse(r.stdout);
    expect(answer).toMatchObject({ operation: "schedule", kind: "job" });
    await attempts.waitFor((e) => e.claim.id === answer.triggerId);
    const received = target.received.find((x) => x.url === "/cli-hook");
    expect(received?.method).toBe("PUT");
    expect(received?.body.toString()).toBe('{"n":1}');
    const headers = headerPairs(received?.rawHeaders ?? []).map(([n, v]) => [n.toLowerCase(), v]);
    expect(headers).toEqual(expect.arrayContaining([["content-type", "application/json"], ["x-multi", "a, b"]]));

    const shown = await cli("triggers", "get", answer.triggerId);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id: +${answer.triggerId}$`, "m"));
    expect(shown.stdout).toMatch(/^status: +succeeded$/m);
    expect(shown.stdout).toMatch(/^tags: +cli, e2e$/m);
    expect(shown.stdout).toMatch(/^ATTEMPT +STARTED \(UTC\) +MS +OUTCOME +HTTP +ERROR\n1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +\d+ +succeeded +200 +-$/m);

    const replayed = await cli("triggers", "replay", answer.triggerId);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(new RegExp(`^Replaying trigger ${answer.triggerId} at \\d{4}-.*Z\\.\\n$`));
  });

  it("lists triggers as an aligned table, following pages up to --limit; --json is the raw answer", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await cli("schedule", "--url", `${target.url}/listed-${i}`, "--at", `now | add ${i + 1}h`, "--tag", "listed");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Scheduled trigger [0-9A-Z]{26} for \d{4}-\d\d-\d\dT.*Z\.\n$/);
    }
    const table = await cli("triggers", "list", "--tag", "listed", "--status", "registered");
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID {26}STATUS +KIND +SCHEDULED \(UTC\) +ATTEMPTS +METHOD +URL +TITLE$/);
    expect(lines).toHaveLength(4);
    const statusColumn = (lines[0] as string).indexOf("STATUS");
    for (const line of lines.slice(1)) expect(line.slice(statusColumn, statusColumn + 10)).toBe("registered");

    const two = await cli("triggers", "list", "--tag", "listed", "--limit", "2", "--json");
    const page: Json = JSON.parse(two.stdout);
    expect(page.triggers).toHaveLength(2);
    expect(page.nextCursor).toBe(page.triggers[1].id);
    const human = await cli("triggers", "list", "--tag", "listed", "--limit", "2");
    expect(human.stdout).toContain("(more: hourglass triggers list --limit <n> shows more)");

    const cancelled = await cli("triggers", "cancel", page.triggers[0].id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toBe(`Cancelled trigger ${page.triggers[0].id}.\n`);
    const again = await cli("triggers", "cancel", page.triggers[0].id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^hourglass: already_cancelled: .*\(HTTP 410\)\n$/);
    const none = await cli("triggers", "list", "--tag", "nothing-has-it");
    expect(none.stdout).toBe("No triggers.\n");
  });

  it("creates a generator with cron, then lists, shows, pauses, resumes, runs and cancels it", async () => {
    const created = await cli("schedule", "--url", `${target.url}/cron`, "--at", "cron(0 9 * * 1-5)", "--timezone", "Europe/Paris", "--json");
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as Json).triggerId as string;

    const list = await cli("generators", "list");
    expect(list.stdout).toMatch(/^ID +STATUS +CRON +TIMEZONE +NEXT \(UTC\) +METHOD +URL +TITLE$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id} +active +0 9 \\* \\* 1-5 +Europe/Paris +\\d{4}-.*Z +POST +${target.url}/cron +-$`, "m"));
    const shown = await cli("generators", "get", id);
    expect(shown.stdout).toMatch(/^cron: +0 9 \* \* 1-5 \(Europe\/Paris\)$/m);

    const paused = await cli("generators", "pause", id);
    expect(paused.stdout).toBe(`Paused generator ${id}.\n`);
    const pausedJson: Json = JSON.parse((await cli("generators", "get", id, "--json")).stdout);
    expect(pausedJson.status).toBe("paused");
    const resumed = await cli("generators", "resume", id);
    expect(resumed.stdout).toMatch(new RegExp(`^Resumed generator ${id}; next run at \\d{4}-.*Z\\.\\n$`));

    const run = await cli("generators", "run", id, "--json");
    const queued: Json = JSON.parse(run.stdout);
    await attempts.waitFor((e) => e.claim.id === queued.triggerId);
    expect(target.received.some((x) => x.url === "/cron")).toBe(true);

    expect((await cli("generators", "cancel", id)).stdout).toBe(`Cancelled generator ${id}.\n`);
    expect((JSON.parse((await cli("generators", "get", id, "--json")).stdout) as Json).status).toBe("cancelled");
  });

  it("refuses bad input with the API's code or a usage error", async () => {
    const unknown = await cli("triggers", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^hourglass: trigger_not_found: .*\(HTTP 404\)\n$/);
    const badTime = await cli("schedule", "--url", `${target.url}/x`, "--at", "tomorrow-ish");
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toMatch(/^hourglass: invalid_scheduled_at: /);
    const noAt = await cli("schedule", "--url", `${target.url}/x`);
    expect(noAt.code).toBe(2);
    expect(noAt.stderr).toMatch(/^hourglass: schedule needs --at/);
    const getWithData = await cli("schedule", "--url", `${target.url}/x`, "--at", "now", "-X", "GET", "-d", "x");
    expect(getWithData.code).toBe(2);
    const badHeader = await cli("schedule", "--url", `${target.url}/x`, "--at", "now", "-H", "no colon");
    expect(badHeader.code).toBe(2);
    const badStatus = await cli("triggers", "list", "--status", "done");
    expect(badStatus.stderr).toMatch(/^hourglass: --status must be one of registered, running/);
  });

  it("runs from the built dist/cli.js, with HOURGLASS_URL and --key", async () => {
    if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run "npm run build" first (npm test does).`);
    const child = spawn(process.execPath, [CLI_JS, "schedule", "--url", `${target.url}/built`, "--at", "now | add 1h", "--key", API_KEY], {
      env: { PATH: process.env.PATH ?? "", HOURGLASS_URL: hg.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Scheduled trigger [0-9A-Z]{26} for /);
    expect(stdout + stderr).not.toContain(API_KEY);
  });
});

describe("hourglass preview against a real server", () => {
  let hg: TestHourglass;
  beforeAll(async () => {
    hg = await startHourglass({ listen: true, dispatch: false });
  });
  afterAll(async () => {
    await hg?.close();
  });
  const cli = (...argv: string[]) => cliAgainst(hg, argv);

  it("shows a cron's fire times across a DST change, marked, and refuses what /schedule refuses", async () => {
    const r = await cli("preview", "--at", "cron(30 2 * * *, Europe/Paris)", "--from", "2027-03-27T00:00:00Z", "--count", "3");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^AT \(UTC\)\s+LOCAL \(Europe\/Paris\)\s+DST$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(["2027-03-27T01:30:00.000Z", "2027-03-28T01:30:00.000Z", "2027-03-29T00:30:00.000Z"]);
    expect(lines[2]).toMatch(/gap: .* moved by 60 min/);
    const json = await cli("preview", "--at", "now | add 1h", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "once" });
    const bad = await cli("preview", "--at", "cron(61 * * * *)");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid_cron/);
    expect((await cli("preview")).code).toBe(2);
  });
});

describe("flow control from the CLI against a real server and target", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  let attempts: AttemptLog;
  let clock: ManualClock;
  const cli = (...argv: string[]) => cliAgainst(hg, argv);

  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    hg = await startHourglass({ listen: true, clock, random: () => 0 });
    target = await startTargetServer();
    attempts = new AttemptLog(hg.service.dispatcher);
  });
  afterAll(async () => {
    await hg?.close();
    await target?.close();
  });

  it("schedules into a flow, lists the flows and the triggers they hold back, shows why one waits, and all are delivered", async () => {
    const held: ServerResponse[] = [];
    target.respondWith((_req, res) => held.push(res));
    const ids: string[] = [];
    // Due together a minute from now, so one claim sees all three: it starts one and parks two.
    for (let i = 0; i < 3; i++) {
      const r = await cli(
        "schedule",
        "--url",
        `${target.url}/flow-${i}`,
        "--at",
        "now | add 1m",
        "-d",
        String(i),
        "--flow-key",
        "cli-flow",
        "--flow-parallelism",
        "1",
        "--flow-rate",
        "100",
        "--json",
      );
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as Json).triggerId);
    }
    const pending = await cli("flows");
    expect(pending).toEqual({ code: 0, stderr: "", stdout: "KEY       PARALLELISM  RATE   IN FLIGHT  WAITING\ncli-flow  1            100/s  0          0\n" });
    expect((await cli("triggers", "list", "--waiting-for", "flow")).stdout).toBe("No triggers.\n");

    clock.advance(60_000);
    await target.waitForCount(1);
    expect(target.received[0]?.url).toBe("/flow-0");

    const flows = await cli("flows");
    expect(flows.code, flows.stderr).toBe(0);
    expect(flows.stdout).toBe("KEY       PARALLELISM  RATE   IN FLIGHT  WAITING\ncli-flow  1            100/s  1          2\n");
    expect(JSON.parse((await cli("flows", "--json")).stdout)).toEqual({ flows: [{ key: "cli-flow", parallelism: 1, rate: 100, inFlight: 1, waiting: 2 }] });

    const waiting = await cli("triggers", "list", "--waiting-for", "flow");
    expect(waiting.code, waiting.stderr).toBe(0);
    const lines = waiting.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +STATUS +KIND +SCHEDULED \(UTC\) +ATTEMPTS +FLOW +METHOD +URL +TITLE$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0]).sort()).toEqual(ids.slice(1).sort());
    for (const line of lines.slice(1)) expect(line).toMatch(/ registered +job +\S+ +0 +cli-flow \(waiting: parallelism\) +POST /);
    const waitingJson: Json = JSON.parse((await cli("triggers", "list", "--waiting-for", "flow", "--json")).stdout);
    expect(waitingJson.triggers.map((t: Json) => t.flowWaiting)).toEqual(["parallelism", "parallelism"]);

    const parked = await cli("triggers", "get", ids[1] as string);
    expect(parked.stdout).toMatch(/^status: +registered$/m);
    expect(parked.stdout).toMatch(/^flow: +cli-flow$/m);
    expect(parked.stdout).toMatch(/^waiting: +for its flow: as many of its attempts are in flight as its parallelism allows$/m);
    const running = await cli("triggers", "get", ids[0] as string);
    expect(running.stdout).toMatch(/^status: +running$/m);
    expect(running.stdout).toMatch(/^flow: +cli-flow$/m);
    expect(running.stdout).not.toMatch(/^waiting:/m);

    // Each answer lets the next one go, in due order.
    for (let i = 1; i <= 3; i++) {
      await target.waitForCount(i);
      expect(target.received[i - 1]?.body.toString()).toBe(String(i - 1));
      held[i - 1]?.writeHead(200).end("ok");
      await attempts.waitFor((e) => e.claim.id === ids[i - 1]);
    }
    expect((await cli("flows")).stdout).toBe("KEY       PARALLELISM  RATE   IN FLIGHT  WAITING\ncli-flow  1            100/s  0          0\n");
    expect((await cli("triggers", "list", "--waiting-for", "flow")).stdout).toBe("No triggers.\n");
    expect((await cli("triggers", "get", ids[2] as string)).stdout).toMatch(/^status: +succeeded$/m);
  });

  it("gives a generator its flow, shown by generators get; a key alone joins the flow as it is", async () => {
    const created = await cli("schedule", "--url", `${target.url}/g`, "--at", "cron(0 9 * * *)", "--flow-key", "cli-gen-flow", "--flow-rate", "5", "--json");
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as Json).triggerId as string;
    expect((await cli("generators", "get", id)).stdout).toMatch(/^flow: +cli-gen-flow$/m);
    const joined = await cli("schedule", "--url", `${target.url}/j`, "--at", "now | add 1h", "--flow-key", "cli-gen-flow", "--json");
    expect(joined.code, joined.stderr).toBe(0);
    const joinedId = (JSON.parse(joined.stdout) as Json).triggerId as string;
    expect((await cli("triggers", "get", joinedId)).stdout).toMatch(/^flow: +cli-gen-flow$/m);
    const flows: Json = JSON.parse((await cli("flows", "--json")).stdout);
    expect(flows.flows).toContainEqual({ key: "cli-gen-flow", parallelism: null, rate: 5, inFlight: 0, waiting: 0 });
    expect((await cli("flows")).stdout).toMatch(/^cli-gen-flow +none +5\/s +0 +0$/m);
  });

  it("refuses bad flow values: shapes with usage (exit 2), the API's ranges with its code (exit 1)", async () => {
    const url = `${target.url}/bad`;
    const zero = await cli("schedule", "--url", url, "--at", "now | add 1h", "--flow-parallelism", "0");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^hourglass: --flow-parallelism must be a whole number from 1\n\nUsage: hourglass schedule/);
    const words = await cli("schedule", "--url", url, "--at", "now | add 1h", "--flow-rate", "lots");
    expect(words.code).toBe(2);
    const tooWide = await cli("schedule", "--url", url, "--at", "now | add 1h", "--flow-parallelism", "1001");
    expect(tooWide.code).toBe(1);
    expect(tooWide.stderr).toMatch(/^hourglass: invalid_flow_parallelism: .*1 to 1000.*\(HTTP 400\)\n$/);
    const tooFast = await cli("schedule", "--url", url, "--at", "now | add 1h", "--flow-rate", "10001");
    expect(tooFast.code).toBe(1);
    expect(tooFast.stderr).toMatch(/^hourglass: invalid_flow_rate: /);
    const badKey = await cli("schedule", "--url", url, "--at", "now | add 1h", "--flow-key", "caf\u00e9");
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^hourglass: invalid_flow_key: /);
    const badFilter = await cli("triggers", "list", "--waiting-for", "rate");
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/^hourglass: --waiting-for must be flow/);
    expect(target.received.filter((r) => r.url === "/bad")).toEqual([]);
  });
});
