/**
 * The example of docs/testing.md, run as written: a team's own test of code that schedules with
 * Hourglass, against a real Hourglass process on a virtual clock. Keep the two in step.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type HourglassProcess, spawnHourglass } from "../support/child-process.js";
import { makeTempDir } from "../support/temp-dir.js";

const API_KEY = "hg_example_key_for_the_testing_docs";
const ADMIN_TOKEN = "example-admin-token-for-the-testing-docs";

// The code under test: asks Hourglass to call the reminder endpoint two days from now.
async function scheduleReminder(hourglass: string, appUrl: string, customerId: number): Promise<void> {
  const response = await fetch(`${hourglass}/schedule`, {
    method: "POST",
    headers: {
      "ttr-api-key": API_KEY,
      "ttr-url": `${appUrl}/remind`,
      "ttr-scheduled-at": "now | add 2d",
      "ttr-custom-key": `reminder-${customerId}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ customerId }),
  });
  if (!response.ok) throw new Error(`Hourglass answered ${response.status}`);
}

let hourglass: HourglassProcess;
let app: ReturnType<typeof createServer>;
let appUrl: string;
const reminders: string[] = [];
const temp = makeTempDir();

beforeAll(async () => {
  app = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      reminders.push(body);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  hourglass = await spawnHourglass({
    HOURGLASS_CLOCK: "manual",
    HOURGLASS_ADMIN_TOKEN: ADMIN_TOKEN,
    HOURGLASS_API_KEYS: API_KEY,
    HOURGLASS_ALLOWED_TARGETS: "127.0.0.1",
    DATABASE_URL: `${temp.dir}/hourglass.db`,
  });
});
afterAll(async () => {
  hourglass.child.kill("SIGTERM");
  await hourglass.exited;
  app.close();
  temp.remove();
});

const advanceBy = (advanceBy: string) =>
  fetch(`${hourglass.url}/admin/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ advanceBy }),
  });

it("reminds the customer two days later, not before", async () => {
  await scheduleReminder(hourglass.url, appUrl, 42);
  await advanceBy("47h");
  expect(reminders).toEqual([]);
  await advanceBy("1h"); // answers once everything due by then has been delivered
  expect(reminders).toEqual(['{"customerId":42}']);
  expect(hourglass.output()).toMatch(/HOURGLASS_CLOCK=manual/);
});
