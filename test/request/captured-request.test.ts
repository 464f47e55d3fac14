import { describe, expect, it } from "vitest";
import { HeadersTooLargeError, InvalidInputError } from "../../src/errors.js";
import {
  NOT_FORWARDED_HEADERS,
  isValidMethod,
  methodCarriesBody,
  splitHeaders,
} from "../../src/request/captured-request.js";

const LIMITS = { maxCount: 100, maxBytes: 16 * 1024 };

function mixedCase(name: string): string {
  return [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join("");
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("splitHeaders", () => {
  it("keeps order, duplicates and original name case of forwarded headers", () => {
    const { forwarded, ttr } = splitHeaders(
      [
        "X-Trace", "1",
        "content-type", "application/json",
        "X-Trace", "2",
        "AUTHORIZATION", "Bearer abc",
        "x-trace", "3",
        "Cookie", "a=1",
        "Cookie", "b=2",
      ],
      LIMITS,
    );
    expect(forwarded).toEqual([
      ["X-Trace", "1"],
      ["content-type", "application/json"],
      ["X-Trace", "2"],
      ["AUTHORIZATION", "Bearer abc"],
      ["x-trace", "3"],
      ["Cookie", "a=1"],
      ["Cookie", "b=2"],
    ]);
    expect(ttr.size).toBe(0);
  });

  it("keeps empty values and values with inner whitespace, tabs and latin1 bytes", () => {
    const { forwarded } = splitHeaders(["X-Empty", "", "X-Spaced", "a \t b", "X-Latin1", "caf\u00e9\u00ff"], LIMITS);
    expect(forwarded).toEqual([
      ["X-Empty", ""],
      ["X-Spaced", "a \t b"],
      ["X-Latin1", "caf\u00e9\u00ff"],
    ]);
  });

  it("collects ttr-* headers of any case by lower-cased name, values in order", () => {
    const { forwarded, ttr } = splitHeaders(
      [
        "TTR-API-KEY", "k",
        "Accept", "*/*",
        "ttr-tags", "a",
        "Ttr-Tags", "b",
        "tTr-UrL", "https://example.com/x",
      ],
      LIMITS,
    );
    expect(forwarded).toEqual([["Accept", "*/*"]]);
    expect([...ttr]).toEqual([
      ["ttr-api-key", ["k"]],
      ["ttr-tags", ["a", "b"]],
      ["ttr-url", ["https://example.com/x"]],
    ]);
  });

  it("lists exactly the documented not-forwarded headers", () => {
    expect([...NOT_FORWARDED_HEADERS].sort()).toEqual(
      [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "proxy-authorization", "proxy-authenticate", "expect", "http2-settings",
        "host", "content-length", "webhook-id", "webhook-timestamp", "webhook-signature",
      ].sort(),
    );
  });

  it.each([...NOT_FORWARDED_HEADERS])("drops %s in lower, upper and mixed case", (name) => {
    const raw = ["X-Before", "1"];
    for (const variant of [name, name.toUpperCase(), mixedCase(name)]) raw.push(variant, "v");
    raw.push("X-After", "2");
    expect(splitHeaders(raw, LIMITS).forwarded).toEqual([
      ["X-Before", "1"],
      ["X-After", "2"],
    ]);
  });

  it("drops every header named by any Connection header, wherever it appears", () => {
    const { forwarded } = splitHeaders(
      [
        "X-Hop", "1",
        "Connection", "keep-alive, X-HOP ,  x-other",
        "X-Keep", "k",
        "X-Other", "o",
        "connection", "Authorization,,",
        "Authorization", "Bearer t",
        "X-Hop", "2",
      ],
      LIMITS,
    );
    expect(forwarded).toEqual([["X-Keep", "k"]]);
  });

  it("does not let Connection hide ttr-* headers", () => {
    const { ttr } = splitHeaders(["Connection", "ttr-url", "ttr-url", "https://example.com"], LIMITS);
    expect(ttr.get("ttr-url")).toEqual(["https://example.com"]);
  });

  it.each([
    ["CR", "a\rb"],
    ["LF", "a\nb"],
    ["CRLF injection", "x\r\nInjected: yes"],
    ["NUL", "a\u0000b"],
    ["other control character", "a\u0001b"],
    ["DEL", "a\u007fb"],
    ["char above latin1", "a\u0100b"],
  ])("refuses a value containing %s, naming the header", (_label, value) => {
    const error = thrown(() => splitHeaders(["X-Ok", "fine", "X-Bad-One", value], LIMITS));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe("invalid_header_value");
    expect((error as InvalidInputError).message).toContain("X-Bad-One");
  });

  it("validates ttr-* and not-forwarded header values too", () => {
    for (const name of ["ttr-url", "Host", "Connection"]) {
      const error = thrown(() => splitHeaders([name, "a\nb"], LIMITS));
      expect((error as InvalidInputError).code).toBe("invalid_header_value");
    }
  });

  it("refuses a name that is not an HTTP token", () => {
    const error = thrown(() => splitHeaders(["Bad Name", "v"], LIMITS));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe("invalid_header_name");
  });

  it("accepts exactly maxCount headers and refuses one more, counting ttr and dropped headers", () => {
    const raw = ["ttr-url", "u", "Host", "h", "X-A", "a"];
    expect(splitHeaders(raw, { maxCount: 3, maxBytes: 1000 }).forwarded).toEqual([["X-A", "a"]]);
    const error = thrown(() => splitHeaders([...raw, "X-B", "b"], { maxCount: 3, maxBytes: 1000 }));
    expect(error).toBeInstanceOf(HeadersTooLargeError);
    expect((error as HeadersTooLargeError).code).toBe("headers_too_large");
  });

  it("accepts exactly maxBytes of names plus values and refuses one byte more", () => {
    const raw = ["X-A", "12345", "ttr-b", "678"];
    const total = "X-A12345ttr-b678".length;
    expect(() => splitHeaders(raw, { maxCount: 10, maxBytes: total })).not.toThrow();
    const error = thrown(() => splitHeaders(raw, { maxCount: 10, maxBytes: total - 1 }));
    expect(error).toBeInstanceOf(HeadersTooLargeError);
    expect((error as HeadersTooLargeError).code).toBe("headers_too_large");
  });

  it("reports size limits before value errors", () => {
    const error = thrown(() => splitHeaders(["X-A", "a\nb", "X-B", "b"], { maxCount: 1, maxBytes: 1000 }));
    expect(error).toBeInstanceOf(HeadersTooLargeError);
  });

  it("handles no headers", () => {
    const { forwarded, ttr } = splitHeaders([], LIMITS);
    expect(forwarded).toEqual([]);
    expect(ttr.size).toBe(0);
  });

  it("returns pairs that do not alias each other", () => {
    const { forwarded } = splitHeaders(["X-A", "1", "X-A", "2"], LIMITS);
    expect(forwarded[0]).not.toBe(forwarded[1]);
  });
});

describe("methodCarriesBody", () => {
  it.each(["GET", "HEAD", "OPTIONS"])("is false for %s", (method) => {
    expect(methodCarriesBody(method)).toBe(false);
  });

  it.each(["POST", "PUT", "PATCH", "DELETE", "PURGE", "QUERY"])("is true for %s", (method) => {
    expect(methodCarriesBody(method)).toBe(true);
  });
});

describe("isValidMethod", () => {
  it.each(["GET", "PURGE", "M-SEARCH", "X_CUSTOM!", "a.b~"])("accepts the token %s", (method) => {
    expect(isValidMethod(method)).toBe(true);
  });

  it.each(["", "GET ", "G(ET)", "GÉT", "GET\r\n", "A/B", "A:B"])("refuses %j", (method) => {
    expect(isValidMethod(method)).toBe(false);
  });
});
