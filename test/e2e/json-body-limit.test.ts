import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { maxScheduleJsonBytes } from "../../src/http/json-schedule.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { openRaw } from "../support/raw-http.js";

const JSON_LIMIT = 16 * 1024; // the default HOURGLASS_MAX_JSON_BODY_BYTES
const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
const SOME_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const CHUNK = Buffer.alloc(64 * 1024, 0x20); // JSON whitespace: the body only ever grows
const STREAM_TOTAL = 32 * 1024 * 1024;

describe("JSON bodies of the management and admin routes on a real socket", () => {
  let hg: TestHourglass;

  beforeEach(async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  afterEach(async () => {
    await hg.close();
  });

  /**
   * Streams a chunked body of up to STREAM_TOTAL bytes, stopping as soon as an answer arrives
   * (a server that buffers the whole body answers only after the last chunk).
   */
  const streamHuge = async (head: string) => {
    const conn = openRaw(hg.url);
    let answered = false;
    const response = conn.response.finally(() => {
      answered = true;
    });
    await conn.send(`${head}Transfer-Encoding: chunked\r\n\r\n`);
    const frame = Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from("\r\n")]);
    while (!answered && conn.sent() < STREAM_TOTAL) await conn.send(frame);
    if (!answered) await conn.send("0\r\n\r\n");
    const answer = await response;
    const sent = conn.sent();
    conn.socket.destroy();
    return { answer, sent };
  };

  it("refuses a streamed PATCH /generators/:id body past the limit before it has all arrived", async () => {
    const { answer, sent } = await streamHuge(
      `PATCH /generators/${SOME_ID} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\n`,
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "body_too_large" });
    expect(sent).toBeLessThan(STREAM_TOTAL);
  });

  it("refuses streamed JSON API creates and batches past their limits the same way", async () => {
    for (const path of ["/triggers", "/generators", "/triggers/batch"]) {
      const { answer, sent } = await streamHuge(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\n`);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "body_too_large" });
      expect(sent).toBeLessThan(STREAM_TOTAL);
    }
  });

  it("refuses a streamed admin body past the limit the same way", async () => {
    const { answer, sent } = await streamHuge(`POST /admin/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n`);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "body_too_large" });
    expect(sent).toBeLessThan(STREAM_TOTAL);
  });

  it("refuses a declared Content-Length past the limit without waiting for the body", async () => {
    const conn = openRaw(hg.url);
    await conn.send(`PATCH /generators/${SOME_ID} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Length: 200000000\r\n\r\n`);
    const answer = await conn.response;
    conn.socket.destroy();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "body_too_large" });
  });

  it("accepts a body of exactly the limit and refuses one byte more; malformed JSON is 400 invalid_body", async () => {
    const scheduled = await request(`${hg.url}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": API_KEY, "ttr-url": "http://127.0.0.1:9/hook", "ttr-scheduled-at": "cron(@hourly)" },
    });
    const { triggerId } = (await scheduled.body.json()) as { triggerId: string };
    const patch = (body: string) =>
      request(`${hg.url}/generators/${triggerId}`, { method: "PATCH", headers: { authorization: `Bearer ${API_KEY}` }, body });
    // PATCH /generators/:id may carry a request body: its limit has room for one (json-schedule.ts).
    const limit = maxScheduleJsonBytes(hg.config.limits);
    expect(limit).toBeGreaterThan(JSON_LIMIT);
    const json = '{"paused":true}';
    const atLimit = await patch(json.padEnd(limit, " "));
    expect(atLimit.statusCode).toBe(200);
    expect(await atLimit.body.json()).toMatchObject({ status: "paused" });
    const over = await patch(json.padEnd(limit + 1, " "));
    expect(over.statusCode).toBe(413);
    expect(await over.body.json()).toMatchObject({ error: "body_too_large" });
    for (const body of ["{not json", "\xff\xfe", "[]"]) {
      const bad = await patch(body);
      expect(bad.statusCode).toBe(400);
      expect(await bad.body.json()).toMatchObject({ error: "invalid_body" });
    }
  });
});
