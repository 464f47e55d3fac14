import type { IncomingMessage } from "node:http";
import { InvalidInputError, PayloadTooLargeError } from "../errors.js";

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
  if (incoming !== undefined) return readIncomingLimited(incoming, maxBytes);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const source: AsyncIterable<Uint8Array> | null = request.body;
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

/** The same from Node's stream, by its events: cheaper than its async iterator on the ingest path. */
export function readIncomingLimited(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = declaredLength(incoming.rawHeaders);
  if (declared !== null && Number(declared) > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (incoming.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        cleanup();
        incoming.resume(); // drain the rest without buffering it; the response refuses it
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    // A stream error here is the client's connection failing (reset, or closed mid-body): its
    // fault, answered as such (if anyone is still listening) and not logged as ours.
    const onError = (error: Error) => {
      cleanup();
      reject(incomplete(error));
    };
    const onClose = () => {
      cleanup();
      reject(incomplete(undefined));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

/** Content-Length from the raw header list (`incoming.headers` would build an object of all of them). */
function declaredLength(rawHeaders: readonly string[]): string | null {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 14 && name.toLowerCase() === "content-length") return rawHeaders[i + 1] as string;
  }
  return null;
}

function incomplete(cause: unknown): InvalidInputError {
  return new InvalidInputError("body_incomplete", "The connection ended before the whole request body arrived.", { cause });
}

/** 413 `body_too_large`: a request body (or the body a JSON request carries) is over `maxBytes`. */
export function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError("body_too_large", `The request body is larger than the ${maxBytes}-byte limit.`);
}
