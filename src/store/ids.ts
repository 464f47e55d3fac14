import { randomFillSync } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_POOL_BYTES = 4096;

/**
 * A monotonic ULID generator: 48-bit millisecond time, then 80 random bits (16 base32 chars).
 * Within one millisecond the random part is incremented, so ids sort in creation order. Random
 * bytes come from a pooled `randomFillSync` (one call per 4 KiB instead of one per character),
 * and the encoded time is reused while the millisecond is the same.
 */
export function createIdGenerator(now: () => number = Date.now): (at?: number) => string {
  const pool = Buffer.alloc(RANDOM_POOL_BYTES);
  let poolOffset = RANDOM_POOL_BYTES;
  let lastTime = -1;
  const lastRandom = new Uint8Array(16);
  // The time part of the ids stamped lastTime: ids made in the same millisecond (a group commit's) share it.
  let lastTimePrefix = "";

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

  /** `at`: the time to stamp instead of now (never earlier than the last id's, to stay monotonic). */
  return (at?: number) => {
    let time = at ?? now();
    if (time <= lastTime) {
      time = lastTime;
      increment();
    } else {
      lastTime = time;
      lastTimePrefix = encodeTime(time);
      freshRandom();
    }
    let id = lastTimePrefix;
    for (let i = 0; i < 16; i++) id += CROCKFORD[lastRandom[i] as number];
    return id;
  };
}

/** The smallest id stamped at `ms` or later: every id below it was stamped before `ms`. */
export function idFloorAt(ms: number): string {
  return `${encodeTime(ms)}${"0".repeat(16)}`;
}

function encodeTime(ms: number): string {
  let encoded = "";
  for (let i = 9; i >= 0; i--) encoded += CROCKFORD[Math.floor(ms / 32 ** i) % 32];
  return encoded;
}
