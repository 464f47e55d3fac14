import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { openRaw } from "../support/raw-http.js";

const scheduleHeaders = { "ttr-api-key": API_KEY, "ttr-url": "http://127.0.0.1:9/hook", "ttr-scheduled-at": "now | add 1h" };

/** A deferred: a promise and its resolver. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The store, with some methods replaced (the rest are the real ones). */
function overriding(store: Store, overrides: Partial<Store>): Store {
  return Object.assign(Object.create(store) as Store, overrides);
}

describe("availability: health, shutdown, overload, slow and numerous clients", () => {
  let hg: TestHourglass;
  afterEach(async () => {
    await hg.close();
  });

  it("/healthz is ok, then 503 shutting_down once shutdown began; /schedule answers 503 with Retry-After, never 500, on both front ends", async () => {
    hg = await startHourglass({ listen: true, dispatch: false });
    const health = await request(`${hg.url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: "ok" });

    const stopping = hg.service.stop();
    for (const phase of ["draining", "stopped"]) {
      if (phase === "stopped") await stopping; // the store is closed now
      const healthz = await request(`${hg.url}/healthz`);
      expect(healthz.statusCode).toBe(503);
      expect(await healthz.body.json()).toEqual({ status: "shutting_down" });

      const viaNode = await request(`${hg.url}/schedule`, { method: "POST", headers: scheduleHeaders, body: "x" });
      const viaHono = await hg.service.app.request("/schedule", { method: "POST", headers: scheduleHeaders, body: "x" });
      const list = await request(`${hg.url}/triggers`, { headers: { "ttr-api-key": API_KEY } });
      for (const [status, retryAfter, body] of [
        [viaNode.statusCode, viaNode.headers["retry-after"], await viaNode.body.json()],
        [viaHono.status, viaHono.headers.get("retry-after"), await viaHono.json()],
        [list.statusCode, list.headers["retry-after"], await list.body.json()],
      ]) {
        expect({ phase, status, retryAfter, body }).toMatchObject({ phase, status: 503, retryAfter: "5", body: { error: "shutting_down" } });
      }
    }
  });

  it("a write already under way when the store closes for shutdown is answered 503 shutting_down, not 500", async () => {
    const reached = deferred();
    const release = deferred();
    hg = await startHourglass({
      dispatch: false,
      wrapStore: (store) =>
        overriding(store, {
          scheduleJob: async (input) => {
            reached.resolve();
            await release.promise;
            return store.scheduleJob(input);
          },
        }),
    });
    const pending = hg.service.app.request("/schedule", { method: "POST", headers: scheduleHeaders });
    await reached.promise;
    await hg.service.stop();
    release.resolve();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({ error: "shutting_down" });
  });

  it("/healthz reports store_unavailable when the store cannot be read", async () => {
    let broken = false;
    hg = await startHourglass({
      dispatch: false,
      wrapStore: (store) =>
        overriding(store, { nextDueAt: () => (broken ? Promise.reject(new Error("disk I/O error")) : store.nextDueAt()) }),
    });
    expect((await hg.service.app.request("/healthz")).status).toBe(200);
    broken = true;
    const res = await hg.service.app.request("/healthz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "store_unavailable" });
  });

  it("refuses writes with 503 overloaded and Retry-After while the commit queue is full, storing nothing of them", async () => {
    const held: { release: () => void }[] = [];
    const twoHeld = deferred();
    const release = deferred();
    hg = await startHourglass({
      dispatch: false,
      env: { HOURGLASS_MAX_PENDING_WRITES: "2" },
      wrapStore: (store) =>
        overriding(store, {
          // The first two writes wait for their commit until released; later ones go straight through.
          scheduleJob: async (input) => {
            if (held.length < 2) {
              held.push({ release: release.resolve });
              if (held.length === 2) twoHeld.resolve();
              await release.promise;
            }
            return store.scheduleJob(input);
          },
        }),
    });
    const schedule = () => hg.service.app.request("/schedule", { method: "POST", headers: scheduleHeaders });
    const first = schedule();
    const second = schedule();
    await twoHeld.promise;

    const refused = await schedule();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: "overloaded" });
    const cancel = await hg.service.app.request("/cancel", { method: "DELETE", headers: { "ttr-api-key": API_KEY, "ttr-custom-key": "k" } });
    expect(cancel.status).toBe(503);

    release.resolve();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await schedule()).status).toBe(200); // places are given back
    const list = await hg.service.app.request("/triggers", { headers: { "ttr-api-key": API_KEY } });
    expect(((await list.json()) as { triggers: unknown[] }).triggers).toHaveLength(3);
  });

  it("disconnects a client that sends its headers too slowly, with a JSON 408", async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_HEADERS_TIMEOUT_MS: "200" } });
    const conn = openRaw(hg.url);
    await conn.send(`POST /schedule HTTP/1.1\r\nHost: x\r\nttr-api-key: ${API_KEY}\r\n`); // …and nothing more
    const answer = await conn.response;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "request_timeout" });
    await conn.closed;
  });

  it("disconnects a client whose body does not arrive within the request timeout, storing nothing", async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_HEADERS_TIMEOUT_MS: "200", HOURGLASS_REQUEST_TIMEOUT_MS: "300" } });
    const conn = openRaw(hg.url);
    const head = Object.entries(scheduleHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join("");
    await conn.send(`POST /schedule HTTP/1.1\r\nHost: x\r\n${head}Content-Length: 10\r\n\r\n12345`);
    const answer = await conn.response;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "request_timeout" });
    await conn.closed;
    const list = await hg.service.app.request("/triggers", { headers: { "ttr-api-key": API_KEY } });
    expect(((await list.json()) as { triggers: unknown[] }).triggers).toHaveLength(0);
  });

  it("closes connections past HOURGLASS_MAX_CONNECTIONS on arrival", async () => {
    hg = await startHourglass({ listen: true, dispatch: false, env: { HOURGLASS_MAX_CONNECTIONS: "1" } });
    const first = openRaw(hg.url);
    await first.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect((await first.response).status).toBe(200); // the server holds this connection now

    const second = openRaw(hg.url);
    await second.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await second.closed).toBe(""); // closed without an answer
    first.socket.destroy();
  });
});
