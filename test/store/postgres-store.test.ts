import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SchemaTooNewError } from "../../src/store/migrations.js";
import { openPostgresStore } from "../../src/store/postgres/store.js";
import { adminQuery, createTestSchema, describePostgres } from "../support/postgres.js";
import { describeStoreContract } from "./store-contract.js";

const options = { runMissedCap: 100, missedGraceMs: 60_000 };

describePostgres("PostgreSQL store", (serverUrl) => {
  describeStoreContract("PostgreSQL", async () => {
    const schema = await createTestSchema(serverUrl);
    const store = await openPostgresStore({ ...options, url: schema.url, poolSize: 4 });
    return {
      store,
      dispose: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });
});

describePostgres("PostgreSQL migrations", (serverUrl) => {
  describe("PostgreSQL migrations", () => {
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    beforeEach(async () => {
      schema = await createTestSchema(serverUrl);
    });
    afterEach(async () => {
      await schema.drop();
    });

    it("applies each migration once when several nodes start at once, and records it", async () => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore({ ...options, url: schema.url, poolSize: 2 })));
      try {
        const rows = await adminQuery<{ version: number; name: string }>(
          serverUrl,
          `SELECT version, name FROM ${schema.schema}.schema_migrations ORDER BY version`,
        );
        expect(rows).toEqual([{ version: 1, name: "initial" }]);
        // Every node works on the one schema.
        const projectId = await stores[0]!.ensureApiKey("a".repeat(64), "hg_aaaa", 0);
        expect((await stores[4]!.findApiKey("a".repeat(64)))?.projectId).toBe(projectId);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it("refuses a database migrated by a newer release", async () => {
      await (await openPostgresStore({ ...options, url: schema.url, poolSize: 2 })).close();
      await adminQuery(serverUrl, `INSERT INTO ${schema.schema}.schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`);
      await expect(openPostgresStore({ ...options, url: schema.url, poolSize: 2 })).rejects.toBeInstanceOf(SchemaTooNewError);
    });
  });
});
