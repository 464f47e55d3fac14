import { parseArgs } from "node:util";

/**
 * The CLI's command line, parsed without any I/O: what to do, or the help/usage text to show.
 * Every admin command maps to exactly one admin API request (see `requestFor` in admin-client.ts).
 */

/** A limit as the CLI takes it: a whole number, or null for `none` (no limit). */
export type Limit = number | null;

export type AdminAction =
  | { command: "projects list" }
  | { command: "projects create"; name: string }
  | { command: "projects set"; projectId: string; changes: { name?: string; monthQuota?: Limit; rateLimit?: Limit } }
  | { command: "keys list"; projectId: string }
  | { command: "keys create"; projectId: string }
  | { command: "keys revoke"; keyId: string }
  | { command: "secret rotate"; projectId: string }
  | { command: "secret drop-previous"; projectId: string };

/** How to reach the admin API, as given by flags (the environment fills in the rest). */
export interface ConnectionFlags {
  url?: string;
  token?: string;
}

export type Parsed =
  | { kind: "help"; text: string }
  | { kind: "usage-error"; message: string; usage: string }
  | { kind: "serve" }
  | { kind: "admin"; action: AdminAction; json: boolean; connection: ConnectionFlags };

interface CommandSpec {
  name: AdminAction["command"] | "serve";
  /** Positional argument names, all required. */
  args: string[];
  /** Command-specific options (besides --help, and --url/--token/--json for admin commands). */
  options: string[];
  admin: boolean;
  usage: string;
  summary: string;
  details?: string;
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  name: { type: "string" },
  quota: { type: "string" },
  "rate-limit": { type: "string" },
} as const;

const ADMIN_OPTIONS = ["url", "token", "json"];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    args: [],
    options: [],
    admin: false,
    usage: "hourglass serve",
    summary: "Start the Hourglass server (configured by environment variables, as npm start).",
  },
  {
    name: "projects list",
    args: [],
    options: [],
    admin: true,
    usage: "hourglass projects list",
    summary: "List projects with their monthly quota, use this month and rate limit.",
  },
  {
    name: "projects create",
    args: [],
    options: ["name"],
    admin: true,
    usage: "hourglass projects create --name <name>",
    summary: "Create a project and its first API key (the key is shown only once).",
  },
  {
    name: "projects set",
    args: ["projectId"],
    options: ["name", "quota", "rate-limit"],
    admin: true,
    usage: "hourglass projects set <projectId> [--name <name>] [--quota <n|none>] [--rate-limit <n|none>]",
    summary: "Rename a project, or set its monthly quota or rate limit.",
    details:
      "  --name <name>          The project's new name.\n" +
      "  --quota <n|none>       Trigger instances the project may create per calendar month (UTC); none: no quota.\n" +
      "  --rate-limit <n|none>  Requests per second to /schedule and /cancel; none: no limit.",
  },
  {
    name: "keys list",
    args: ["projectId"],
    options: [],
    admin: true,
    usage: "hourglass keys list <projectId>",
    summary: "List a project's API keys (ids and prefixes; keys themselves are never stored).",
  },
  {
    name: "keys create",
    args: ["projectId"],
    options: [],
    admin: true,
    usage: "hourglass keys create <projectId>",
    summary: "Create an API key for a project (shown only once).",
  },
  {
    name: "keys revoke",
    args: ["keyId"],
    options: [],
    admin: true,
    usage: "hourglass keys revoke <keyId>",
    summary: "Revoke an API key; it is refused from now on.",
  },
  {
    name: "secret rotate",
    args: ["projectId"],
    options: [],
    admin: true,
    usage: "hourglass secret rotate <projectId>",
    summary: "Rotate a project's webhook signing secret (the new whsec_ secret is shown only once).",
    details:
      "  The previous secret keeps signing too (two signatures) until `hourglass secret drop-previous`,\n" +
      "  so receivers can switch without missing a message.",
  },
  {
    name: "secret drop-previous",
    args: ["projectId"],
    options: [],
    admin: true,
    usage: "hourglass secret drop-previous <projectId>",
    summary: "End a rotation: only the current signing secret signs from now on.",
  },
];

const GROUPS = ["projects", "keys", "secret"] as const;

const COMMON_OPTIONS_HELP =
  "Options of the admin commands:\n" +
  "  --url <url>      Hourglass base URL (default: $HOURGLASS_URL, else http://127.0.0.1:8080)\n" +
  "  --token <token>  Admin token (default: $HOURGLASS_ADMIN_TOKEN)\n" +
  "  --json           Print the API's JSON answer as it is\n" +
  "  -h, --help       Show help";

/** The overall help: every command and the common options. */
export function generalHelp(): string {
  // Long usages get their summary on the next line, so they do not widen the first column.
  const width = Math.max(...COMMANDS.map((c) => c.usage.length).filter((n) => n <= 48)) + 2;
  const lines = COMMANDS.map((c) =>
    c.usage.length + 2 > width ? `  ${c.usage}\n  ${" ".repeat(width)}${c.summary}` : `  ${c.usage.padEnd(width)}${c.summary}`,
  );
  return (
    "Usage: hourglass <command> [options]\n\n" +
    "The admin commands talk to a running Hourglass's admin API (the server must have HOURGLASS_ADMIN_TOKEN set).\n\n" +
    `Commands:\n${lines.join("\n")}\n  ${"hourglass help [command]".padEnd(width)}Show help for a command\n\n` +
    `${COMMON_OPTIONS_HELP}\n`
  );
}

function commandHelp(spec: CommandSpec): string {
  const details = spec.details ? `\n${spec.details}\n` : "";
  const common = spec.admin ? `\n${COMMON_OPTIONS_HELP}\n` : "\nOptions:\n  -h, --help  Show help\n";
  return `Usage: ${spec.usage}\n\n${spec.summary}\n${details}${common}`;
}

function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return `Usage: hourglass ${group} <${specs.map((c) => c.name.slice(group.length + 1)).join("|")}> ...\n\n${specs
    .map((c) => `  ${c.usage}\n      ${c.summary}`)
    .join("\n")}\n\n${COMMON_OPTIONS_HELP}\n`;
}

/** A word typed on the command line, echoed only if it looks like a command name (never a pasted secret). */
function echo(word: string): string {
  return /^[a-z][a-z-]{0,30}$/i.test(word) ? `"${word}"` : "argument";
}

/** Parses the arguments after `hourglass` (process.argv.slice(2)). */
export function parseCommandLine(argv: readonly string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    const message = error instanceof Error ? (error.message.split(/\.\s|\n/)[0] ?? error.message) : String(error);
    return usageError(message.replace(/\.$/, ""), helpTopic(argv));
  }

  const [first, second, ...rest] = positionals;
  const help = values.help === true;

  if (first === undefined) {
    return help ? { kind: "help", text: generalHelp() } : usageError("No command given", generalHelp());
  }
  if (first === "help") return helpFor(positionals.slice(1));

  let spec: CommandSpec | undefined;
  let args: string[];
  if (first === "serve") {
    spec = COMMANDS.find((c) => c.name === "serve");
    args = positionals.slice(1);
  } else if ((GROUPS as readonly string[]).includes(first)) {
    if (second === undefined) {
      return help ? { kind: "help", text: groupHelp(first) } : usageError(`"${first}" needs a subcommand`, groupHelp(first));
    }
    spec = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (!spec) return usageError(`Unknown subcommand ${echo(second)} of "${first}"`, groupHelp(first));
    args = rest;
  } else {
    return usageError(`Unknown command ${echo(first)}`, generalHelp());
  }
  if (!spec) return usageError(`Unknown command ${echo(first)}`, generalHelp());

  const usage = commandHelp(spec);
  if (help) return { kind: "help", text: usage };

  const allowed = new Set([...spec.options, ...(spec.admin ? ADMIN_OPTIONS : [])]);
  const refused = Object.keys(values).filter((k) => k !== "help" && values[k] !== undefined && !allowed.has(k));
  if (refused.length > 0) return usageError(`${spec.name} takes no --${refused[0]} option`, usage);
  if (args.length < spec.args.length) return usageError(`Missing <${spec.args[args.length]}>`, usage);
  if (args.length > spec.args.length) return usageError(`Too many arguments for ${spec.name}`, usage);
  if (args.some((a) => a.trim() === "")) return usageError("An id must not be empty", usage);

  if (spec.name === "serve") return { kind: "serve" };

  const action = buildAction(spec.name, args, values);
  if (typeof action === "string") return usageError(action, usage);
  const connection: ConnectionFlags = {};
  if (typeof values.url === "string") connection.url = values.url;
  if (typeof values.token === "string") connection.token = values.token;
  return { kind: "admin", action, json: values.json === true, connection };
}

/** The action, or a usage problem as a string. */
function buildAction(
  name: AdminAction["command"],
  args: string[],
  values: Record<string, string | boolean | undefined>,
): AdminAction | string {
  const id = (args[0] ?? "").trim();
  switch (name) {
    case "projects list":
      return { command: name };
    case "projects create": {
      const projectName = typeof values.name === "string" ? values.name.trim() : "";
      if (projectName === "") return "projects create needs --name <name>";
      return { command: name, name: projectName };
    }
    case "projects set": {
      const changes: { name?: string; monthQuota?: Limit; rateLimit?: Limit } = {};
      if (typeof values.name === "string") {
        if (values.name.trim() === "") return "--name must not be empty";
        changes.name = values.name.trim();
      }
      if (typeof values.quota === "string") {
        const quota = parseLimit(values.quota);
        if (quota === undefined) return "--quota must be a whole number or none";
        changes.monthQuota = quota;
      }
      if (typeof values["rate-limit"] === "string") {
        const rate = parseLimit(values["rate-limit"]);
        if (rate === undefined) return "--rate-limit must be a whole number or none";
        changes.rateLimit = rate;
      }
      if (Object.keys(changes).length === 0) return "Nothing to change: give --name, --quota or --rate-limit";
      return { command: name, projectId: id, changes };
    }
    case "keys list":
    case "keys create":
    case "secret rotate":
    case "secret drop-previous":
      return { command: name, projectId: id };
    case "keys revoke":
      return { command: name, keyId: id };
  }
}

/** `none` → null, a whole number → itself; anything else → undefined. Ranges are the API's to check. */
export function parseLimit(raw: string): Limit | undefined {
  const value = raw.trim().toLowerCase();
  if (value === "none") return null;
  if (!/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

function helpFor(topic: string[]): Parsed {
  if (topic.length === 0) return { kind: "help", text: generalHelp() };
  const [group, sub, ...extra] = topic;
  if (extra.length > 0) return usageError("Too many arguments for help", generalHelp());
  if (group === "serve" && sub === undefined) return { kind: "help", text: commandHelp(COMMANDS[0] as CommandSpec) };
  if (group !== undefined && (GROUPS as readonly string[]).includes(group)) {
    if (sub === undefined) return { kind: "help", text: groupHelp(group) };
    const spec = COMMANDS.find((c) => c.name === `${group} ${sub}`);
    if (spec) return { kind: "help", text: commandHelp(spec) };
    return usageError(`Unknown subcommand ${echo(sub)} of "${group}"`, groupHelp(group));
  }
  return usageError(`No help for ${echo(group ?? "")}`, generalHelp());
}

/** The most specific help for a command line that failed to parse. */
function helpTopic(argv: readonly string[]): string {
  const words = argv.filter((a) => !a.startsWith("-"));
  const [group, sub] = words;
  const spec = COMMANDS.find((c) => c.name === `${group} ${sub}` || c.name === group);
  if (spec) return commandHelp(spec);
  if (group !== undefined && (GROUPS as readonly string[]).includes(group)) return groupHelp(group);
  return generalHelp();
}

function usageError(message: string, usage: string): Parsed {
  return { kind: "usage-error", message, usage };
}
