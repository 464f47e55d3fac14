import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { openRaw } from "../support/raw-http.js";

/** `count` forwarded headers of `size` bytes of value each. */
const bigHeaders = (count: number, size: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-big-${i}`, "v".repeat(size)]));

const scheduleHead = (extra: Record<string, string>) =>
  "POST /schedule HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" +
  `ttr-api-key: ${API_KEY}\r\nttr-url: http://127.0.0.1:9/hook\r\nttr-scheduled-at: now | add 1h\r\n` +
  Object.entries(extra)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("") +
  "\r\n";

/** Sends a request on a bare socket and reads its answer. */
const rawAnswer = async (hg: TestHourglass, head: string) => {
  const conn = openRaw(hg.url);
  void conn.send(head);
  const answer = await conn.response;
  conn.socket.destroy();
  return answer;
};

describe("header limits and requests Node refuses, on a real socket", () => {
  let hg: TestHourglass;
  afterEach(async () => {
    await hg.close();
  });

  it("HOURGLASS_MAX_HEADER_BYTES above Node's default takes effect: 40 KiB of headers under a 64 KiB limit are stored", async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_MAX_HEADER_BYTES: String(64 * 1024) } });
    const response = await request(`${hg.url}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": "http://127.0.0.1:9/hook", "ttr-scheduled-at": "now | add 1h", ...bigHeaders(10, 4096) },
    });
    expect(response.statusCode).toBe(200);
    const { triggerId } = (await response.body.json()) as { triggerId: string };
    const stored = await request(`${hg.url}/triggers/${triggerId}`, { headers: { "ttr-api-key": API_KEY } });
    const { headers } = (await stored.body.json()) as { headers: [string, string][] };
    expect(headers.filter(([name]) => name.startsWith("x-big-"))).toHaveLength(10);
  });

  it("answers headers over the limit with the JSON 431, whether the application or Node's parser sees them first", async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_MAX_HEADER_BYTES: String(64 * 1024) } });
    for (const size of [66 * 1024, 200 * 1024]) {
      const answer = await rawAnswer(hg, scheduleHead(bigHeaders(size / 4096, 4096)));
      expect(answer.status).toBe(431);
      expect(answer.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(answer.body)).toMatchObject({ error: "headers_too_large", message: expect.any(String) });
    }
  });

  it("with the default 16 KiB limit, 20 KiB of headers are the JSON 431, not Node's bare one", async () => {
    hg = await startHourglass({ listen: true, dispatch: false });
    const answer = await rawAnswer(hg, scheduleHead(bigHeaders(5, 4096)));
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "headers_too_large" });
  });

  it("answers a request Node or its Hono adapter cannot parse with a JSON 400", async () => {
    hg = await startHourglass({ listen: true, dispatch: false });
    for (const head of ["POST /schedule HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n", "GET /triggers HTTP/1.1\r\nHost: [bad\r\n\r\n"]) {
      const answer = await rawAnswer(hg, head);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "malformed_request", message: expect.any(String) });
    }
  });
});
