import { describe, expect, it } from "vitest";
import { DEFAULT_URL, resolveConnection } from "../../src/cli/admin-client.js";
import { type AdminAction, type Parsed, type ProjectAction, parseCommandLine, parseLimit } from "../../src/cli/args.js";
import { SHOWN_ONCE, defaultsSummary, duration, formatApiError, formatProjectResult, formatResult, table } from "../../src/cli/format.js";

const parse = (line: string): Parsed => parseCommandLine(line.split(" ").filter((w) => w !== ""));
const action = (line: string): AdminAction => {
  const parsed = parse(line);
  if (parsed.kind !== "admin") throw new Error(`expected an admin command, got ${JSON.stringify(parsed)}`);
  return parsed.action;
};
const projectAction = (argv: string[]): ProjectAction => {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "project") throw new Error(`expected a project command, got ${JSON.stringify(parsed)}`);
  return parsed.action;
};
const usageErrorOf = (argv: string[]): string => {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "usage-error") throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};
const usageError = (line: string): string => {
  const parsed = parse(line);
  if (parsed.kind !== "usage-error") throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};
const PID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

describe("CLI argument parsing", () => {
  it("parses every admin command into its action", () => {
    expect(action("projects list")).toEqual({ command: "projects list" });
    expect(action("projects create --name acme")).toEqual({ command: "projects create", name: "acme" });
    expect(parseCommandLine(["projects", "create", "--name", "  Acme Corp "])).toMatchObject({
      action: { command: "projects create", name: "Acme Corp" },
    });
    expect(action(`projects set ${PID} --quota 100 --rate-limit none --name b`)).toEqual({
      command: "projects set",
      projectId: PID,
      changes: { name: "b", monthQuota: 100, rateLimit: null },
    });
    expect(action(`projects set ${PID} --rate-limit=5`)).toEqual({ command: "projects set", projectId: PID, changes: { rateLimit: 5 } });
    expect(action(`keys list ${PID}`)).toEqual({ command: "keys list", projectId: PID });
    expect(action(`keys create ${PID}`)).toEqual({ command: "keys create", projectId: PID });
    expect(action(`keys revoke ${PID}`)).toEqual({ command: "keys revoke", keyId: PID });
    expect(action(`secret rotate ${PID}`)).toEqual({ command: "secret rotate", projectId: PID });
    expect(action(`secret drop-previous ${PID}`)).toEqual({ command: "secret drop-previous", projectId: PID });
  });

  it("takes --json, --url and --token anywhere on an admin command line", () => {
    expect(parse("--json projects list --url http://h:1 --token t")).toEqual({
      kind: "admin",
      action: { command: "projects list" },
      json: true,
      connection: { url: "http://h:1", token: "t" },
    });
    expect(parse("projects list")).toMatchObject({ json: false, connection: {} });
  });

  it("parses serve and help", () => {
    expect(parse("serve")).toEqual({ kind: "serve" });
    for (const line of ["help", "--help", "-h", "help projects", "projects --help", "help keys revoke", "keys revoke --help", "serve --help", "help serve"]) {
      expect(parse(line).kind, line).toBe("help");
    }
    const help = parse("help");
    expect(help.kind === "help" && help.text).toContain("hourglass projects set <projectId>");
    const keysRevoke = parse("keys revoke -h");
    expect(keysRevoke.kind === "help" && keysRevoke.text).toMatch(/^Usage: hourglass keys revoke <keyId>/);
    // --help wins over missing arguments.
    expect(parse("projects create --help").kind).toBe("help");
  });

  it("refuses unknown commands, flags and missing or extra arguments with usage", () => {
    expect(usageError("")).toBe("No command given");
    expect(usageError("frobnicate")).toBe('Unknown command "frobnicate"');
    expect(usageError("projects")).toBe('"projects" needs a subcommand');
    expect(usageError("projects delete")).toBe('Unknown subcommand "delete" of "projects"');
    expect(usageError("projects list --bogus")).toBe("Unknown option '--bogus'");
    expect(usageError("keys list")).toBe("Missing <projectId>");
    expect(usageError(`keys list ${PID} extra`)).toBe("Too many arguments for keys list");
    expect(usageError("projects create")).toBe("projects create needs --name <name>");
    expect(usageError("projects create --name")).toContain("argument missing");
    expect(usageError(`keys list ${PID} --name x`)).toBe("keys list takes no --name option");
    expect(usageError("serve --url http://x")).toBe("serve takes no --url option");
    expect(usageError(`projects set ${PID}`)).toContain("Nothing to change");
    expect(usageError(`projects set ${PID} --quota lots`)).toBe("--quota must be a whole number or none");
    expect(usageError(`projects set ${PID} --rate-limit 1.5`)).toBe("--rate-limit must be a whole number or none");
    expect(usageError(`projects set ${PID} --quota -1`)).toContain("ambiguous");
    expect(usageError("help nothing")).toBe('No help for "nothing"');
    expect(usageError("json --json=yes")).toContain("does not take an argument");
  });

  it("never echoes a word that does not look like a command (it may be a pasted secret)", () => {
    expect(usageError("hg_s3cr3t_Value_1234567890")).toBe("Unknown command argument");
    expect(usageError("keys whsec_abc123=")).toBe('Unknown subcommand argument of "keys"');
    const parsed = parse("projects create");
    expect(parsed.kind === "usage-error" && parsed.usage).toMatch(/^Usage: hourglass projects create --name <name>/);
  });

  it("parses a project's delivery defaults on projects set: values as typed, none removes one", () => {
    expect(
      action(
        `projects set ${PID} --default-retries 3 --default-retry-delay 10s --default-timeout 90 ` +
          "--default-callback-url https://hooks.example.com/done --default-failure-url http://10.0.0.1:8080/failed",
      ),
    ).toEqual({
      command: "projects set",
      projectId: PID,
      changes: {
        defaults: {
          retries: 3,
          retryDelay: "10s",
          timeout: "90",
          callbackUrl: "https://hooks.example.com/done",
          failureUrl: "http://10.0.0.1:8080/failed",
        },
      },
    });
    expect(action(`projects set ${PID} --default-retries none --default-timeout NONE --default-failure-url none --quota 5`)).toEqual({
      command: "projects set",
      projectId: PID,
      changes: { monthQuota: 5, defaults: { retries: null, timeout: null, failureUrl: null } },
    });
    expect(action(`projects set ${PID} --default-retry-delay=500ms`)).toMatchObject({ changes: { defaults: { retryDelay: "500ms" } } });
    // Shapes are refused here (exit 2); ranges and egress are the API's (exit 1, its code).
    expect(action(`projects set ${PID} --default-retries 99`)).toMatchObject({ changes: { defaults: { retries: 99 } } });
    expect(usageError(`projects set ${PID} --default-retries many`)).toBe("--default-retries must be a whole number or none");
    expect(usageError(`projects set ${PID} --default-retries 1.5`)).toBe("--default-retries must be a whole number or none");
    for (const flag of ["--default-retry-delay", "--default-timeout"]) {
      for (const bad of ["10 days", "1d", "5mins", "1.5s", "soon"]) {
        expect(usageErrorOf(["projects", "set", PID, flag, bad]), `${flag} ${bad}`).toBe(
          `${flag} must be a duration such as 500ms, 10s, 5m or 1h (bare numbers are seconds), or none`,
        );
      }
    }
    for (const flag of ["--default-callback-url", "--default-failure-url"]) {
      for (const bad of ["hooks.example.com/done", "ftp://example.com/x", "mailto:ops@example.com", ""]) {
        expect(usageErrorOf(["projects", "set", PID, flag, bad]), `${flag} ${bad}`).toBe(`${flag} must be an http:// or https:// URL, or none`);
      }
    }
    expect(usageError(`projects set ${PID}`)).toBe("Nothing to change: give --name, --quota, --rate-limit or a --default-… option");
    expect(usageError(`keys list ${PID} --default-retries 3`)).toBe("keys list takes no --default-retries option");
  });

  it("parses the flow options of schedule, triggers list --waiting-for flow, and flows", () => {
    const url = "https://api.example.com/sync";
    expect(projectAction(["schedule", "--url", url, "--at", "now", "--flow-key", "partner-api", "--flow-parallelism", "2", "--flow-rate", "10"])).toEqual({
      command: "schedule",
      url,
      method: "POST",
      headers: [],
      options: { at: "now", flowKey: "partner-api", flowParallelism: 2, flowRate: 10 },
    });
    expect(projectAction(["schedule", "--url", url, "--at", "now", "--flow-rate=5"])).toMatchObject({ options: { at: "now", flowRate: 5 } });
    expect(projectAction(["schedule", "--url", url, "--at", "now", "--flow-key", "k"])).toMatchObject({ options: { at: "now", flowKey: "k" } });
    for (const flag of ["--flow-parallelism", "--flow-rate"]) {
      for (const bad of ["0", "two", "1.5", "none", ""]) {
        expect(usageErrorOf(["schedule", "--url", url, "--at", "now", flag, bad]), `${flag} ${bad}`).toBe(`${flag} must be a whole number from 1`);
      }
    }
    expect(usageErrorOf(["schedule", "--url", url, "--at", "now", "--flow-key", " "])).toBe("--flow-key must not be empty");
    expect(usageErrorOf(["preview", "--at", "now", "--flow-rate", "1"])).toBe("preview takes no --flow-rate option");

    expect(projectAction(["triggers", "list", "--waiting-for", "flow"])).toEqual({ command: "triggers list", filter: { waitingFor: "flow" }, limit: 50 });
    expect(projectAction(["triggers", "list", "--waiting-for", "flow", "--tag", "t", "--limit", "3"])).toEqual({
      command: "triggers list",
      filter: { tag: "t", waitingFor: "flow" },
      limit: 3,
    });
    expect(usageErrorOf(["triggers", "list", "--waiting-for", "rate"])).toBe("--waiting-for must be flow (triggers their flow holds back)");
    expect(usageErrorOf(["generators", "list", "--waiting-for", "flow"])).toBe("generators list takes no --waiting-for option");

    expect(parseCommandLine(["flows", "--json", "--server", "http://h:1", "--key", "k"])).toEqual({
      kind: "project",
      action: { command: "flows" },
      json: true,
      connection: { url: "http://h:1", key: "k" },
    });
    expect(usageErrorOf(["flows", "partner-api"])).toBe("Too many arguments for flows");
    expect(usageErrorOf(["flows", "--limit", "3"])).toBe("flows takes no --limit option");
  });

  it("documents the new options in the help", () => {
    const helpText = (argv: string[]): string => {
      const parsed = parseCommandLine(argv);
      if (parsed.kind !== "help") throw new Error(`expected help, got ${JSON.stringify(parsed)}`);
      return parsed.text;
    };
    const general = helpText(["help"]);
    expect(general).toMatch(/^ {2}hourglass flows +List the project's flows/m);
    expect(general).toContain("[--waiting-for flow]");
    const set = helpText(["help", "projects", "set"]);
    for (const flag of [
      "--default-retries <n|none>",
      "--default-retry-delay <duration|none>",
      "--default-timeout <duration|none>",
      "--default-callback-url <url|none>",
      "--default-failure-url <url|none>",
    ]) {
      expect(set).toContain(flag);
    }
    const schedule = helpText(["schedule", "--help"]);
    for (const flag of ["--flow-key <key>", "--flow-parallelism <n>", "--flow-rate <n>"]) expect(schedule).toContain(flag);
    expect(helpText(["triggers", "list", "-h"])).toContain("--waiting-for flow");
    expect(helpText(["help", "flows"])).toMatch(/^Usage: hourglass flows\n/);
  });

  it("parses limits: whole numbers or none", () => {
    expect(parseLimit("0")).toBe(0);
    expect(parseLimit("1000")).toBe(1000);
    expect(parseLimit("NONE")).toBeNull();
    for (const bad of ["", "-1", "1e3", "1.0", "ten", "99999999999999999"]) expect(parseLimit(bad), bad).toBeUndefined();
  });
});

describe("CLI connection and requests", () => {
  it("resolves the URL and token: flags over environment, default URL, no token is an error", () => {
    expect(resolveConnection({}, { HOURGLASS_ADMIN_TOKEN: "tok" })).toEqual({ baseUrl: DEFAULT_URL, token: "tok" });
    expect(resolveConnection({}, { HOURGLASS_URL: "https://h.example/base/", HOURGLASS_ADMIN_TOKEN: "tok" })).toEqual({
      baseUrl: "https://h.example/base",
      token: "tok",
    });
    expect(resolveConnection({ url: "http://flag:1", token: "flagtok" }, { HOURGLASS_URL: "http://env:2", HOURGLASS_ADMIN_TOKEN: "envtok" })).toEqual({
      baseUrl: "http://flag:1",
      token: "flagtok",
    });
    expect(resolveConnection({}, {})).toMatch(/HOURGLASS_ADMIN_TOKEN/);
    expect(resolveConnection({ token: " " }, {})).toMatch(/HOURGLASS_ADMIN_TOKEN/);
    expect(resolveConnection({ url: "not a url" }, { HOURGLASS_ADMIN_TOKEN: "t" })).toMatch(/not a valid URL/);
    expect(resolveConnection({ url: "ftp://h" }, { HOURGLASS_ADMIN_TOKEN: "t" })).toMatch(/http/);
    const withCredentials = resolveConnection({ url: "http://user:pw@h" }, { HOURGLASS_ADMIN_TOKEN: "t" });
    expect(withCredentials).toMatch(/credentials/);
    expect(withCredentials).not.toContain("pw");
    expect(resolveConnection({ token: "two words" }, {})).toMatch(/printable/);
  });
});

describe("CLI output", () => {
  const noDefaults = { retries: null, retryDelayMs: null, timeoutMs: null, callbackUrl: null, failureUrl: null };
  const project = { id: PID, name: "acme", createdAt: "2026-11-23T12:00:00.000Z", monthQuota: null, usedThisMonth: 3, rateLimit: 5, defaults: noDefaults };

  it("prints projects as a table", () => {
    const out = formatResult({ command: "projects list" }, { projects: [project] }, false);
    expect(out.split("\n")[0]).toMatch(/^ID +NAME +QUOTA\/MONTH +USED +RATE LIMIT +CREATED +DEFAULTS$/);
    expect(out.split("\n")[1]).toMatch(new RegExp(`^${PID} +acme +none +3 +5/s +2026-11-23T12:00:00.000Z +-$`));
    expect(formatResult({ command: "projects list" }, { projects: [] }, false)).toBe("No projects.\n");
  });

  it("shows a project's delivery defaults compactly, as the options that set them", () => {
    const defaults = { retries: 3, retryDelayMs: 90_000, timeoutMs: 2_500, callbackUrl: null, failureUrl: "https://ops.example.com/failed" };
    expect(defaultsSummary(defaults)).toBe("retries=3 retry-delay=90s timeout=2500ms failure-url=https://ops.example.com/failed");
    expect(defaultsSummary(noDefaults)).toBe("-");
    expect(defaultsSummary({ ...noDefaults, retries: 0 })).toBe("retries=0");
    expect([0, 1, 500, 1000, 60_000, 90_000, 3_600_000, 5_400_000].map(duration)).toEqual(["0s", "1ms", "500ms", "1s", "1m", "90s", "1h", "90m"]);
    const listed = formatResult({ command: "projects list" }, { projects: [{ ...project, defaults }] }, false);
    expect(listed.split("\n")[1]).toMatch(/ +retries=3 retry-delay=90s timeout=2500ms failure-url=https:\/\/ops\.example\.com\/failed$/);
    const updated = formatResult({ command: "projects set", projectId: PID, changes: {} }, { ...project, defaults }, false);
    expect(updated).toContain("  defaults:      retries=3 retry-delay=90s timeout=2500ms failure-url=https://ops.example.com/failed\n");
    expect(formatResult({ command: "projects set", projectId: PID, changes: {} }, project, false)).toContain("  defaults:      -\n");
  });

  it("shows a new key or secret once, saying so", () => {
    const created = formatResult(
      { command: "projects create", name: "acme" },
      { project, apiKey: { id: "K1", prefix: "hg_abcd", key: "hg_THE_KEY" } },
      false,
    );
    expect(created).toContain(`Created project ${PID} (acme)`);
    expect(created).toContain("\n  hg_THE_KEY\n");
    expect(created).toContain(SHOWN_ONCE);
    const rotated = formatResult({ command: "secret rotate", projectId: PID }, { secret: "whsec_NEW", signingWith: 2 }, false);
    expect(rotated).toContain("\n  whsec_NEW\n");
    expect(rotated).toContain(SHOWN_ONCE);
    expect(rotated).toContain(`hourglass secret drop-previous ${PID}`);
  });

  it("prints the API's JSON with --json, and nothing for an empty answer", () => {
    const body = { projects: [project] };
    expect(JSON.parse(formatResult({ command: "projects list" }, body, true))).toEqual(body);
    expect(formatResult({ command: "keys revoke", keyId: PID }, null, true)).toBe("");
    expect(formatResult({ command: "keys revoke", keyId: PID }, null, false)).toContain(`Revoked key ${PID}`);
  });

  it("formats keys, updates, errors and tables", () => {
    const keys = formatResult(
      { command: "keys list", projectId: PID },
      { keys: [{ id: "K1", prefix: "hg_abcd", createdAt: "2026-11-23T12:00:00.000Z", revokedAt: null }] },
      false,
    );
    expect(keys).toMatch(/^ID +PREFIX +CREATED +REVOKED\nK1 +hg_abcd… +2026-11-23T12:00:00.000Z +-\n$/);
    expect(formatResult({ command: "projects set", projectId: PID, changes: {} }, project, false)).toContain("rate limit:    5/s");
    expect(formatApiError("invalid_admin_token", "Send the token.", 401)).toBe("hourglass: invalid_admin_token: Send the token. (HTTP 401)\n");
    expect(table(["A", "B"], [["long value", "x"]])).toBe("A           B\nlong value  x\n");
  });
});

describe("CLI output of flows", () => {
  const trigger = (id: string, flowKey: string | null, flowWaiting: "parallelism" | "rate" | null) => ({
    id,
    kind: "job",
    origin: "job",
    generatorId: null,
    parentTriggerId: null,
    customKey: null,
    status: "registered",
    scheduledAt: "2026-11-23T12:00:00.000Z",
    method: "POST",
    url: "https://api.example.com/sync",
    headers: [],
    bodySize: 0,
    title: null,
    tags: [],
    attempts: 0,
    retries: 0,
    retriesLeft: 0,
    retryDelayMs: 1000,
    timeoutMs: 30000,
    callbackUrl: null,
    failureUrl: null,
    successStatus: "2xx,3xx",
    retryOn: "408,429,5xx,network",
    createdAt: "2026-11-23T11:00:00.000Z",
    updatedAt: "2026-11-23T11:00:00.000Z",
    finishedAt: null,
    cancelReason: null,
    flowKey,
    flowWaiting,
  });
  const list = { command: "triggers list", filter: {}, limit: 50 } as const;

  it("prints flows as a table: limits (none when unset), in flight, waiting", () => {
    const flows = [
      { key: "partner-api", parallelism: 2, rate: 10, inFlight: 2, waiting: 7 },
      { key: "https://api.example.com", parallelism: null, rate: 5, inFlight: 0, waiting: 1 },
    ];
    expect(formatProjectResult({ command: "flows" }, { flows }, false)).toBe(
      "KEY                      PARALLELISM  RATE  IN FLIGHT  WAITING\n" +
        "partner-api              2            10/s  2          7\n" +
        "https://api.example.com  none         5/s   0          1\n",
    );
    expect(formatProjectResult({ command: "flows" }, { flows: [] }, false)).toBe("No flows.\n");
    expect(JSON.parse(formatProjectResult({ command: "flows" }, { flows }, true))).toEqual({ flows });
  });

  it("adds a FLOW column to triggers list only when a trigger listed has a flow, with what it waits for", () => {
    const withFlows = formatProjectResult(
      list,
      { triggers: [trigger("T1", "partner-api", "parallelism"), trigger("T2", "partner-api", null), trigger("T3", null, null)], nextCursor: null },
      false,
    ).split("\n");
    expect(withFlows[0]).toMatch(/^ID +STATUS +KIND +SCHEDULED \(UTC\) +ATTEMPTS +FLOW +METHOD +URL +TITLE$/);
    expect(withFlows[1]).toMatch(/^T1 +registered +job +\S+ +0 +partner-api \(waiting: parallelism\) +POST /);
    expect(withFlows[2]).toMatch(/^T2 +registered +job +\S+ +0 +partner-api +POST /);
    expect(withFlows[3]).toMatch(/^T3 +registered +job +\S+ +0 +- +POST /);
    const without = formatProjectResult(list, { triggers: [trigger("T3", null, null)], nextCursor: null }, false);
    expect(without.split("\n")[0]).toMatch(/^ID +STATUS +KIND +SCHEDULED \(UTC\) +ATTEMPTS +METHOD +URL +TITLE$/);
  });

  it("shows a trigger's flow in triggers get, and why it waits", () => {
    const get = (t: ReturnType<typeof trigger>) =>
      formatProjectResult({ command: "triggers get", id: t.id }, { ...t, bodyBase64: null, executions: [] }, false);
    const rate = get(trigger("T1", "partner-api", "rate"));
    expect(rate).toMatch(/^flow: +partner-api$/m);
    expect(rate).toMatch(/^waiting: +for its flow: this second's rate is used up; due at the start of a later second$/m);
    expect(get(trigger("T1", "partner-api", "parallelism"))).toMatch(/^waiting: +for its flow: as many of its attempts are in flight as its parallelism allows$/m);
    const none = get(trigger("T2", null, null));
    expect(none).toMatch(/^flow: +-$/m);
    expect(none).not.toMatch(/^waiting:/m);
  });
});
