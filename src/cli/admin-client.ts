import type { AdminAction, ConnectionFlags } from "./args.js";

/** The CLI's only I/O with the server: one admin API request per command. It never opens the database. */

export const DEFAULT_URL = "http://127.0.0.1:8080";
const TIMEOUT_MS = 30_000;

export interface Connection {
  /** Base URL without a trailing slash; it never holds credentials. */
  baseUrl: string;
  token: string;
}

/** Flags override the environment (HOURGLASS_URL, HOURGLASS_ADMIN_TOKEN). Returns a problem as a string. */
export function resolveConnection(flags: ConnectionFlags, env: Record<string, string | undefined>): Connection | string {
  const rawUrl = (flags.url ?? env.HOURGLASS_URL ?? "").trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return "The Hourglass URL (--url or HOURGLASS_URL) is not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "The Hourglass URL must start with http:// or https://";
  if (url.username !== "" || url.password !== "") {
    return "The Hourglass URL must not contain credentials; give the admin token with HOURGLASS_ADMIN_TOKEN or --token";
  }
  if (url.search !== "" || url.hash !== "") return "The Hourglass URL must not have a query or fragment";

  const token = (flags.token ?? env.HOURGLASS_ADMIN_TOKEN ?? "").trim();
  if (token === "") {
    return "No admin token: set HOURGLASS_ADMIN_TOKEN (or pass --token) to the token the server was started with";
  }
  if (!/^[\x21-\x7e]+$/.test(token)) return "The admin token must be printable ASCII without spaces";
  return { baseUrl: url.href.replace(/\/+$/, ""), token };
}

export interface AdminRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
}

/** The admin API request each command makes (src/http/admin-routes.ts). */
export function requestFor(action: AdminAction): AdminRequest {
  const seg = encodeURIComponent;
  switch (action.command) {
    case "projects list":
      return { method: "GET", path: "/admin/projects" };
    case "projects create":
      return { method: "POST", path: "/admin/projects", body: { name: action.name } };
    case "projects set":
      return { method: "PATCH", path: `/admin/projects/${seg(action.projectId)}`, body: { ...action.changes } };
    case "keys list":
      return { method: "GET", path: `/admin/projects/${seg(action.projectId)}/keys` };
    case "keys create":
      return { method: "POST", path: `/admin/projects/${seg(action.projectId)}/keys` };
    case "keys revoke":
      return { method: "DELETE", path: `/admin/keys/${seg(action.keyId)}` };
    case "secret rotate":
      return { method: "POST", path: `/admin/projects/${seg(action.projectId)}/signing-secret` };
    case "secret drop-previous":
      return { method: "DELETE", path: `/admin/projects/${seg(action.projectId)}/signing-secret/previous` };
  }
}

export type AdminResult =
  /** `body` is the parsed JSON, or null for an empty answer (204). */
  | { ok: true; status: number; body: unknown }
  | { ok: false; kind: "api"; status: number; error: string; message: string }
  | { ok: false; kind: "network"; message: string };

/** Sends one admin request. Error texts name the URL, never the token. */
export async function callAdmin(
  connection: Connection,
  request: AdminRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<AdminResult> {
  const url = `${connection.baseUrl}${request.path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${connection.token}`, accept: "application/json" };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    return { ok: false, kind: "network", message: `Could not reach Hourglass at ${connection.baseUrl}: ${networkReason(error)}` };
  }

  let body: unknown = null;
  let isJson = false;
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
      isJson = true;
    } catch {
      // not JSON: handled below
    }
  }
  if (response.ok) {
    if (text.trim() === "" || isJson) return { ok: true, status: response.status, body };
    return notHourglass(connection, response.status);
  }
  if (isJson && body !== null && typeof body === "object") {
    const { error, message } = body as { error?: unknown; message?: unknown };
    if (typeof error === "string") {
      return { ok: false, kind: "api", status: response.status, error, message: typeof message === "string" ? message : "" };
    }
  }
  return notHourglass(connection, response.status);
}

function notHourglass(connection: Connection, status: number): AdminResult {
  return {
    ok: false,
    kind: "api",
    status,
    error: `http_${status}`,
    message: `Unexpected answer from ${connection.baseUrl}; is it a Hourglass server?`,
  };
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return `no answer within ${TIMEOUT_MS / 1000} s`;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return cause.message || (typeof code === "string" ? code : error.message);
    }
    return error.message;
  }
  return String(error);
}
