import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: members and audit log`, () => {
    it('adds, changes and removes members; a new account gets a one-time password', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const admin = await t.userWithRole('acme', 'admin');
      const added = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: admin.headers,
        payload: { email: 'New.Person@Example.com', role: 'viewer' },
      });
      expect(added.statusCode).toBe(201);
      const m = added.json().data;
      expect(m).toMatchObject({ email: 'new.person@example.com', role: 'viewer' });
      expect(m.initial_password).toMatch(/^\S{20,}$/);
      // A password shown once must not be cached; Location names the new membership.
      expect(added.headers['cache-control']).toBe('no-store');
      expect(added.headers.location).toBe(`/api/v1/tenants/acme/members/${m.id}`);
      const located = await t.app.inject({ url: added.headers.location as string, headers: admin.headers });
      expect(located.json().data.email).toBe('new.person@example.com');
      const login = await t.login('new.person@example.com', m.initial_password);
      expect(login.headers.authorization).toMatch(/^Bearer /);
      // The shown password opens nothing until its owner has replaced it.
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: login.headers })).statusCode).toBe(403);
      const changed = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: login.headers,
        payload: { current_password: m.initial_password, new_password: 'chosen by the new person' },
      });
      expect(changed.statusCode).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: login.headers })).statusCode).toBe(200);

      const dup = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: admin.headers,
        payload: { email: 'new.person@example.com', role: 'viewer' },
      });
      expect(dup.statusCode).toBe(409);

      const promote = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/members/${m.id}`,
        headers: admin.headers,
        payload: { role: 'editor' },
      });
      expect(promote.json().data.role).toBe('editor');
      const toOwner = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/members/${m.user_id}`,
        headers: admin.headers,
        payload: { role: 'owner' },
      });
      expect(toOwner.statusCode).toBe(403);

      const list = await t.app.inject({
        url: '/api/v1/tenants/acme/members?role=editor,viewer&sort=email',
        headers: admin.headers,
      });
      expect(list.json().data.map((x: { email: string }) => x.email)).toEqual(['new.person@example.com']);
      const badRole = await t.app.inject({
        url: '/api/v1/tenants/acme/members?role=editor,guest',
        headers: admin.headers,
      });
      expect(badRole.statusCode).toBe(400);
      expect(badRole.json().error.message).toBe('Unknown role "guest"; one of viewer, editor, admin, owner');

      const removed = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${m.id}`,
        headers: admin.headers,
      });
      expect(removed.statusCode).toBe(204);
      const gone = await t.app.inject({ url: '/api/v1/tenants/acme', headers: login.headers });
      expect(gone.statusCode).toBe(404);
    });

    it('a tenant always keeps one owner: removing or demoting the last owner is a 409', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      // The platform admin who created the tenant is its first owner; make a second and remove the first.
      const owner = await t.userWithRole('acme', 'owner');
      const first = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${t.admin.userId}`,
        headers: owner.headers,
      });
      expect(first.statusCode).toBe(204);

      const demote = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/members/${owner.userId}`,
        headers: owner.headers,
        payload: { role: 'admin' },
      });
      expect(demote.statusCode).toBe(409);
      expect(demote.json().error.message).toMatch(/at least one owner/);
      const remove = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${owner.userId}`,
        headers: owner.headers,
      });
      expect(remove.statusCode).toBe(409);

      const second = await t.userWithRole('acme', 'owner');
      const nowOk = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/members/${owner.userId}`,
        headers: second.headers,
        payload: { role: 'admin' },
      });
      expect(nowOk.statusCode).toBe(200);
    });

    it('admins cannot remove owners', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const admin = await t.userWithRole('acme', 'admin');
      const res = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${t.admin.userId}`,
        headers: admin.headers,
      });
      expect(res.statusCode).toBe(403);
    });

    it('records who did what to members, keys and settings, filterable by actor and action', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const admin = await t.userWithRole('acme', 'admin');
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: admin.headers,
        payload: { email: 'x@y.z', role: 'viewer' },
      });
      const key = await t.apiKey('acme', 'viewer');
      await t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/tokens/${key.id}`, headers: admin.headers });
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: admin.headers,
        payload: { name: 'Acme 2' },
        remoteAddress: '10.1.2.3',
      });

      const all = await t.app.inject({ url: '/api/v1/tenants/acme/audit-log', headers: admin.headers });
      expect(all.statusCode).toBe(200);
      const actions = all.json().data.map((e: { action: string }) => e.action);
      expect(actions).toEqual([
        'tenant.updated',
        'api_key.revoked',
        'api_key.created',
        'member.added',
        'tenant.created',
      ]);
      const updated = all.json().data[0];
      expect(updated).toMatchObject({
        actor_type: 'user',
        actor_id: admin.userId,
        target_type: 'tenant',
        ip: '10.1.2.3',
        summary: { changed: { name: { from: 'acme', to: 'Acme 2' } } },
      });
      expect(updated.request_id).toMatch(/^req_/);

      const byActor = await t.app.inject({
        url: `/api/v1/tenants/acme/audit-log?actor=${admin.userId}&action=api_key.*`,
        headers: admin.headers,
      });
      expect(byActor.json().data.map((e: { action: string }) => e.action)).toEqual(['api_key.revoked']);

      // Every filter takes a comma list (any of).
      const actionsOf = async (q: string) => {
        const res = await t.app.inject({ url: `/api/v1/tenants/acme/audit-log?${q}`, headers: admin.headers });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().data.map((e: { action: string }) => e.action);
      };
      expect(await actionsOf('target_type=api_key')).toEqual(['api_key.revoked', 'api_key.created']);
      expect(await actionsOf('target_type=tenant')).toEqual(['tenant.updated', 'tenant.created']);
      expect(await actionsOf('target_type=api_key,tenant')).toEqual([
        'tenant.updated',
        'api_key.revoked',
        'api_key.created',
        'tenant.created',
      ]);
      expect(await actionsOf('action=api_key.*,member.added')).toEqual([
        'api_key.revoked',
        'api_key.created',
        'member.added',
      ]);
      expect(await actionsOf(`actor=${admin.userId},${t.admin.userId}&action=tenant.*`)).toEqual([
        'tenant.updated',
        'tenant.created',
      ]);
      // A prefix matches exactly on both databases (no LIKE: `_` is no wildcard, case counts).
      expect(await actionsOf('action=API_KEY.*')).toEqual([]);
      expect(await actionsOf('action=api%25key.*')).toEqual([]);
      const badType = await t.app.inject({
        url: '/api/v1/tenants/acme/audit-log?target_type=api_key,widget',
        headers: admin.headers,
      });
      expect(badType.statusCode).toBe(400);
      expect(badType.json().error).toMatchObject({
        code: 'BAD_REQUEST',
        message:
          'Unknown target type "widget"; one of api_key, finding, job, member, report, tagging_policy, tenant, user, webhook',
        details: [
          { path: 'querystring.target_type', message: expect.stringContaining('api_key, finding, job, member') },
        ],
      });

      const editor = await t.userWithRole('acme', 'editor');
      const denied = await t.app.inject({ url: '/api/v1/tenants/acme/audit-log', headers: editor.headers });
      expect(denied.statusCode).toBe(403);
    });
  });
}
