import { parseArgs } from "node:util";

/**
 * The CLI's command line, parsed without any I/O: what to do, or the help/usage text to show.
 * Admin commands act through the admin API (admin-client.ts), project commands through the
 * project's API (project-client.ts); both with the client in client/.
 */

/** A limit as the CLI takes it: a whole number, or null for `none` (no limit). */
export type Limit = number | null;

/**
 * A project's delivery defaults as `projects set` sends them (the admin API's `defaults`): null
 * removes one; durations go as typed (`10s`, or seconds), the server checking their range.
 */
export interface DefaultsChanges {
  retries?: number | null;
  retryDelay?: string | null;
  timeout?: string | null;
  callbackUrl?: string | null;
  failureUrl?: string | null;
}

export interface ProjectSettingsChanges {
  name?: string;
  monthQuota?: Limit;
  rateLimit?: Limit;
  defaults?: DefaultsChanges;
}

export type AdminAction =
  | { command: "projects list" }
  | { command: "projects create"; name: string }
  | { command: "projects set"; projectId: string; changes: ProjectSettingsChanges }
  | { command: "keys list"; projectId: string }
  | { command: "keys create"; projectId: string }
  | { command: "keys revoke"; keyId: string }
  | { command: "secret rotate"; projectId: string }
  | { command: "secret drop-previous"; projectId: string };

/** The request `hourglass schedule` sends through /schedule, and its ttr- settings. */
export interface ScheduleCommand {
  command: "schedule";
  url: string;
  method: string;
  /** `[name, value]` in the order given. */
  headers: [string, string][];
  body?: string;
  options: {
    at: string;
    customKey?: string;
    timezone?: string;
    title?: string;
    tags?: string[];
    flowKey?: string;
    flowParallelism?: number;
    flowRate?: number;
  };
}

export const TRIGGER_STATUSES = ["registered", "running", "succeeded", "failed", "cancelled"] as const;
export const TRIGGER_KINDS = ["job", "generator", "callback"] as const;
/** What `triggers list --waiting-for` takes (the API's `waitingFor`). */
export const WAITING_FOR = ["flow"] as const;

/** A project command: one or more requests with the project's API key. */
export type ProjectAction =
  | ScheduleCommand
  | {
      command: "triggers list";
      filter: {
        status?: (typeof TRIGGER_STATUSES)[number];
        kind?: (typeof TRIGGER_KINDS)[number];
        tag?: string;
        waitingFor?: (typeof WAITING_FOR)[number];
      };
      /** How many to show, newest first (pages are followed up to it). */
      limit: number;
    }
  | { command: "triggers get" | "triggers cancel" | "triggers replay"; id: string }
  | { command: "preview"; query: { scheduledAt: string; timezone?: string; count?: number; from?: string } }
  | { command: "flows" }
  | { command: "generators list"; limit: number }
  | { command: "generators get" | "generators pause" | "generators resume" | "generators run" | "generators cancel"; id: string };

/** How to reach the admin API, as given by flags (the environment fills in the rest). */
export interface ConnectionFlags {
  url?: string;
  token?: string;
}

/** How to reach the project API, as given by flags (HOURGLASS_URL and HOURGLASS_API_KEY fill in the rest). */
export interface ProjectConnectionFlags {
  url?: string;
  key?: string;
}

export type Parsed =
  | { kind: "help"; text: string }
  | { kind: "usage-error"; message: string; usage: string }
  | { kind: "serve" }
  | { kind: "admin"; action: AdminAction; json: boolean; connection: ConnectionFlags }
  | { kind: "project"; action: ProjectAction; json: boolean; connection: ProjectConnectionFlags };

type Api = "admin" | "project" | null;

interface CommandSpec {
  name: AdminAction["command"] | ProjectAction["command"] | "serve";
  /** Positional argument names, all required. */
  args: string[];
  /** Command-specific options (besides --help, and the connection options and --json of its API). */
  options: string[];
  api: Api;
  usage: string;
  summary: string;
  details?: string;
}

const OPTIONS = {
  url: { type: "string" },
  server: { type: "string" },
  token: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  name: { type: "string" },
  quota: { type: "string" },
  "rate-limit": { type: "string" },
  "default-retries": { type: "string" },
  "default-retry-delay": { type: "string" },
  "default-timeout": { type: "string" },
  "default-callback-url": { type: "string" },
  "default-failure-url": { type: "string" },
  at: { type: "string" },
  method: { type: "string", short: "X" },
  data: { type: "string", short: "d" },
  header: { type: "string", short: "H", multiple: true },
  "custom-key": { type: "string" },
  timezone: { type: "string" },
  title: { type: "string" },
  tag: { type: "string", multiple: true },
  "flow-key": { type: "string" },
  "flow-parallelism": { type: "string" },
  "flow-rate": { type: "string" },
  status: { type: "string" },
  "waiting-for": { type: "string" },
  kind: { type: "string" },
  limit: { type: "string" },
  count: { type: "string" },
  from: { type: "string" },
} as const;

/** `projects set`'s delivery-default options, each with the field of the admin API's `defaults` it sets. */
const DEFAULT_FIELDS = {
  "default-retries": "retries",
  "default-retry-delay": "retryDelay",
  "default-timeout": "timeout",
  "default-callback-url": "callbackUrl",
  "default-failure-url": "failureUrl",
} as const satisfies Record<string, keyof DefaultsChanges>;
const DEFAULT_OPTIONS = Object.keys(DEFAULT_FIELDS) as (keyof typeof DEFAULT_FIELDS)[];

const API_OPTIONS: Record<"admin" | "project", string[]> = {
  admin: ["url", "server", "token", "json"],
  project: ["url", "server", "key", "json"],
};

/** Rows `triggers list` and `generators list` show unless told otherwise. */
export const DEFAULT_LIST_LIMIT = 50;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    args: [],
    options: [],
    api: null,
    usage: "hourglass serve",
    summary: "Start the Hourglass server (configured by environment variables, as npm start).",
  },
  {
    name: "projects list",
    args: [],
    options: [],
    api: "admin",
    usage: "hourglass projects list",
    summary: "List projects with their monthly quota, use this month, rate limit and delivery defaults.",
  },
  {
    name: "projects create",
    args: [],
    options: ["name"],
    api: "admin",
    usage: "hourglass projects create --name <name>",
    summary: "Create a project and its first API key (the key is shown only once).",
  },
  {
    name: "projects set",
    args: ["projectId"],
    options: ["name", "quota", "rate-limit", ...DEFAULT_OPTIONS],
    api: "admin",
    usage: "hourglass projects set <projectId> [--name <name>] [--quota <n|none>] [--rate-limit <n|none>] [--default-… <value|none>]…",
    summary: "Rename a project, or set its monthly quota, rate limit or delivery defaults.",
    details:
      "  --name <name>          The project's new name.\n" +
      "  --quota <n|none>       Trigger instances the project may create per calendar month (UTC); none: no quota.\n" +
      "  --rate-limit <n|none>  Requests per second to /schedule and /cancel; none: no limit.\n" +
      "\n" +
      "  Delivery defaults: what the project's triggers and generators get when their request does not\n" +
      "  say (ttr-retries, …). none removes one (back to the server's HOURGLASS_DEFAULT_*, or no URL);\n" +
      "  they apply to triggers created or edited from now on.\n" +
      "  --default-retries <n|none>              Retries after a failed attempt.\n" +
      "  --default-retry-delay <duration|none>   Delay before the first retry: 500ms, 10s, 5m, 1h (bare: seconds).\n" +
      "  --default-timeout <duration|none>       Each attempt's timeout.\n" +
      "  --default-callback-url <url|none>       Where the outcome of every delivery is posted.\n" +
      "  --default-failure-url <url|none>        Where a delivery that failed for good is posted.",
  },
  {
    name: "keys list",
    args: ["projectId"],
    options: [],
    api: "admin",
    usage: "hourglass keys list <projectId>",
    summary: "List a project's API keys (ids and prefixes; keys themselves are never stored).",
  },
  {
    name: "keys create",
    args: ["projectId"],
    options: [],
    api: "admin",
    usage: "hourglass keys create <projectId>",
    summary: "Create an API key for a project (shown only once).",
  },
  {
    name: "keys revoke",
    args: ["keyId"],
    options: [],
    api: "admin",
    usage: "hourglass keys revoke <keyId>",
    summary: "Revoke an API key; it is refused from now on.",
  },
  {
    name: "secret rotate",
    args: ["projectId"],
    options: [],
    api: "admin",
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
    api: "admin",
    usage: "hourglass secret drop-previous <projectId>",
    summary: "End a rotation: only the current signing secret signs from now on.",
  },
  {
    name: "schedule",
    args: [],
    options: ["url", "at", "method", "data", "header", "custom-key", "timezone", "title", "tag", "flow-key", "flow-parallelism", "flow-rate"],
    api: "project",
    usage: "hourglass schedule --url <target> --at <when> [--method M] [--data D] [--header 'Name: value']...",
    summary: "Schedule a request to <target> through /schedule, once or on cron(…).",
    details:
      "  --url <target>           The URL Hourglass will call (here --url is the target: give Hourglass's own\n" +
      "                           URL with HOURGLASS_URL or --server).\n" +
      "  --at <when>              now | add 10m, 2026-03-29T09:00:00Z, cron(0 9 * * 1-5), … (ttr-scheduled-at)\n" +
      "  -X, --method <M>         Default POST.\n" +
      "  -d, --data <text>        The body (sent as UTF-8).\n" +
      "  -H, --header 'N: v'      A header to send; repeat for more.\n" +
      "  --custom-key <key>       Idempotency key: a live trigger with it is edited instead.\n" +
      "  --timezone <zone>        IANA zone for times without an offset, and for cron.\n" +
      "  --title <text>           A title.   --tag <tag>  A tag; repeat for more.\n" +
      "  --flow-key <key>         The project's flow whose limits hold the attempts (ttr-flow-key).\n" +
      "  --flow-parallelism <n>   At most n of the flow's attempts in flight (1-1000; ttr-flow-parallelism).\n" +
      "  --flow-rate <n>          At most n of the flow's attempts started per second (1-10000; ttr-flow-rate).\n" +
      "                           A limit sets the flow's limits (both: one left out is removed); with a limit\n" +
      "                           and no --flow-key, the flow is the target's origin.",
  },
  {
    name: "preview",
    args: [],
    options: ["at", "timezone", "count", "from"],
    api: "project",
    usage: "hourglass preview --at <when> [--timezone <zone>] [--count N] [--from <when>]",
    summary: "Show when a ttr-scheduled-at fires: its instant, or a cron's next fire times with DST marks (nothing stored).",
  },
  {
    name: "triggers list",
    args: [],
    options: ["status", "kind", "tag", "waiting-for", "limit"],
    api: "project",
    usage: "hourglass triggers list [--status S] [--kind K] [--tag T] [--waiting-for flow] [--limit N]",
    summary: "List triggers, newest first.",
    details:
      `  --status <s>         ${TRIGGER_STATUSES.join(", ")}\n` +
      `  --kind <k>           ${TRIGGER_KINDS.join(", ")}\n` +
      "  --tag <tag>          Only triggers with this tag.\n" +
      "  --waiting-for flow   Only triggers their flow holds back (see hourglass flows).\n" +
      `  --limit <n>          How many to show (default ${DEFAULT_LIST_LIMIT}); pages are followed up to it.`,
  },
  { name: "triggers get", args: ["id"], options: [], api: "project", usage: "hourglass triggers get <id>", summary: "Show a trigger and its attempts." },
  {
    name: "triggers cancel",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass triggers cancel <id>",
    summary: "Cancel a waiting trigger (a generator: hourglass generators cancel).",
  },
  {
    name: "triggers replay",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass triggers replay <id>",
    summary: "Fire an executed (succeeded or failed) trigger again now.",
  },
  {
    name: "flows",
    args: [],
    options: [],
    api: "project",
    usage: "hourglass flows",
    summary: "List the project's flows: their limits, attempts in flight and triggers waiting.",
    details:
      "  A flow (ttr-flow-key) is listed once a request gave it limits. Its triggers held back show in\n" +
      "  hourglass triggers list --waiting-for flow.",
  },
  {
    name: "generators list",
    args: [],
    options: ["limit"],
    api: "project",
    usage: "hourglass generators list [--limit N]",
    summary: "List generators (cron schedules), newest first.",
  },
  { name: "generators get", args: ["id"], options: [], api: "project", usage: "hourglass generators get <id>", summary: "Show a generator." },
  {
    name: "generators pause",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass generators pause <id>",
    summary: "Pause a generator: its pending tick is cancelled and remembered.",
  },
  {
    name: "generators resume",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass generators resume <id>",
    summary: "Resume a paused generator.",
  },
  {
    name: "generators run",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass generators run <id>",
    summary: "Run a generator once now; its schedule is untouched.",
  },
  {
    name: "generators cancel",
    args: ["id"],
    options: [],
    api: "project",
    usage: "hourglass generators cancel <id>",
    summary: "Cancel a generator and every instance still waiting.",
  },
];

const GROUPS = ["projects", "keys", "secret", "triggers", "generators"] as const;
/** Commands of one word besides `serve`. */
const SINGLE = ["schedule", "preview", "flows"] as const;

const COMMON_OPTIONS_HELP =
  "Options of the admin commands (projects, keys, secret):\n" +
  "  --url <url>      Hourglass base URL (default: $HOURGLASS_URL, else http://127.0.0.1:8080)\n" +
  "  --token <token>  Admin token (default: $HOURGLASS_ADMIN_TOKEN)\n" +
  "  --json           Print the API's JSON answer as it is\n" +
  "  -h, --help       Show help";

const PROJECT_OPTIONS_HELP =
  "Options of the project commands (schedule, preview, triggers, flows, generators):\n" +
  "  --url <url>      Hourglass base URL (default: $HOURGLASS_URL, else http://127.0.0.1:8080); --server too\n" +
  "  --server <url>   The same (on schedule, --url is the target, so use this or HOURGLASS_URL)\n" +
  "  --key <key>      The project's API key (default: $HOURGLASS_API_KEY)\n" +
  "  --json           Print the API's JSON answer as it is\n" +
  "  -h, --help       Show help";

const optionsHelp = (api: Api): string =>
  api === "admin" ? COMMON_OPTIONS_HELP : api === "project" ? PROJECT_OPTIONS_HELP : "Options:\n  -h, --help  Show help";

/** The overall help: every command and the common options. */
export function generalHelp(): string {
  // Long usages get their summary on the next line, so they do not widen the first column.
  const width = Math.max(...COMMANDS.map((c) => c.usage.length).filter((n) => n <= 48)) + 2;
  // Everyday commands first: serve, then the project's, then the operator's.
  const rank = (api: Api) => (api === null ? 0 : api === "project" ? 1 : 2);
  const lines = [...COMMANDS].sort((a, b) => rank(a.api) - rank(b.api)).map((c) =>
    c.usage.length + 2 > width ? `  ${c.usage}\n  ${" ".repeat(width)}${c.summary}` : `  ${c.usage.padEnd(width)}${c.summary}`,
  );
  return (
    "Usage: hourglass <command> [options]\n\n" +
    "The project commands use a project's API key; the admin commands talk to the admin API (the server\n" +
    "must have HOURGLASS_ADMIN_TOKEN set). Both only talk HTTP to a running Hourglass.\n\n" +
    `Commands:\n${lines.join("\n")}\n  ${"hourglass help [command]".padEnd(width)}Show help for a command\n\n` +
    `${PROJECT_OPTIONS_HELP}\n\n${COMMON_OPTIONS_HELP}\n`
  );
}

function commandHelp(spec: CommandSpec): string {
  const details = spec.details ? `\n${spec.details}\n` : "";
  return `Usage: ${spec.usage}\n\n${spec.summary}\n${details}\n${optionsHelp(spec.api)}\n`;
}

function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return `Usage: hourglass ${group} <${specs.map((c) => c.name.slice(group.length + 1)).join("|")}> ...\n\n${specs
    .map((c) => `  ${c.usage}\n      ${c.summary}`)
    .join("\n")}\n\n${optionsHelp(specs[0]?.api ?? null)}\n`;
}

/** A word typed on the command line, echoed only if it looks like a command name (never a pasted secret). */
function echo(word: string): string {
  return /^[a-z][a-z-]{0,30}$/i.test(word) ? `"${word}"` : "argument";
}

/** Parses the arguments after `hourglass` (process.argv.slice(2)). */
export function parseCommandLine(argv: readonly string[]): Parsed {
  let values: Values;
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
  if (first === "serve" || (SINGLE as readonly string[]).includes(first)) {
    spec = COMMANDS.find((c) => c.name === first);
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

  const allowed = new Set([...spec.options, ...(spec.api === null ? [] : API_OPTIONS[spec.api])]);
  const refused = Object.keys(values).filter((k) => k !== "help" && values[k] !== undefined && !allowed.has(k));
  if (refused.length > 0) return usageError(`${spec.name} takes no --${refused[0]} option`, usage);
  if (args.length < spec.args.length) return usageError(`Missing <${spec.args[args.length]}>`, usage);
  if (args.length > spec.args.length) return usageError(`Too many arguments for ${spec.name}`, usage);
  if (args.some((a) => a.trim() === "")) return usageError("An id must not be empty", usage);

  if (spec.name === "serve") return { kind: "serve" };

  if (spec.api === "project") {
    const action = buildProjectAction(spec.name as ProjectAction["command"], args, values);
    if (typeof action === "string") return usageError(action, usage);
    const connection: ProjectConnectionFlags = {};
    // On schedule, --url is the target; --server names Hourglass on every command.
    const server = typeof values.server === "string" ? values.server : spec.name === "schedule" ? undefined : values.url;
    if (typeof server === "string") connection.url = server;
    if (typeof values.key === "string") connection.key = values.key;
    return { kind: "project", action, json: values.json === true, connection };
  }

  const action = buildAction(spec.name as AdminAction["command"], args, values);
  if (typeof action === "string") return usageError(action, usage);
  const connection: ConnectionFlags = {};
  const server = values.server ?? values.url;
  if (typeof server === "string") connection.url = server;
  if (typeof values.token === "string") connection.token = values.token;
  return { kind: "admin", action, json: values.json === true, connection };
}

type Values = Record<string, string | boolean | string[] | undefined>;
const text = (value: Values[string]): string | undefined => (typeof value === "string" ? value : undefined);
const list = (value: Values[string]): string[] => (Array.isArray(value) ? value : []);

/** A project action, or a usage problem as a string. Values are the API's to check; only the shape is checked here. */
function buildProjectAction(name: ProjectAction["command"], args: string[], values: Values): ProjectAction | string {
  const id = (args[0] ?? "").trim();
  switch (name) {
    case "schedule": {
      const url = text(values.url)?.trim() ?? "";
      if (url === "") return "schedule needs --url <target>";
      const at = text(values.at)?.trim() ?? "";
      if (at === "") return "schedule needs --at <when>, e.g. --at 'now | add 10m'";
      const method = (text(values.method)?.trim() ?? "POST").toUpperCase();
      if (!/^[!#$%&'*+.^_`|~0-9A-Z-]+$/.test(method)) return "--method must be an HTTP method, e.g. POST";
      const body = text(values.data);
      if (body !== undefined && (method === "GET" || method === "HEAD")) return `--data cannot go with ${method}, which carries no body`;
      const headers: [string, string][] = [];
      for (const raw of list(values.header)) {
        const colon = raw.indexOf(":");
        if (colon <= 0) return `--header takes "Name: value"`;
        headers.push([raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()]);
      }
      const options: ScheduleCommand["options"] = { at };
      const customKey = text(values["custom-key"]);
      if (customKey !== undefined) options.customKey = customKey;
      const timezone = text(values.timezone);
      if (timezone !== undefined) options.timezone = timezone;
      const title = text(values.title);
      if (title !== undefined) options.title = title;
      const tags = list(values.tag);
      if (tags.length > 0) options.tags = tags;
      const flowKey = text(values["flow-key"]);
      if (flowKey !== undefined) {
        if (flowKey.trim() === "") return "--flow-key must not be empty";
        options.flowKey = flowKey;
      }
      for (const [flag, field] of [["flow-parallelism", "flowParallelism"], ["flow-rate", "flowRate"]] as const) {
        const raw = text(values[flag]);
        if (raw === undefined) continue;
        const n = parseLimit(raw);
        if (typeof n !== "number" || n < 1) return `--${flag} must be a whole number from 1`;
        options[field] = n;
      }
      return { command: name, url, method, headers, ...(body !== undefined ? { body } : {}), options };
    }
    case "triggers list": {
      const limit = listLimit(values.limit);
      if (typeof limit === "string") return limit;
      const filter: Extract<ProjectAction, { command: "triggers list" }>["filter"] = {};
      const status = text(values.status);
      if (status !== undefined) {
        if (!(TRIGGER_STATUSES as readonly string[]).includes(status)) return `--status must be one of ${TRIGGER_STATUSES.join(", ")}`;
        filter.status = status as (typeof TRIGGER_STATUSES)[number];
      }
      const kind = text(values.kind);
      if (kind !== undefined) {
        if (!(TRIGGER_KINDS as readonly string[]).includes(kind)) return `--kind must be one of ${TRIGGER_KINDS.join(", ")}`;
        filter.kind = kind as (typeof TRIGGER_KINDS)[number];
      }
      const tags = list(values.tag);
      if (tags.length > 1) return "triggers list takes one --tag";
      if (tags[0] !== undefined) filter.tag = tags[0];
      const waitingFor = text(values["waiting-for"]);
      if (waitingFor !== undefined) {
        if (!(WAITING_FOR as readonly string[]).includes(waitingFor)) {
          return `--waiting-for must be ${WAITING_FOR.join(", ")} (triggers their flow holds back)`;
        }
        filter.waitingFor = waitingFor as (typeof WAITING_FOR)[number];
      }
      return { command: name, filter, limit };
    }
    case "preview": {
      const scheduledAt = text(values.at)?.trim() ?? "";
      if (scheduledAt === "") return "preview needs --at <when>, e.g. --at 'cron(0 9 * * 1-5, Europe/Paris)'";
      const query: Extract<ProjectAction, { command: "preview" }>["query"] = { scheduledAt };
      const timezone = text(values.timezone);
      if (timezone !== undefined) query.timezone = timezone;
      const from = text(values.from);
      if (from !== undefined) query.from = from;
      const count = text(values.count);
      if (count !== undefined) {
        const n = parseLimit(count);
        if (typeof n !== "number" || n < 1 || n > 1000) return "--count must be a whole number from 1 to 1000";
        query.count = n;
      }
      return { command: name, query };
    }
    case "flows":
      return { command: name };
    case "generators list": {
      const limit = listLimit(values.limit);
      return typeof limit === "string" ? limit : { command: name, limit };
    }
    case "triggers get":
    case "triggers cancel":
    case "triggers replay":
    case "generators get":
    case "generators pause":
    case "generators resume":
    case "generators run":
    case "generators cancel":
      return { command: name, id };
  }
}

function listLimit(value: Values[string]): number | string {
  const raw = text(value);
  if (raw === undefined) return DEFAULT_LIST_LIMIT;
  const limit = parseLimit(raw);
  return typeof limit === "number" && limit >= 1 ? limit : "--limit must be a whole number from 1";
}

/** The action, or a usage problem as a string. */
function buildAction(name: AdminAction["command"], args: string[], values: Values): AdminAction | string {
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
      const changes: ProjectSettingsChanges = {};
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
      const defaults = defaultsChanges(values);
      if (typeof defaults === "string") return defaults;
      if (Object.keys(defaults).length > 0) changes.defaults = defaults;
      if (Object.keys(changes).length === 0) return "Nothing to change: give --name, --quota, --rate-limit or a --default-… option";
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

/** A duration as `ttr-retry-delay` and `ttr-timeout` take it: 500ms, 10s, 5m, 1h, or bare seconds. */
const DURATION = /^\d{1,9}\s*(ms|s|m|h)?$/i;

/** The `--default-…` options given, or a usage problem. Shapes only: ranges and egress are the API's to check. */
function defaultsChanges(values: Values): DefaultsChanges | string {
  const defaults: DefaultsChanges = {};
  for (const flag of DEFAULT_OPTIONS) {
    const raw = text(values[flag])?.trim();
    if (raw === undefined) continue;
    const field = DEFAULT_FIELDS[flag];
    if (raw.toLowerCase() === "none") {
      defaults[field] = null;
      continue;
    }
    switch (field) {
      case "retries": {
        const retries = parseLimit(raw);
        if (typeof retries !== "number") return `--${flag} must be a whole number or none`;
        defaults.retries = retries;
        break;
      }
      case "retryDelay":
      case "timeout":
        if (!DURATION.test(raw)) return `--${flag} must be a duration such as 500ms, 10s, 5m or 1h (bare numbers are seconds), or none`;
        defaults[field] = raw;
        break;
      case "callbackUrl":
      case "failureUrl":
        if (!isHttpUrl(raw)) return `--${flag} must be an http:// or https:// URL, or none`;
        defaults[field] = raw;
        break;
    }
  }
  return defaults;
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
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
  const single = COMMANDS.find((c) => c.name === group && !GROUPS.includes(group as (typeof GROUPS)[number]));
  if (single && sub === undefined) return { kind: "help", text: commandHelp(single) };
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
