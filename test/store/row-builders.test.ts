import { describe, expect, it } from "vitest";
import { JOB_ROW_COLUMNS, newJobRow, pushJobRowValues } from "../../src/store/row-builders.js";
import { jobInput } from "./store-contract.js";

describe("a new one-shot's row values", () => {
  const inputs = [
    jobInput("P1"),
    jobInput("P2", {
      customKey: "order-42",
      title: "Reminder",
      tags: ["billing", "eu"],
      scheduledAt: Date.UTC(2027, 0, 1),
      now: Date.UTC(2026, 11, 2),
      request: {
        method: "PUT",
        url: "https://example.com/hook?x=1",
        headers: [["Content-Type", "application/json"], ["X-Twice", "a"], ["x-twice", "b"]],
        body: new TextEncoder().encode('{"a":1}'),
      },
      delivery: { retries: 3, retryDelayMs: 2_000, timeoutMs: 5_000, callbackUrl: "https://example.com/cb", failureUrl: "https://example.com/fail", successStatus: "2xx,409", retryOn: "429,network", flowKey: null },
    }),
  ];

  it("name every column of the row, once", () => {
    expect([...JOB_ROW_COLUMNS].sort()).toEqual(Object.keys(newJobRow("X", inputs[0]!)).sort());
  });

  it("are the row's values, column by column, appended after what the list held", () => {
    for (const input of inputs) {
      const values: unknown[] = ["before"];
      pushJobRowValues(values, "01JZ0000000000000000000000", input);
      const row = newJobRow("01JZ0000000000000000000000", input);
      expect(values).toEqual(["before", ...JOB_ROW_COLUMNS.map((column) => row[column])]);
    }
  });
});
