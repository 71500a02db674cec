/**
 * Typed, prefixed, time-ordered ids (`ten_01JD…`). 48 bits of milliseconds
 * then 80 random bits in Crockford base32, so ids sort by creation time and
 * index well. Node ids are natural (`provider:region:type:name`) and tagging
 * policy ids are UUIDs (the seed's URLs use them), so neither is made here.
 */
import { randomFillSync } from 'node:crypto';

export const ID_PREFIX = {
  tenant: 'ten',
  user: 'usr',
  membership: 'mem',
  apiKey: 'key',
  refreshToken: 'rtk',
  job: 'job',
  edge: 'edg',
  audit: 'aud',
  webhook: 'whk',
  delivery: 'dlv',
  report: 'rpt',
  finding: 'fnd',
  snapshot: 'snp',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIX;
export type Id<K extends IdKind> = `${(typeof ID_PREFIX)[K]}_${string}`;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Ids are made on every request (request ids): draw random bytes from a refilled pool
// instead of one crypto call each.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomTen(): Buffer {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 10;
  return pool.subarray(poolOffset - 10, poolOffset);
}

export function sortableRandom(now: number = Date.now()): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  const bytes = randomTen();
  // 80 random bits → 16 base32 characters, 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
  }
  return out;
}

export function newId<K extends IdKind>(kind: K): Id<K> {
  return `${ID_PREFIX[kind]}_${sortableRandom()}` as Id<K>;
}

export function isId<K extends IdKind>(kind: K, value: string): value is Id<K> {
  return value.startsWith(`${ID_PREFIX[kind]}_`) && /^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/.test(value);
}

// Request ids are made for every request and only need to be unique: a random
// per-process prefix plus a counter is enough and costs almost nothing.
const processPrefix = sortableRandom().slice(10, 20);
let requestCounter = 0;
export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `req_${processPrefix}${requestCounter.toString(36).toUpperCase().padStart(6, '0')}`;
}
