import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: tenants`, () => {
    it('creates, reads by id and by slug, updates and lists', async () => {
      const t = await createTestApp({ dialect });
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: t.admin.headers,
        payload: { slug: 'acme', name: 'Acme Corp' },
      });
      expect(created.statusCode).toBe(201);
      expect(created.headers.location).toBe('/api/v1/tenants/acme');
      const tenant = created.json().data;
      expect(tenant).toMatchObject({
        slug: 'acme',
        name: 'Acme Corp',
        plan: 'free',
        rate_limit: { per_minute: 60, burst: 10, source: 'plan' },
      });
      expect(tenant.id).toMatch(/^ten_[0-9A-Z]{26}$/);
      expect(tenant.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      for (const ref of [tenant.id, 'acme']) {
        const got = await t.app.inject({ url: `/api/v1/tenants/${ref}`, headers: t.admin.headers });
        expect(got.statusCode).toBe(200);
        expect(got.json().data).toEqual(tenant);
      }

      const patched = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: t.admin.headers,
        payload: { name: 'Acme Inc', plan: 'pro' },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().data).toMatchObject({
        name: 'Acme Inc',
        plan: 'pro',
        rate_limit: { per_minute: 300, burst: 50 },
      });

      const put = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/tenants/${tenant.id}`,
        headers: t.admin.headers,
        payload: { slug: 'acme-2', name: 'Acme Two', plan: 'enterprise' },
      });
      expect(put.statusCode).toBe(200);
      expect(put.json().data).toMatchObject({ slug: 'acme-2', plan: 'enterprise' });

      // The seed's PUT is "Update tenant": a client may send only what changes.
      const rename = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/tenants/acme-2',
        headers: t.admin.headers,
        payload: { name: 'Acme 2' },
      });
      expect(rename.statusCode, rename.body).toBe(200);
      expect(rename.json().data).toMatchObject({ slug: 'acme-2', name: 'Acme 2', plan: 'enterprise' });
      const empty = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/tenants/acme-2',
        headers: t.admin.headers,
        payload: {},
      });
      expect(empty.statusCode).toBe(400);

      const list = await t.app.inject({ url: '/api/v1/tenants', headers: t.admin.headers });
      expect(list.json().meta).toEqual({ total: 1, page: 1, per_page: 50, total_pages: 1 });
    });

    it('a duplicate slug is a 409 CONFLICT, on create and on rename', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.createTenant('other');
      const dup = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: t.admin.headers,
        payload: { slug: 'acme', name: 'x' },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error).toMatchObject({ code: 'CONFLICT', message: 'A tenant with slug "acme" already exists' });
      const rename = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/other',
        headers: t.admin.headers,
        payload: { slug: 'acme' },
      });
      expect(rename.statusCode).toBe(409);
    });

    it('PATCH with no fields is a 400; a tenant admin cannot change the plan', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme', 'free');
      const empty = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: t.admin.headers,
        payload: {},
      });
      expect(empty.statusCode).toBe(400);
      const admin = await t.userWithRole('acme', 'admin');
      const plan = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: admin.headers,
        payload: { plan: 'enterprise' },
      });
      expect(plan.statusCode).toBe(403);
      const name = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: admin.headers,
        payload: { name: 'Renamed' },
      });
      expect(name.statusCode).toBe(200);
    });

    it('delete removes everything the tenant owns and a second delete is a 404', async () => {
      const t = await createTestApp({ dialect });
      const acme = await t.createTenant('acme');
      const other = await t.createTenant('other');
      await t.userWithRole('acme', 'viewer');
      await t.apiKey('acme', 'viewer');
      await t.apiKey('other', 'viewer');
      const db = t.db.database.db;
      const now = new Date().toISOString();
      for (const tenantId of [acme.id, other.id]) {
        await db
          .insertInto('nodes')
          .values({
            tenant_id: tenantId,
            id: 'aws:us-east-1:aws.ec2.vpc:vpc-1',
            provider: 'aws',
            type: 'aws.ec2.vpc',
            account: null,
            region: 'us-east-1',
            name: 'vpc-1',
            native_id: 'vpc-1',
            tags: '{}',
            attributes: '{}',
            source: 'manual',
            scope_key: null,
            content_hash: 'x',
            first_seen_at: now,
            last_seen_at: now,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }

      const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: t.admin.headers });
      expect(del.statusCode).toBe(204);
      expect(del.body).toBe('');
      const count = async (table: 'memberships' | 'api_keys' | 'nodes' | 'audit_log', tenantId: string) =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('tenant_id', '=', tenantId)
              .executeTakeFirstOrThrow()
          ).n,
        );
      for (const table of ['memberships', 'api_keys', 'nodes', 'audit_log'] as const) {
        expect(await count(table, acme.id), table).toBe(0);
      }
      expect(await count('nodes', other.id)).toBe(1);
      expect(await count('api_keys', other.id)).toBe(1);

      const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: t.admin.headers });
      expect(again.statusCode).toBe(404);
    });

    it('pages with Link headers on the first, a middle and the last page', async () => {
      const t = await createTestApp({ dialect });
      for (let i = 0; i < 7; i++) await t.createTenant(`t-${i}`);
      const page = async (n: number) =>
        t.app.inject({ url: `/api/v1/tenants?per_page=3&page=${n}&sort=slug`, headers: t.admin.headers });

      const first = await page(1);
      expect(first.json().meta).toEqual({ total: 7, page: 1, per_page: 3, total_pages: 3 });
      expect(first.json().data.map((x: { slug: string }) => x.slug)).toEqual(['t-0', 't-1', 't-2']);
      expect(first.headers.link).toBe(
        '<http://localhost:80/api/v1/tenants?per_page=3&page=2&sort=slug>; rel="next", ' +
          '<http://localhost:80/api/v1/tenants?per_page=3&page=3&sort=slug>; rel="last"',
      );

      const middle = await page(2);
      expect(middle.json().data.map((x: { slug: string }) => x.slug)).toEqual(['t-3', 't-4', 't-5']);
      const rels = String(middle.headers.link)
        .split(', ')
        .map((l) =>
          l
            .match(/[?&]page=(\d+).*rel="(\w+)"/)
            ?.slice(1)
            .join(':'),
        );
      expect(rels).toEqual(['1:first', '1:prev', '3:next', '3:last']);

      const last = await page(3);
      expect(last.json().data.map((x: { slug: string }) => x.slug)).toEqual(['t-6']);
      expect(last.headers.link).toMatch(/rel="first".*rel="prev"/);
      expect(last.headers.link).not.toMatch(/rel="next"/);

      const beyond = await page(9);
      expect(beyond.json().data).toEqual([]);
      expect(beyond.json().meta.total).toBe(7);
    });

    it('sorts descending and filters by plan (comma = any of) and q', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('alpha', 'free');
      await t.createTenant('bravo', 'pro');
      await t.createTenant('charlie', 'enterprise');
      const desc = await t.app.inject({ url: '/api/v1/tenants?sort=-slug', headers: t.admin.headers });
      expect(desc.json().data.map((x: { slug: string }) => x.slug)).toEqual(['charlie', 'bravo', 'alpha']);
      const plans = await t.app.inject({ url: '/api/v1/tenants?plan=free,pro&sort=slug', headers: t.admin.headers });
      expect(plans.json().data.map((x: { slug: string }) => x.slug)).toEqual(['alpha', 'bravo']);
      const unknownPlan = await t.app.inject({ url: '/api/v1/tenants?plan=pro,gold', headers: t.admin.headers });
      expect(unknownPlan.statusCode).toBe(400);
      expect(unknownPlan.json().error).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Unknown plan "gold"; one of free, pro, enterprise',
      });
      const q = await t.app.inject({ url: '/api/v1/tenants?q=RAV', headers: t.admin.headers });
      expect(q.json().data.map((x: { slug: string }) => x.slug)).toEqual(['bravo']);
      const literal = await t.app.inject({ url: '/api/v1/tenants?q=%25', headers: t.admin.headers });
      expect(literal.json().data).toEqual([]);
    });

    it("members see only their tenants; another tenant's slug is a 404, not a 403", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('mine');
      await t.createTenant('theirs');
      const me = await t.userWithRole('mine', 'owner');
      const list = await t.app.inject({ url: '/api/v1/tenants', headers: me.headers });
      expect(list.json().data.map((x: { slug: string }) => x.slug)).toEqual(['mine']);
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const res = await t.app.inject({
          method,
          url: '/api/v1/tenants/theirs',
          headers: me.headers,
          ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
        });
        expect(res.statusCode, method).toBe(404);
        expect(res.json().error.message).toBe('tenant theirs not found');
      }
      const missing = await t.app.inject({ url: '/api/v1/tenants/does-not-exist', headers: me.headers });
      expect(missing.json().error.message).toBe('tenant does-not-exist not found');
    });

    it('only platform admins create tenants unless open signup is on; the creator becomes owner', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const user = await t.userWithRole('acme', 'owner');
      const denied = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: user.headers,
        payload: { slug: 'new', name: 'n' },
      });
      expect(denied.statusCode).toBe(403);

      const open = await createTestApp({ dialect, env: { INFRACAST_OPEN_SIGNUP: 'true' } });
      await open.createTenant('acme');
      const u = await open.userWithRole('acme', 'viewer');
      const ok = await open.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: u.headers,
        payload: { slug: 'mine', name: 'n' },
      });
      expect(ok.statusCode).toBe(201);
      const members = await open.app.inject({ url: '/api/v1/tenants/mine/members', headers: u.headers });
      expect(members.json().data).toMatchObject([{ user_id: u.userId, role: 'owner' }]);
    });
  });
}
