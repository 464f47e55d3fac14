import type { AdminAction } from "./args.js";

/** Human output of each admin command, from the API's JSON answer. Pure. */

interface ProjectView {
  id: string;
  name: string;
  createdAt: string;
  monthQuota: number | null;
  usedThisMonth: number;
  rateLimit: number | null;
}

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
        ["ID", "NAME", "QUOTA/MONTH", "USED", "RATE LIMIT", "CREATED"],
        projects.map((p) => [p.id, p.name, limit(p.monthQuota), String(p.usedThisMonth), rate(p.rateLimit), p.createdAt]),
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
    `  rate limit:    ${rate(p.rateLimit)}\n`
  );
}

const limit = (n: number | null): string => (n === null ? "none" : String(n));
const rate = (n: number | null): string => (n === null ? "none" : `${n}/s`);

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
