import { connect } from "node:net";
import { Readable } from "node:stream";
import { pino } from "pino";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const LIMIT = 64 * 1024;

/** A chunked body (no Content-Length) of `total` bytes in 8 KiB chunks: the limit must be enforced while streaming. */
function chunked(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const size = Math.min(8192, total - sent);
      sent += size;
      this.push(Buffer.alloc(size, 0xab));
    },
  });
}

describe("request body limit on a real socket", () => {
  let hg: TestHourglass;

  /** What the service logged at warn level and above. */
  let logged: string[];

  beforeEach(async () => {
    logged = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void logged.push(line) });
    hg = await startHourglass({ listen: true, dispatch: false, log, env: { HOURGLASS_MAX_BODY_BYTES: String(LIMIT) } });
  });
  afterEach(async () => {
    await hg.close();
  });

  const schedule = (body: Readable) =>
    request(`${hg.url}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": "http://127.0.0.1:9/hook", "ttr-scheduled-at": "now | add 1h" },
      body,
    });

  const storedTriggers = async () => {
    const response = await request(`${hg.url}/triggers`, { headers: { "ttr-api-key": API_KEY } });
    return ((await response.body.json()) as { triggers: unknown[] }).triggers.length;
  };

  it("accepts a streamed body of exactly the limit, byte for byte", async () => {
    const response = await schedule(chunked(LIMIT));
    expect(response.statusCode).toBe(200);
    const { triggerId } = (await response.body.json()) as { triggerId: string };
    const stored = await request(`${hg.url}/triggers/${triggerId}`, { headers: { "ttr-api-key": API_KEY } });
    const { bodyBase64 } = (await stored.body.json()) as { bodyBase64: string };
    expect(Buffer.from(bodyBase64, "base64").equals(Buffer.alloc(LIMIT, 0xab))).toBe(true);
  });

  it("refuses a streamed body one byte over the limit with 413 and stores nothing", async () => {
    const response = await schedule(chunked(LIMIT + 1));
    expect(response.statusCode).toBe(413);
    expect(((await response.body.json()) as { error: string }).error).toBe("body_too_large");
    expect(await storedTriggers()).toBe(0);
  });

  it("stores nothing from a client that goes away mid-body, does not log it as an error, and keeps serving", async () => {
    const { port } = new URL(hg.url);
    const socket = connect(Number(port), "127.0.0.1");
    // The server ends its side once it has seen the request cut short (Node answers 400 itself).
    const serverDone = new Promise<void>((resolve) => socket.once("end", () => resolve()));
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.write(
      "POST /schedule HTTP/1.1\r\nHost: x\r\nttr-api-key: " +
        API_KEY +
        "\r\nttr-url: http://127.0.0.1:9/hook\r\nttr-scheduled-at: now | add 1h\r\nContent-Length: 1000\r\n\r\n" +
        "x".repeat(100),
    );
    socket.end(); // 900 bytes short: the server sees the connection end before the body does
    await serverDone;
    socket.destroy();
    const response = await schedule(chunked(10));
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    expect(await storedTriggers()).toBe(1);
    expect(logged).toEqual([]);
  });
});
