/**
 * GCRA (generic cell rate algorithm): token-bucket semantics with one number
 * of state per key, the theoretical arrival time (TAT). `burst` requests may
 * arrive at once; capacity refills at `perMinute / 60` per second.
 * The same arithmetic runs in memory (here) and in Redis (a Lua script).
 */

export interface Limit {
  perMinute: number;
  burst: number;
}

export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the bucket is full again. */
  resetAt: number;
  /** Seconds until the next request would be allowed (0 when allowed). */
  retryAfter: number;
}

/** Returns the decision and the new TAT to store (unchanged when denied). */
export function gcra(tatMs: number | undefined, nowMs: number, limit: Limit): { decision: Decision; tatMs: number } {
  const interval = 60_000 / limit.perMinute;
  const tolerance = interval * limit.burst;
  const tat = Math.max(tatMs ?? nowMs, nowMs);
  const newTat = tat + interval;
  if (newTat - nowMs > tolerance) {
    const retryMs = newTat - nowMs - tolerance;
    return {
      decision: {
        allowed: false,
        limit: limit.perMinute,
        remaining: 0,
        resetAt: Math.ceil(tat / 1000),
        retryAfter: Math.max(1, Math.ceil(retryMs / 1000)),
      },
      tatMs: tat,
    };
  }
  return {
    decision: {
      allowed: true,
      limit: limit.perMinute,
      remaining: Math.max(0, Math.floor((tolerance - (newTat - nowMs)) / interval)),
      resetAt: Math.ceil(newTat / 1000),
      retryAfter: 0,
    },
    tatMs: newTat,
  };
}
