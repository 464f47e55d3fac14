import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDeliverer, type Deliverer, type DelivererOptions, type DeliveryOutcome } from "../../src/dispatch/deliver.js";
import type { HeaderPair, RequestTemplate } from "../../src/store/types.js";

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  remotePort: number;
}

type Responder = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

interface Target {
  server: http.Server;
  origin: string;
  received: Received[];
  sockets: Socket[];
  respond: Responder;
}

const BINARY = Uint8Array.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x7f, 0xc3, 0x28, 0xe2, 0x82, 0x00]);

let target: Target;
let deliverer: Deliverer;

async function startTarget(): Promise<Target> {
  const t: Target = {
    server: http.createServer(),
    origin: "",
    received: [],
    sockets: [],
    respond: (_req, res) => res.end("ok"),
  };
  t.server.on("connection", (socket: Socket) => {
    socket.on("error", () => {});
    t.sockets.push(socket);
  });
  t.server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      t.received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        rawHeaders: req.rawHeaders,
        body,
        remotePort: req.socket.remotePort ?? -1,
      });
      t.respond(req, res, body);
    });
  });
  t.server.listen(0, "127.0.0.1");
  await once(t.server, "listening");
  t.origin = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  return t;
}

function whenClosed(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.on("close", () => resolve()));
}

async function stopTarget(t: Target): Promise<void> {
  t.server.closeAllConnections();
  t.server.close();
  await once(t.server, "close");
}

function template(overrides: Partial<RequestTemplate> = {}): RequestTemplate {
  return { method: "POST", url: `${target.origin}/hook`, headers: [], body: null, ...overrides };
}

function headerValues(rawHeaders: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) values.push(rawHeaders[i + 1] ?? "");
  }
  return values;
}

function pairsExcept(rawHeaders: string[], skip: string[]): HeaderPair[] {
  const pairs: HeaderPair[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (!skip.includes(name.toLowerCase())) pairs.push([name, rawHeaders[i + 1] ?? ""]);
  }
  return pairs;
}

/**
 * undici hands a connection back to its pool a tick after the response ends, so a request sent
 * right after may open a second one; reuse shows as fewer connections than requests, none closed.
 */
function expectConnectionsReused(): void {
  expect(target.sockets.length).toBeLessThan(target.received.length);
  expect(target.sockets.filter((socket) => socket.destroyed)).toEqual([]);
  const ports = target.received.map((r) => r.remotePort);
  expect(new Set(ports).size).toBe(target.sockets.length);
}

async function replaceDeliverer(options: DelivererOptions): Promise<void> {
  await deliverer.close();
  deliverer = createDeliverer(options);
}

function counterClock(): () => number {
  let t = 1_000;
  return () => (t += 1_000);
}

beforeEach(async () => {
  target = await startTarget();
  deliverer = createDeliverer({ now: counterClock() });
});

/*
 * Closing the deliverer must close every connection it opened, including those of timed-out
 * and abandoned requests: a leaked socket makes this hook time out.
 */
afterEach(async () => {
  await deliverer.close();
  await Promise.all(target.sockets.map(whenClosed));
  await stopTarget(target);
});

describe("replay", () => {
  const headers: HeaderPair[] = [
    ["X-First", "1"],
    ["x-dup", "a"],
    ["Authorization", "Bearer secret"],
    ["X-Mixed-CASE", "keeps case"],
    ["x-dup", "b"],
    ["Content-Type", "application/octet-stream"],
    ["X-DUP", "c"],
    ["X-Latin1", "caf\u00e9"],
  ];

  it.each([
    ["GET", null],
    ["HEAD", null],
    ["OPTIONS", null],
    ["POST", BINARY],
    ["PUT", BINARY],
    ["PATCH", BINARY],
    ["DELETE", BINARY],
    ["PURGE", BINARY],
  ])("%s is replayed byte for byte", async (method, body) => {
    const outcome = await deliverer.deliver(
      template({ method, url: `${target.origin}/a/b%20c?q=1&q=2&e=%C3%A9#fragment`, headers, body }),
      { timeoutMs: 5_000 },
    );

    expect(outcome).toMatchObject({ ok: true, httpStatus: 200, error: null });
    expect(target.received).toHaveLength(1);
    const got = target.received[0]!;
    expect(got.method).toBe(method);
    expect(got.url).toBe("/a/b%20c?q=1&q=2&e=%C3%A9");
    expect(pairsExcept(got.rawHeaders, ["host", "connection", "content-length"])).toEqual(headers);
    expect(headerValues(got.rawHeaders, "host")).toEqual([target.origin.slice("http://".length)]);
    expect(new Uint8Array(got.body)).toEqual(body ?? new Uint8Array(0));
    expect(headerValues(got.rawHeaders, "content-length")).toEqual(body ? [String(body.byteLength)] : []);
    expect(headerValues(got.rawHeaders, "transfer-encoding")).toEqual([]);
  });

  it("sends the exact bytes of a Uint8Array view into a larger buffer", async () => {
    const backing = Uint8Array.from([9, 9, 0x00, 0xff, 0x80, 9]);
    await deliverer.deliver(template({ body: backing.subarray(2, 5) }), { timeoutMs: 5_000 });
    expect([...target.received[0]!.body]).toEqual([0x00, 0xff, 0x80]);
  });

  it("sends a zero-length body as no body", async () => {
    await deliverer.deliver(template({ method: "POST", body: new Uint8Array(0) }), { timeoutMs: 5_000 });
    await deliverer.deliver(template({ method: "DELETE", body: new Uint8Array(0) }), { timeoutMs: 5_000 });
    expect(target.received.map((r) => r.body.length)).toEqual([0, 0]);
    expect(headerValues(target.received[0]!.rawHeaders, "content-length")).toEqual(["0"]);
    expect(headerValues(target.received[1]!.rawHeaders, "content-length")).toEqual([]);
  });

  it("takes Host from the URL and recomputes Content-Length, ignoring stored values", async () => {
    const outcome = await deliverer.deliver(
      template({
        headers: [
          ["Host", "evil.example"],
          ["Content-Length", "999"],
          ["Transfer-Encoding", "chunked"],
          ["Connection", "close"],
          ["Keep-Alive", "timeout=5"],
          ["X-Kept", "yes"],
        ],
        body: Uint8Array.from([1, 2, 3]),
      }),
      { timeoutMs: 5_000 },
    );
    expect(outcome.ok).toBe(true);
    const got = target.received[0]!;
    expect(headerValues(got.rawHeaders, "host")).toEqual([target.origin.slice("http://".length)]);
    expect(headerValues(got.rawHeaders, "content-length")).toEqual(["3"]);
    expect(headerValues(got.rawHeaders, "transfer-encoding")).toEqual([]);
    expect(headerValues(got.rawHeaders, "keep-alive")).toEqual([]);
    expect(pairsExcept(got.rawHeaders, ["host", "connection", "content-length"])).toEqual([["X-Kept", "yes"]]);
    expect([...got.body]).toEqual([1, 2, 3]);
  });

  it("ignores proxy environment variables", async () => {
    const saved = { ...process.env };
    process.env.HTTP_PROXY = "http://127.0.0.1:1";
    process.env.http_proxy = "http://127.0.0.1:1";
    process.env.NO_PROXY = "";
    try {
      const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
      expect(outcome.ok).toBe(true);
      expect(target.received).toHaveLength(1);
    } finally {
      process.env = saved;
    }
  });
});

describe("outcomes", () => {
  it("records a 301 as success without following it", async () => {
    target.respond = (_req, res) => {
      res.writeHead(301, { Location: `${target.origin}/elsewhere` });
      res.end("moved");
    };
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome).toEqual({
      ok: true,
      httpStatus: 301,
      error: null,
      responseExcerpt: "moved",
      responseHeaders: [
        ["location", `${target.origin}/elsewhere`],
        ["date", expect.any(String)],
      ],
      startedAt: 2_000,
      finishedAt: 3_000,
    });
    expect(target.received.map((r) => r.url)).toEqual(["/hook"]);
  });

  it.each([
    [204, true],
    [399, true],
    [400, false],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
  ])("status %i → ok %s", async (status, ok) => {
    target.respond = (_req, res) => {
      res.writeHead(status);
      res.end();
    };
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok, httpStatus: status, error: ok ? null : `HTTP ${status}`, responseExcerpt: null });
  });

  it("reports a 500 with its body excerpt", async () => {
    target.respond = (_req, res) => {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("boom: database down");
    };
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome).toEqual({
      ok: false,
      httpStatus: 500,
      error: "HTTP 500",
      responseExcerpt: "boom: database down",
      responseHeaders: [
        ["content-type", "text/plain"],
        ["date", expect.any(String)],
      ],
      startedAt: 2_000,
      finishedAt: 3_000,
    });
  });

  it("keeps only the listed response headers, never cookies", async () => {
    target.respond = (_req, res) => {
      res.writeHead(503, { "Retry-After": "2", "Set-Cookie": "session=secret", "X-Request-Id": "r-1" });
      res.end();
    };
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome.responseHeaders.map(([name]) => name)).toEqual(["retry-after", "date", "x-request-id"]);
    expect(outcome.responseHeaders).toContainEqual(["retry-after", "2"]);
  });

  it("reports a refused connection", async () => {
    const closed = http.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");

    const outcome = await deliverer.deliver(template({ url: `http://127.0.0.1:${port}/` }), { timeoutMs: 5_000 });
    expect(outcome.ok).toBe(false);
    expect(outcome.httpStatus).toBeNull();
    expect(outcome.responseExcerpt).toBeNull();
    expect(outcome.error).toContain("ECONNREFUSED");
  });

  it("reports a connection reset by the target", async () => {
    target.respond = (req) => req.socket.resetAndDestroy();
    const outcome = await deliverer.deliver(template({ body: BINARY }), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok: false, httpStatus: null, responseExcerpt: null });
    expect(outcome.error).toContain("ECONNRESET");
  });

  it("reports a connection closed by the target before answering", async () => {
    target.respond = (req) => req.socket.destroy();
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok: false, httpStatus: null });
    expect(outcome.error).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it("reports an unresolvable host", async () => {
    const outcome = await deliverer.deliver(template({ url: "http://hourglass-test.invalid/" }), { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ ok: false, httpStatus: null });
    expect(outcome.error).toMatch(/ENOTFOUND|EAI_AGAIN|timeout/);
  });

  it("reports an invalid request instead of throwing", async () => {
    const badUrl = await deliverer.deliver(template({ url: "not a url" }), { timeoutMs: 5_000 });
    expect(badUrl).toMatchObject({ ok: false, httpStatus: null });
    expect(badUrl.error).toMatch(/Invalid URL/i);

    const badHeader = await deliverer.deliver(template({ headers: [["X-Bad", "a\r\nb"]] }), { timeoutMs: 5_000 });
    expect(badHeader).toMatchObject({ ok: false, httpStatus: null });
    expect(badHeader.error).toContain("UND_ERR_INVALID_ARG");
    expect(target.received).toHaveLength(0);
  });

  it("reports a delivery after close instead of throwing", async () => {
    await deliverer.close();
    const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/UND_ERR_(DESTROYED|CLOSED)/);
  });
});

describe("timeouts", () => {
  it("times out when the target never answers", async () => {
    await replaceDeliverer({ now: Date.now });
    target.respond = () => {};
    const outcome = await deliverer.deliver(template({ body: BINARY }), { timeoutMs: 200 });
    expect(outcome).toMatchObject({ ok: false, httpStatus: null, error: "timeout after 200 ms", responseExcerpt: null });
    expect(outcome.finishedAt - outcome.startedAt).toBeGreaterThanOrEqual(150);
    expect(outcome.finishedAt - outcome.startedAt).toBeLessThan(2_000);
    expect(target.received).toHaveLength(1);
  });

  it("times out while the body is still arriving, keeping status and what was read", async () => {
    target.respond = (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("partial ");
    };
    const outcome = await deliverer.deliver(template(), { timeoutMs: 200 });
    expect(outcome).toMatchObject({
      ok: false,
      httpStatus: 200,
      error: "timeout after 200 ms",
      responseExcerpt: "partial ",
    });
  });

  it("times out a request still queued behind a busy connection", async () => {
    await replaceDeliverer({ now: Date.now, connectionsPerOrigin: 1 });
    target.respond = () => {};
    const settled: string[] = [];
    const first = deliverer.deliver(template(), { timeoutMs: 600 }).then((o) => {
      settled.push("first");
      return o;
    });
    const second = deliverer.deliver(template(), { timeoutMs: 100 }).then((o) => {
      settled.push("second");
      return o;
    });
    const [a, b] = await Promise.all([first, second]);
    expect(settled).toEqual(["second", "first"]);
    expect(b.error).toBe("timeout after 100 ms");
    expect(a.error).toBe("timeout after 600 ms");
  });
});

describe("abort signal (ttr-overlap: cancel-previous)", () => {
  it("aborts a request waiting for its response: the target sees its connection closed", async () => {
    let answered = false;
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const closed = new Promise<void>((resolve) => {
      target.respond = (_req, res) => {
        res.on("close", () => resolve());
        arrived();
      };
    });
    const abort = new AbortController();
    const pending = deliverer.deliver(template(), { timeoutMs: 60_000, signal: abort.signal }).then((outcome) => {
      answered = true;
      return outcome;
    });
    await received;
    expect(answered).toBe(false);
    abort.abort(new Error("the next tick came due"));
    expect(await pending).toMatchObject({ ok: false, httpStatus: null, error: "aborted: the next tick came due" });
    await closed;
  });

  it("sends nothing when the signal is aborted already", async () => {
    const abort = new AbortController();
    abort.abort(new Error("too late"));
    expect(await deliverer.deliver(template(), { timeoutMs: 5_000, signal: abort.signal })).toMatchObject({ ok: false, error: "aborted: too late" });
    expect(target.received).toHaveLength(0);
  });
});

describe("response excerpt", () => {
  it("keeps at most excerptBytes and keeps the connection for later requests", async () => {
    const large = Buffer.alloc(100 * 1024, "a");
    target.respond = (_req, res) => res.end(large);

    const outcomes: DeliveryOutcome[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await deliverer.deliver(template(), { timeoutMs: 5_000 }));

    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: true, httpStatus: 200, responseExcerpt: "a".repeat(1024) });
    }
    expectConnectionsReused();
  });

  it("closes the connection instead of draining a very large response", async () => {
    const huge = Buffer.alloc(4 * 1024 * 1024, "z");
    target.respond = (req, res) => res.end(req.url === "/huge" ? huge : "small");

    const first = await deliverer.deliver(template({ url: `${target.origin}/huge` }), { timeoutMs: 5_000 });
    expect(first).toMatchObject({ ok: true, httpStatus: 200, responseExcerpt: "z".repeat(1024) });
    const firstSocket = target.sockets[0]!;
    await whenClosed(firstSocket);

    const second = await deliverer.deliver(template({ url: `${target.origin}/next` }), { timeoutMs: 5_000 });
    expect(second.responseExcerpt).toBe("small");
    expect(target.received[1]!.remotePort).not.toBe(target.received[0]!.remotePort);
  });

  it("decodes UTF-8 lossily and drops a character cut by the limit", async () => {
    await replaceDeliverer({ now: counterClock(), excerptBytes: 5 });
    target.respond = (req, res) =>
      res.end(req.url === "/cut" ? Buffer.from("abc\u20acdef") : Buffer.from([0x61, 0xff, 0x62]));

    const cut = await deliverer.deliver(template({ url: `${target.origin}/cut` }), { timeoutMs: 5_000 });
    const invalid = await deliverer.deliver(template({ url: `${target.origin}/invalid` }), { timeoutMs: 5_000 });

    expect(cut.responseExcerpt).toBe("abc");
    expect(invalid.responseExcerpt).toBe("a\ufffdb");
  });

  it("stores no excerpt for an empty body or a HEAD response", async () => {
    target.respond = (req, res) => {
      if (req.method === "HEAD") res.setHeader("Content-Length", "5");
      res.end();
    };
    const empty = await deliverer.deliver(template(), { timeoutMs: 5_000 });
    const head = await deliverer.deliver(template({ method: "HEAD" }), { timeoutMs: 5_000 });
    expect(empty).toMatchObject({ ok: true, httpStatus: 200, responseExcerpt: null });
    expect(head).toMatchObject({ ok: true, httpStatus: 200, responseExcerpt: null });
  });

  it("reads no body when excerptBytes is 0 and still reuses the connection", async () => {
    await replaceDeliverer({ now: counterClock(), excerptBytes: 0 });
    target.respond = (_req, res) => res.end("ignored");
    for (let i = 0; i < 6; i++) {
      const outcome = await deliverer.deliver(template(), { timeoutMs: 5_000 });
      expect(outcome).toMatchObject({ ok: true, responseExcerpt: null });
    }
    expectConnectionsReused();
  });
});
