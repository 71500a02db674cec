/**
 * Password guessing is limited by failed checks per account and per client address; successes,
 * API keys (client_credentials) and refresh tokens cost nothing, so nobody's failures lock out
 * someone else who shares their address.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createSignInThrottle } from '../../../src/platform/auth/sign-in-throttle.ts';
import { AppError } from '../../../src/platform/errors.ts';
import { createMemoryLimiter, createRedisLimiter, type RateLimiter } from '../../../src/platform/ratelimit/limiter.ts';
import { connectRedis } from '../../../src/platform/redis.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../helpers/app.ts';
import { redisAvailable, TEST_REDIS_URL, testDialects } from '../../helpers/env.ts';

const LIMITS = { account: { perMinute: 6, burst: 3 }, ip: { perMinute: 60, burst: 5 } };

/** 'ok' when the attempt may go ahead (left counted: a failure), else the 429's retry_after. */
async function fail(throttle: ReturnType<typeof createSignInThrottle>, email: string, ip: string) {
  try {
    await throttle.attempt(email, ip);
    return 'ok';
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'RATE_LIMITED') throw e;
    expect(e.message).toBe(`Too many failed sign-in attempts. Retry after ${e.extra.retry_after} seconds.`);
    return 429;
  }
}

const throttleScenarios = (makeLimiter: (now: () => number) => Promise<RateLimiter>) => {
  it('counts failures per account and per address; a refused attempt takes nothing; time gives them back', async () => {
    let now = 1_000_000;
    const throttle = createSignInThrottle(await makeLimiter(() => now), LIMITS);
    const tries = async (n: number, email: string, ip: string) => {
      const out: (string | number)[] = [];
      for (let i = 0; i < n; i++) out.push(await fail(throttle, email, ip));
      return out;
    };
    // The account: 3 failures, then refused, from any address.
    expect(await tries(4, 'a@x.io', 'ip1')).toEqual(['ok', 'ok', 'ok', 429]);
    expect(await tries(1, 'a@x.io', 'ip2')).toEqual([429]);
    // Refused attempts took nothing from ip1's budget (5, 3 used): two more accounts may fail there.
    expect(await tries(20, 'a@x.io', 'ip1')).toEqual(Array(20).fill(429));
    expect(await tries(3, 'b@x.io', 'ip1')).toEqual(['ok', 'ok', 429]);
    // The address is spent whatever the account; another address is not.
    expect(await tries(1, 'c@x.io', 'ip1')).toEqual([429]);
    expect(await tries(1, 'c@x.io', 'ip2')).toEqual(['ok']);
    // One failure of an account comes back every 10 s (6 a minute).
    now += 10_000;
    expect(await tries(2, 'a@x.io', 'ip3')).toEqual(['ok', 429]);
  });

  it('a success is given back: signing in again and again never runs out', async () => {
    const now = 1_000_000;
    const throttle = createSignInThrottle(await makeLimiter(() => now), LIMITS);
    for (let i = 0; i < 20; i++) await (await throttle.attempt('a@x.io', 'ip1')).succeeded();
    // Still the whole budget for failures: 3 for the account.
    expect([
      await fail(throttle, 'a@x.io', 'ip1'),
      await fail(throttle, 'a@x.io', 'ip1'),
      await fail(throttle, 'a@x.io', 'ip1'),
      await fail(throttle, 'a@x.io', 'ip1'),
    ]).toEqual(['ok', 'ok', 'ok', 429]);
  });
};

describe('sign-in throttle (in memory)', () => {
  throttleScenarios(async (now) => createMemoryLimiter(now));
});

describe.skipIf(!redisAvailable())('sign-in throttle (Redis)', () => {
  throttleScenarios(async (now) => {
    const redis: Redis = connectRedis(TEST_REDIS_URL!);
    redis.on('error', () => {});
    onTestFinished(() => {
      redis.disconnect();
    });
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const limiter = createRedisLimiter({ redis, prefix: `test:${randomBytes(6).toString('hex')}:`, now });
    // Every answer from Redis, none from the in-memory fallback.
    onTestFinished(() => expect(limiter.status().degraded).toBe(false));
    return limiter;
  });
});

const ADDRESS = '10.20.30.40';
const token = (t: TestApp, payload: Record<string, string>, remoteAddress = ADDRESS) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload, remoteAddress });
const password = (t: TestApp, email: string, pw: string, remoteAddress = ADDRESS) =>
  token(t, { grant_type: 'password', email, password: pw }, remoteAddress);

for (const dialect of testDialects()) {
  describe(`${dialect}: sign-in throttle`, () => {
    it('10 failures lock that account (known or not, alike), not the address: others there still sign in', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const victim = await t.userWithRole('acme', 'viewer', 'victim@acme.io');
      await t.userWithRole('acme', 'viewer', 'colleague@acme.io');

      const statuses = async (email: string) => {
        const out: number[] = [];
        for (let i = 0; i < 10; i++) out.push((await password(t, email, 'not the password')).statusCode);
        return out;
      };
      expect(await statuses(victim.email!)).toEqual(Array(10).fill(401));
      expect(await statuses('nobody@acme.io')).toEqual(Array(10).fill(401));
      // Now even the right password is refused, from any address: the account is what is being guessed.
      const known = await password(t, ' Victim@acme.io ', TEST_PASSWORD);
      const elsewhere = await password(t, victim.email!, TEST_PASSWORD, '10.99.99.99');
      const unknown = await password(t, 'nobody@acme.io', TEST_PASSWORD);
      for (const res of [known, elsewhere, unknown]) {
        expect(res.statusCode).toBe(429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      // A throttled unknown email answers exactly as a throttled known one (the wait depends only on when
      // the failures were).
      const shape = (res: typeof known) => ({
        status: res.statusCode,
        headers: Object.keys(res.headers).sort(),
        error: {
          ...res.json().error,
          message: res.json().error.message.replace(/\d+/, 'N'),
          request_id: undefined,
          retry_after: undefined,
        },
      });
      expect(shape(unknown)).toEqual(shape(known));
      expect(known.json().error).toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringMatching(/^Too many failed sign-in attempts\. Retry after \d+ seconds\.$/),
      });

      // 20 failures from this address: someone else there signs in, API keys keep working.
      expect((await password(t, 'colleague@acme.io', TEST_PASSWORD)).statusCode).toBe(200);
      const k = await t.apiKey('acme', 'viewer');
      const grant = await token(t, {
        grant_type: 'client_credentials',
        client_id: k.clientId,
        client_secret: k.secretKey,
      });
      expect(grant.statusCode).toBe(200);
    });

    it('successes, API keys and refresh tokens cost nothing', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const u = await t.userWithRole('acme', 'viewer');
      const k = await t.apiKey('acme', 'viewer');
      const signIns: number[] = [];
      for (let i = 0; i < 15; i++) signIns.push((await password(t, u.email!, TEST_PASSWORD)).statusCode);
      expect(signIns).toEqual(Array(15).fill(200));
      const grants: number[] = [];
      for (let i = 0; i < 60; i++) {
        const res = await token(t, {
          grant_type: 'client_credentials',
          client_id: k.clientId,
          client_secret: k.secretKey,
        });
        grants.push(res.statusCode);
      }
      expect(grants).toEqual(Array(60).fill(200));
      let refresh = u.refreshToken;
      for (let i = 0; i < 40; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refresh_token: refresh },
          remoteAddress: ADDRESS,
        });
        expect(res.statusCode, res.body).toBe(200);
        refresh = res.json().data.refresh_token;
      }
    });

    it('wrong current passwords on /auth/password count as failed sign-ins of the account', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const u = await t.userWithRole('acme', 'viewer');
      const change = (current: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/password',
          headers: u.headers,
          payload: { current_password: current, new_password: 'a brand new passphrase' },
        });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await change('a wrong guess')).statusCode);
      expect(statuses).toEqual([...Array(10).fill(400), 429]);
      expect((await change(TEST_PASSWORD)).statusCode).toBe(429);
      expect((await password(t, u.email!, TEST_PASSWORD, '10.99.99.98')).statusCode).toBe(429);
    });
  });
}
