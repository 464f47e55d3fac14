import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/http/error-codes.js";
import { NOT_IN_THE_API } from "../../src/http/openapi.js";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { checkAnswer, documentedOperations, findOperation } from "../support/openapi-check.js";

const ROOT = join(import.meta.dirname, "..", "..");
const METHODS = ["get", "put", "post", "delete", "options", "patch"];

describe("the OpenAPI document", () => {
  let hg: TestHourglass;

  beforeEach(async () => {
    hg = await startHourglass({ dispatch: false, listen: true });
  });
  afterEach(async () => {
    await hg.close();
  });

  it("is served at /openapi.json without a key, as OpenAPI 3.1", async () => {
    const res = await fetch(`${hg.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: "3.1.0", paths: expect.any(Object) });
  });

  it("describes every route the app serves (and the node listener's /schedule), and nothing it does not", () => {
    const served = new Set<string>();
    for (const route of hg.service.app.routes) {
      // Middleware (`use`) is registered as ALL on a wildcard path; it serves no route of its own.
      if (route.path.includes("*")) continue;
      if (route.path === NOT_IN_THE_API || route.path.startsWith(`${NOT_IN_THE_API}/`)) continue;
      const path = route.path.replace(/:([A-Za-z]+)/g, "{$1}");
      const methods = route.method === "ALL" ? METHODS : [route.method.toLowerCase()];
      for (const method of methods) served.add(`${method} ${path}`);
    }
    // The served request listener answers /schedule itself, every method (src/http/node-listener.ts).
    for (const method of METHODS) served.add(`${method} /schedule`);
    const documented = new Set(documentedOperations().map(({ method, path }) => `${method} ${path}`));
    const catchAll = hg.service.app.routes.filter((r) => r.method === "ALL" && !r.path.includes("*")).map((r) => r.path.replace(/:([A-Za-z]+)/g, "{$1}"));
    // A catch-all route (ALL) must be documented for at least the methods it exists to answer.
    const undocumented = [...served].filter((op) => !documented.has(op) && !catchAll.some((path) => op.endsWith(` ${path}`)));
    expect(undocumented).toEqual([]);
    const unserved = [...documented].filter((op) => !served.has(op));
    expect(unserved).toEqual([]);
    for (const path of catchAll) expect(METHODS.some((m) => documented.has(`${m} ${path}`))).toBe(true);
  });

  it("catches an answer it does not describe (the check the harness runs on every response)", () => {
    expect(() => checkAnswer("GET", "/healthz", 200, "application/json", '{"status":"ok"}')).not.toThrow();
    expect(() => checkAnswer("GET", "/healthz", 200, "application/json", '{"status":"fine"}')).toThrow(/does not match/);
    expect(() => checkAnswer("GET", "/healthz", 418, "application/json", "{}")).toThrow(/not documented/);
    expect(() => checkAnswer("POST", "/triggers", 400, "application/json", '{"error":"no_such_code","message":"x"}')).toThrow(/does not match/);
    expect(() => checkAnswer("DELETE", "/cancel", 204, null, "")).not.toThrow();
    expect(findOperation("POST", "/triggers/batch")?.pointer).toBe("/paths/~1triggers~1batch/post");
    expect(findOperation("GET", "/triggers/01ARZ3NDEKTSV4RRFFQ69G5FAV")?.pointer).toBe("/paths/~1triggers~1{id}/get");
  });

  it("checks answers received over a socket too", async () => {
    const res = await fetch(`${hg.url}/triggers`, { headers: { "ttr-api-key": API_KEY } });
    expect(res.status).toBe(200);
  });
});

describe("error codes", () => {
  const KIND_STATUS: Record<string, number> = {
    InvalidInputError: 400,
    UnauthorizedError: 401,
    QuotaExceededError: 402,
    NotFoundError: 404,
    RequestTimeoutError: 408,
    ConflictError: 409,
    GoneError: 410,
    PayloadTooLargeError: 413,
    RateLimitedError: 429,
    HeadersTooLargeError: 431,
    ServiceUnavailableError: 503,
  };
  const listed = new Map<string, number>(Object.entries(ERROR_CODES).flatMap(([status, codes]) => codes.map((code) => [code, Number(status)] as const)));

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [readFileSync(join(dir, entry.name), "utf8")] : [],
    );
  }

  it("lists every code the source throws or answers, under the status its error kind maps to", () => {
    const found: { code: string; status: number }[] = [];
    for (const text of sources(join(ROOT, "src"))) {
      for (const [, kind, code] of text.matchAll(/new (\w+Error)\(\s*"([a-z_]+)"/g)) found.push({ code: code as string, status: KIND_STATUS[kind as string] ?? -1 });
      for (const [, kind, what] of text.matchAll(/new (\w+Error)\(\s*`\$\{(\w+)\}_not_found`/g)) {
        expect(what).toBeDefined();
        for (const prefix of ["trigger", "generator"]) found.push({ code: `${prefix}_not_found`, status: KIND_STATUS[kind as string] ?? -1 });
      }
      for (const [, code] of text.matchAll(/error: "([a-z_]+)"/g)) found.push({ code: code as string, status: listed.get(code as string) ?? -1 });
    }
    expect(found.length).toBeGreaterThan(40);
    const wrong = found.filter(({ code, status }) => listed.get(code) !== status);
    expect(wrong).toEqual([]);
  });

  it("are each in docs/protocol.md's table", () => {
    const protocol = readFileSync(join(ROOT, "docs", "protocol.md"), "utf8");
    expect([...listed.keys()].filter((code) => !protocol.includes(`\`${code}\``))).toEqual([]);
  });
});
