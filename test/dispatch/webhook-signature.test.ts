import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateSigningSecret,
  isValidSigningSecret,
  signatureHeaders,
  webhookIdOf,
} from "../../src/dispatch/webhook-signature.js";

const headersObject = (pairs: [string, string][]) => Object.fromEntries(pairs);

describe("Standard Webhooks signatures", () => {
  it("generates valid, distinct secrets", () => {
    const a = generateSigningSecret();
    expect(isValidSigningSecret(a)).toBe(true);
    expect(a).not.toBe(generateSigningSecret());
    expect(isValidSigningSecret("whsec_short")).toBe(false);
    expect(isValidSigningSecret("not-a-secret")).toBe(false);
  });

  it("verifies with the reference implementation over a UTF-8 body", () => {
    const secret = generateSigningSecret();
    const body = '{"hello":"wörld"}';
    const now = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders({ webhookId: webhookIdOf("01HZY3J5W9M8Q2R4T6V8X0Z2B4"), timestampSeconds: now, body: new TextEncoder().encode(body), secrets: [secret] });
    expect(headersObject(headers)["webhook-id"]).toBe("msg_01HZY3J5W9M8Q2R4T6V8X0Z2B4");
    expect(new Webhook(secret).verify(body, headersObject(headers))).toEqual({ hello: "wörld" });
  });

  it("signs the exact bytes of a binary body", () => {
    const secret = generateSigningSecret();
    const body = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x0a]);
    const headers = headersObject(signatureHeaders({ webhookId: "msg_x", timestampSeconds: 1_700_000_000, body, secrets: [secret] }));
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key).update(Buffer.concat([Buffer.from("msg_x.1700000000."), body])).digest("base64");
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`);
  });

  it("carries one signature per secret during a rotation; each verifies on its own", () => {
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = headersObject(signatureHeaders({ webhookId: "msg_y", timestampSeconds: now, body: new TextEncoder().encode("{}"), secrets: [current, previous] }));
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify("{}", headers)).toEqual({});
    expect(new Webhook(previous).verify("{}", headers)).toEqual({});
    expect(() => new Webhook(generateSigningSecret()).verify("{}", headers)).toThrow();
  });
});
