import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Header carrying the bench's own id of a trigger, forwarded by every adapter. */
export const BENCH_ID_HEADER = "x-bench-id";

/** One request received by the sink. */
export interface Arrival {
  id: string;
  /** Epoch ms when the request line and headers arrived. */
  at: number;
}

/** The delivery target: records every request it receives, by bench id. */
export interface Sink {
  /** Base URL on 127.0.0.1. */
  readonly url: string;
  readonly arrivals: readonly Arrival[];
  /** How often each id arrived. */
  readonly counts: ReadonlyMap<string, number>;
  /** Resolves once `done()` holds after an arrival (or now), or once `timeoutMs` has passed; returns whether it held. */
  waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Forgets every arrival. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the sink on 127.0.0.1 with an ephemeral port; it answers 200 to everything. */
export async function startSink(): Promise<Sink> {
  const arrivals: Arrival[] = [];
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const at = Date.now();
    const raw = req.headers[BENCH_ID_HEADER];
    const id = Array.isArray(raw) ? (raw[0] ?? "") : (raw ?? "");
    arrivals.push({ id, at });
    counts.set(id, (counts.get(id) ?? 0) + 1);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
      res.end("ok");
    });
    for (const waiter of waiters) waiter();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    counts,
    waitUntil(done, timeoutMs) {
      if (done()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const finish = (held: boolean): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(held);
        };
        const check = (): void => {
          if (done()) finish(true);
        };
        const timer = setTimeout(() => finish(done()), timeoutMs);
        waiters.add(check);
      });
    },
    reset() {
      arrivals.length = 0;
      counts.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
