import type { IncomingMessage } from "node:http";
import { PayloadTooLargeError } from "../errors.js";

/**
 * Reads the whole request body as raw bytes, refusing it with {@link PayloadTooLargeError} as
 * soon as it is known to exceed `maxBytes` — from Content-Length before reading anything, or
 * while streaming — so an oversized body is never buffered. Reads Node's IncomingMessage when
 * there is one (the real server), the Fetch `Request` otherwise (in-process tests).
 */
export async function readBodyLimited(
  incoming: IncomingMessage | undefined,
  request: Request,
  maxBytes: number,
): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const source: AsyncIterable<Uint8Array> | null = incoming ?? request.body;
  if (source === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError("body_too_large", `The request body is larger than the ${maxBytes}-byte limit.`);
}
