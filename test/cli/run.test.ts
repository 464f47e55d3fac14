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
      json({ id: "P", name: "n", createdAt: "x", monthQuota: 3, usedThisMonth: 0, rateLimit: null }),
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
});
