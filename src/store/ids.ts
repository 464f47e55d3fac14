import { randomFillSync } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_POOL_BYTES = 4096;

/**
 * A monotonic ULID generator: 48-bit millisecond time, then 80 random bits (16 base32 chars).
 * Within one millisecond the random part is incremented, so ids sort in creation order. Random
 * bytes come from a pooled `randomFillSync` (one call per 4 KiB instead of one per character).
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  const pool = Buffer.alloc(RANDOM_POOL_BYTES);
  let poolOffset = RANDOM_POOL_BYTES;
  let lastTime = -1;
  const lastRandom = new Uint8Array(16);

  const freshRandom = () => {
    if (poolOffset + 16 > RANDOM_POOL_BYTES) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    for (let i = 0; i < 16; i++) lastRandom[i] = (pool[poolOffset + i] as number) & 31;
    poolOffset += 16;
  };

  const increment = () => {
    for (let i = 15; i >= 0; i--) {
      const next = (lastRandom[i] as number) + 1;
      if (next < 32) {
        lastRandom[i] = next;
        return;
      }
      lastRandom[i] = 0;
    }
  };

  return () => {
    let time = now();
    if (time <= lastTime) {
      time = lastTime;
      increment();
    } else {
      lastTime = time;
      freshRandom();
    }
    let id = "";
    for (let i = 9; i >= 0; i--) id += CROCKFORD[Math.floor(time / 32 ** i) % 32];
    for (let i = 0; i < 16; i++) id += CROCKFORD[lastRandom[i] as number];
    return id;
  };
}
