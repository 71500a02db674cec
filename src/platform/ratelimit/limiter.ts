/**
 * Rate limits and the per-key concurrency cap, in memory by default and in
 * Redis when configured (so several instances share one budget). If Redis
 * becomes unreachable, requests are limited in memory instead (fail open to
 * a local limit, logged once) until Redis answers again.
 */
import type { Redis } from 'ioredis';
import { type Decision, gcra, type Limit } from './gcra.ts';

export interface RateLimiter {
  consume(key: string, limit: Limit): Promise<Decision>;
  /** Takes a concurrency slot; returns a release function, or null when all `max` slots are taken. */
  acquireSlot(key: string, slotId: string, max: number): Promise<(() => Promise<void>) | null>;
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
  return {
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
    status: () => ({ backend: 'memory', healthy: true, degraded: false }),
  };
}

// KEYS[1] = bucket; ARGV = now_ms, interval_ms, tolerance_ms. Mirrors gcra() above.
const GCRA_LUA = `
local tat = tonumber(redis.call('GET', KEYS[1]))
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > tolerance then
  return {0, tostring(tat)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, tostring(new_tat)}
`;

// KEYS[1] = slot set; ARGV = now_ms, lease_ms, slot_id, max. Expired leases free their slot,
// so an instance that crashed mid-request can't hold slots forever.
const ACQUIRE_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
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
};

export function createRedisLimiter(opts: RedisLimiterOptions): RateLimiter {
  const { prefix } = opts;
  const redis = opts.redis as ScriptedRedis;
  // EVALSHA after the first call: the script body isn't resent with every request.
  if (typeof redis.infracastGcra !== 'function') {
    redis.defineCommand('infracastGcra', { numberOfKeys: 1, lua: GCRA_LUA });
    redis.defineCommand('infracastAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
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

  return {
    async consume(key, limit) {
      const interval = 60_000 / limit.perMinute;
      const tolerance = interval * limit.burst;
      const t = now();
      try {
        const [ok, tatStr] = await redis.infracastGcra(`${prefix}rl:${key}`, t, interval, tolerance);
        succeeded();
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
      } catch (err) {
        failed(err);
        return fallback.consume(key, limit);
      }
    },
    async acquireSlot(key, slotId, max) {
      const setKey = `${prefix}cc:${key}`;
      try {
        const ok = await redis.infracastAcquire(setKey, now(), leaseMs, slotId, max);
        succeeded();
        if (ok !== 1) return null;
        // Released without waiting: the response needn't wait for Redis, and a lost release expires with its lease.
        return async () => {
          redis.zrem(setKey, slotId).catch(() => {});
        };
      } catch (err) {
        failed(err);
        return fallback.acquireSlot(key, slotId, max);
      }
    },
    status: () => ({ backend: 'redis', healthy: !degraded, degraded }),
  };
}
