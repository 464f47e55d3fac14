import { describe, expect, it } from "vitest";
import { UnauthorizedError } from "../../src/errors.js";
import { hashApiKey } from "../../src/http/api-key.js";
import { createAuthenticator } from "../../src/http/authenticate.js";
import type { Store } from "../../src/store/store.js";

const KEY = "hg_the-key-of-project-p1";

/** A store that knows one key, counting its look-ups. */
function storeKnowing(key: string) {
  const lookups: string[] = [];
  const store = {
    findApiKey: async (digest: string) => {
      lookups.push(digest);
      return digest === hashApiKey(key) ? { projectId: "P1", keyId: "K1", keyHash: digest, rateLimit: 5 } : null;
    },
  } as unknown as Store;
  return { store, lookups };
}

describe("the API-key authenticator", () => {
  it("answers a key it accepted from its cache for 10 s, without a promise, then looks it up again", async () => {
    const { store, lookups } = storeKnowing(KEY);
    let now = 1_000;
    const auth = createAuthenticator(store, () => now);
    expect(auth.cached(KEY)).toBeUndefined();
    expect(await auth.authenticate(KEY)).toEqual({ projectId: "P1", rateLimit: 5 });
    expect(auth.cached(KEY)).toEqual({ projectId: "P1", rateLimit: 5 });
    expect(await auth.authenticate(KEY)).toEqual({ projectId: "P1", rateLimit: 5 });
    expect(lookups).toHaveLength(1);
    now += 9_999;
    expect(auth.cached(KEY)).toEqual({ projectId: "P1", rateLimit: 5 });
    now += 1;
    expect(auth.cached(KEY)).toBeUndefined();
    await auth.authenticate(KEY);
    expect(lookups).toEqual([hashApiKey(KEY), hashApiKey(KEY)]);
  });

  it("caches no refusal, nothing for another key, and nothing once told to forget", async () => {
    const { store, lookups } = storeKnowing(KEY);
    const auth = createAuthenticator(store, () => 0);
    await expect(auth.authenticate("hg_unknown")).rejects.toThrow(UnauthorizedError);
    expect(auth.cached("hg_unknown")).toBeUndefined();
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ code: "missing_api_key" });
    expect(auth.cached(undefined)).toBeUndefined();
    await auth.authenticate(KEY);
    expect(auth.cached(`${KEY}x`)).toBeUndefined();
    expect(auth.cached(KEY.slice(0, -1))).toBeUndefined();
    auth.forget();
    expect(auth.cached(KEY)).toBeUndefined();
    await auth.authenticate(KEY);
    expect(lookups).toHaveLength(3);
  });
});
