import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashApiKey } from "../../src/http/api-key.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type TargetServer, startTargetServer } from "../support/target-server.js";

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against a real
 * Hourglass (real sockets, real dispatcher, a real target). One browser for the file. Chromium is
 * found at HOURGLASS_CHROMIUM or the Debian paths; without it the file is skipped — visibly —
 * except under CI, where it must run (.ci/run installs the package).
 */
const CHROMIUM = [process.env.HOURGLASS_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p !== undefined && p !== "" && existsSync(p));
if (CHROMIUM === undefined && process.env.CI) throw new Error("CI is set but no Chromium was found (install the chromium package or set HOURGLASS_CHROMIUM).");
if (CHROMIUM === undefined) console.warn("SKIPPED: dashboard browser tests — no Chromium found (apt-get install chromium, or set HOURGLASS_CHROMIUM).");

const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts");
const ADMIN_TOKEN = "admin-token-0123456789-abcdefghij";
const PAYLOAD_TITLE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
const PAYLOAD_ATTRIBUTE = `"><svg onload="window.__pwned=3">`;
const TZ = (process.env.TZ ?? "UTC").replace(/\W+/g, "-");

describe.skipIf(CHROMIUM === undefined)("dashboard in Chromium", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Problems the pages reported: CSP violations (an inline script or style would be one), script errors. */
  const pageProblems: string[] = [];

  const schedule = async (headers: Record<string, string>, key = API_KEY, body?: string) => {
    const res = await fetch(`${hg.url}/schedule`, {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": `${target.url}/hook`, "ttr-scheduled-at": "now", ...headers },
      ...(body === undefined ? {} : { body }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { triggerId: string }).triggerId;
  };
  const statusOf = async (id: string) => (await hg.service.store.getTrigger(hg.projectId, id))?.status;
  const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    target = await startTargetServer();
    target.respondWith((req, res) => {
      if (req.url.startsWith("/broken")) res.writeHead(503, { "content-type": "text/plain" }).end("down for maintenance");
      else res.writeHead(200, { "content-type": "application/json", "x-request-id": "req-1" }).end('{"received":true}');
    });
    hg = await startHourglass({ listen: true, env: { HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Paris", locale: "en-GB" });
    page = await context.newPage();
    page.on("console", (message) => {
      // (A 404 the test asks for on purpose is logged as "Failed to load resource": not a problem.)
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) pageProblems.push(message.text());
    });
    page.on("pageerror", (error) => pageProblems.push(error.message));
    // Destructive actions ask first (data-confirm): the user says yes.
    page.on("dialog", (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hg?.close();
    await target?.close();
  });

  it("signs in, lists a fired trigger, shows its attempts, replays it and cancels another", async () => {
    const fired = await schedule({ "ttr-title": "Send the invoice", "ttr-tags": "billing", authorization: "Bearer top-secret" }, API_KEY, '{"invoice":42}');
    const broken = await schedule({ "ttr-title": "Nightly export", "ttr-url": `${target.url}/broken`, "ttr-retries": "0" });
    const later = await schedule({ "ttr-title": "Remind me tomorrow", "ttr-scheduled-at": "now | add 1d" });
    await schedule({ "ttr-title": "Morning digest", "ttr-scheduled-at": "cron(0 8 * * *)", "ttr-timezone": "Europe/Paris" });
    await vi.waitFor(async () => {
      expect(await statusOf(fired)).toBe("succeeded");
      expect(await statusOf(broken)).toBe("failed");
    });

    await page.goto(`${hg.url}/ui`);
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
    await page.getByLabel("API key or admin token").fill(API_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/ui/overview");
    expect(page.url()).not.toContain(API_KEY);
    await expect.poll(() => page.getByTestId("failures").textContent()).toContain("Nightly export");
    // The page script ran (CSP allows /ui/assets): times are in the viewer's zone, UTC on hover.
    const time = page.locator("time").first();
    expect(await time.getAttribute("title")).toMatch(/UTC \(shown in Europe\/Paris\)$/);
    expect(await time.textContent()).not.toMatch(/UTC$/);
    await screenshot(`overview-${TZ}`);

    await page.getByRole("link", { name: "Triggers", exact: true }).click();
    await page.getByRole("link", { name: "Send the invoice" }).click();
    await page.waitForURL(`**/ui/triggers/${fired}`);
    expect(await page.getByTestId("request-headers").textContent()).toContain("Bearer ***");
    expect(await page.content()).not.toContain("top-secret");
    expect(await page.getByTestId("body-text").textContent()).toBe('{"invoice":42}');
    const attempts = page.getByTestId("attempts");
    expect(await attempts.locator("tbody tr").count()).toBe(1);
    expect(await attempts.textContent()).toContain("200");
    expect(await attempts.textContent()).toContain('{"received":true}');
    await screenshot(`trigger-${TZ}`);

    await page.getByRole("button", { name: "Replay now" }).click();
    await page.waitForURL(`**/ui/triggers/${fired}?done=replayed`);
    expect(await page.getByRole("status").textContent()).toContain("Replayed");
    await vi.waitFor(async () => expect((await hg.service.store.getTrigger(hg.projectId, fired))?.attempts).toBe(2));
    await vi.waitFor(async () => expect(await statusOf(fired)).toBe("succeeded"));
    await page.reload();
    expect(await page.getByTestId("attempts").locator("tbody tr").count()).toBe(2);

    await page.goto(`${hg.url}/ui/triggers?q=remind`);
    await page.getByRole("link", { name: "Remind me tomorrow" }).click();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForURL(`**/ui/triggers/${later}?done=cancelled`);
    expect(await page.locator("h1").textContent()).toContain("cancelled");
    expect(await statusOf(later)).toBe("cancelled");

    await page.goto(`${hg.url}/ui/triggers`);
    await screenshot(`triggers-${TZ}`);
  });

  it("pauses and resumes a generator, showing its next fire times", async () => {
    await page.getByRole("link", { name: "Generators", exact: true }).click();
    await page.getByRole("link", { name: "Morning digest" }).click();
    expect(await page.getByTestId("next-fires").locator("tbody tr").count()).toBe(10);
    await page.getByRole("button", { name: "Pause" }).click();
    expect(await page.locator("h1").textContent()).toContain("paused");
    await page.getByRole("button", { name: "Resume" }).click();
    expect(await page.locator("h1").textContent()).toContain("active");
    await screenshot(`generator-${TZ}`);
  });

  it("keeps tenant payloads inert and another project's data out of sight", async () => {
    const hostile = await schedule({ "ttr-title": PAYLOAD_TITLE, "ttr-scheduled-at": "now | add 1h", "x-note": PAYLOAD_ATTRIBUTE }, API_KEY, PAYLOAD_TITLE);
    const theirs = await schedule({ "ttr-title": "Their secret job", "ttr-scheduled-at": "now | add 1h" }, OTHER_API_KEY);

    for (const path of [`/ui/triggers/${hostile}`, "/ui/triggers", "/ui/overview"]) {
      await page.goto(`${hg.url}${path}`);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      expect(await page.locator("main img, main svg[onload]").count()).toBe(0);
    }
    await page.goto(`${hg.url}/ui/triggers/${hostile}`);
    expect(await page.locator("h1").textContent()).toContain(PAYLOAD_TITLE);
    expect(await page.getByTestId("request-headers").textContent()).toContain(PAYLOAD_ATTRIBUTE);

    expect(await page.textContent("main")).not.toContain("Their secret job");
    const foreign = await page.goto(`${hg.url}/ui/triggers/${theirs}`);
    expect(foreign?.status()).toBe(404);
    await page.goto(`${hg.url}/ui/triggers`);
    expect(await page.textContent("main")).not.toContain("Their secret job");
    expect(pageProblems).toEqual([]);
  });

  it("creates a one-shot and a generator from the form, previewing the resolved times first", async () => {
    await page.goto(`${hg.url}/ui/triggers`);
    await page.getByRole("link", { name: "New one-shot" }).click();
    await page.getByLabel("URL").fill(`${target.url}/hook`);
    await page.getByLabel("When").fill("now");
    await page.getByLabel("Title").fill(PAYLOAD_TITLE);
    await page.getByRole("button", { name: "Preview" }).click();
    expect(await page.getByTestId("preview").textContent()).toContain("Fires once at");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL("**/ui/triggers/*?done=created");
    const created = new URL(page.url()).pathname.split("/").pop() as string;
    expect(await page.locator("h1").textContent()).toContain(PAYLOAD_TITLE);
    await vi.waitFor(async () => expect(await statusOf(created)).toBe("succeeded"));

    await page.goto(`${hg.url}/ui/new?kind=cron`);
    await page.getByLabel("URL").fill(`${target.url}/tick`);
    await page.getByLabel("Cron expression").fill("61 2 * * 0");
    await page.getByRole("button", { name: "Preview" }).click();
    expect(await page.getByTestId("error-cron").textContent()).toContain("61");
    expect(await page.getByLabel("Cron expression").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Cron expression").fill("30 2 * * 0");
    await page.getByLabel("Time zone").fill("Europe/Paris");
    await page.getByLabel("Title").fill("Weekly sweep");
    await page.getByRole("button", { name: "Preview" }).click();
    expect(await page.getByTestId("cron-words").textContent()).toBe("at 02:30 on Sunday");
    expect(await page.getByTestId("preview-fires").locator("tbody tr").count()).toBe(10);
    await screenshot(`new-generator-${TZ}`);
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL("**/ui/generators/*?done=created");
    expect(await page.getByTestId("cron-words").textContent()).toBe("at 02:30 on Sunday");
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(pageProblems).toEqual([]);
  });

  it("fits a phone-width screen and is keyboard-navigable, then signs out", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${hg.url}/ui/overview`);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(`overview-phone-${TZ}`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/ui/sign-in");
    await page.goto(`${hg.url}/ui/overview`);
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
    expect(await context.cookies()).toEqual([]);
  });

  it("lets the operator create a key, shown once, and revoke it", async () => {
    await page.goto(`${hg.url}/ui/sign-in`);
    await page.getByLabel("API key or admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/ui/projects");
    await page.locator(`a[href="/ui/projects/${hg.projectId}"]`).click();
    await page.getByRole("button", { name: "Create a key" }).click();
    const key = (await page.getByTestId("secret").textContent()) as string;
    expect(await hg.service.store.findApiKey(hashApiKey(key))).not.toBeNull();
    const prefix = (await hg.service.store.listApiKeys(hg.projectId)).find((k) => key.startsWith(k.prefix))?.prefix as string;
    await page.getByRole("button", { name: `Revoke ${prefix}` }).click();
    await page.waitForURL("**?done=revoked");
    expect(await page.getByRole("status").textContent()).toContain("Key revoked");
    expect(await page.content()).not.toContain(key);
    expect(await hg.service.store.findApiKey(hashApiKey(key))).toBeNull();
    await page.getByRole("link", { name: "Health" }).click();
    expect(await page.getByTestId("health").textContent()).toContain("SQLite");
    expect(pageProblems).toEqual([]);
  });
});
