/**
 * Verified API keys are served from memory. These tests pin down that the
 * cache never outlives a change: revocation, a tenant's rename, plan or rate
 * limit, and deletion take effect on the next request, on this instance and
 * (PostgreSQL, through NOTIFY) on another one; while the listening connection
 * is down, nothing is served from memory.
 */
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../../src/platform/db/index.ts';
import { createTestApp } from '../../helpers/app.ts';
import { postgresAvailable, testDialects } from '../../helpers/env.ts';
import { ingestSnapshot, TWO_TIER as N, traceOk } from '../pathtracer/helpers.ts';

const SEED = { source_node_id: N.webByName, destination_cidr: '0.0.0.0/0', port: 443, protocol: 'tcp' };

async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: API key cache`, () => {
    it('a tenant rename, rate limit change and deletion apply to a cached key at once', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer');
      const get = (slug: string) => t.app.inject({ url: `/api/v1/tenants/${slug}`, headers: k.headers });

      const first = await get('acme');
      expect(first.statusCode).toBe(200);
      expect(first.headers['x-ratelimit-limit']).not.toBe('120');

      const patch = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: t.admin.headers,
        payload: { slug: 'acme-corp', name: 'Acme Corp', rate_limit: { per_minute: 120, burst: 20 } },
      });
      expect(patch.statusCode).toBe(200);
      expect((await get('acme')).statusCode).toBe(404);
      const renamed = await get('acme-corp');
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json().data).toMatchObject({ slug: 'acme-corp', name: 'Acme Corp' });
      expect(renamed.headers['x-ratelimit-limit']).toBe('120');

      const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme-corp', headers: t.admin.headers });
      expect(del.statusCode).toBe(204);
      const gone = await get('acme-corp');
      expect(gone.statusCode).toBe(401);
    });

    it('a cached key that reaches its expiry is refused, saying it expired', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const expiresAt = new Date(Date.now() + 3000).toISOString();
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/tokens',
        headers: t.admin.headers,
        payload: { description: 'short-lived', role: 'viewer', expires_at: expiresAt },
      });
      expect(created.statusCode, created.body).toBe(201);
      const { token, client_id } = created.json().data;
      const headers = { authorization: `Bearer ${token}` };
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 20));
      const late = await t.app.inject({ url: '/api/v1/tenants/acme', headers });
      expect(late.statusCode).toBe(401);
      expect(late.json().error.message).toBe(`API key ${client_id} expired at ${expiresAt}`);
    });

    it('a wrong secret for a cached key is still a 401', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer');
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers })).statusCode).toBe(200);
      const other = await t.apiKey('acme', 'viewer');
      const res = await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { 'x-client-id': k.clientId, 'x-secret-key': other.secretKey },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('Invalid API key');
    });

    it('a path trace with a cached key sees an inventory version bumped elsewhere', async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const k = await t.apiKey('acme', 'editor');
      await traceOk(t, 'acme', k.headers, SEED);
      // As another instance or the worker process would: no event reaches this one.
      await t.services.db
        .updateTable('tenants')
        .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
        .where('id', '=', tenant.id)
        .execute();
      await traceOk(t, 'acme', k.headers, SEED);
      expect(t.services.pathtracer.stats().loads).toBe(2);
    });
  });
}

describe.skipIf(!postgresAvailable())('postgres: API key cache across instances', () => {
  it('a key revoked on one instance is refused by another; a lost listener means no cache', async () => {
    const a = await createTestApp({ dialect: 'postgres' });
    await a.createTenant('acme');
    const k = await a.apiKey('acme', 'viewer');
    const second = await openDatabase({ ...a.db.options, pgPoolSize: 2 });
    onTestFinished(() => second.close());
    const b = await createTestApp({ db: { ...a.db, database: second } });
    const getOnB = () => b.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });

    await eventually(() => second.invalidations.live);
    expect((await getOnB()).statusCode).toBe(200);
    const revoke = await a.app.inject({
      method: 'DELETE',
      url: `/api/v1/tenants/acme/tokens/${k.id}`,
      headers: a.admin.headers,
    });
    expect(revoke.statusCode).toBe(204);
    await eventually(async () => (await getOnB()).statusCode === 401, 2000);
    expect((await getOnB()).json().error.message).toMatch(/was revoked at/);

    // Kill B's listening connection: until it is back, B reads every key from the database.
    const k2 = await a.apiKey('acme', 'viewer');
    const get2OnB = () => b.app.inject({ url: '/api/v1/tenants/acme', headers: k2.headers });
    expect((await get2OnB()).statusCode).toBe(200);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where query = 'LISTEN infracast_invalidate'`.execute(
      a.db.database.db,
    );
    await eventually(() => !second.invalidations.live);
    // A change no notification announces (written straight to the table) is still seen.
    await a.db.database.db
      .updateTable('api_keys')
      .set({ revoked_at: '2026-01-01T00:00:00.000Z' })
      .where('id', '=', k2.id)
      .execute();
    expect((await get2OnB()).statusCode).toBe(401);
    await eventually(() => second.invalidations.live, 5000);
  });
});
