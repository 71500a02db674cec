/**
 * Rate limits and the per-key concurrency cap, in memory by default and in
 * Redis when configured (so several instances share one budget). If Redis
 * becomes unreachable, requests are limited in memory instead (fail open to
 * a local limit, logged once) until Redis answers again.
 */
import type { Redis } from 'ioredis';
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
  /** Takes a concurrency slot; returns a release function, or null when all `max` slots are taken. */
  acquireSlot(key: string, slotId: string, max: number): Promise<Release | null>;
  /**
   * `consume`, then (when allowed and asked for) `acquireSlot`, in one step:
   * one round trip to Redis per request instead of two.
   */
  admit(key: string, limit: Limit, slot: SlotRequest | null): Promise<Admission>;
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
  const limiter: RateLimiter = {
    async consume(key, limit) {
      sweep();
      const { decision, tatMs } = gcra(tats.get(key), now(), limit);
      tats.set(key, tatMs);
      return decision;
    },
    async acquireSlot(key, _slotId, max) {
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
    },
    async admit(key, limit, slot) {
      const decision = await limiter.consume(key, limit);
      if (!decision.allowed || !slot) return { decision, slot: undefined };
      return { decision, slot: await limiter.acquireSlot(slot.key, slot.slotId, slot.max) };
    },
    status: () => ({ backend: 'memory', healthy: true, degraded: false }),
  };
  return limiter;
}

// GCRA on KEYS[1] with ARGV = now_ms, interval_ms, tolerance_ms; mirrors gcra() above.
// Leaves `allowed`, `tat` (current) and `new_tat` (stored when allowed).
const GCRA_STEP = `
local tat = tonumber(redis.call('GET', KEYS[1]))
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allowed = new_tat - now <= tolerance
if allowed then redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000) end
`;

// A concurrency slot in a sorted set of leases (member = slot id, score = lease end). Expired
// leases free their slot, so an instance that crashed mid-request can't hold slots forever.
// Leaves `free` (true when the slot was taken).
const slotStep = (set: string, leaseMs: string, slotId: string, max: string) => `
redis.call('ZREMRANGEBYSCORE', ${set}, '-inf', now)
local free = redis.call('ZCARD', ${set}) < tonumber(${max})
if free then
  redis.call('ZADD', ${set}, now + tonumber(${leaseMs}), ${slotId})
  redis.call('PEXPIRE', ${set}, tonumber(${leaseMs}))
end
`;

// KEYS[1] = bucket; ARGV = now_ms, interval_ms, tolerance_ms. Returns {allowed, tat}.
const GCRA_LUA = `${GCRA_STEP}
if allowed then return {1, tostring(new_tat)} end
return {0, tostring(tat)}
`;

// KEYS[1] = slot set; ARGV = now_ms, lease_ms, slot_id, max. Returns 1 when taken.
const ACQUIRE_LUA = `local now = tonumber(ARGV[1])
${slotStep('KEYS[1]', 'ARGV[2]', 'ARGV[3]', 'ARGV[4]')}
if free then return 1 end
return 0
`;

// KEYS[1] = bucket, KEYS[2] = slot set; ARGV = now_ms, interval_ms, tolerance_ms, lease_ms, slot_id, max.
// The slot only when the rate limit allows and one is asked for (slot_id not empty).
// Returns {allowed, tat, slot: 1 taken, 0 all taken, -1 not asked}.
const ADMIT_LUA = `${GCRA_STEP}
if not allowed then return {0, tostring(tat), -1} end
if ARGV[5] == '' then return {1, tostring(new_tat), -1} end
${slotStep('KEYS[2]', 'ARGV[4]', 'ARGV[5]', 'ARGV[6]')}
if free then return {1, tostring(new_tat), 1} end
return {1, tostring(new_tat), 0}
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
  infracastAcquire(key: string, now: number, leaseMs: number, slotId: string, max: number): Promise<number>;
  infracastAdmit(
    bucket: string,
    slots: string,
    now: number,
    interval: number,
    tolerance: number,
    leaseMs: number,
    slotId: string,
    max: number,
  ): Promise<[number, string, number]>;
};

export function createRedisLimiter(opts: RedisLimiterOptions): RateLimiter {
  const { prefix } = opts;
  const redis = opts.redis as ScriptedRedis;
  // EVALSHA after the first call: the script body isn't resent with every request.
  if (typeof redis.infracastGcra !== 'function') {
    redis.defineCommand('infracastGcra', { numberOfKeys: 1, lua: GCRA_LUA });
    redis.defineCommand('infracastAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
    redis.defineCommand('infracastAdmit', { numberOfKeys: 2, lua: ADMIT_LUA });
  }
  const now = opts.now ?? Date.now;
  const fallback = createMemoryLimiter(now);
  const leaseMs = opts.slotLeaseMs ?? 300_000;
  let degraded = false;

  const failed = (err: unknown) => {
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
  // Released without waiting (the response needn't wait for Redis; a lost release expires with its
  // lease), and batched: the releases of one turn of the event loop go as one ZREM per key.
  const pendingReleases = new Map<string, string[]>();
  const flushReleases = () => {
    for (const [setKey, slotIds] of pendingReleases) redis.zrem(setKey, ...slotIds).catch(() => {});
    pendingReleases.clear();
  };
  const releaser = (setKey: string, slotId: string): Release => {
    return async () => {
      const batch = pendingReleases.get(setKey);
      if (batch) {
        batch.push(slotId);
        return;
      }
      if (pendingReleases.size === 0) setImmediate(flushReleases);
      pendingReleases.set(setKey, [slotId]);
    };
  };

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
    async admit(key, limit, slot) {
      const interval = 60_000 / limit.perMinute;
      const t = now();
      const setKey = slot ? `${prefix}cc:${slot.key}` : `${prefix}cc:none`;
      try {
        const [ok, tat, got] = await redis.infracastAdmit(
          `${prefix}rl:${key}`,
          setKey,
          t,
          interval,
          interval * limit.burst,
          leaseMs,
          slot?.slotId ?? '',
          slot?.max ?? 0,
        );
        succeeded();
        const decision = decide(ok, tat, limit, t);
        if (!slot || got === -1) return { decision, slot: undefined };
        return { decision, slot: got === 1 ? releaser(setKey, slot.slotId) : null };
      } catch (err) {
        failed(err);
        return fallback.admit(key, limit, slot);
      }
    },
    async acquireSlot(key, slotId, max) {
      const setKey = `${prefix}cc:${key}`;
      try {
        const ok = await redis.infracastAcquire(setKey, now(), leaseMs, slotId, max);
        succeeded();
        return ok === 1 ? releaser(setKey, slotId) : null;
      } catch (err) {
        failed(err);
        return fallback.acquireSlot(key, slotId, max);
      }
    },
    status: () => ({ backend: 'redis', healthy: !degraded, degraded }),
  };
}
