import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hourglass, WebhookVerificationError, verifyWebhook } from "../../client/src/index.js";
import { AttemptLog } from "../support/attempts.js";
import { API_KEY, OTHER_API_KEY, type TestHourglass, startHourglass } from "../support/hourglass.js";
import { type ReceivedRequest, type TargetServer, headerPairs, startTargetServer } from "../support/target-server.js";

const SECRET = `whsec_${Buffer.from("a 32-byte secret for the tests!!").toString("base64")}`;
const OTHER = `whsec_${Buffer.from("another secret of thirty-two b..").toString("base64")}`;

/** Why `promise` was rejected, which must be a WebhookVerificationError. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
}

describe("verifyWebhook against the standardwebhooks package", () => {
  const at = new Date("2026-06-01T12:00:00Z");
  const payload = '{"event":"paid","amount":12}';
  const headersFor = (secret: string, body: string | Buffer = payload) => ({
    "webhook-id": "msg_1",
    "webhook-timestamp": String(at.getTime() / 1000),
    "webhook-signature": new Webhook(secret).sign("msg_1", at, body),
  });

  it("accepts what the package signs, and the package accepts what it accepts", async () => {
    const headers = headersFor(SECRET);
    expect(await verifyWebhook(SECRET, headers, payload, { now: at })).toEqual({ id: "msg_1", timestamp: at });
    expect(await verifyWebhook(SECRET, new Headers(headers), new TextEncoder().encode(payload), { now: at.getTime() + 1000 })).toEqual({ id: "msg_1", timestamp: at });
    // The secret without its prefix, as the package also takes it.
    expect((await verifyWebhook(SECRET.slice("whsec_".length), Object.entries(headers), payload, { now: at })).id).toBe("msg_1");
    // The package signs a Buffer as its UTF-8 text, so the cross-check uses text (binary: the real deliveries below).
    const accented = Buffer.from("{\"name\":\"Zoë €\"}");
    expect((await verifyWebhook(SECRET, headersFor(SECRET, accented), accented, { now: at })).id).toBe("msg_1");
  });

  it("refuses a tampered body, a wrong secret, a stale or future timestamp, missing headers", async () => {
    const headers = headersFor(SECRET);
    expect(await failure(verifyWebhook(SECRET, headers, payload.replace("12", "13"), { now: at }))).toBe("no_matching_signature");
    expect(await failure(verifyWebhook(OTHER, headers, payload, { now: at }))).toBe("no_matching_signature");
    expect(await failure(verifyWebhook(SECRET, headers, payload, { now: at.getTime() + 301_000 }))).toBe("timestamp_out_of_tolerance");
    expect(await failure(verifyWebhook(SECRET, headers, payload, { now: at.getTime() - 301_000 }))).toBe("timestamp_out_of_tolerance");
    expect(await verifyWebhook(SECRET, headers, payload, { now: at.getTime() + 3_000_000, toleranceSeconds: 3600 })).toBeDefined();
    expect(await failure(verifyWebhook(SECRET, { ...headers, "webhook-id": "msg_2" }, payload, { now: at }))).toBe("no_matching_signature");
    expect(await failure(verifyWebhook(SECRET, { ...headers, "webhook-timestamp": "soon" }, payload, { now: at }))).toBe("invalid_timestamp");
    expect(await failure(verifyWebhook(SECRET, { "webhook-id": "msg_1" }, payload, { now: at }))).toBe("missing_headers");
    expect(() => new Webhook(OTHER).verify(payload, headers)).toThrow();
  });

  it("accepts any of several secrets and any of several signatures (rotation)", async () => {
    const headers = headersFor(SECRET);
    const both = { ...headers, "webhook-signature": `v1,${"A".repeat(44)} ${headers["webhook-signature"]} v1a,ignored` };
    expect((await verifyWebhook(SECRET, both, payload, { now: at })).id).toBe("msg_1");
    expect((await verifyWebhook([OTHER, SECRET], headers, payload, { now: at })).id).toBe("msg_1");
    expect(await failure(verifyWebhook([OTHER], both, payload, { now: at }))).toBe("no_matching_signature");
    await expect(verifyWebhook([], headers, payload)).rejects.toThrow(TypeError);
  });
});

describe("verifyWebhook on what Hourglass really sends", () => {
  let hg: TestHourglass;
  let target: TargetServer;
  let attempts: AttemptLog;

  beforeAll(async () => {
    hg = await startHourglass({ listen: true });
    target = await startTargetServer();
    attempts = new AttemptLog(hg.service.dispatcher);
  });
  afterAll(async () => {
    await hg?.close();
    await target?.close();
  });

  /** Schedules `body` now and returns the delivery as the target received it. */
  async function deliver(client: Hourglass, path: string, body: Uint8Array): Promise<ReceivedRequest> {
    const { triggerId } = await client.schedule(`${target.url}${path}`, { method: "POST", body }, { at: "now", retries: 0 });
    await attempts.waitFor((e) => e.claim.id === triggerId);
    const received = target.received.find((r) => r.url === path);
    if (!received) throw new Error(`${path} was not delivered`);
    return received;
  }
  const headersOf = (r: ReceivedRequest) => headerPairs(r.rawHeaders);
  /** Not UTF-8: Hourglass signs the exact bytes. */
  const body = Uint8Array.from([0, 1, 2, 250, 251, 252, 10]);

  it("verifies a real delivery; refuses it tampered, with another secret, or too late", async () => {
    const client = new Hourglass({ baseUrl: hg.url, apiKey: OTHER_API_KEY });
    const { secret, signingWith } = await client.signingSecret.rotate();
    expect(signingWith).toBe(1);
    const signed = await deliver(client, "/signed", new TextEncoder().encode('{"name":"Zoë €"}'));
    const headers = headersOf(signed);
    const verified = await verifyWebhook(secret, headers, signed.body);
    expect(verified.id).toMatch(/^msg_[0-9A-Z]{26}$/);
    expect(() => new Webhook(secret).verify(signed.body, Object.fromEntries(headers))).not.toThrow();

    const tampered = Buffer.from(signed.body);
    tampered[2] = 0x4e;
    expect(await failure(verifyWebhook(secret, headers, tampered))).toBe("no_matching_signature");
    expect(await failure(verifyWebhook(OTHER, headers, signed.body))).toBe("no_matching_signature");
    expect(await failure(verifyWebhook(secret, headers, signed.body, { now: verified.timestamp.getTime() + 10 * 60_000 }))).toBe(
      "timestamp_out_of_tolerance",
    );
  });

  it("during a rotation, a delivery carries two signatures and either secret verifies it", async () => {
    // Both rotations before the first delivery: the dispatcher caches a project's secrets for 5 s.
    const client = new Hourglass({ baseUrl: hg.url, apiKey: API_KEY });
    const previous = await client.signingSecret.rotate();
    const current = await client.signingSecret.rotate();
    expect(current.signingWith).toBe(2);
    const rotated = await deliver(client, "/rotated", body);
    const headers = headersOf(rotated);
    expect(headers.find(([n]) => n.toLowerCase() === "webhook-signature")?.[1].split(" ")).toHaveLength(2);
    expect((await verifyWebhook(previous.secret, headers, rotated.body)).id).toMatch(/^msg_/);
    expect((await verifyWebhook(current.secret, headers, rotated.body)).id).toMatch(/^msg_/);
    expect((await verifyWebhook([OTHER, current.secret], headers, rotated.body)).id).toMatch(/^msg_/);
    expect(await failure(verifyWebhook(OTHER, headers, rotated.body))).toBe("no_matching_signature");
  });
});
