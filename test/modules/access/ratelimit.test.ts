import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRedisLimiter } from '../../../src/platform/ratelimit/limiter.ts';
import { connectRedis } from '../../../src/platform/redis.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { freshDatabase } from '../../helpers/db.ts';
import { redisAvailable, TEST_REDIS_URL } from '../../helpers/env.ts';

const get = (t: TestApp, headers: Record<string, string>, url = '/api/v1/tenants/acme') =>
  t.app.inject({ url, headers });

function redisClient(url: string): Redis {
  const r = connectRedis(url);
  r.on('error', () => {});
  onTestFinished(() => {
    r.disconnect();
  });
  return r;
}

/** A client that has connected: before that, commands fail at once and the limiter falls back to memory. */
async function readyRedis(url: string): Promise<Redis> {
  const r = redisClient(url);
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
  return r;
}

/** A route that holds its request for a while, to fill the concurrency cap. */
const slowRoute = (ms: number) => (app: TestApp['app']) =>
  app.get('/api/v1/tenants/:t/slow', { schema: { operationId: 'getTenant' } }, async () => {
    await new Promise((r) => setTimeout(r, ms));
    return { data: 'done', meta: null, error: null };
  });

describe('rate limits (in memory)', () => {
  it('free plan: 10 at once, the 11th is a 429 with Retry-After and every header', async () => {
    const t = await createTestApp();
    await t.createTenant('acme', 'free');
    const k = await t.apiKey('acme', 'viewer');
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await get(t, k.headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('60');
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(res.headers['ratelimit-policy']).toBe('"tenant";q=60;w=60;burst=10');
      remaining.push(Number(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const limited = await get(t, k.headers);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe(String(limited.json().error.retry_after));
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', retry_after: expect.any(Number) });
    expect(limited.json().error.message).toMatch(/^Rate limit exceeded\. Retry after \d+ seconds\.$/);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('a platform admin override replaces the plan limit; null restores it', async () => {
    const t = await createTestApp();
    await t.createTenant('acme', 'free');
    const patch = async (rate_limit: unknown) =>
      t.app.inject({ method: 'PATCH', url: '/api/v1/tenants/acme', headers: t.admin.headers, payload: { rate_limit } });
    const set = await patch({ per_minute: 5000, burst: 3 });
    expect(set.json().data.rate_limit).toEqual({ per_minute: 5000, burst: 3, source: 'override' });
    const k = await t.apiKey('acme', 'viewer');
    const res = await get(t, k.headers);
    expect(res.headers['x-ratelimit-limit']).toBe('5000');
    // A member left out keeps its value, null takes the plan's; as a merge patch too.
    const burst = await patch({ burst: 7 });
    expect(burst.json().data.rate_limit).toEqual({ per_minute: 5000, burst: 7, source: 'override' });
    const planBurst = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/tenants/acme',
      headers: { ...t.admin.headers, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ rate_limit: { burst: null } }),
    });
    expect(planBurst.json().data.rate_limit).toEqual({ per_minute: 5000, burst: 10, source: 'override' });
    expect((await patch({})).statusCode).toBe(400);
    const reset = await patch(null);
    expect(reset.json().data.rate_limit).toEqual({ per_minute: 60, burst: 10, source: 'plan' });
    // From the plan's limit, a member alone overrides it with the plan's other member kept.
    const perMinute = await patch({ per_minute: 120 });
    expect(perMinute.json().data.rate_limit).toEqual({ per_minute: 120, burst: 10, source: 'override' });
    await patch(null);
    const owner = await t.userWithRole('acme', 'owner');
    const denied = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/tenants/acme',
      headers: owner.headers,
      payload: { rate_limit: null },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('limits are per tenant', async () => {
    const t = await createTestApp();
    await t.createTenant('acme', 'free');
    await t.createTenant('other', 'free');
    const a = await t.apiKey('acme', 'viewer');
    const b = await t.apiKey('other', 'viewer');
    for (let i = 0; i < 12; i++) await get(t, a.headers);
    expect((await get(t, a.headers)).statusCode).toBe(429);
    expect((await get(t, b.headers, '/api/v1/tenants/other')).statusCode).toBe(200);
  });

  it('at most 5 requests in flight per API key: the 6th is a 429 naming the cap', async () => {
    const t = await createTestApp({ extend: slowRoute(400) });
    await t.createTenant('acme');
    const k = await t.apiKey('acme', 'viewer');
    const results = await Promise.all(Array.from({ length: 6 }, () => get(t, k.headers, '/api/v1/tenants/acme/slow')));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = results.find((r) => r.statusCode === 429)!;
    expect(limited.json().error.message).toMatch(/^Concurrency cap reached: at most 5 requests in flight per API key/);
    // Slots are released when requests finish (all five of them).
    const again = await Promise.all(Array.from({ length: 5 }, () => get(t, k.headers, '/api/v1/tenants/acme/slow')));
    expect(again.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
  });
});

describe.runIf(redisAvailable())('rate limits (Redis)', () => {
  it('two app instances sharing Redis share one budget', async () => {
    const db = await freshDatabase('sqlite');
    onTestFinished(() => db.dispose());
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const limiterFor = async () => createRedisLimiter({ redis: await readyRedis(TEST_REDIS_URL!), prefix });
    const one = await createTestApp({ db, limiter: await limiterFor() });
    const two = await createTestApp({ db, limiter: await limiterFor() });
    await one.createTenant('acme', 'free');
    const k = await one.apiKey('acme', 'viewer');
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await get(i % 2 === 0 ? one : two, k.headers)).statusCode);
    // One budget of 10 across both instances, not 10 each.
    expect(codes).toEqual([...Array(10).fill(200), 429, 429]);
    const remaining = await get(two, k.headers);
    expect(remaining.statusCode).toBe(429);
  });

  it('the concurrency cap holds across instances', async () => {
    const db = await freshDatabase('sqlite');
    onTestFinished(() => db.dispose());
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const one = await createTestApp({
      db,
      limiter: createRedisLimiter({ redis: await readyRedis(TEST_REDIS_URL!), prefix }),
      extend: slowRoute(400),
    });
    const two = await createTestApp({
      db,
      limiter: createRedisLimiter({ redis: await readyRedis(TEST_REDIS_URL!), prefix }),
      extend: slowRoute(400),
    });
    await one.createTenant('acme');
    const k = await one.apiKey('acme', 'viewer');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => get(i % 2 ? one : two, k.headers, '/api/v1/tenants/acme/slow')),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('admit: one script takes the token and the slot; a denied request or no slot asked takes none', async () => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const redis = await readyRedis(TEST_REDIS_URL!);
    const limiter = createRedisLimiter({ redis, prefix });
    const limit = { perMinute: 60, burst: 2 };
    const slot = (id: string) => ({ key: 'key:k1', slotId: id, max: 1 });
    const first = await limiter.admit('b', limit, slot('r1'));
    expect(first.decision).toMatchObject({ allowed: true, remaining: 1 });
    expect(typeof first.slot).toBe('function');
    const second = await limiter.admit('b', limit, slot('r2'));
    expect(second.decision.allowed).toBe(true);
    expect(second.slot).toBeNull(); // max 1 in flight
    const third = await limiter.admit('b', limit, slot('r3'));
    expect(third.decision.allowed).toBe(false);
    expect(third.slot).toBeUndefined();
    expect(await redis.zrange(`${prefix}cc:key:k1`, 0, -1)).toEqual(['r1']);
    await first.slot?.();
    await new Promise((r) => setTimeout(r, 50)); // the release is not awaited by the request
    expect(await redis.zcard(`${prefix}cc:key:k1`)).toBe(0);
    const noSlot = await limiter.admit('other', limit, null);
    expect(noSlot).toMatchObject({ decision: { allowed: true }, slot: undefined });
  });

  it('admissions asked for together go as one batch and are decided in order', async () => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const redis = await readyRedis(TEST_REDIS_URL!);
    const limiter = createRedisLimiter({ redis, prefix });
    const limit = { perMinute: 60, burst: 4 };
    const all = await Promise.all(
      Array.from({ length: 6 }, (_, i) => limiter.admit('b', limit, { key: 'key:k', slotId: `r${i}`, max: 3 })),
    );
    expect(all.map((a) => a.decision.allowed)).toEqual([true, true, true, true, false, false]);
    expect(all.map((a) => (a.slot === undefined ? 'none' : a.slot === null ? 'full' : 'slot'))).toEqual([
      'slot',
      'slot',
      'slot',
      'full',
      'none',
      'none',
    ]);
    expect(all.map((a) => a.decision.remaining)).toEqual([3, 2, 1, 0, 0, 0]);
    // The state is written once per batch, and is what one-by-one decisions would have left.
    expect((await redis.zrange(`${prefix}cc:key:k`, 0, -1)).sort()).toEqual(['r0', 'r1', 'r2']);
    expect(await redis.pttl(`${prefix}cc:key:k`)).toBeGreaterThan(0);
    expect(await redis.pttl(`${prefix}rl:b`)).toBeGreaterThan(0);

    // Two tenants' buckets and two keys' sets, interleaved in one batch, each decided on its own.
    const mixed = await Promise.all(
      ['x', 'y', 'x', 'y', 'x', 'y'].map((b, i) =>
        limiter.admit(b, { perMinute: 60, burst: 2 }, { key: `key:${b}`, slotId: `m${i}`, max: 1 }),
      ),
    );
    expect(mixed.map((a) => a.decision.allowed)).toEqual([true, true, true, true, false, false]);
    expect(mixed.map((a) => (a.slot === undefined ? 'none' : a.slot === null ? 'full' : 'slot'))).toEqual([
      'slot',
      'slot',
      'full',
      'full',
      'none',
      'none',
    ]);
    // The next batch reads what this one wrote: the buckets are empty now.
    expect((await limiter.admit('x', { perMinute: 60, burst: 2 }, null)).decision.allowed).toBe(false);

    // Releases go with the next batch (or alone): the slots free up.
    await Promise.all(all.map((a) => a.slot?.()));
    const next = await limiter.admit('other', limit, { key: 'key:k', slotId: 'r9', max: 1 });
    expect(typeof next.slot).toBe('function');
  });

  it('with Redis unreachable the server keeps serving, limited in memory, and says so in /status', async () => {
    const dead = redisClient('redis://127.0.0.1:1');
    let degradedCalls = 0;
    const limiter = createRedisLimiter({ redis: dead, prefix: 'x:', onDegraded: () => degradedCalls++ });
    const t = await createTestApp({ limiter, redis: dead });
    // Before any limited request has noticed, /status already says the limits fall back to memory.
    const before = (await t.app.inject('/api/v1/status')).json().data;
    expect(before.rate_limiter).toEqual({ backend: 'redis', degraded: true });
    expect(before.redis.status).toBe('down');
    await t.createTenant('acme', 'free');
    const k = await t.apiKey('acme', 'viewer');
    const res = await get(t, k.headers);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ratelimit-limit']).toBe('60');
    for (let i = 0; i < 12; i++) await get(t, k.headers);
    expect((await get(t, k.headers)).statusCode).toBe(429);
    expect(degradedCalls).toBe(1);
    const status = (await t.app.inject('/api/v1/status')).json().data;
    expect(status.rate_limiter).toEqual({ backend: 'redis', degraded: true });
    expect(status.redis).toEqual({
      status: 'down',
      latency_ms: null,
      message: 'Redis unreachable; rate limits kept in memory',
    });
    expect(status.status).toBe('degraded');
  });
});
