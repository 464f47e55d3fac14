import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run.js";

const TOKEN = "in-process-admin-token-0123456789";

/** Runs the CLI in-process against a stub `fetch`, capturing output and requests. */
async function run(argv: string[], respond: (url: string, init: RequestInit) => Response | Promise<Response>, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  let served = false;
  const requests: { url: string; init: RequestInit }[] = [];
  const code = await runCli(argv, {
    env: { HOURGLASS_ADMIN_TOKEN: TOKEN, ...env },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    serve: async () => {
      served = true;
    },
    fetch: (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return respond(url, init);
    }) as typeof fetch,
  });
  return { code, stdout, stderr, served, requests };
}
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("runCli", () => {
  it("sends the token as a bearer header to the default URL, with the JSON body", async () => {
    const r = await run(["projects", "set", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--quota", "3"], () =>
      json({
        id: "P",
        name: "n",
        createdAt: "x",
        monthQuota: 3,
        usedThisMonth: 0,
        rateLimit: null,
        defaults: { retries: null, retryDelayMs: null, timeoutMs: null, callbackUrl: null, failureUrl: null },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect(req?.url).toBe("http://127.0.0.1:8080/admin/projects/01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(req?.init.method).toBe("PATCH");
    expect((req?.init.headers as Record<string, string>).authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(req?.init.body as string)).toEqual({ monthQuota: 3 });
  });

  it("redacts the token should an answer ever echo it", async () => {
    const r = await run(["projects", "list"], () => json({ error: "invalid_admin_token", message: `got ${TOKEN}` }, 401));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("hourglass: invalid_admin_token: got [redacted] (HTTP 401)\n");
  });

  it("exits 1 on an answer that is not Hourglass's, or of the wrong shape", async () => {
    const html = await run(["projects", "list"], () => new Response("<html>", { status: 502 }));
    expect(html.code).toBe(1);
    expect(html.stderr).toContain("http_502");
    const okHtml = await run(["projects", "list"], () => new Response("<html>", { status: 200 }));
    expect(okHtml.code).toBe(1);
    const shape = await run(["projects", "list"], () => json({ nope: true }));
    expect(shape.code).toBe(1);
    expect(shape.stderr).toContain("Unexpected answer");
  });

  it("exits 1 on a network failure, naming the URL", async () => {
    const r = await run(["keys", "list", "P"], () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 10.0.0.1:9") });
    }, { HOURGLASS_URL: "http://10.0.0.1:9/" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("hourglass: Could not reach Hourglass at http://10.0.0.1:9: connect ECONNREFUSED 10.0.0.1:9\n");
  });

  it("serves, helps, and refuses usage errors without any request", async () => {
    const never = () => {
      throw new Error("no request expected");
    };
    const served = await run(["serve"], never);
    expect(served.code).toBe("serving");
    expect(served.served).toBe(true);
    expect((await run(["--help"], never)).code).toBe(0);
    const bad = await run(["keys"], never);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hourglass: "keys" needs a subcommand\n\nUsage: hourglass keys/);
    const noToken = await run(["projects", "list"], never, { HOURGLASS_ADMIN_TOKEN: "" });
    expect(noToken.code).toBe(2);
  });

  it("maps each admin command to its admin API request (through the client)", async () => {
    const PID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    const cases: [string[], string, string, unknown][] = [
      [["projects", "list"], "GET", "/admin/projects", undefined],
      [["projects", "create", "--name", "a"], "POST", "/admin/projects", { name: "a" }],
      [["projects", "set", PID, "--quota", "none", "--rate-limit", "5"], "PATCH", `/admin/projects/${PID}`, { monthQuota: null, rateLimit: 5 }],
      [
        [
          ...["projects", "set", PID, "--default-retries", "4", "--default-retry-delay", "30s"],
          ...["--default-timeout", "none", "--default-callback-url", "https://h.example/cb"],
        ],
        "PATCH",
        `/admin/projects/${PID}`,
        { defaults: { retries: 4, retryDelay: "30s", timeout: null, callbackUrl: "https://h.example/cb" } },
      ],
      [["projects", "set", PID, "--default-failure-url", "none", "--name", "n"], "PATCH", `/admin/projects/${PID}`, { name: "n", defaults: { failureUrl: null } }],
      [["keys", "list", PID], "GET", `/admin/projects/${PID}/keys`, undefined],
      [["keys", "create", PID], "POST", `/admin/projects/${PID}/keys`, undefined],
      [["keys", "revoke", PID], "DELETE", `/admin/keys/${PID}`, undefined],
      [["secret", "rotate", PID], "POST", `/admin/projects/${PID}/signing-secret`, undefined],
      [["secret", "drop-previous", PID], "DELETE", `/admin/projects/${PID}/signing-secret/previous`, undefined],
      [["keys", "revoke", "../projects?x"], "DELETE", "/admin/keys/..%2Fprojects%3Fx", undefined],
    ];
    for (const [argv, method, path, body] of cases) {
      const r = await run([...argv, "--json"], () => new Response(null, { status: 204 }));
      expect(r.requests, argv.join(" ")).toHaveLength(1);
      const [req] = r.requests;
      expect(req?.url, argv.join(" ")).toBe(`http://127.0.0.1:8080${path}`);
      expect(req?.init.method, argv.join(" ")).toBe(method);
      expect(req?.init.body === undefined ? undefined : JSON.parse(req.init.body as string), argv.join(" ")).toEqual(body);
    }
  });

  it("sends project commands with the API key from HOURGLASS_API_KEY or --key, never printing it", async () => {
    const KEY = "hg_in_process_key_0123456789abcdef";
    const listed = await run(
      ["triggers", "list", "--status", "failed", "--tag", "billing", "--limit", "2", "--json"],
      () => json({ triggers: [], nextCursor: null }),
      { HOURGLASS_API_KEY: KEY },
    );
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.requests[0]?.url).toBe("http://127.0.0.1:8080/triggers?status=failed&tag=billing&limit=2");
    expect((listed.requests[0]?.init.headers as Record<string, string>).authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.parse(listed.stdout)).toEqual({ triggers: [], nextCursor: null });

    const echoed = await run(["generators", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--key", KEY], () =>
      json({ error: "invalid_api_key", message: `not ${KEY}` }, 401),
    );
    expect(echoed.code).toBe(1);
    expect(echoed.stderr).toBe("hourglass: invalid_api_key: not [redacted] (HTTP 401)\n");

    const noKey = await run(["triggers", "list"], () => json({}));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("HOURGLASS_API_KEY");
    expect(noKey.requests).toHaveLength(0);
  });

  it("sends the flow options as ttr-flow- headers, --waiting-for as waitingFor, and flows as GET /flows", async () => {
    const KEY = "hg_in_process_key_0123456789abcdef";
    const env = { HOURGLASS_API_KEY: KEY };
    const scheduled = await run(
      ["schedule", "--url", "https://api.example.com/sync", "--at", "now", "--flow-key", "partner-api", "--flow-parallelism", "2", "--flow-rate", "10", "--json"],
      () => json({ triggerId: "T", scheduledAt: "x", operation: "schedule", kind: "job", monthQuotaRemaining: null }),
      env,
    );
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.requests[0]?.url).toBe("http://127.0.0.1:8080/schedule");
    const sent = new Headers(scheduled.requests[0]?.init.headers as ConstructorParameters<typeof Headers>[0]);
    expect([sent.get("ttr-flow-key"), sent.get("ttr-flow-parallelism"), sent.get("ttr-flow-rate")]).toEqual(["partner-api", "2", "10"]);
    const withoutFlow = await run(["schedule", "--url", "https://api.example.com/sync", "--at", "now", "--json"], () => json({}), env);
    const withoutFlowHeaders = new Headers(withoutFlow.requests[0]?.init.headers as ConstructorParameters<typeof Headers>[0]);
    expect([...withoutFlowHeaders.keys()].filter((n) => n.startsWith("ttr-flow"))).toEqual([]);

    const waiting = await run(["triggers", "list", "--waiting-for", "flow", "--json"], () => json({ triggers: [], nextCursor: null }), env);
    expect(waiting.requests[0]?.url).toBe("http://127.0.0.1:8080/triggers?waitingFor=flow&limit=50");

    const flows = { flows: [{ key: "partner-api", parallelism: 2, rate: null, inFlight: 1, waiting: 3 }] };
    const listed = await run(["flows"], () => json(flows), env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.requests).toHaveLength(1);
    expect(listed.requests[0]?.url).toBe("http://127.0.0.1:8080/flows");
    expect(listed.requests[0]?.init.method).toBe("GET");
    expect(listed.stdout).toMatch(/^KEY +PARALLELISM +RATE +IN FLIGHT +WAITING\npartner-api +2 +none +1 +3\n$/);
    const asJson = await run(["flows", "--json"], () => json(flows), env);
    expect(JSON.parse(asJson.stdout)).toEqual(flows);

    const never = () => {
      throw new Error("no request expected");
    };
    const bad = await run(["schedule", "--url", "https://api.example.com/sync", "--at", "now", "--flow-rate", "fast"], never, env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hourglass: --flow-rate must be a whole number from 1\n\nUsage: hourglass schedule/);
    const badDefault = await run(["projects", "set", "P", "--default-timeout", "forever"], never);
    expect(badDefault.code).toBe(2);
    expect(badDefault.stderr).toMatch(/^hourglass: --default-timeout must be a duration such as 500ms/);
    expect(badDefault.requests).toHaveLength(0);
  });
});
