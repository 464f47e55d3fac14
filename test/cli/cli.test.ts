import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The built CLI: `npm test` builds it first (`pretest`). */
const CLI_JS = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const ADMIN = "cli-admin-token-for-tests-0123456789";
const WRONG = "wrong-admin-token-for-tests-987654321";
// JSON answers are asserted field by field.
type Json = any;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js …` with only `env` (and PATH) in its environment. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("hourglass CLI against a running server", () => {
  let hg: TestHourglass;
  let env: Record<string, string>;
  const admin = (...args: string[]) => cli(args, env);
  const schedule = (key: string) =>
    fetch(`${hg.url}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": "https://example.com/", "ttr-scheduled-at": "now | add 1h" },
    });

  beforeAll(async () => {
    if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run "npm run build" first (npm test does).`);
    hg = await startHourglass({ listen: true, env: { HOURGLASS_ADMIN_TOKEN: ADMIN } });
    env = { HOURGLASS_URL: hg.url, HOURGLASS_ADMIN_TOKEN: ADMIN };
  });
  afterAll(async () => {
    await hg?.close();
  });

  it("creates a project whose key schedules, then revokes the key, which is refused", async () => {
    const created = await admin("projects", "create", "--name", "cli acme");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("(cli acme)");
    expect(created.stdout).toMatch(/shown only once/);
    const key = created.stdout.match(/^ {2}(hg_[A-Za-z0-9_-]{32})$/m)?.[1] as string;
    expect(key).toBeDefined();
    const projectId = created.stdout.match(/Created project ([0-9A-Z]{26})/)?.[1] as string;

    expect((await schedule(key)).status).toBe(200);

    const keys = await admin("keys", "list", projectId, "--json");
    expect(keys.code).toBe(0);
    const listed: Json = JSON.parse(keys.stdout);
    expect(listed.keys).toHaveLength(1);
    expect(keys.stdout).not.toContain(key);
    const keyId = listed.keys[0].id as string;

    const revoked = await admin("keys", "revoke", keyId);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${keyId}`);
    expect((await schedule(key)).status).toBe(401);

    const again = await admin("keys", "revoke", keyId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(HTTP 410\)/);

    const second = await admin("keys", "create", projectId);
    expect(second.code).toBe(0);
    const secondKey = second.stdout.match(/^ {2}(hg_\S+)$/m)?.[1] as string;
    expect((await schedule(secondKey)).status).toBe(200);
    const human = await admin("keys", "list", projectId);
    expect(human.stdout).toMatch(/^ID +PREFIX +CREATED +REVOKED\n/);
    expect(human.stdout.trim().split("\n")).toHaveLength(3);
  });

  it("sets quota and rate limit, shown by projects list --json; and back to none", async () => {
    const projectId = hg.projectId;
    const set = await admin("projects", "set", projectId, "--quota", "1", "--rate-limit", "5");
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("monthly quota: 1");
    expect(set.stdout).toContain("rate limit:    5/s");

    const list = await admin("projects", "list", "--json");
    expect(list.code).toBe(0);
    const project = (JSON.parse(list.stdout) as Json).projects.find((p: Json) => p.id === projectId);
    expect(project).toMatchObject({ monthQuota: 1, rateLimit: 5 });

    const table = await admin("projects", "list");
    expect(table.stdout).toMatch(new RegExp(`^${projectId} .* 1 +\\d+ +5/s `, "m"));

    const refused = await admin("projects", "set", projectId, "--rate-limit", "0");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^hourglass: invalid_body: rateLimit must be/);

    const cleared = await admin("projects", "set", projectId, "--quota", "none", "--rate-limit", "none", "--json");
    expect(JSON.parse(cleared.stdout)).toMatchObject({ id: projectId, monthQuota: null, rateLimit: null });
  });

  it("sets a project's delivery defaults, which its new triggers get, shown by projects list; none removes them", async () => {
    const projectId = hg.projectId;
    const set = await admin(
      "projects",
      "set",
      projectId,
      "--default-retries",
      "4",
      "--default-retry-delay",
      "90s",
      "--default-timeout",
      "2500ms",
      "--default-callback-url",
      "https://hooks.example.com/done",
      "--default-failure-url",
      "https://ops.example.com/failed",
    );
    expect(set.code, set.stderr).toBe(0);
    const summary = "retries=4 retry-delay=90s timeout=2500ms callback-url=https://hooks.example.com/done failure-url=https://ops.example.com/failed";
    expect(set.stdout).toContain(`  defaults:      ${summary}\n`);

    const table = await admin("projects", "list");
    expect(table.stdout.split("\n")[0]).toMatch(/^ID +NAME +QUOTA\/MONTH +USED +RATE LIMIT +CREATED +DEFAULTS$/);
    expect(table.stdout).toMatch(new RegExp(`^${projectId} .* ${summary.replace(/[.?]/g, "\\$&")}$`, "m"));
    expect(table.stdout).toMatch(new RegExp(`^${hg.otherProjectId} .* -$`, "m"));
    const listed = (JSON.parse((await admin("projects", "list", "--json")).stdout) as Json).projects.find((p: Json) => p.id === projectId);
    expect(listed.defaults).toEqual({
      retries: 4,
      retryDelayMs: 90_000,
      timeoutMs: 2_500,
      callbackUrl: "https://hooks.example.com/done",
      failureUrl: "https://ops.example.com/failed",
    });

    // A trigger whose request does not say gets them.
    const scheduled = (await (await schedule(API_KEY)).json()) as Json;
    const trigger: Json = await (await fetch(`${hg.url}/triggers/${scheduled.triggerId}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    expect(trigger).toMatchObject({
      retries: 4,
      retryDelayMs: 90_000,
      timeoutMs: 2_500,
      callbackUrl: "https://hooks.example.com/done",
      failureUrl: "https://ops.example.com/failed",
    });

    // One removed, the others kept.
    const partly = await admin("projects", "set", projectId, "--default-callback-url", "none", "--json");
    expect(partly.code, partly.stderr).toBe(0);
    expect((JSON.parse(partly.stdout) as Json).defaults).toMatchObject({ retries: 4, callbackUrl: null, failureUrl: "https://ops.example.com/failed" });

    // The API's own checks: ranges and egress (exit 1, its code); shapes are usage errors (exit 2).
    const tooMany = await admin("projects", "set", projectId, "--default-retries", "99");
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^hourglass: invalid_retries: defaults\.retries "99" must be a whole number from 0 to \d+\. \(HTTP 400\)\n$/);
    const tooLong = await admin("projects", "set", projectId, "--default-timeout", "999h");
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/^hourglass: invalid_timeout: defaults\.timeout /);
    const blocked = await admin("projects", "set", projectId, "--default-failure-url", "http://10.1.2.3/hook");
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^hourglass: egress_blocked: .*defaults\.failureUrl/);
    const shape = await admin("projects", "set", projectId, "--default-retry-delay", "ten seconds");
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(/^hourglass: --default-retry-delay must be a duration such as 500ms, 10s, 5m or 1h/);
    expect(shape.stderr).toContain("Usage: hourglass projects set <projectId>");
    const notUrl = await admin("projects", "set", projectId, "--default-callback-url", "hooks.example.com");
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/^hourglass: --default-callback-url must be an http:\/\/ or https:\/\/ URL, or none\n/);

    const cleared = await admin(
      "projects",
      "set",
      projectId,
      "--default-retries",
      "none",
      "--default-retry-delay",
      "none",
      "--default-timeout",
      "none",
      "--default-failure-url",
      "none",
    );
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain("  defaults:      -\n");
  });

  it("rotates the signing secret, printing the new whsec_ once, and drops the previous one", async () => {
    const first = await admin("secret", "rotate", hg.otherProjectId);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^ {2}whsec_\S+$/m);
    expect(first.stdout).toMatch(/shown only once/);
    const second = await admin("secret", "rotate", hg.otherProjectId, "--json");
    const body: Json = JSON.parse(second.stdout);
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.signingWith).toBe(2);
    const dropped = await admin("secret", "drop-previous", hg.otherProjectId);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain("current secret only");
    const missing = await admin("secret", "rotate", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("project_not_found");
  });

  it("a wrong token exits 1 with the API's error and never shows the token", async () => {
    for (const run of [
      await cli(["projects", "list"], { HOURGLASS_URL: hg.url, HOURGLASS_ADMIN_TOKEN: WRONG }),
      await cli(["projects", "list", "--token", WRONG, "--json"], env),
    ]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^hourglass: invalid_admin_token: .*\(HTTP 401\)\n$/);
      expect(run.stdout).toBe("");
      expect(run.stdout + run.stderr).not.toContain(WRONG);
      expect(run.stdout + run.stderr).not.toContain(ADMIN);
    }
  });

  it("a missing token or a usage error exits 2 with usage; help exits 0", async () => {
    const noToken = await cli(["projects", "list"], { HOURGLASS_URL: hg.url });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("HOURGLASS_ADMIN_TOKEN");

    const unknown = await admin("projects", "frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown subcommand "frobnicate"');
    expect(unknown.stderr).toContain("Usage: hourglass projects");
    const missing = await admin("keys", "revoke");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Missing <keyId>");
    const flag = await admin("projects", "list", "--verbose");
    expect(flag.code).toBe(2);

    const help = await admin("help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("hourglass secret drop-previous <projectId>");
    const sub = await admin("projects", "set", "--help");
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: hourglass projects set/);
  });

  it("a server that cannot be reached exits 1 naming the URL, not the token", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const run = await cli(["projects", "list"], { HOURGLASS_URL: `http://127.0.0.1:${port}`, HOURGLASS_ADMIN_TOKEN: ADMIN });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not reach Hourglass at http://127.0.0.1:${port}`);
    expect(run.stdout + run.stderr).not.toContain(ADMIN);
  });
});

describe("hourglass serve", () => {
  it("starts the server, which the admin commands then reach, and stops on SIGTERM", async () => {
    const temp = makeTempDir();
    try {
      const child = spawn(process.execPath, [CLI_JS, "serve"], {
        env: {
          PATH: process.env.PATH ?? "",
          HOST: "127.0.0.1",
          PORT: "0",
          LOG_LEVEL: "info",
          DATABASE_URL: join(temp.dir, "serve.db"),
          HOURGLASS_API_KEYS: "hg_serve_test_key_0123456789",
          HOURGLASS_ADMIN_TOKEN: ADMIN,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = output.match(/"port":(\d+)[^\n]*"msg":"hourglass listening"/);
          if (match) resolve(`http://127.0.0.1:${match[1]}`);
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${output}`)));
      });
      const list = await cli(["projects", "list", "--json"], { HOURGLASS_URL: url, HOURGLASS_ADMIN_TOKEN: ADMIN });
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as Json).projects).toHaveLength(1);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).not.toContain(ADMIN);
    } finally {
      temp.remove();
    }
  });
});
