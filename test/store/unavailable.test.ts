import { describe, expect, it } from "vitest";
import { isStoreUnreachable } from "../../src/store/unavailable.js";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isStoreUnreachable", () => {
  it("recognises a database out of reach", () => {
    expect(isStoreUnreachable(withCode("ECONNREFUSED"))).toBe(true);
    expect(isStoreUnreachable(withCode("57P01", "terminating connection due to administrator command"))).toBe(true);
    expect(isStoreUnreachable(withCode("08006"))).toBe(true);
    expect(isStoreUnreachable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isStoreUnreachable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isStoreUnreachable(new AggregateError([withCode("ECONNREFUSED")]))).toBe(true);
    expect(isStoreUnreachable(new Error("wrapped", { cause: withCode("ECONNRESET") }))).toBe(true);
  });

  it("leaves a wrong statement, a constraint, or a bug alone", () => {
    expect(isStoreUnreachable(withCode("23505", "duplicate key value"))).toBe(false);
    expect(isStoreUnreachable(withCode("42P01", "relation does not exist"))).toBe(false);
    expect(isStoreUnreachable(new TypeError("x is undefined"))).toBe(false);
    expect(isStoreUnreachable("ECONNREFUSED")).toBe(false);
  });
});
