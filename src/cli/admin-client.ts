import type { Hourglass } from "../../client/src/index.js";
import type { AdminAction, ConnectionFlags } from "./args.js";

/** How the CLI reaches a server: base URLs and credentials. It never opens the database. */

export const DEFAULT_URL = "http://127.0.0.1:8080";

export interface Connection {
  /** Base URL without a trailing slash; it never holds credentials. */
  baseUrl: string;
  token: string;
}

/** Flags override the environment (HOURGLASS_URL, HOURGLASS_ADMIN_TOKEN). Returns a problem as a string. */
export function resolveConnection(flags: ConnectionFlags, env: Record<string, string | undefined>): Connection | string {
  const baseUrl = resolveBaseUrl(flags.url, env, "HOURGLASS_ADMIN_TOKEN or --token");
  if (baseUrl.problem !== undefined) return baseUrl.problem;

  const token = (flags.token ?? env.HOURGLASS_ADMIN_TOKEN ?? "").trim();
  if (token === "") {
    return "No admin token: set HOURGLASS_ADMIN_TOKEN (or pass --token) to the token the server was started with";
  }
  if (!/^[\x21-\x7e]+$/.test(token)) return "The admin token must be printable ASCII without spaces";
  return { baseUrl: baseUrl.url, token };
}

/** The base URL from the flag, else HOURGLASS_URL, else the default; or the problem with it. */
export function resolveBaseUrl(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  credentialHint: string,
): { url: string; problem?: undefined } | { problem: string } {
  const rawUrl = (flag ?? env.HOURGLASS_URL ?? "").trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { problem: "The Hourglass URL (--url or HOURGLASS_URL) is not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "The Hourglass URL must start with http:// or https://" };
  if (url.username !== "" || url.password !== "") {
    return { problem: `The Hourglass URL must not contain credentials; give them with ${credentialHint}` };
  }
  if (url.search !== "" || url.hash !== "") return { problem: "The Hourglass URL must not have a query or fragment" };
  return { url: url.href.replace(/\/+$/, "") };
}

/** Runs one admin command with the client; resolves to the API's answer as it came (null for 204). */
export async function callAdmin(client: Hourglass, action: AdminAction): Promise<unknown> {
  const { admin } = client;
  switch (action.command) {
    case "projects list":
      return { projects: await admin.projects.list() };
    case "projects create":
      return admin.projects.create(action.name);
    case "projects set":
      return admin.projects.update(action.projectId, action.changes);
    case "keys list":
      return { keys: await admin.keys.list(action.projectId) };
    case "keys create":
      return admin.keys.create(action.projectId);
    case "keys revoke":
      await admin.keys.revoke(action.keyId);
      return null;
    case "secret rotate":
      return admin.signingSecret.rotate(action.projectId);
    case "secret drop-previous":
      await admin.signingSecret.dropPrevious(action.projectId);
      return null;
  }
}
