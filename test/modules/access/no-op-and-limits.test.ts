/**
 * Edges of three writes: a tenant PATCH that changes nothing writes nothing (no audit entry, same
 * updated_at); an API key's expires_at is bounded like expires_in_days; a member's name is not blank.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: no-op updates and limits`, () => {
    it('a tenant PATCH that changes nothing writes nothing; one that does is audited with what changed', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const owner = await t.userWithRole('acme', 'owner');
      const tenant = (await t.app.inject({ url: '/api/v1/tenants/acme', headers: owner.headers })).json().data as {
        name: string;
        updated_at: string;
      };
      const patch = (payload: Record<string, unknown>) =>
        t.app.inject({ method: 'PATCH', url: '/api/v1/tenants/acme', headers: owner.headers, payload });
      const updates = async () =>
        (
          await t.app.inject({ url: '/api/v1/tenants/acme/audit-log?action=tenant.updated', headers: owner.headers })
        ).json().data as { summary: unknown }[];

      const same = await patch({ name: tenant.name, slug: 'acme' });
      expect(same.statusCode, same.body).toBe(200);
      expect(same.json().data.updated_at).toBe(tenant.updated_at);
      expect(await updates()).toEqual([]);

      const renamed = await patch({ name: 'Acme Corp' });
      expect(renamed.json().data.updated_at >= tenant.updated_at).toBe(true);
      expect((await updates()).map((e) => e.summary)).toEqual([
        { changed: { name: { from: tenant.name, to: 'Acme Corp' } } },
      ]);
    });

    it("an API key's expires_at is at most 3650 days away, as expires_in_days is", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const create = (expires_at: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/tokens',
          headers: t.admin.headers,
          payload: { description: 'ci', role: 'viewer', expires_at },
        });
      const far = await create('9999-12-31T23:59:59Z');
      expect(far.statusCode).toBe(400);
      expect(far.json().error.details).toEqual([
        { path: 'body.expires_at', message: 'must be at most 3650 days away' },
      ]);
      const inNineYears = new Date(Date.now() + 9 * 365 * 86_400_000).toISOString();
      expect((await create(inNineYears)).statusCode).toBe(201);
    });

    it("a member's name must not be blank; an existing account keeps its own name", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.createTenant('beta');
      const add = (tenant: string, payload: Record<string, unknown>) =>
        t.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant}/members`, headers: t.admin.headers, payload });
      for (const name of ['', '   ', '\u200b']) {
        const res = await add('acme', { email: 'blank@example.com', role: 'viewer', name });
        expect(res.statusCode, JSON.stringify(name)).toBe(400);
        expect(res.json().error.details[0].path).toBe('body.name');
      }
      const first = await add('acme', { email: 'ann@example.com', role: 'viewer', name: 'Ann' });
      expect(first.json().data.name).toBe('Ann');
      const again = await add('beta', { email: 'ann@example.com', role: 'viewer', name: 'Someone Else' });
      expect(again.statusCode).toBe(201);
      expect(again.json().data.name).toBe('Ann');
    });
  });
}
