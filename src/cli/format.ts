import type {
  Execution,
  FireTime,
  Flow,
  Generator,
  GeneratorDetail,
  Preview,
  Project,
  QueuedRun,
  ScheduleResponse,
  Trigger,
  TriggerDetail,
} from "../../client/src/index.js";
import type { AdminAction, ProjectAction } from "./args.js";

/** Human output of each command, from the API's JSON answer. Pure. */

type ProjectView = Pick<Project, "id" | "name" | "createdAt" | "monthQuota" | "usedThisMonth" | "rateLimit" | "defaults">;

interface IssuedKey {
  id: string;
  prefix: string;
  key: string;
}

interface KeyView {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const SHOWN_ONCE = "This is shown only once: store it now, it cannot be read back.";

/** The text to print for a successful command (ends with a newline), or "" for nothing. */
export function formatResult(action: AdminAction, body: unknown, asJson: boolean): string {
  if (asJson) return body === null ? "" : `${JSON.stringify(body, null, 2)}\n`;
  switch (action.command) {
    case "projects list": {
      const { projects } = body as { projects: ProjectView[] };
      if (projects.length === 0) return "No projects.\n";
      return table(
        ["ID", "NAME", "QUOTA/MONTH", "USED", "RATE LIMIT", "CREATED", "DEFAULTS"],
        projects.map((p) => [p.id, p.name, limit(p.monthQuota), String(p.usedThisMonth), rate(p.rateLimit), p.createdAt, defaultsSummary(p.defaults)]),
      );
    }
    case "projects create": {
      const { project, apiKey } = body as { project: ProjectView; apiKey: IssuedKey };
      return `Created project ${project.id} (${project.name}).\n\n${issuedKey(apiKey, project.id)}`;
    }
    case "projects set":
      return `Updated project ${(body as ProjectView).id}.\n${projectDetails(body as ProjectView)}`;
    case "keys list": {
      const { keys } = body as { keys: KeyView[] };
      if (keys.length === 0) return `No keys for project ${action.projectId}.\n`;
      return table(
        ["ID", "PREFIX", "CREATED", "REVOKED"],
        keys.map((k) => [k.id, `${k.prefix}…`, k.createdAt, k.revokedAt ?? "-"]),
      );
    }
    case "keys create":
      return issuedKey(body as IssuedKey, action.projectId);
    case "keys revoke":
      return `Revoked key ${action.keyId}: it is refused from now on.\n`;
    case "secret rotate": {
      const { secret, signingWith } = body as { secret: string; signingWith: number };
      const then =
        signingWith > 1
          ? `Deliveries are now signed with both the new and the previous secret. Once every receiver uses the new one, run:\n  hourglass secret drop-previous ${action.projectId}\n`
          : "Deliveries are now signed with it.\n";
      return `New signing secret for project ${action.projectId}:\n\n  ${secret}\n\n${SHOWN_ONCE}\n${then}`;
    }
    case "secret drop-previous":
      return `Project ${action.projectId} now signs with its current secret only.\n`;
  }
}

function issuedKey(apiKey: IssuedKey, projectId: string): string {
  return (
    `API key ${apiKey.id} for project ${projectId}:\n\n  ${apiKey.key}\n\n${SHOWN_ONCE}\n` +
    "Send it as the ttr-api-key header (or Authorization: Bearer).\n"
  );
}

function projectDetails(p: ProjectView): string {
  return (
    `  name:          ${p.name}\n` +
    `  monthly quota: ${limit(p.monthQuota)} (used ${p.usedThisMonth} this month)\n` +
    `  rate limit:    ${rate(p.rateLimit)}\n` +
    `  defaults:      ${defaultsSummary(p.defaults)}\n`
  );
}

/**
 * A project's delivery defaults on one line, as the `projects set` options that set them would
 * read (`retries=3 retry-delay=10s …`); `-` when none is set.
 */
export function defaultsSummary(d: ProjectView["defaults"]): string {
  const parts: string[] = [];
  if (d.retries !== null) parts.push(`retries=${d.retries}`);
  if (d.retryDelayMs !== null) parts.push(`retry-delay=${duration(d.retryDelayMs)}`);
  if (d.timeoutMs !== null) parts.push(`timeout=${duration(d.timeoutMs)}`);
  if (d.callbackUrl !== null) parts.push(`callback-url=${d.callbackUrl}`);
  if (d.failureUrl !== null) parts.push(`failure-url=${d.failureUrl}`);
  return parts.length === 0 ? "-" : parts.join(" ");
}

/** Milliseconds in the largest unit that divides them (as ttr-timeout would take them back). */
export function duration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const limit = (n: number | null): string => (n === null ? "none" : String(n));
const rate = (n: number | null): string => (n === null ? "none" : `${n}/s`);

/** The text to print for a successful project command (ends with a newline), or "" for nothing. */
export function formatProjectResult(action: ProjectAction, body: unknown, asJson: boolean): string {
  if (asJson) return body === null ? "" : `${JSON.stringify(body, null, 2)}\n`;
  switch (action.command) {
    case "schedule": {
      const r = body as ScheduleResponse;
      const what = r.kind === "generator" ? `generator ${r.triggerId}, first run at` : `trigger ${r.triggerId} for`;
      const edited = r.operation === "reschedule" ? " (edited the live one with that key or id)" : "";
      const quota = r.monthQuotaRemaining === null ? "" : `${r.monthQuotaRemaining} left of this month's quota.\n`;
      return `Scheduled ${what} ${r.scheduledAt}${edited}.\n${quota}`;
    }
    case "triggers list": {
      const { triggers, nextCursor } = body as { triggers: Trigger[]; nextCursor: string | null };
      if (triggers.length === 0) return "No triggers.\n";
      // The FLOW column only when a trigger listed has a flow, so lists without flows stay as narrow.
      const flows = triggers.some((t) => t.flowKey !== null);
      return (
        table(
          ["ID", "STATUS", "KIND", "SCHEDULED (UTC)", "ATTEMPTS", ...(flows ? ["FLOW"] : []), "METHOD", "URL", "TITLE"],
          triggers.map((t) => [
            t.id,
            t.status,
            t.kind,
            t.scheduledAt,
            String(t.attempts),
            ...(flows ? [flowCell(t)] : []),
            t.method,
            t.url,
            t.title ?? "-",
          ]),
        ) + more(nextCursor, action.command)
      );
    }
    case "triggers get":
      return triggerDetails(body as TriggerDetail);
    case "triggers cancel":
      return `Cancelled trigger ${action.id}.\n`;
    case "triggers replay": {
      const run = body as QueuedRun;
      return `Replaying trigger ${run.triggerId} at ${run.scheduledAt}.\n`;
    }
    case "preview": {
      const preview = body as Preview;
      if (preview.kind === "once") return `${preview.scheduledAt}  (${preview.local} in ${preview.timezone})\n`;
      return table(
        ["AT (UTC)", `LOCAL (${preview.timezone})`, "DST"],
        preview.fireTimes.map((fire) => [fire.at, fire.local, dstNote(fire)]),
      );
    }
    case "flows": {
      const { flows } = body as { flows: Flow[] };
      if (flows.length === 0) return "No flows.\n";
      return table(
        ["KEY", "PARALLELISM", "RATE", "IN FLIGHT", "WAITING"],
        flows.map((f) => [f.key, limit(f.parallelism), rate(f.rate), String(f.inFlight), String(f.waiting)]),
      );
    }
    case "generators list": {
      const { generators, nextCursor } = body as { generators: Generator[]; nextCursor: string | null };
      if (generators.length === 0) return "No generators.\n";
      return (
        table(
          ["ID", "STATUS", "CRON", "TIMEZONE", "NEXT (UTC)", "METHOD", "URL", "TITLE"],
          generators.map((g) => [g.id, g.status, g.cron, g.timezone, g.nextAt ?? "-", g.method, g.url, g.title ?? "-"]),
        ) + more(nextCursor, action.command)
      );
    }
    case "generators get":
      return generatorDetails(body as GeneratorDetail);
    case "generators pause":
      return `Paused generator ${(body as Generator).id}.\n`;
    case "generators resume": {
      const g = body as Generator;
      return `Resumed generator ${g.id}; next run at ${g.nextAt ?? "-"}.\n`;
    }
    case "generators run": {
      const run = body as QueuedRun;
      return `Generator ${action.id} runs now: trigger ${run.triggerId} at ${run.scheduledAt}.\n`;
    }
    case "generators cancel":
      return `Cancelled generator ${action.id}.\n`;
  }
}

/** A trigger's flow, and what it waits for when its flow holds it back. */
const flowCell = (t: Trigger): string =>
  t.flowKey === null ? "-" : t.flowWaiting === null ? t.flowKey : `${t.flowKey} (waiting: ${t.flowWaiting})`;

/** Why a trigger's flow holds it back, in words. */
const FLOW_WAITING: Record<NonNullable<Trigger["flowWaiting"]>, string> = {
  parallelism: "for its flow: as many of its attempts are in flight as its parallelism allows",
  rate: "for its flow: this second's rate is used up; due at the start of a later second",
};

const more = (nextCursor: string | null, command: string): string =>
  nextCursor === null ? "" : `(more: hourglass ${command} --limit <n> shows more)\n`;

/** `name: value` lines, the names aligned. */
function details(fields: [string, string][]): string {
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)}  ${value}\n`).join("");
}

const headerLines = (headers: [string, string][]): string => (headers.length === 0 ? "-" : headers.map(([n, v]) => `${n}: ${v}`).join("\n  ".padEnd(14)));

function triggerDetails(t: TriggerDetail): string {
  const text = details([
    ["id", t.id],
    ["status", t.status],
    ["kind", t.origin === t.kind ? t.kind : `${t.kind} (${t.origin})`],
    ["scheduled", t.scheduledAt],
    ["request", `${t.method} ${t.url}`],
    ["headers", headerLines(t.headers)],
    ["body", `${t.bodySize} bytes`],
    ["title", t.title ?? "-"],
    ["tags", t.tags.join(", ") || "-"],
    ["custom key", t.customKey ?? "-"],
    ["flow", t.flowKey ?? "-"],
    ...(t.flowWaiting !== null ? ([["waiting", FLOW_WAITING[t.flowWaiting]]] as [string, string][]) : []),
    ["generator", t.generatorId ?? "-"],
    ["attempts", `${t.attempts} (retries ${t.retries}, ${t.retriesLeft} left)`],
    ["finished", t.finishedAt ?? "-"],
    ...(t.cancelReason !== null ? ([["cancelled", t.cancelReason]] as [string, string][]) : []),
  ]);
  if (t.executions.length === 0) return `${text}\nNo attempts yet.\n`;
  return `${text}\n${executionTable(t.executions)}`;
}

function executionTable(executions: Execution[]): string {
  return table(
    ["ATTEMPT", "STARTED (UTC)", "MS", "OUTCOME", "HTTP", "ERROR"],
    executions.map((e) => [String(e.attempt), e.startedAt, String(e.durationMs), e.outcome, e.httpStatus === null ? "-" : String(e.httpStatus), e.error ?? "-"]),
  );
}

function generatorDetails(g: GeneratorDetail): string {
  return details([
    ["id", g.id],
    ["status", g.status],
    ["cron", `${g.cron} (${g.timezone})`],
    ["next", g.nextAt ?? "-"],
    ["run missed", g.runMissed],
    ["overlap", g.overlap],
    ["request", `${g.method} ${g.url}`],
    ["headers", headerLines(g.headers)],
    ["body", `${g.bodySize} bytes`],
    ["title", g.title ?? "-"],
    ["tags", g.tags.join(", ") || "-"],
    ["custom key", g.customKey ?? "-"],
    ["flow", g.flowKey ?? "-"],
    ...(g.note !== null ? ([["note", g.note]] as [string, string][]) : []),
  ]);
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

/** The one-line error for an API refusal (code and message; the token is never part of it). */
export function formatApiError(error: string, message: string, status: number): string {
  return `hourglass: ${error}${message ? `: ${message}` : ""} (HTTP ${status})\n`;
}

/** How DST moved a fire time, in words ("-" when it did not). */
function dstNote(fire: FireTime): string {
  switch (fire.dst) {
    case null:
      return "-";
    case "gap":
      return `gap: ${fire.wallTime} does not exist; moved by ${fire.shiftMs / 60_000} min`;
    case "overlap":
      return fire.firesOnBothPasses ? `overlap: pass ${fire.pass} of 2` : "overlap: first of two passes";
    case "skipped":
      return `skipped ${fire.skipped.count} vanished wall time(s) ${fire.skipped.first}–${fire.skipped.last}`;
  }
}
