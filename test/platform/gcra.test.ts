import { describe, expect, it } from 'vitest';
import { gcra } from '../../src/platform/ratelimit/gcra.ts';

describe('GCRA', () => {
  it('allows `burst` requests at once, then refills at perMinute/60 per second', () => {
    const limit = { perMinute: 60, burst: 10 };
    let tat: number | undefined;
    const t0 = 1_000_000;
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = gcra(tat, t0, limit);
      expect(r.decision.allowed).toBe(true);
      remaining.push(r.decision.remaining);
      tat = r.tatMs;
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const denied = gcra(tat, t0, limit);
    expect(denied.decision).toMatchObject({ allowed: false, remaining: 0, retryAfter: 1 });
    expect(denied.tatMs).toBe(tat);
    // One second later exactly one more fits.
    const later = gcra(tat, t0 + 1000, limit);
    expect(later.decision.allowed).toBe(true);
    expect(gcra(later.tatMs, t0 + 1000, limit).decision.allowed).toBe(false);
    // After a full refill the whole burst is available again.
    expect(gcra(later.tatMs, t0 + 20_000, limit).decision.remaining).toBe(9);
  });

  it('reports the reset time as when the bucket is full again', () => {
    const r = gcra(undefined, 5_000, { perMinute: 60, burst: 10 });
    expect(r.decision.resetAt).toBe(6);
  });
});
