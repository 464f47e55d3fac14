import { HourglassConnectionError, HourglassError } from "./errors.js";

/** The `fetch` the client calls; the platform's by default. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Who a request authenticates as: a project (API key), the operator (admin token), or nobody. */
export type Auth = "key" | "admin" | "none";

export interface TransportOptions {
  baseUrl: string | URL;
  apiKey?: string | undefined;
  adminToken?: string | undefined;
  fetch?: FetchLike | undefined;
  timeoutMs?: number | undefined;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** One JSON API call: `path` is already encoded; `query` values that are undefined are left out. */
export interface JsonCall {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  auth: Auth;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/**
 * The client's only I/O: requests to one Hourglass, errors turned into HourglassError (an answer)
 * or HourglassConnectionError (no answer). Credentials go in headers, never in URLs or messages.
 */
export class Transport {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly adminToken: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;

  constructor(options: TransportOptions) {
    const base = new URL(String(options.baseUrl));
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError("baseUrl must be an http:// or https:// URL");
    if (base.username !== "" || base.password !== "") throw new TypeError("baseUrl must not contain credentials; pass apiKey or adminToken");
    this.baseUrl = `${base.origin}${base.pathname}`.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.adminToken = options.adminToken;
    // Unbound window.fetch throws "Illegal invocation" in browsers.
    this.fetchImpl = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The API key, or a TypeError naming what is missing. */
  key(): string {
    if (this.apiKey === undefined || this.apiKey === "") throw new TypeError("This Hourglass client has no apiKey: pass { apiKey } to use the project API");
    return this.apiKey;
  }

  /** A JSON call; resolves to the parsed answer, or null for an empty one (204). */
  async json<T>(call: JsonCall): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const credential = this.credential(call.auth);
    if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
    if (call.body !== undefined) headers["content-type"] = "application/json";
    let url = `${this.baseUrl}${call.path}`;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) query.set(name, String(value));
    if ([...query].length > 0) url += `?${query}`;
    return (await this.send(url, {
      method: call.method,
      headers,
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    })) as T;
  }

  /** Sends a request as given (`url` absolute) and reads the JSON answer; see {@link json}. */
  async send(url: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new HourglassConnectionError(`Could not reach Hourglass at ${this.baseUrl}: ${this.reason(error)}`, { cause: error });
    }
    let body: unknown = null;
    let isJson = false;
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
        isJson = true;
      } catch {
        // not JSON: answered below
      }
    }
    if (response.ok && (isJson || text.trim() === "")) return body;
    if (!response.ok && isJson && body !== null && typeof body === "object") {
      const { error, message } = body as { error?: unknown; message?: unknown };
      if (typeof error === "string") {
        throw new HourglassError(response.status, error, typeof message === "string" ? message : "", retryAfterOf(response.headers.get("retry-after")));
      }
    }
    throw new HourglassError(response.status, `http_${response.status}`, `Unexpected answer from ${this.baseUrl}; is it a Hourglass server?`);
  }

  private credential(auth: Auth): string | undefined {
    if (auth === "key") return this.key();
    if (auth === "admin") {
      if (this.adminToken === undefined || this.adminToken === "") throw new TypeError("This Hourglass client has no adminToken: pass { adminToken } to use the admin API");
      return this.adminToken;
    }
    return undefined;
  }

  private reason(error: unknown): string {
    if (!(error instanceof Error)) return String(error);
    if (error.name === "TimeoutError" || error.name === "AbortError") return `no answer within ${this.timeoutMs / 1000} s`;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return cause.message || (typeof code === "string" ? code : error.message);
    }
    return error.message;
  }
}

/** `Retry-After` as seconds: a number of seconds, or an HTTP date from now. */
function retryAfterOf(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
