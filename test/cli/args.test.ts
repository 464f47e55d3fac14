import { describe, expect, it } from "vitest";
import { DEFAULT_URL, resolveConnection } from "../../src/cli/admin-client.js";
import { type AdminAction, type Parsed, parseCommandLine, parseLimit } from "../../src/cli/args.js";
import { SHOWN_ONCE, formatApiError, formatResult, table } from "../../src/cli/format.js";

const parse = (line: string): Parsed => parseCommandLine(line.split(" ").filter((w) => w !== ""));
const action = (line: string): AdminAction => {
  const parsed = parse(line);
  if (parsed.kind !== "admin") throw new Error(`expected an admin command, got ${JSON.stringify(parsed)}`);
  return parsed.action;
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
  const project = { id: PID, name: "acme", createdAt: "2026-11-23T12:00:00.000Z", monthQuota: null, usedThisMonth: 3, rateLimit: 5 };

  it("prints projects as a table", () => {
    const out = formatResult({ command: "projects list" }, { projects: [project] }, false);
    expect(out.split("\n")[0]).toMatch(/^ID +NAME +QUOTA\/MONTH +USED +RATE LIMIT +CREATED$/);
    expect(out.split("\n")[1]).toMatch(new RegExp(`^${PID} +acme +none +3 +5/s +2026-11-23T12:00:00.000Z$`));
    expect(formatResult({ command: "projects list" }, { projects: [] }, false)).toBe("No projects.\n");
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
