import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start real processes and wait on real time-of-day schedules.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
