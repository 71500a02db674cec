/**
 * Rate limits and the per-key concurrency cap, in memory by default and in
 * Redis when configured (so several instances share one budget). If Redis
 * becomes unreachable, requests are limited in memory instead (fail open to
 * a local limit, logged once) until Redis answers again.
 */
import type { Redis } from 'ioredis';
import { dropUnansweringConnection } from '../redis.ts';
import { type Decision, gcra, type Limit } from './gcra.ts';

export type Release = () => Promise<void>;

export interface SlotRequest {
  key: string;
  slotId: string;
  max: number;
}

export interface Admission {
  decision: Decision;
  /** The slot's release function; null when all slots are taken; undefined when none was asked for or the rate limit denied. */
  slot: Release | null | undefined;
}

export interface RateLimiter {
  consume(key: string, limit: Limit): Promise<Decision>;
  /**
   * `consume`, then (when allowed and asked for) a concurrency slot: its
   * release function, or null when all `max` slots are taken.
   */
  admit(key: string, limit: Limit, slot: SlotRequest | null): Promise<Admission>;
  /** Gives back one request that `consume` allowed: for attempts that only count when they fail (sign-in). */
  refund(key: string, limit: Limit): Promise<void>;
  status(): { backend: 'memory' | 'redis'; healthy: boolean; degraded: boolean };
}

export function createMemoryLimiter(now: () => number = Date.now): RateLimiter {
  const tats = new Map<string, number>();
  const slots = new Map<string, number>();
  let sweepAt = now() + 60_000;
  const sweep = () => {
    // Drop buckets that are full again; they carry no state worth keeping.
    const t = now();
    if (t < sweepAt) return;
    sweepAt = t + 60_000;
    for (const [k, tat] of tats) if (tat <= t) tats.delete(k);
  };
  const consume = (key: string, limit: Limit): Decision => {
    sweep();
    const { decision, tatMs } = gcra(tats.get(key), now(), limit);
    tats.set(key, tatMs);
    return decision;
  };
  const acquireSlot = (key: string, max: number): Release | null => {
    const used = slots.get(key) ?? 0;
    if (used >= max) return null;
    slots.set(key, used + 1);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const n = (slots.get(key) ?? 1) - 1;
      if (n <= 0) slots.delete(key);
      else slots.set(key, n);
    };
  };
  return {
    consume: async (key, limit) => consume(key, limit),
    async admit(key, limit, slot) {
      const decision = consume(key, limit);
      if (!decision.allowed || !slot) return { decision, slot: undefined };
      return { decision, slot: acquireSlot(slot.key, slot.max) };
    },
    async refund(key, limit) {
      const tat = tats.get(key);
      if (tat === undefined) return;
      const back = tat - 60_000 / limit.perMinute;
      if (back <= now()) tats.delete(key);
      else tats.set(key, back);
    },
    status: () => ({ backend: 'memory', healthy: true, degraded: false }),
  };
}

// GCRA on `bucket` (mirrors gcra() above, as does BATCH_LUA's); needs `now`. Leaves `allowed`, `tat`
// (current) and `new_tat` (stored when allowed).
const gcraStep = (bucket: string, interval: string, tolerance: string) => `
local tat = tonumber(redis.call('GET', ${bucket}))
if tat == nil or tat < now then tat = now end
local new_tat = tat + ${interval}
local allowed = new_tat - now <= ${tolerance}
if allowed then redis.call('SET', ${bucket}, tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000) end
`;

// KEYS[1] = bucket; ARGV = now_ms, interval_ms, tolerance_ms. Returns {allowed, tat}.
const GCRA_LUA = `local now = tonumber(ARGV[1])
${gcraStep('KEYS[1]', 'tonumber(ARGV[2])', 'tonumber(ARGV[3])')}
if allowed then return {1, tostring(new_tat)} end
return {0, tostring(tat)}
`;

// KEYS[1] = bucket; ARGV = now_ms, interval_ms. Moves the TAT back by one interval (not before now).
const REFUND_LUA = `local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then return 0 end
local back = tat - tonumber(ARGV[2])
if back <= now then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], tostring(back), 'PX', math.ceil(back - now) + 1000) end
return 1
`;

// Everything one turn of the event loop asked for, in order, in one call:
// KEYS = the slot set of each release group, then bucket and slot set of each admission;
// ARGV = now_ms, lease_ms, release groups, admissions, then per group its count and slot
// ids, then per admission interval_ms, tolerance_ms, slot_id ('' = no slot) and max.
// Returns per admission {allowed, tat, slot: 1 taken, 0 all taken, -1 not asked}.
// A concurrency slot is a member of a sorted set of leases (score = lease end): expired
// leases free their slot, so an instance that crashed mid-request can't hold slots forever.
// Decisions are made in order, as if one by one, but each bucket is read and written
// once per call and each slot set pruned, counted, added to and extended once: under
// load most admissions of a turn share a tenant's bucket and a key's set.
const BATCH_LUA = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local k, a = 1, 5
for _ = 1, tonumber(ARGV[3]) do
  local n = tonumber(ARGV[a])
  for from = a + 1, a + n, 500 do
    redis.call('ZREM', KEYS[k], unpack(ARGV, from, math.min(from + 499, a + n)))
  end
  a, k = a + n + 1, k + 1
end
local tats, written, counts, adds = {}, {}, {}, {}
local out = {}
for _ = 1, tonumber(ARGV[4]) do
  local bucket, set, slot_id = KEYS[k], KEYS[k + 1], ARGV[a + 2]
  local tat = tats[bucket]
  if tat == nil then tat = tonumber(redis.call('GET', bucket)) end
  if tat == nil or tat < now then tat = now end
  local new_tat = tat + tonumber(ARGV[a])
  if new_tat - now > tonumber(ARGV[a + 1]) then
    tats[bucket] = tat
    out[#out + 1] = {0, tostring(tat), -1}
  else
    tats[bucket] = new_tat
    written[bucket] = true
    if slot_id == '' then
      out[#out + 1] = {1, tostring(new_tat), -1}
    else
      local count = counts[set]
      if count == nil then
        redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
        count = redis.call('ZCARD', set)
      end
      local free = count < tonumber(ARGV[a + 3])
      if free then
        count = count + 1
        local list = adds[set]
        if list == nil then list = {}; adds[set] = list end
        list[#list + 1] = now + lease
        list[#list + 1] = slot_id
      end
      counts[set] = count
      out[#out + 1] = {1, tostring(new_tat), free and 1 or 0}
    end
  end
  a, k = a + 4, k + 2
end
for bucket in pairs(written) do
  local tat = tats[bucket]
  redis.call('SET', bucket, tostring(tat), 'PX', math.ceil(tat - now) + 1000)
end
for set, list in pairs(adds) do
  for from = 1, #list, 1000 do
    redis.call('ZADD', set, unpack(list, from, math.min(from + 999, #list)))
  end
  redis.call('PEXPIRE', set, lease)
end
return out
`;

export interface RedisLimiterOptions {
  redis: Redis;
  prefix: string;
  /** How long a concurrency slot is held at most if its release never arrives. */
  slotLeaseMs?: number;
  onDegraded?: (err: unknown) => void;
  onRecovered?: () => void;
  now?: () => number;
}

type ScriptedRedis = Redis & {
  infracastGcra(key: string, now: number, interval: number, tolerance: number): Promise<[number, string]>;
  infracastRefund(key: string, now: number, interval: number): Promise<number>;
  /** BATCH_LUA: the number of keys, then the keys, then the arguments. */
  infracastBatch(...args: (string | number)[]): Promise<[number, string, number][]>;
};

interface PendingAdmission {
  bucket: string;
  limit: Limit;
  slot: SlotRequest | null;
  resolve: (a: Admission) => void;
}

export function createRedisLimiter(opts: RedisLimiterOptions): RateLimiter {
  const { prefix } = opts;
  const redis = opts.redis as ScriptedRedis;
  // EVALSHA after the first call: the script body isn't resent with every request.
  if (typeof redis.infracastGcra !== 'function') {
    redis.defineCommand('infracastGcra', { numberOfKeys: 1, lua: GCRA_LUA });
    redis.defineCommand('infracastRefund', { numberOfKeys: 1, lua: REFUND_LUA });
    redis.defineCommand('infracastBatch', { lua: BATCH_LUA });
  }
  const now = opts.now ?? Date.now;
  const fallback = createMemoryLimiter(now);
  const leaseMs = opts.slotLeaseMs ?? 300_000;
  let degraded = false;

  const failed = (err: unknown) => {
    dropUnansweringConnection(opts.redis, err);
    if (!degraded) {
      degraded = true;
      opts.onDegraded?.(err);
    }
  };
  const succeeded = () => {
    if (degraded) {
      degraded = false;
      opts.onRecovered?.();
    }
  };

  /** The decision for a GCRA answer from Redis: `tat` is the new TAT when allowed, the current one when not. */
  const decide = (ok: number, tatStr: string, limit: Limit, t: number): Decision => {
    const interval = 60_000 / limit.perMinute;
    const tolerance = interval * limit.burst;
    const tat = Number(tatStr);
    if (ok === 1) {
      return {
        allowed: true,
        limit: limit.perMinute,
        remaining: Math.max(0, Math.floor((tolerance - (tat - t)) / interval)),
        resetAt: Math.ceil(tat / 1000),
        retryAfter: 0,
      };
    }
    return {
      allowed: false,
      limit: limit.perMinute,
      remaining: 0,
      resetAt: Math.ceil(tat / 1000),
      retryAfter: Math.max(1, Math.ceil((tat + interval - t - tolerance) / 1000)),
    };
  };
  // Admissions and releases wait for the end of the current turn of the event loop and go to
  // Redis together, as one script call: under load that is one round trip (and one Lua call)
  // for dozens of requests instead of two each. Releases are not awaited by anyone (the
  // response needn't wait for Redis; a lost release expires with its lease).
  let admissions: PendingAdmission[] = [];
  let releases = new Map<string, string[]>();
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const slotSet = (slot: SlotRequest) => `${prefix}cc:${slot.key}`;
  const releaser = (setKey: string, slotId: string): Release => {
    return async () => {
      const ids = releases.get(setKey);
      if (ids) ids.push(slotId);
      else releases.set(setKey, [slotId]);
      schedule();
    };
  };

  async function flush() {
    scheduled = false;
    const batch = admissions;
    const released = releases;
    admissions = [];
    releases = new Map();
    const keys: string[] = [];
    const args: (string | number)[] = [];
    const t = now();
    for (const [setKey, ids] of released) {
      keys.push(setKey);
      args.push(ids.length, ...ids);
    }
    for (const p of batch) {
      const interval = 60_000 / p.limit.perMinute;
      keys.push(`${prefix}rl:${p.bucket}`, p.slot ? slotSet(p.slot) : `${prefix}cc:none`);
      args.push(interval, interval * p.limit.burst, p.slot?.slotId ?? '', p.slot?.max ?? 0);
    }
    try {
      const results = await redis.infracastBatch(
        keys.length,
        ...keys,
        t,
        leaseMs,
        released.size,
        batch.length,
        ...args,
      );
      succeeded();
      batch.forEach((p, i) => {
        const [ok, tat, got] = results[i] as [number, string, number];
        const decision = decide(ok, tat, p.limit, t);
        if (!p.slot || got === -1) p.resolve({ decision, slot: undefined });
        else p.resolve({ decision, slot: got === 1 ? releaser(slotSet(p.slot), p.slot.slotId) : null });
      });
    } catch (err) {
      failed(err);
      for (const p of batch) p.resolve(await fallback.admit(p.bucket, p.limit, p.slot));
    }
  }

  return {
    async consume(key, limit) {
      const interval = 60_000 / limit.perMinute;
      const t = now();
      try {
        const [ok, tat] = await redis.infracastGcra(`${prefix}rl:${key}`, t, interval, interval * limit.burst);
        succeeded();
        return decide(ok, tat, limit, t);
      } catch (err) {
        failed(err);
        return fallback.consume(key, limit);
      }
    },
    admit(bucket, limit, slot) {
      return new Promise<Admission>((resolve) => {
        admissions.push({ bucket, limit, slot, resolve });
        schedule();
      });
    },
    async refund(key, limit) {
      try {
        await redis.infracastRefund(`${prefix}rl:${key}`, now(), 60_000 / limit.perMinute);
        succeeded();
      } catch (err) {
        failed(err);
        await fallback.refund(key, limit);
      }
    },
    status: () => ({ backend: 'redis', healthy: !degraded, degraded }),
  };
}
