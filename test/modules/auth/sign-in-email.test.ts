/** Sign-in normalises the email exactly as adding a member does: trimmed and lower-cased. */
import { describe, expect, it } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

const form = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

let client = 0;
const signIn = (t: TestApp, payload: Record<string, string>, as: 'json' | 'form' = 'json') =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    // Each from its own address: the per-IP sign-in limit is not what this tests.
    remoteAddress: `10.1.${Math.floor(++client / 250)}.${client % 250}`,
    ...(as === 'json'
      ? { payload }
      : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(payload) }),
  });

for (const dialect of testDialects()) {
  describe(`${dialect}: sign-in email`, () => {
    it('spaces around the email and its case do not matter, as email or username, JSON or form', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.userWithRole('acme', 'viewer', 'viewer@ent.io');
      for (const as of ['json', 'form'] as const) {
        for (const name of [' viewer@ent.io ', '\tViewer@Ent.IO\n', 'VIEWER@ENT.IO  ']) {
          for (const field of ['email', 'username']) {
            const res = await signIn(t, { grant_type: 'password', [field]: name, password: TEST_PASSWORD }, as);
            expect(res.statusCode, `${as} ${field} ${JSON.stringify(name)}: ${res.body}`).toBe(200);
          }
        }
        // Both names given, alike once normalised: one name, not two.
        const both = await signIn(
          t,
          { grant_type: 'password', email: ' viewer@ent.io', username: 'Viewer@ent.io ', password: TEST_PASSWORD },
          as,
        );
        expect(both.statusCode, both.body).toBe(200);
      }
      // Still one answer for a wrong password, and blanks are a missing email.
      const wrong = await signIn(t, { grant_type: 'password', email: ' viewer@ent.io ', password: 'not the password' });
      expect(wrong.statusCode).toBe(401);
      const blank = await signIn(t, { grant_type: 'password', email: '   ', password: TEST_PASSWORD });
      expect(blank.statusCode).toBe(400);
      expect(blank.json().error.details).toEqual([{ path: 'body.email', message: 'is required' }]);
    });

    it('a member added as "Dev@Acme.IO" signs in as " dev@acme.io "', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const added = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: t.admin.headers,
        payload: { email: 'Dev@Acme.IO', role: 'viewer' },
      });
      expect(added.statusCode, added.body).toBe(201);
      const { email, initial_password } = added.json().data;
      expect(email).toBe('dev@acme.io');
      const res = await signIn(t, { grant_type: 'password', email: ' dev@acme.io ', password: initial_password });
      expect(res.statusCode, res.body).toBe(200);
    });
  });
}
