import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { makeTempDir } from "../support/temp-dir.js";

const ADMIN = "admin-token-for-tests-0123456789";

describe("keys configured by HOURGLASS_API_KEYS", () => {
  const temp = makeTempDir();
  const dbPath = join(temp.dir, "hourglass.db");
  let hg: TestHourglass | null = null;
  afterEach(async () => {
    await hg?.close();
    hg = null;
  });
  afterAll(() => temp.remove());

  const schedule = (key: string) =>
    hg!.service.app.request("/schedule", {
      method: "POST",
      headers: { "ttr-api-key": key, "ttr-url": "https://example.com/hook", "ttr-scheduled-at": "now | add 1h" },
    });

  it("a key dropped from the list is revoked at the next start; admin-created keys survive", async () => {
    hg = await startHourglass({ dbPath, dispatch: false, env: { HOURGLASS_ADMIN_TOKEN: ADMIN } });
    expect((await schedule(OTHER_API_KEY)).status).toBe(200);
    const res = await hg.service.app.request(`/admin/projects/${hg.otherProjectId}/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const adminKey = ((await res.json()) as { key: string }).key;
    await hg.close();

    hg = await startHourglass({ dbPath, dispatch: false, env: { HOURGLASS_API_KEYS: API_KEY } });
    expect((await schedule(OTHER_API_KEY)).status).toBe(401);
    expect((await schedule(API_KEY)).status).toBe(200);
    // The project lives on with the key its operator created through the admin API.
    expect((await schedule(adminKey)).status).toBe(200);
  });
});
