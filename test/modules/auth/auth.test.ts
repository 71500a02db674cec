import { describe, expect, it } from 'vitest';
import { createJwt } from '../../../src/platform/auth/jwt.ts';
import { createTestApp, TEST_PASSWORD } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: authentication`, () => {
    it('password grant (JSON and form) returns a bearer token that /auth/me understands', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const u = await t.userWithRole('acme', 'editor', 'ed@test.local');
      const json = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'password', email: 'ED@test.local', password: TEST_PASSWORD },
      });
      expect(json.statusCode).toBe(200);
      expect(json.headers['cache-control']).toBe('no-store');
      const body = json.json().data;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(body.refresh_token).toMatch(/^icrt_/);

      const form = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=password&email=ed%40test.local&password=${encodeURIComponent(TEST_PASSWORD)}`,
      });
      expect(form.statusCode).toBe(200);
      // RFC 6749 §4.3.2 calls the email `username`.
      const rfcForm = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=password&username=ed%40test.local&password=${encodeURIComponent(TEST_PASSWORD)}`,
      });
      expect(rfcForm.statusCode).toBe(200);
      const twoNames = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'password', email: 'ed@test.local', username: 'other@test.local', password: 'x' },
      });
      expect(twoNames.statusCode).toBe(400);
      expect(twoNames.json().error.details).toEqual([{ path: 'body.username', message: 'differs from body.email' }]);

      const me = await t.app.inject({
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(me.json().data).toMatchObject({
        kind: 'user',
        id: u.userId,
        email: 'ed@test.local',
        is_platform_admin: false,
        memberships: [{ tenant_slug: 'acme', role: 'editor' }],
      });
      expect(Date.parse(me.json().data.expires_at)).toBeGreaterThan(Date.now());
    });

    it('wrong password and unknown email give the same 401', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.userWithRole('acme', 'viewer', 'v@test.local');
      const attempt = (email: string, password: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { grant_type: 'password', email, password },
        });
      const wrong = await attempt('v@test.local', 'not the password');
      const unknown = await attempt('nobody@test.local', 'not the password');
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json().error.message).toBe('Invalid email or password');
      expect(unknown.json().error.message).toBe(wrong.json().error.message);
    });

    it('a grant missing its fields is a 400 naming them', async () => {
      const t = await createTestApp({ dialect });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'client_credentials' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual([
        'body.client_id',
        'body.client_secret',
      ]);
    });

    it('refresh rotates; reusing a used refresh token revokes the whole session, access tokens included', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const u = await t.userWithRole('acme', 'viewer');
      const other = await t.login(u.email!);
      const r1 = u.refreshToken;
      const first = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: r1 } });
      expect(first.statusCode).toBe(200);
      const r2 = first.json().data.refresh_token;
      expect(r2).not.toBe(r1);
      const a2 = { authorization: `Bearer ${first.json().data.access_token}` };
      const me = (headers: { authorization: string }) => t.app.inject({ url: '/api/v1/auth/me', headers });
      expect((await me(a2)).statusCode).toBe(200);

      const reuse = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: r1 } });
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json().error.message).toMatch(/already used/);
      // The thief's reuse also kills the legitimate holder's newer token.
      const after = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: r2 } });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.message).toBe('Refresh token has been revoked');
      // The session's access tokens, the one issued with r1 and the one issued with r2, stop at once…
      for (const headers of [u.headers, a2]) {
        const revoked = await me(headers);
        expect(revoked.statusCode).toBe(401);
        expect(revoked.json().error.message).toBe('This session has been revoked; sign in again');
      }
      // …and the user's other sign-ins are other sessions, untouched.
      expect((await me(other.headers)).statusCode).toBe(200);
      const otherRefresh = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refresh_token: other.refreshToken },
      });
      expect(otherRefresh.statusCode).toBe(200);

      const garbage = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refresh_token: 'icrt_nope' },
      });
      expect(garbage.statusCode).toBe(401);
    });

    it('a tampered or expired access token is a 401', async () => {
      const t = await createTestApp({ dialect, env: { INFRACAST_ACCESS_TOKEN_TTL_SECONDS: '60' } });
      const token = t.admin.headers.authorization.slice(7);
      const [h, p, s] = token.split('.');
      const tampered = `${h}.${p}.${s?.slice(0, -2)}xx`;
      const res = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tampered}` } });
      expect(res.statusCode).toBe(401);
      const jwt = createJwt(new TextEncoder().encode(t.config.jwtSecret ?? ''));
      const old = await jwt.sign({ sub: t.admin.userId!, typ: 'user', jti: 'x' }, 60, new Date(Date.now() - 3_600_000));
      const expired = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${old}` } });
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error.message).toBe('Access token expired');
      // A user's token names its session (sid); one without, or with another user's session, is refused.
      const sid = JSON.parse(Buffer.from(p as string, 'base64url').toString()).sid as string;
      expect(sid).toMatch(/^rtk_/);
      const fresh = await jwt.sign({ sub: t.admin.userId!, typ: 'user', sid, jti: 'y' }, 60, new Date());
      expect(
        (await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${fresh}` } })).statusCode,
      ).toBe(200);
      await t.createTenant('acme');
      const someone = await t.userWithRole('acme', 'viewer');
      for (const claims of [
        { sub: t.admin.userId!, typ: 'user' as const, jti: 'n' },
        { sub: someone.userId!, typ: 'user' as const, sid, jti: 'o' },
        { sub: t.admin.userId!, typ: 'user' as const, sid: 'rtk_unknown', jti: 'u' },
      ]) {
        const token = await jwt.sign(claims, 60, new Date());
        const res = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode, JSON.stringify(claims)).toBe(401);
        expect(res.json().error.message).toBe('Invalid or expired token');
      }
      const other = createJwt(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const forged = await other.sign({ sub: t.admin.userId!, typ: 'user', sid, jti: 'z' }, 60, new Date());
      expect(
        (await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${forged}` } })).statusCode,
      ).toBe(401);
    });
  });

  describe(`${dialect}: API keys`, () => {
    it('creates a key shown once; list/get never show the secret; only a hash is stored', async () => {
      const t = await createTestApp({ dialect, captureLogs: true });
      await t.createTenant('acme');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/tokens',
        headers: t.admin.headers,
        payload: { description: 'CI pipeline', role: 'editor', expires_in_days: 90 },
      });
      expect(res.statusCode).toBe(201);
      const key = res.json().data;
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.location).toBe(`/api/v1/tenants/acme/tokens/${key.id}`);
      expect(key.client_id).toMatch(/^icci_[0-9A-Za-z]{22}$/);
      expect(key.secret_key).toMatch(/^icsk_[0-9A-Za-z]{49}$/);
      expect(key.token).toMatch(/^ick_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/);
      expect(key).toMatchObject({
        description: 'CI pipeline',
        role: 'editor',
        status: 'active',
        created_by: t.admin.userId,
      });
      const days = (Date.parse(key.expires_at) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(89.9);
      expect(days).toBeLessThan(90.1);

      const list = await t.app.inject({ url: '/api/v1/tenants/acme/tokens', headers: t.admin.headers });
      const get = await t.app.inject({ url: `/api/v1/tenants/acme/tokens/${key.id}`, headers: t.admin.headers });
      for (const body of [list.body, get.body]) {
        expect(body).not.toContain(key.secret_key.slice(5));
        expect(body).not.toContain('secret');
      }
      expect(Object.keys(get.json().data).sort()).toEqual(
        [
          'client_id',
          'created_at',
          'created_by',
          'description',
          'expires_at',
          'id',
          'last_used_at',
          'revoked_at',
          'role',
          'status',
        ].sort(),
      );
      const row = await t.db.database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(key.secret_key);

      // Use it every way, then check no log line ever carried the secret.
      await t.app.inject({ url: '/api/v1/tenants/acme', headers: { authorization: `Bearer ${key.token}` } });
      await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { 'x-client-id': key.client_id, 'x-secret-key': key.secret_key },
      });
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'client_credentials', client_id: key.client_id, client_secret: key.secret_key },
      });
      await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { 'x-client-id': key.client_id, 'x-secret-key': `${key.secret_key}x` },
      });
      expect(t.logs.length).toBeGreaterThan(3);
      const allLogs = t.logs.join('\n');
      expect(allLogs).not.toContain(key.secret_key.slice(5));
      expect(allLogs).not.toContain(key.token.slice(4));
    });

    it('authenticates with the bearer token, the two headers and the client_credentials grant; updates last_used_at', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer');
      const bearer = await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });
      expect(bearer.statusCode).toBe(200);
      const headers = await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { 'x-client-id': k.clientId, 'x-secret-key': k.secretKey },
      });
      expect(headers.statusCode).toBe(200);
      const grant = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=client_credentials&client_id=${k.clientId}&client_secret=${k.secretKey}`,
      });
      expect(grant.statusCode).toBe(200);
      expect(grant.json().data.refresh_token).toBeUndefined();
      // RFC 6749 §2.3.1: the client may authenticate with HTTP Basic instead (each part form-url-encoded)…
      const basic = (id: string, secret: string) =>
        `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      const viaBasic = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(k.clientId, k.secretKey) },
        payload: 'grant_type=client_credentials',
      });
      expect(viaBasic.statusCode).toBe(200);
      const badBasic = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { authorization: basic(k.clientId, `${k.secretKey}x`) },
        payload: { grant_type: 'client_credentials' },
      });
      expect(badBasic.statusCode).toBe(401);
      // …but not with both methods at once.
      const both = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { authorization: basic(k.clientId, k.secretKey) },
        payload: { grant_type: 'client_credentials', client_id: k.clientId, client_secret: k.secretKey },
      });
      expect(both.statusCode).toBe(400);
      const viaJwt = await t.app.inject({
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${grant.json().data.access_token}` },
      });
      expect(viaJwt.json().data).toMatchObject({
        kind: 'api_key',
        client_id: k.clientId,
        memberships: [{ tenant_slug: 'acme', role: 'viewer' }],
      });

      const got = await t.app.inject({ url: `/api/v1/tenants/acme/tokens/${k.id}`, headers: t.admin.headers });
      expect(got.json().data.last_used_at).not.toBeNull();

      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: {
          grant_type: 'client_credentials',
          client_id: k.clientId,
          client_secret: `${k.secretKey.slice(0, -1)}${k.secretKey.endsWith('x') ? 'y' : 'x'}`,
        },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.message).toBe('Invalid client credentials');
      const half = await t.app.inject({ url: '/api/v1/tenants/acme', headers: { 'x-client-id': k.clientId } });
      expect(half.statusCode).toBe(401);
    });

    it('expired and revoked keys are 401s that say so', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer', { expiresInDays: 1 });
      await t.db.database.db
        .updateTable('api_keys')
        .set({ expires_at: '2020-01-01T00:00:00.000Z' })
        .where('id', '=', k.id)
        .execute();
      const expired = await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error).toMatchObject({
        code: 'UNAUTHORIZED',
        message: `API key ${k.clientId} expired at 2020-01-01T00:00:00.000Z`,
      });

      const r = await t.apiKey('acme', 'viewer');
      const grant = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'client_credentials', client_id: r.clientId, client_secret: r.secretKey },
      });
      const jwt = { authorization: `Bearer ${grant.json().data.access_token}` };
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: r.headers })).statusCode).toBe(200);
      const revoke = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/tokens/${r.id}`,
        headers: t.admin.headers,
      });
      expect(revoke.statusCode).toBe(204);
      for (const h of [r.headers, jwt]) {
        const after = await t.app.inject({ url: '/api/v1/tenants/acme', headers: h });
        expect(after.statusCode).toBe(401);
        expect(after.json().error.message).toMatch(new RegExp(`^API key ${r.clientId} was revoked at `));
      }
      const listed = await t.app.inject({
        url: '/api/v1/tenants/acme/tokens?status=revoked',
        headers: t.admin.headers,
      });
      expect(listed.json().data.map((x: { id: string }) => x.id)).toEqual([r.id]);
      // A comma means "any of": the keys that can no longer be used, however they ended.
      const active = await t.apiKey('acme', 'editor');
      const ids = async (q: string) => {
        const res = await t.app.inject({ url: `/api/v1/tenants/acme/tokens?${q}`, headers: t.admin.headers });
        expect(res.statusCode, res.body).toBe(200);
        return res
          .json()
          .data.map((x: { id: string }) => x.id)
          .sort();
      };
      expect(await ids('status=expired')).toEqual([k.id]);
      expect(await ids('status=active')).toEqual([active.id]);
      expect(await ids('status=revoked,expired')).toEqual([k.id, r.id].sort());
      expect(await ids('status=active,revoked')).toEqual([active.id, r.id].sort());
      expect(await ids('status=active,revoked,expired&role=viewer')).toEqual([k.id, r.id].sort());
      const unknown = await t.app.inject({
        url: '/api/v1/tenants/acme/tokens?status=revoked,lost',
        headers: t.admin.headers,
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Unknown API key status "lost"; one of active, expired, revoked',
        details: [{ path: 'querystring.status', message: expect.stringContaining('active, expired, revoked') }],
      });
    });

    it('a mistyped secret is rejected by its checksum before any lookup', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer');
      const last = k.secretKey.at(-1) === 'a' ? 'b' : 'a';
      const typo = `${k.secretKey.slice(0, -1)}${last}`;
      let lookups = 0;
      const original = t.db.database.db.selectFrom.bind(t.db.database.db);
      (t.db.database.db as { selectFrom: unknown }).selectFrom = ((table: never) => {
        lookups += 1;
        return original(table);
      }) as never;
      const res = await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { 'x-client-id': k.clientId, 'x-secret-key': typo },
      });
      expect(res.statusCode).toBe(401);
      expect(lookups).toBe(0);
    });

    it('validates expiry choices and never lets a key outrank its creator', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const admin = await t.userWithRole('acme', 'admin');
      const create = (payload: object, headers = admin.headers) =>
        t.app.inject({ method: 'POST', url: '/api/v1/tenants/acme/tokens', headers, payload });
      expect((await create({ description: 'x', role: 'viewer' })).statusCode).toBe(400);
      expect(
        (await create({ description: 'x', role: 'viewer', expires_in_days: 5, never_expires: true })).statusCode,
      ).toBe(400);
      expect((await create({ description: 'x', role: 'viewer', expires_at: '2001-01-01T00:00:00Z' })).statusCode).toBe(
        400,
      );
      expect((await create({ description: 'x'.repeat(257), role: 'viewer', never_expires: true })).statusCode).toBe(
        400,
      );
      expect((await create({ description: '', role: 'viewer', never_expires: true })).statusCode).toBe(400);
      const owner = await create({ description: 'x', role: 'owner', never_expires: true });
      expect(owner.statusCode).toBe(403);
      // At most 3650 days away, as expires_in_days.
      expect((await create({ description: 'x', role: 'admin', expires_at: '2999-01-01T00:00:00Z' })).statusCode).toBe(
        400,
      );
      const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
      const ok = await create({ description: 'x', role: 'admin', expires_at: inAYear });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().data.expires_at).toBe(inAYear);
    });
  });
}
