/**
 * A signed-in user changes their password (POST /auth/password): the old one stops working, every
 * other session of theirs ends at once, and the change is audited. An account whose password was
 * generated and shown to someone else (the admin who added the member) can do nothing else first.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

const NEW_PASSWORD = 'a brand new passphrase';

const changePassword = (t: TestApp, headers: Record<string, string>, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers, payload });

const signIn = (t: TestApp, email: string, password: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    payload: { grant_type: 'password', email, password },
    remoteAddress: '10.9.0.1',
  });

for (const dialect of testDialects()) {
  describe(`${dialect}: password change`, () => {
    it('replaces the password, ends every other session (access and refresh tokens), keeps this one; audited', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const here = await t.userWithRole('acme', 'viewer');
      const elsewhere = await t.login(here.email!);
      const get = (headers: Record<string, string>) => t.app.inject({ url: '/api/v1/tenants/acme', headers });
      expect((await get(elsewhere.headers)).statusCode).toBe(200);

      const res = await changePassword(t, here.headers, {
        current_password: TEST_PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(res.statusCode, res.body).toBe(204);

      expect((await signIn(t, here.email!, TEST_PASSWORD)).statusCode).toBe(401);
      expect((await signIn(t, here.email!, NEW_PASSWORD)).statusCode).toBe(200);
      // The other session is over: its access token at once, its refresh token too.
      const stale = await get(elsewhere.headers);
      expect(stale.statusCode).toBe(401);
      expect(stale.json().error.message).toBe('This session has been revoked; sign in again');
      const staleRefresh = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refresh_token: elsewhere.refreshToken },
      });
      expect(staleRefresh.statusCode).toBe(401);
      // The session that changed the password goes on.
      expect((await get(here.headers)).statusCode).toBe(200);
      const refreshed = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refresh_token: here.refreshToken },
      });
      expect(refreshed.statusCode).toBe(200);

      // A platform-level entry (no tenant): who, from where, and how many sessions ended.
      const entries = await t.db.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.password_changed')
        .execute();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        tenant_id: null,
        actor_type: 'user',
        actor_id: here.userId,
        target_type: 'user',
        target_id: here.userId,
        ip: '127.0.0.1',
      });
      expect(JSON.parse(entries[0]?.summary ?? 'null')).toEqual({ sessions_revoked: 1, was_required: false });
    });

    it('needs the right current password and a new one of 12+ characters that differs; API keys have none', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const u = await t.userWithRole('acme', 'viewer');
      const attempt = async (payload: Record<string, unknown>) => {
        const res = await changePassword(t, u.headers, payload);
        return { status: res.statusCode, error: res.json().error };
      };
      const wrong = await attempt({ current_password: 'not the password', new_password: NEW_PASSWORD });
      expect(wrong).toMatchObject({
        status: 400,
        error: {
          message: 'The current password is wrong',
          details: [{ path: 'body.current_password', message: 'is not your current password' }],
        },
      });
      const short = await attempt({ current_password: TEST_PASSWORD, new_password: 'elevenchars' });
      expect(short.status).toBe(400);
      expect(short.error.details).toEqual([{ path: 'body.new_password', message: expect.stringMatching(/12/) }]);
      const same = await attempt({ current_password: TEST_PASSWORD, new_password: TEST_PASSWORD });
      expect(same).toMatchObject({
        status: 400,
        error: { details: [{ path: 'body.new_password', message: 'is the current password' }] },
      });
      expect((await attempt({ new_password: NEW_PASSWORD })).status).toBe(400);
      expect((await attempt({ current_password: TEST_PASSWORD, new_password: NEW_PASSWORD, email: 'x' })).status).toBe(
        400,
      );
      // Nothing changed.
      expect((await signIn(t, u.email!, TEST_PASSWORD)).statusCode).toBe(200);

      const key = await t.apiKey('acme', 'owner');
      const byKey = await changePassword(t, key.headers, {
        current_password: TEST_PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(byKey.statusCode).toBe(403);
      expect(byKey.json().error.message).toMatch(/^API keys have no password/);
      const nobody = await changePassword(t, {}, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD });
      expect(nobody.statusCode).toBe(401);
    });

    it('a member created with a generated password can do nothing but change it; then the admin who saw it is out', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.createTenant('beta');
      const acmeAdmin = await t.userWithRole('acme', 'admin');
      const betaOwner = await t.userWithRole('beta', 'owner');
      const added = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: acmeAdmin.headers,
        payload: { email: 'shared@x.io', role: 'viewer' },
      });
      expect(added.statusCode, added.body).toBe(201);
      const shown = added.json().data.initial_password as string;
      const later = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/beta/members',
        headers: betaOwner.headers,
        payload: { email: 'shared@x.io', role: 'admin' },
      });
      expect(later.json().data.initial_password).toBeNull();

      // Signing in with the shown password works, but it opens nothing: not beta's keys, not acme.
      const first = await t.login('shared@x.io', shown);
      for (const url of ['/api/v1/tenants/beta/tokens', '/api/v1/tenants/acme', '/api/v1/tenants']) {
        const res = await t.app.inject({ url, headers: first.headers });
        expect(res.statusCode, url).toBe(403);
        expect(res.json().error).toMatchObject({
          code: 'FORBIDDEN',
          message: expect.stringContaining('change it (POST /api/v1/auth/password) before doing anything else'),
        });
      }
      const me = await t.app.inject({ url: '/api/v1/auth/me', headers: first.headers });
      expect(me.statusCode).toBe(200);
      expect(me.json().data).toMatchObject({ email: 'shared@x.io', password_change_required: true });
      // The shown password cannot be kept.
      const keep = await changePassword(t, first.headers, { current_password: shown, new_password: shown });
      expect(keep.statusCode).toBe(400);

      // The admin who saw the password signs in first; the user then changes it and the admin is out.
      const admins = await t.login('shared@x.io', shown);
      const changed = await changePassword(t, first.headers, { current_password: shown, new_password: NEW_PASSWORD });
      expect(changed.statusCode, changed.body).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/tenants/beta/tokens', headers: first.headers })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: first.headers })).json().data).toMatchObject({
        password_change_required: false,
      });
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: admins.headers })).statusCode).toBe(401);
      expect((await signIn(t, 'shared@x.io', shown)).statusCode).toBe(401);
      const entry = await t.db.database.db
        .selectFrom('audit_log')
        .select('summary')
        .where('action', '=', 'user.password_changed')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.summary ?? 'null')).toEqual({ sessions_revoked: 1, was_required: true });
    });

    it('a generated password from the operator CLI must be changed too; one the operator chose need not', async () => {
      const t = await createTestApp({ dialect });
      const generated = await t.services.auth.createUser({ email: 'gen@x.io' });
      const chosen = await t.services.auth.createUser({ email: 'chosen@x.io', password: 'chosen by the operator' });
      expect(generated.generated).toBe(true);
      const flags = await t.db.database.db
        .selectFrom('users')
        .select(['email', 'password_change_required'])
        .where('email', 'in', ['gen@x.io', 'chosen@x.io'])
        .orderBy('email')
        .execute();
      expect(flags).toEqual([
        { email: 'chosen@x.io', password_change_required: 0 },
        { email: 'gen@x.io', password_change_required: 1 },
      ]);
      const gen = await t.login('gen@x.io', generated.password);
      expect((await t.app.inject({ url: '/api/v1/tenants', headers: gen.headers })).statusCode).toBe(403);
      const mine = await t.login('chosen@x.io', chosen.password);
      expect((await t.app.inject({ url: '/api/v1/tenants', headers: mine.headers })).statusCode).toBe(200);
    });

    it('an operator reset (infracast admin reset-password) gives a generated password to change first, and ends every session', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const user = await t.userWithRole('acme', 'viewer');
      const other = await t.login(user.email!);
      const get = (headers: Record<string, string>) => t.app.inject({ url: '/api/v1/tenants/acme', headers });
      expect((await get(other.headers)).statusCode).toBe(200);

      const reset = await t.services.auth.resetPassword(user.email!.toUpperCase());
      expect(reset.email).toBe(user.email);
      expect(reset.password).toMatch(/^\S{20,}$/);
      // Every session ends at once; the old password no longer signs in.
      expect((await get(user.headers)).statusCode).toBe(401);
      expect((await get(other.headers)).statusCode).toBe(401);
      expect((await signIn(t, user.email!, TEST_PASSWORD)).statusCode).toBe(401);
      // The new one signs in, to change it and nothing else.
      const fresh = await t.login(user.email!, reset.password);
      expect((await get(fresh.headers)).statusCode).toBe(403);
      const changed = await changePassword(t, fresh.headers, {
        current_password: reset.password,
        new_password: NEW_PASSWORD,
      });
      expect(changed.statusCode, changed.body).toBe(204);
      expect((await get(fresh.headers)).statusCode).toBe(200);

      const audit = await t.db.database.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type', 'tenant_id'])
        .where('target_id', '=', reset.id)
        .where('action', '=', 'user.password_reset')
        .execute();
      expect(audit).toEqual([{ action: 'user.password_reset', actor_type: 'system', tenant_id: null }]);
      await expect(t.services.auth.resetPassword('nobody@x.io')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
