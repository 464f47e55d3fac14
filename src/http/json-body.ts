import type { Context } from "hono";
import { InvalidInputError } from "../errors.js";
import type { AppEnv } from "./context.js";
import { readBodyLimited } from "./read-body.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The request body of a management or admin route as a JSON object. Read through the same
 * streaming limit as `/schedule` (413 `body_too_large` from Content-Length or as soon as the
 * stream passes `maxBytes`, never buffered whole); anything but a UTF-8 JSON object is a 400
 * `invalid_body`.
 */
export async function readJsonObject(c: Context<AppEnv>, maxBytes: number): Promise<Record<string, unknown>> {
  const bytes = await readBodyLimited(c.env?.incoming, c.req.raw, maxBytes);
  try {
    const parsed: unknown = JSON.parse(utf8.decode(bytes));
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("invalid_body", "The body must be a JSON object.");
}
