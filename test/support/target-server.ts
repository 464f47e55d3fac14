import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as a target received it, raw. */
export interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  /** Date.now() when the request's headers arrived (before its body was read). */
  arrivedAt: number;
  /** Date.now() once the whole body was read. */
  receivedAt: number;
}

export interface TargetServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  received: ReceivedRequest[];
  /** Resolves once `count` requests in total have been received. */
  waitForCount(count: number): Promise<ReceivedRequest[]>;
  /** Resolves once `done(received)` holds (checked now and after each request). */
  waitFor(done: (received: ReceivedRequest[]) => boolean): Promise<ReceivedRequest[]>;
  /** Replaces how the target answers (default: 200 "ok"). */
  respondWith(handler: (req: ReceivedRequest, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0, recording every request byte for byte. */
export async function startTargetServer(): Promise<TargetServer> {
  const received: ReceivedRequest[] = [];
  const waiters: { done: (r: ReceivedRequest[]) => boolean; resolve: (r: ReceivedRequest[]) => void }[] = [];
  let handler = (_req: ReceivedRequest, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  };
  const server = createServer((req: IncomingMessage, res) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        arrivedAt,
        receivedAt: Date.now(),
      };
      received.push(record);
      handler(record, res);
      for (const waiter of [...waiters]) {
        if (waiter.done(received)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(received.slice());
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const waitFor = (done: (all: ReceivedRequest[]) => boolean): Promise<ReceivedRequest[]> => {
    if (done(received)) return Promise.resolve(received.slice());
    return new Promise((resolve) => waiters.push({ done, resolve }));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitForCount: (count) => waitFor((all) => all.length >= count),
    waitFor,
    respondWith(next) {
      handler = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Header pairs from a raw header list, excluding names (lowercase) in `drop`. */
export function headerPairs(rawHeaders: string[], drop: string[] = []): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (!drop.includes(name.toLowerCase())) pairs.push([name, rawHeaders[i + 1] as string]);
  }
  return pairs;
}
