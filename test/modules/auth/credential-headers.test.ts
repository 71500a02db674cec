/**
 * One credential per request (RFC 6750 §2), and a 401 on a resource route invites the scheme it
 * takes (Bearer), whatever the client sent; Basic is for the token endpoint only.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

for (const dialect of testDialects()) {
  describe(`${dialect}: credential headers`, () => {
    it('a bearer token and x-client-id/x-secret-key together are a 400, whichever would be valid', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const viewer = await t.userWithRole('acme', 'viewer');
      const k = await t.apiKey('acme', 'owner');
      const keyHeaders = { 'x-client-id': k.clientId, 'x-secret-key': k.secretKey };
      for (const headers of [
        { ...viewer.headers, ...keyHeaders },
        { ...viewer.headers, 'x-client-id': k.clientId },
        { authorization: basic(k.clientId, k.secretKey), ...keyHeaders },
      ]) {
        const res = await t.app.inject({ url: '/api/v1/auth/me', headers });
        expect(res.statusCode, JSON.stringify(Object.keys(headers))).toBe(400);
        expect(res.json().error.message).toBe(
          'Send one credential: the Authorization header or x-client-id and x-secret-key, not both',
        );
      }
      // Each alone still works.
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: viewer.headers })).json().data.kind).toBe('user');
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: keyHeaders })).json().data.kind).toBe('api_key');
    });

    it('Basic on a resource route is a 401 that challenges Bearer; on the token endpoint Basic', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const k = await t.apiKey('acme', 'viewer');
      const res = await t.app.inject({
        url: '/api/v1/tenants/acme',
        headers: { authorization: basic(k.clientId, k.secretKey) },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('Authorization header must be "Bearer <token>"');
      // RFC 6750 §3.1: no error code when the client used a scheme the route does not take.
      expect(res.headers['www-authenticate']).toBe('Bearer realm="infracast"');
      const malformed = await t.app.inject({ url: '/api/v1/tenants/acme', headers: { authorization: 'Bearer a b' } });
      expect(malformed.statusCode).toBe(401);
      expect(malformed.headers['www-authenticate']).toBe('Bearer realm="infracast", error="invalid_token"');

      const token = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { authorization: basic(k.clientId, `${k.secretKey}x`) },
        payload: { grant_type: 'client_credentials' },
      });
      expect(token.statusCode).toBe(401);
      expect(token.headers['www-authenticate']).toBe('Basic realm="infracast", charset="UTF-8"');
    });
  });
}
