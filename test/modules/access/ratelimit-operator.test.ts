/**
 * A tenant's rate limit is for its members and keys: a platform admin (the
 * operator) acting on the tenant is neither counted nor refused by it, and so
 * gets no rate-limit headers, while the tenant's callers are limited as before.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: rate limits and platform admins`, () => {
    it('a platform admin who set a tiny limit can still correct it; the tenant keeps its whole budget', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme', 'free');
      const k = await t.apiKey('acme', 'viewer');
      const owner = await t.userWithRole('acme', 'owner');
      const patch = (rate_limit: unknown) =>
        t.app.inject({
          method: 'PATCH',
          url: '/api/v1/tenants/acme',
          headers: t.admin.headers,
          payload: { rate_limit },
        });

      expect((await patch({ per_minute: 5, burst: 2 })).statusCode).toBe(200);
      for (let i = 0; i < 6; i++) {
        const res =
          i % 2 === 0
            ? await t.app.inject({ url: '/api/v1/tenants/acme/members', headers: t.admin.headers })
            : await patch({ per_minute: 5, burst: 2 });
        expect(res.statusCode, res.body).toBe(200);
        for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'ratelimit', 'ratelimit-policy']) {
          expect(res.headers[h], h).toBeUndefined();
        }
      }
      // None of that was spent from the tenant's burst of 2.
      const first = await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });
      expect(first.statusCode).toBe(200);
      expect(first.headers['x-ratelimit-limit']).toBe('5');
      expect(first.headers['x-ratelimit-remaining']).toBe('1');
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: owner.headers })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers })).statusCode).toBe(429);
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: owner.headers })).statusCode).toBe(429);

      // With the tenant throttled, the platform admin still gets through and lifts the limit.
      const fix = await patch(null);
      expect(fix.statusCode, fix.body).toBe(200);
      expect(fix.json().data.rate_limit).toEqual({ per_minute: 60, burst: 10, source: 'plan' });
      const after = await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });
      expect(after.statusCode).toBe(200);
      expect(after.headers['x-ratelimit-limit']).toBe('60');
    });
  });
}
