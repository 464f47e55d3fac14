import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { hashApiKey } from "../../src/http/api-key.js";
import { SESSION_TTL_MS } from "../../src/ui/session.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const ADMIN_TOKEN = "admin-token-0123456789-abcdefghij";
const ORIGIN = "http://localhost";
/** Payloads a tenant could put in any string the dashboard shows. */
const SCRIPT = "<script>window.__pwned=1</script>";
const ATTRIBUTE = `"><img src=x onerror="window.__pwned=1">`;

describe("dashboard over HTTP (in-process, manual clock, dispatcher off)", () => {
  let hg: TestHourglass;
  let clock: ManualClock;

  const request = (path: string, init: RequestInit & { cookie?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.cookie !== undefined) headers.set("cookie", `hourglass_session=${init.cookie}`);
    return hg.service.app.request(path, { ...init, headers });
  };
  const post = (path: string, form: Record<string, string>, cookie?: string, origin: string | null = ORIGIN) =>
    request(path, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...(origin === null ? {} : { origin }) },
      ...(cookie === undefined ? {} : { cookie }),
    });
  const sessionCookie = (res: Response) => /hourglass_session=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  const signIn = async (credential: string) => {
    const res = await post("/ui/sign-in", { credential });
    expect(res.status).toBe(303);
    return sessionCookie(res) as string;
  };
  const page = async (path: string, cookie: string) => {
    const res = await request(path, { cookie });
    expect(res.status).toBe(200);
    return res.text();
  };
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;
  const schedule = async (headers: Record<string, string>, key = API_KEY, body?: string | Uint8Array) => {
    const res = await hg.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": "https://example.com/hook", "ttr-scheduled-at": "now | add 1h", ...headers },
      ...(body === undefined ? {} : { body }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { triggerId: string }).triggerId;
  };

  beforeEach(async () => {
    clock = new ManualClock(T0);
    hg = await startHourglass({ clock, dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  afterEach(async () => {
    await hg.close();
  });

  describe("signing in", () => {
    it("sets an HttpOnly, SameSite=Strict session cookie (Secure behind https) and never puts the key in a URL", async () => {
      const res = await post("/ui/sign-in", { credential: API_KEY });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/ui");
      const cookie = res.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\/ui/);
      expect(cookie).not.toMatch(/Secure/);
      expect(cookie).not.toContain(API_KEY);
      expect(cookie).not.toContain(hashApiKey(API_KEY));

      const behindProxy = await request("/ui/sign-in", {
        method: "POST",
        body: new URLSearchParams({ credential: API_KEY }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, "x-forwarded-proto": "https" },
      });
      expect(behindProxy.headers.get("set-cookie")).toMatch(/; Secure/);

      const form = await (await request("/ui/sign-in")).text();
      expect(form).toContain('method="post" action="/ui/sign-in"');
      expect(form).toContain('type="password"');
    });

    it("refuses a wrong credential with 401 and no cookie, and sends the signed-out to the sign-in page", async () => {
      const res = await post("/ui/sign-in", { credential: "hg_not_a_key" });
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.text()).toContain("not an API key or the admin token");
      const overview = await request("/ui/overview");
      expect(overview.status).toBe(303);
      expect(overview.headers.get("location")).toBe("/ui/sign-in");
    });

    it("ignores a tampered, a foreign-secret or an expired cookie", async () => {
      const cookie = await signIn(API_KEY);
      expect((await request("/ui/overview", { cookie })).status).toBe(200);
      const [payload, signature] = cookie.split(".") as [string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, projectId: hg.otherProjectId })).toString("base64url");
      expect((await request("/ui/overview", { cookie: `${forged}.${signature}` })).status).toBe(303);
      expect((await request("/ui/overview", { cookie: `${payload}.${signature.slice(1)}x` })).status).toBe(303);
      clock.advance(SESSION_TTL_MS);
      expect((await request("/ui/overview", { cookie })).status).toBe(303);
    });

    it("ends the session of a key once it is revoked", async () => {
      const cookie = await signIn(API_KEY);
      expect((await request("/ui/triggers", { cookie })).status).toBe(200);
      const [key] = await hg.service.store.listApiKeys(hg.projectId);
      await hg.service.store.revokeApiKey(key!.id, T0);
      const after = await request("/ui/triggers", { cookie });
      expect(after.status).toBe(303);
      expect(after.headers.get("set-cookie")).toMatch(/hourglass_session=;/);
    });

    it("signs out (a POST with the CSRF token) and lets the operator pick a project", async () => {
      const cookie = await signIn(ADMIN_TOKEN);
      const home = await request("/ui", { cookie });
      expect(home.headers.get("location")).toBe("/ui/projects");
      const projects = await page("/ui/projects", cookie);
      expect(projects).toContain(hg.projectId);
      expect(projects).toContain(hg.otherProjectId);
      const chosen = await post("/ui/project", { _csrf: csrfOf(projects), projectId: hg.otherProjectId }, cookie);
      expect(chosen.status).toBe(303);
      const viewing = sessionCookie(chosen) as string;
      expect(await page("/ui/overview", viewing)).toContain(hg.otherProjectId);
      // A project's key never reaches the operator's pages.
      const projectCookie = await signIn(API_KEY);
      expect((await request("/ui/projects", { cookie: projectCookie })).status).toBe(404);

      const out = await post("/ui/sign-out", { _csrf: csrfOf(projects) }, cookie);
      expect(out.status).toBe(303);
      expect(out.headers.get("location")).toBe("/ui/sign-in");
      expect(out.headers.get("set-cookie")).toMatch(/hourglass_session=;.*Max-Age=0/);
    });
  });

  describe("safety", () => {
    it("serves every page with a strict CSP, no-store, nosniff and no framing", async () => {
      const cookie = await signIn(API_KEY);
      for (const path of ["/ui/sign-in", "/ui/overview", "/ui/triggers", "/ui/generators"]) {
        const res = await request(path, { cookie });
        const csp = res.headers.get("content-security-policy") ?? "";
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain("unsafe-inline");
        expect(res.headers.get("cache-control")).toBe("no-store");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("x-frame-options")).toBe("DENY");
        const html = await res.text();
        // No inline script or style anywhere: every <script> has a src.
        expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
        expect(html).not.toMatch(/\sstyle=/);
      }
      const css = await request("/ui/assets/dashboard.css");
      expect(css.headers.get("content-type")).toMatch(/^text\/css/);
      expect((await request("/ui/assets/constructor")).status).toBe(404);
    });

    it("refuses a state change without the session's CSRF token, or from another origin", async () => {
      const id = await schedule({});
      const cookie = await signIn(API_KEY);
      const csrf = csrfOf(await page(`/ui/triggers/${id}`, cookie));
      const otherCsrf = csrfOf(await page("/ui/overview", await signIn(API_KEY)));
      expect(otherCsrf).not.toBe(csrf);

      expect((await post(`/ui/triggers/${id}/cancel`, {}, cookie)).status).toBe(403);
      expect((await post(`/ui/triggers/${id}/cancel`, { _csrf: otherCsrf }, cookie)).status).toBe(403);
      expect((await post(`/ui/triggers/${id}/cancel`, { _csrf: csrf }, cookie, "https://evil.example")).status).toBe(403);
      expect((await post(`/ui/triggers/${id}/cancel`, { _csrf: csrf }, cookie, "null")).status).toBe(403);
      const crossSite = await request(`/ui/triggers/${id}/cancel`, {
        method: "POST",
        cookie,
        body: `_csrf=${csrf}`,
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      });
      expect(crossSite.status).toBe(403);
      expect((await hg.service.store.getTrigger(hg.projectId, id))?.status).toBe("registered");

      const done = await post(`/ui/triggers/${id}/cancel`, { _csrf: csrf }, cookie);
      expect(done.status).toBe(303);
      expect(done.headers.get("location")).toBe(`/ui/triggers/${id}?done=cancelled`);
      expect((await hg.service.store.getTrigger(hg.projectId, id))?.status).toBe("cancelled");
    });

    it("renders every tenant-controlled string inert: title, tags, URL, headers, body, key, response", async () => {
      const id = await schedule(
        {
          "ttr-title": SCRIPT,
          "ttr-tags": "a<b>,c\"d",
          "ttr-custom-key": ATTRIBUTE,
          "ttr-url": `https://example.com/${encodeURIComponent(SCRIPT)}?q="><svg onload=alert(1)>`,
          "x-evil": ATTRIBUTE,
          "content-type": "text/html",
        },
        API_KEY,
        `${SCRIPT}${ATTRIBUTE}`,
      );
      const cookie = await signIn(API_KEY);
      const claimed = await hg.service.store.claimDue(T0 + 3_600_000, 10, 30_000);
      await hg.service.store.finishAttempt({
        triggerId: id,
        projectId: hg.projectId,
        attempt: claimed[0]!.attempt,
        startedAt: T0 + 3_600_000,
        finishedAt: T0 + 3_600_010,
        outcome: "failed",
        httpStatus: 500,
        error: SCRIPT,
        responseHeaders: [["x-reply", ATTRIBUTE]],
        responseExcerpt: `${SCRIPT}${ATTRIBUTE}`,
        retryAt: null,
        callbacks: [],
      });
      clock.set(T0 + 3_600_100);
      for (const path of [`/ui/triggers/${id}`, "/ui/triggers", "/ui/overview", `/ui/triggers?q=${encodeURIComponent(ATTRIBUTE)}`]) {
        const html = await page(path, cookie);
        expect(html).not.toContain("<script>window");
        expect(html).not.toContain("<img src=x");
        expect(html).not.toContain("<svg onload");
        // No tag carries an event handler: the payloads' attributes stay text (`&quot;` / `&lt;`).
        // (Attribute values are blanked first: an escaped payload inside value="…" is text.)
        expect(html.replace(/="[^"]*"/g, '=""')).not.toMatch(/<[^>]*\son\w+=/);
      }
      const detail = await page(`/ui/triggers/${id}`, cookie);
      expect(detail).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;");
      expect(detail).toContain("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;");
    });

    it("never shows or acts on another project's triggers and generators", async () => {
      const mine = await schedule({ "ttr-title": "mine" });
      const theirs = await schedule({ "ttr-title": "theirs" }, OTHER_API_KEY);
      const theirGenerator = await schedule({ "ttr-scheduled-at": "cron(@hourly)", "ttr-title": "their cron" }, OTHER_API_KEY);
      const cookie = await signIn(API_KEY);
      const list = await page("/ui/triggers", cookie);
      expect(list).toContain(mine);
      expect(list).not.toContain(theirs);
      expect(await page("/ui/generators", cookie)).not.toContain(theirGenerator);
      expect(await page("/ui/overview", cookie)).not.toContain("their cron");
      expect((await request(`/ui/triggers/${theirs}`, { cookie })).status).toBe(404);
      expect((await request(`/ui/generators/${theirGenerator}`, { cookie })).status).toBe(404);
      const csrf = csrfOf(list);
      expect((await post(`/ui/triggers/${theirs}/cancel`, { _csrf: csrf }, cookie)).status).toBe(404);
      expect((await post(`/ui/generators/${theirGenerator}/pause`, { _csrf: csrf }, cookie)).status).toBe(404);
      expect((await post(`/ui/generators/${theirGenerator}/cancel`, { _csrf: csrf }, cookie)).status).toBe(404);
      // A generator id is not a trigger: the trigger form cannot cancel a generator.
      expect((await post(`/ui/triggers/${theirGenerator}/cancel`, { _csrf: csrf }, cookie)).status).toBe(404);
      expect((await hg.service.store.getTrigger(hg.otherProjectId, theirs))?.status).toBe("registered");
      expect((await hg.service.store.getGenerator(hg.otherProjectId, theirGenerator))?.status).toBe("active");
    });
  });

  describe("pages", () => {
    it("shows the request as it will be sent: headers in order, secrets masked unless revealed, binary as hex", async () => {
      // Straight into the store: an in-process request's Fetch headers are folded and sorted.
      const { id } = await hg.service.store.scheduleJob({
        projectId: hg.projectId,
        customKey: null,
        triggerId: null,
        request: {
          method: "PUT",
          url: "https://example.com/upload",
          headers: [
            ["X-First", "1"],
            ["Authorization", "Bearer s3cr3t-value"],
            ["x-api-key", "k3y-value"],
            ["Content-Type", "application/octet-stream"],
          ],
          body: new Uint8Array([0x00, 0xff, 0x41, 0x42]),
        },
        delivery: { retries: 0, retryDelayMs: 1000, timeoutMs: 30_000, callbackUrl: null, failureUrl: null, successStatus: null, retryOn: null, flowKey: null },
        title: null,
        tags: [],
        now: T0,
        scheduledAt: T0 + 60_000,
      });
      const cookie = await signIn(API_KEY);
      const html = await page(`/ui/triggers/${id}`, cookie);
      expect(html).toContain("Bearer ***");
      expect(html).not.toContain("s3cr3t-value");
      expect(html).not.toContain("k3y-value");
      const names = [...html.matchAll(/<tr><td class="mono">([^<]+)<\/td>/g)].map((m) => m[1]);
      expect(names).toEqual(["X-First", "Authorization", "x-api-key", "Content-Type"]);
      expect(html).toContain("PUT https://example.com/upload");
      expect(html).toContain("00000000  00 ff 41 42");
      expect(html).toContain("|..AB|");
      const revealed = await page(`/ui/triggers/${id}?reveal=headers`, cookie);
      expect(revealed).toContain("Bearer s3cr3t-value");
      expect(revealed).toContain("k3y-value");
    });

    it("shows a trigger's flow, and why it waits for it", async () => {
      const flow = { "ttr-scheduled-at": "now", "ttr-flow-key": "partner-api", "ttr-flow-parallelism": "1" };
      const first = await schedule(flow);
      const second = await schedule(flow);
      expect((await hg.service.store.claimDue(T0, 10, 30_000)).map((c) => c.id)).toEqual([first]);
      const cookie = await signIn(API_KEY);
      expect(await page(`/ui/triggers/${first}`, cookie)).toMatch(/data-testid="flow"><span class="mono">partner-api<\/span><\/td>/);
      expect(await page(`/ui/triggers/${second}`, cookie)).toContain("partner-api</span> · waiting: the flow has its most attempts in flight");
    });

    it("filters and pages the trigger list", async () => {
      const nightly = await schedule({ "ttr-title": "Nightly report", "ttr-tags": "reports" });
      const keyed = await schedule({ "ttr-custom-key": "order-42", "ttr-url": "https://shop.example/orders" });
      const cookie = await signIn(API_KEY);
      const ids = (html: string) => [...html.matchAll(/href="\/ui\/triggers\/([0-9A-Z]{26})"/g)].map((m) => m[1]);
      const searched = await page("/ui/triggers?q=REPORT", cookie);
      expect(ids(searched)).toEqual([nightly]);
      expect(searched).toContain("The text search looks at the newest 100,000 triggers of the project");
      expect(ids(await page("/ui/triggers?q=shop.example", cookie))).toEqual([keyed]);
      expect(ids(await page("/ui/triggers?tag=reports", cookie))).toEqual([nightly]);
      expect(ids(await page("/ui/triggers?key=order-42", cookie))).toEqual([keyed]);
      expect(ids(await page("/ui/triggers?status=cancelled&kind=", cookie))).toEqual([]);
      for (let i = 0; i < 50; i++) await schedule({});
      const first = await page("/ui/triggers", cookie);
      expect(ids(first)).toHaveLength(50);
      const next = /href="(\/ui\/triggers\?cursor=[0-9A-Z]{26})" rel="next"/.exec(first)?.[1] as string;
      expect(ids(await page(next, cookie))).toEqual([keyed, nightly]);
    });

    it("replays an executed trigger and shows its attempts", async () => {
      const id = await schedule({});
      const [claim] = await hg.service.store.claimDue(T0 + 3_600_000, 10, 30_000);
      await hg.service.store.finishAttempt({
        triggerId: id,
        projectId: hg.projectId,
        attempt: claim!.attempt,
        startedAt: T0 + 3_600_000,
        finishedAt: T0 + 3_600_250,
        outcome: "succeeded",
        httpStatus: 204,
        error: null,
        responseHeaders: [["content-type", "text/plain"]],
        responseExcerpt: "ok then",
        retryAt: null,
        callbacks: [],
      });
      clock.set(T0 + 3_700_000);
      const cookie = await signIn(API_KEY);
      const html = await page(`/ui/triggers/${id}`, cookie);
      expect(html).toContain("250 ms");
      expect(html).toContain("ok then");
      expect(html).toContain(">204<");
      const replayed = await post(`/ui/triggers/${id}/replay`, { _csrf: csrfOf(html) }, cookie);
      expect(replayed.headers.get("location")).toBe(`/ui/triggers/${id}?done=replayed`);
      expect((await hg.service.store.getTrigger(hg.projectId, id))?.status).toBe("registered");
      expect(await page(`/ui/triggers/${id}?done=replayed`, cookie)).toContain("Replayed");
      // A replay of a waiting trigger is refused as an HTML page with the store's reason.
      const refused = await post(`/ui/triggers/${id}/replay`, { _csrf: csrfOf(html) }, cookie);
      expect(refused.status).toBe(409);
      expect(refused.headers.get("content-type")).toMatch(/^text\/html/);
    });

    it("shows a generator's next ten fire times in its zone and runs its controls", async () => {
      const id = await schedule({ "ttr-scheduled-at": "cron(0 9 * * *)", "ttr-timezone": "Europe/Paris", "ttr-title": "morning" });
      const cookie = await signIn(API_KEY);
      const html = await page(`/ui/generators/${id}`, cookie);
      expect(html).toContain("2026-03-02 09:00:00 +01:00");
      expect(html).toContain('datetime="2026-03-02T08:00:00.000Z"');
      // Paris moves to summer time on 29 March: 09:00 is then 07:00 UTC.
      expect(html).toContain("2026-03-11 09:00:00 +01:00");
      expect([...html.matchAll(/<td class="mono">2026-03-\d\d 09:00:00/g)]).toHaveLength(10);
      const csrf = csrfOf(html);
      const act = async (action: string) => {
        const res = await post(`/ui/generators/${id}/${action}`, { _csrf: csrf }, cookie);
        expect(res.status).toBe(303);
        return (await hg.service.store.getGenerator(hg.projectId, id))?.status;
      };
      expect(await act("pause")).toBe("paused");
      expect(await act("resume")).toBe("active");
      expect(await act("run")).toBe("active");
      const waiting = await hg.service.store.listTriggers(hg.projectId, { generatorId: id, status: "registered" }, { limit: 10 });
      expect(waiting.items.map((t) => t.origin).sort()).toEqual(["run", "tick"]);
      expect(await act("cancel")).toBe("cancelled");
      expect(await page(`/ui/generators/${id}`, cookie)).toContain("fires no more");
    });

    it("overview: counts, the next 24 hours with generator ticks to come, failures", async () => {
      await schedule({ "ttr-title": "in an hour" });
      await schedule({ "ttr-scheduled-at": "cron(0 */6 * * *)", "ttr-title": "six-hourly" });
      const failing = await schedule({ "ttr-scheduled-at": "now", "ttr-title": "broken" });
      const [claim] = await hg.service.store.claimDue(T0, 10, 30_000);
      await hg.service.store.finishAttempt({
        triggerId: failing,
        projectId: hg.projectId,
        attempt: claim!.attempt,
        startedAt: T0 + 1500,
        finishedAt: T0 + 1600,
        outcome: "failed",
        httpStatus: 503,
        error: "HTTP 503",
        responseHeaders: [],
        responseExcerpt: null,
        retryAt: null,
        callbacks: [],
      });
      clock.set(T0 + 60_000);
      const html = await page("/ui/overview", await signIn(API_KEY));
      expect(html).toContain('href="/ui/triggers?status=failed"><span class="n">1</span>');
      // 1 one-shot + the six-hourly generator's 4 ticks (18:00, 00:00, 06:00, 12:00 UTC) within 24 h.
      expect(html).toContain("5 fires scheduled");
      expect(html).toContain("(next tick)");
      expect(html).toMatch(/data-testid="failures"[\s\S]*broken/);
      expect(html).toContain("1 attempts finished");
    });
  });
  describe("create and edit forms", () => {
    const form = async (path: string, cookie: string, fields: Record<string, string>) => {
      const csrf = csrfOf(await page("/ui/overview", cookie));
      return post(path, { _csrf: csrf, ...fields }, cookie);
    };

    it("creates a one-shot: the preview shows the resolved instant, save stores it as POST /triggers would", async () => {
      const cookie = await signIn(API_KEY);
      expect(await page("/ui/new", cookie)).toContain('name="scheduledAt"');
      const fields = {
        kind: "once",
        url: "https://example.com/hook",
        method: "PUT",
        scheduledAt: "2026-03-29T02:30:00",
        timezone: "Europe/Paris",
        title: `Report ${SCRIPT}`,
        tags: "reports, nightly",
        headers: "X-First: 1\nAuthorization: Bearer abc",
        body: '{"a":1}',
      };
      const preview = await form("/ui/new", cookie, { ...fields, step: "preview" });
      expect(preview.status).toBe(200);
      const html = await preview.text();
      // 02:30 does not exist in Paris that night: the parser's answer (03:30 CEST) is what is shown.
      expect(html).toMatch(/data-testid="preview"[\s\S]*2026-03-29 03:30:00 \+02:00/);
      expect(html).toContain('value="save"');
      expect(html).not.toContain(SCRIPT);
      expect(await hg.service.store.listTriggers(hg.projectId, {}, { limit: 10 })).toMatchObject({ items: [] });

      const saved = await form("/ui/new", cookie, { ...fields, step: "save" });
      expect(saved.status).toBe(303);
      const id = /\/ui\/triggers\/([0-9A-Z]{26})\?done=created$/.exec(saved.headers.get("location") ?? "")?.[1] as string;
      const trigger = await hg.service.store.getTrigger(hg.projectId, id);
      expect(trigger).toMatchObject({
        method: "PUT",
        url: "https://example.com/hook",
        scheduledAt: Date.UTC(2026, 2, 29, 1, 30),
        title: `Report ${SCRIPT}`,
        tags: ["reports", "nightly"],
        headers: [["X-First", "1"], ["Authorization", "Bearer abc"]],
      });
      expect(new TextDecoder().decode(trigger?.body ?? undefined)).toBe('{"a":1}');
    });

    it("creates a generator: the cron in words and the next 10 fire times with DST marks before saving", async () => {
      const cookie = await signIn(API_KEY);
      const fields = { kind: "cron", url: "https://example.com/tick", method: "POST", cron: "30 2 * * 0", timezone: "Europe/Paris", maxRuns: "3" };
      const html = await (await form("/ui/new", cookie, { ...fields, step: "preview" })).text();
      expect(html).toContain('data-testid="cron-words">at 02:30 on Sunday<');
      const rows = /data-testid="preview-fires"[\s\S]*?<\/table>/.exec(html)?.[0] ?? "";
      expect(rows.match(/<tr/g)).toHaveLength(11);
      expect(rows).toContain("2026-03-29 03:30:00 +02:00");
      expect(rows).toContain("DST: 02:30 does not exist that day; fires 1 h later");

      const saved = await form("/ui/new", cookie, { ...fields, step: "save" });
      expect(saved.status).toBe(303);
      const id = /\/ui\/generators\/([0-9A-Z]{26})\?done=created$/.exec(saved.headers.get("location") ?? "")?.[1] as string;
      expect(await hg.service.store.getGenerator(hg.projectId, id)).toMatchObject({ cronExpr: "30 2 * * 0", cronTz: "Europe/Paris", maxRuns: 3, runs: 0 });
      const detail = await page(`/ui/generators/${id}`, cookie);
      expect(detail).toContain("at 02:30 on Sunday");
      expect(detail).toContain("0 fired of at most 3");
      // At most 3 runs: only 3 fire times are listed.
      expect((/data-testid="next-fires"[\s\S]*?<\/table>/.exec(detail)?.[0] ?? "").match(/<tr/g)).toHaveLength(4);
    });

    it("shows each refusal of the JSON rules next to its field, the typed values kept (inert)", async () => {
      const cookie = await signIn(API_KEY);
      const cases: [Record<string, string>, string][] = [
        [{ kind: "cron", url: "https://example.com", cron: "61 * * * *" }, "cron"],
        [{ kind: "once", url: "ftp://example.com", scheduledAt: "now" }, "url"],
        [{ kind: "once", url: "https://example.com", scheduledAt: "tomorrow-ish" }, "scheduledAt"],
        [{ kind: "once", url: "https://example.com", scheduledAt: "now", timezone: "Mars/Olympus" }, "timezone"],
        [{ kind: "once", url: "https://example.com", scheduledAt: "now", headers: "no colon here" }, "headers"],
        [{ kind: "cron", url: "https://example.com", cron: "0 9 * * *", maxRuns: "0" }, "maxRuns"],
        [{ kind: "once", url: "", scheduledAt: "now" }, "url"],
      ];
      for (const [fields, field] of cases) {
        const res = await form("/ui/new", cookie, { ...fields, title: ATTRIBUTE, step: "save" });
        expect(res.status, field).toBe(400);
        const html = await res.text();
        expect(html, field).toContain(`data-testid="error-${field}"`);
        expect(html).not.toContain(ATTRIBUTE);
        expect(html).toContain("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;");
      }
      expect((await hg.service.store.listTriggers(hg.projectId, {}, { limit: 10 })).items).toEqual([]);
      // Without the CSRF token nothing is created.
      expect((await post("/ui/new", { kind: "once", url: "https://example.com", scheduledAt: "now", step: "save" }, cookie)).status).toBe(403);
    });

    it("edits a waiting one-shot's time, and a generator's cron, zone, URL and title, by the JSON API's edit path", async () => {
      const id = await schedule({ "ttr-title": "move me" });
      const cookie = await signIn(API_KEY);
      expect(await page(`/ui/triggers/${id}`, cookie)).toContain(`href="/ui/triggers/${id}/edit"`);
      const preview = await (await form(`/ui/triggers/${id}/edit`, cookie, { scheduledAt: "2026-03-02T08:00:00Z", step: "preview" })).text();
      expect(preview).toContain("2026-03-02 08:00:00 +00:00");
      expect((await form(`/ui/triggers/${id}/edit`, cookie, { scheduledAt: "2026-03-02T08:00:00Z", step: "save" })).headers.get("location")).toBe(`/ui/triggers/${id}?done=edited`);
      expect(await hg.service.store.getTrigger(hg.projectId, id)).toMatchObject({ scheduledAt: Date.UTC(2026, 2, 2, 8), title: "move me" });
      // Once cancelled it no longer waits: refused with the 410 PATCH answers.
      await form(`/ui/triggers/${id}/cancel`, cookie, {});
      expect((await form(`/ui/triggers/${id}/edit`, cookie, { scheduledAt: "2026-03-03T08:00:00Z", step: "save" })).status).toBe(410);

      const generator = await schedule({ "ttr-scheduled-at": "cron(0 9 * * *)", "ttr-title": "daily" });
      const edit = await page(`/ui/generators/${generator}/edit`, cookie);
      expect(edit).toContain('value="0 9 * * *"');
      const blankUrl = await form(`/ui/generators/${generator}/edit`, cookie, { cron: "*/15 * * * *", timezone: "UTC", url: "", title: "", step: "save" });
      expect(blankUrl.status).toBe(400);
      expect(await blankUrl.text()).toContain('data-testid="error-url"');
      const saved = await form(`/ui/generators/${generator}/edit`, cookie, { cron: "*/15 * * * *", timezone: "Asia/Tokyo", url: "https://example.com/new", title: "", step: "save" });
      expect(saved.status).toBe(303);
      expect(await hg.service.store.getGenerator(hg.projectId, generator)).toMatchObject({
        cronExpr: "*/15 * * * *",
        cronTz: "Asia/Tokyo",
        url: "https://example.com/new",
        title: null,
        nextAt: T0 + 15 * 60_000,
      });
      // Another project's generator is not found.
      const theirs = await schedule({ "ttr-scheduled-at": "cron(0 9 * * *)" }, OTHER_API_KEY);
      expect((await request(`/ui/generators/${theirs}/edit`, { cookie })).status).toBe(404);
      expect((await form(`/ui/generators/${theirs}/edit`, cookie, { cron: "0 1 * * *", url: "https://example.com", step: "save" })).status).toBe(404);
    });
  });
  describe("operator view", () => {
    const operatorPost = async (cookie: string, path: string, fields: Record<string, string> = {}) =>
      post(path, { _csrf: csrfOf(await page("/ui/projects", cookie)), ...fields }, cookie);

    it("creates a project with its first key shown once; creates and revokes keys (the key stops working at once)", async () => {
      const cookie = await signIn(ADMIN_TOKEN);
      expect((await post("/ui/projects", { name: "no token" }, cookie)).status).toBe(403);
      expect((await post(`/ui/projects/${hg.projectId}/keys`, { _csrf: csrfOf(await page("/ui/projects", cookie)) }, cookie, "https://evil.example")).status).toBe(403);
      expect(await hg.service.store.listApiKeys(hg.projectId)).toHaveLength(1);
      const created = await operatorPost(cookie, "/ui/projects", { name: `Shop ${SCRIPT}` });
      expect(created.status).toBe(200);
      const html = await created.text();
      expect(html).not.toContain(SCRIPT);
      const firstKey = /data-testid="secret">([^<]+)</.exec(html)?.[1] as string;
      const project = (await hg.service.store.listProjects(T0)).find((p) => p.name === `Shop ${SCRIPT}`);
      expect(project).toBeDefined();
      expect(await hg.service.store.findApiKey(hashApiKey(firstKey))).toMatchObject({ projectId: project?.id });
      // Shown once: the page reloaded shows the key's prefix only.
      const again = await page(`/ui/projects/${project?.id}`, cookie);
      expect(again).not.toContain(firstKey);
      expect(again).toContain(`${firstKey.slice(0, 8)}`);

      const second = await (await operatorPost(cookie, `/ui/projects/${project?.id}/keys`)).text();
      const secondKey = /data-testid="secret">([^<]+)</.exec(second)?.[1] as string;
      expect(secondKey).not.toBe(firstKey);
      const keys = await hg.service.store.listApiKeys(project?.id as string);
      expect(keys).toHaveLength(2);
      const projectSession = await signIn(secondKey);
      const revoked = await operatorPost(cookie, `/ui/projects/${project?.id}/keys/${keys.find((k) => secondKey.startsWith(k.prefix))?.id}/revoke`);
      expect(revoked.status).toBe(303);
      expect(await hg.service.store.findApiKey(hashApiKey(secondKey))).toBeNull();
      expect((await request("/ui/overview", { cookie: projectSession })).status).toBe(303);
      // A key of another project is not revoked through this one's page.
      const [theirs] = await hg.service.store.listApiKeys(hg.projectId);
      expect((await operatorPost(cookie, `/ui/projects/${project?.id}/keys/${theirs?.id}/revoke`)).status).toBe(404);
      // A blank name is refused by the admin API's rule, next to the field.
      const blank = await operatorPost(cookie, "/ui/projects", { name: "  " });
      expect(blank.status).toBe(400);
      expect(await blank.text()).toContain('data-testid="error-name"');
    });

    it("edits quota and rate limit by the admin API's rules, rotates the signing secret, shows engine health", async () => {
      const cookie = await signIn(ADMIN_TOKEN);
      const base = `/ui/projects/${hg.projectId}`;
      expect((await operatorPost(cookie, `${base}/limits`, { monthQuota: "5000", rateLimit: "20" })).status).toBe(303);
      expect((await hg.service.store.listProjects(T0)).find((p) => p.id === hg.projectId)).toMatchObject({ monthQuota: 5000, rateLimit: 20 });
      const wrong = await operatorPost(cookie, `${base}/limits`, { monthQuota: "lots", rateLimit: "" });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain("monthQuota must be null or an integer");
      expect((await operatorPost(cookie, `${base}/limits`, { monthQuota: "", rateLimit: "" })).status).toBe(303);
      expect((await hg.service.store.listProjects(T0)).find((p) => p.id === hg.projectId)).toMatchObject({ monthQuota: null, rateLimit: null });

      const first = /data-testid="secret">([^<]+)</.exec(await (await operatorPost(cookie, `${base}/signing-secret`)).text())?.[1];
      const second = /data-testid="secret">([^<]+)</.exec(await (await operatorPost(cookie, `${base}/signing-secret`)).text())?.[1];
      expect(await hg.service.store.getSigningSecrets(hg.projectId)).toEqual([second, first]);
      expect((await operatorPost(cookie, `${base}/signing-secret/drop`)).status).toBe(303);
      expect(await hg.service.store.getSigningSecrets(hg.projectId)).toEqual([second]);

      const health = await page("/ui/health", cookie);
      expect(health).toMatch(/Readiness[\s\S]*ok/);
      expect(health).toContain("SQLite");
      expect(health).toContain('data-testid="wal"');
    });

    it("is the operator's only: a project's session gets 404 and its forms 404", async () => {
      const cookie = await signIn(API_KEY);
      expect((await request("/ui/health", { cookie })).status).toBe(404);
      expect((await request(`/ui/projects/${hg.projectId}`, { cookie })).status).toBe(404);
      const csrf = csrfOf(await page("/ui/overview", cookie));
      expect((await post(`/ui/projects/${hg.projectId}/keys`, { _csrf: csrf }, cookie)).status).toBe(404);
      expect((await post("/ui/projects", { _csrf: csrf, name: "x" }, cookie)).status).toBe(404);
      expect(await hg.service.store.listApiKeys(hg.projectId)).toHaveLength(1);
    });
  });
});
