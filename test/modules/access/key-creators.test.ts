/**
 * An API key acts with its creator's authority: removing the creator from the
 * tenant revokes the keys they made there (and the keys those keys made);
 * lowering the creator's role lowers their keys above it. Both take effect at
 * once for a key already in the key cache, here and (PostgreSQL) on another
 * instance. Keys of platform admins and of the operator (no creator) stay.
 * Only owners revoke owner keys, as only owners remove owners.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../../src/platform/db/index.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { postgresAvailable, testDialects } from '../../helpers/env.ts';

type Headers = Record<string, string>;

async function createKey(t: TestApp, headers: Headers, role: string, description = `${role} key`) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/tenants/acme/tokens',
    headers,
    payload: { description, role, never_expires: true },
  });
  expect(res.statusCode, res.body).toBe(201);
  const k = res.json().data as { id: string; client_id: string; secret_key: string; token: string; role: string };
  return { ...k, headers: { authorization: `Bearer ${k.token}` } as Headers };
}

/** An access token minted by client_credentials for the key. */
async function keyJwt(t: TestApp, k: { client_id: string; secret_key: string }): Promise<Headers> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: k.client_id, client_secret: k.secret_key },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { authorization: `Bearer ${res.json().data.access_token}` };
}

const getTenant = (t: TestApp, headers: Headers) => t.app.inject({ url: '/api/v1/tenants/acme', headers });
const listKeys = (t: TestApp, headers: Headers) => t.app.inject({ url: '/api/v1/tenants/acme/tokens', headers });

async function keyAudit(t: TestApp, action: string) {
  const res = await t.app.inject({
    url: `/api/v1/tenants/acme/audit-log?action=${action}&per_page=100`,
    headers: t.admin.headers,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as { action: string; target_id: string; actor_id: string; summary: Record<string, unknown> }[];
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: API keys follow their creator's membership`, () => {
    it("removing a member revokes the keys they made (and their keys' keys) at once, even cached ones", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const owner = await t.userWithRole('acme', 'owner');
      const admin = await t.userWithRole('acme', 'admin', 'leaver@test.local');
      const mine = await createKey(t, admin.headers, 'admin');
      const minted = await keyJwt(t, mine);
      // A key made by that key: it too acts with the leaver's authority.
      const child = await createKey(t, mine.headers, 'editor');
      const colleague = await t.userWithRole('acme', 'admin');
      const theirs = await createKey(t, colleague.headers, 'admin');
      const byPlatformAdmin = await createKey(t, t.admin.headers, 'owner');
      const byOperator = await t.apiKey('acme', 'admin');
      // Every key is verified once, so it sits in the key cache.
      for (const h of [
        mine.headers,
        minted,
        child.headers,
        theirs.headers,
        byPlatformAdmin.headers,
        byOperator.headers,
      ]) {
        expect((await getTenant(t, h)).statusCode).toBe(200);
      }

      const removed = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${admin.userId}`,
        headers: owner.headers,
      });
      expect(removed.statusCode).toBe(204);

      for (const [k, headers] of [
        [mine, mine.headers],
        [mine, minted],
        [child, child.headers],
      ] as const) {
        const res = await getTenant(t, headers);
        expect(res.statusCode).toBe(401);
        expect(res.json().error.message).toMatch(new RegExp(`^API key ${k.client_id} was revoked at `));
      }
      // The removed member can't be brought back with their old key.
      const readd = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/members',
        headers: mine.headers,
        payload: { email: 'leaver@test.local', role: 'admin' },
      });
      expect(readd.statusCode).toBe(401);
      for (const h of [theirs.headers, byPlatformAdmin.headers, byOperator.headers]) {
        expect((await getTenant(t, h)).statusCode).toBe(200);
      }

      const keys = (await listKeys(t, owner.headers)).json().data as { id: string; status: string }[];
      const status = Object.fromEntries(keys.map((k) => [k.id, k.status]));
      expect(status).toEqual({
        [mine.id]: 'revoked',
        [child.id]: 'revoked',
        [theirs.id]: 'active',
        [byPlatformAdmin.id]: 'active',
        [byOperator.id]: 'active',
      });
      const revoked = await keyAudit(t, 'api_key.revoked');
      expect(revoked.map((e) => e.target_id).sort()).toEqual([mine.id, child.id].sort());
      for (const e of revoked) {
        expect(e.actor_id).toBe(owner.userId);
        expect(e.summary).toMatchObject({ reason: 'creator removed from tenant' });
      }

      // A platform admin keeps owner rights without a membership: their keys stay when it goes.
      const removeAdmin = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${t.admin.userId}`,
        headers: owner.headers,
      });
      expect(removeAdmin.statusCode).toBe(204);
      expect((await getTenant(t, byPlatformAdmin.headers)).statusCode).toBe(200);
      // The last owner can't leave: the 409 leaves their keys as they were.
      const ownersKey = await createKey(t, owner.headers, 'owner');
      const removeLast = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/members/${owner.userId}`,
        headers: owner.headers,
      });
      expect(removeLast.statusCode).toBe(409);
      expect((await listKeys(t, ownersKey.headers)).statusCode).toBe(200);
      expect((await keyAudit(t, 'api_key.revoked')).length).toBe(2);
    });

    it("lowering a member's role lowers their keys above it, at once; keys at or below it stay", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const owner = await t.userWithRole('acme', 'owner');
      const admin = await t.userWithRole('acme', 'admin');
      const adminKey = await createKey(t, admin.headers, 'admin');
      const editorKey = await createKey(t, admin.headers, 'editor');
      const viewerKey = await createKey(t, admin.headers, 'viewer');
      const minted = await keyJwt(t, adminKey);
      expect((await listKeys(t, adminKey.headers)).statusCode).toBe(200);
      expect((await listKeys(t, minted)).statusCode).toBe(200);

      const demote = (role: string) =>
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/tenants/acme/members/${admin.userId}`,
          headers: owner.headers,
          payload: { role },
        });
      expect((await demote('editor')).statusCode).toBe(200);
      // The cached key and the token minted from it now act as editors.
      for (const h of [adminKey.headers, minted]) {
        const res = await listKeys(t, h);
        expect(res.statusCode).toBe(403);
        expect(res.json().error.message).toBe('This needs the admin role or higher in tenant acme; you have editor');
        expect((await getTenant(t, h)).statusCode).toBe(200);
      }
      const roles = async () =>
        Object.fromEntries(
          ((await listKeys(t, owner.headers)).json().data as { id: string; role: string }[]).map((k) => [k.id, k.role]),
        );
      expect(await roles()).toEqual({ [adminKey.id]: 'editor', [editorKey.id]: 'editor', [viewerKey.id]: 'viewer' });
      const changes = await keyAudit(t, 'api_key.role_changed');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({
        target_id: adminKey.id,
        actor_id: owner.userId,
        summary: {
          client_id: adminKey.client_id,
          from: 'admin',
          to: 'editor',
          reason: "creator's role changed to editor",
        },
      });

      expect((await demote('viewer')).statusCode).toBe(200);
      expect(await roles()).toEqual({ [adminKey.id]: 'viewer', [editorKey.id]: 'viewer', [viewerKey.id]: 'viewer' });
      // Raising the member again gives the keys nothing back.
      expect((await demote('admin')).statusCode).toBe(200);
      expect(await roles()).toEqual({ [adminKey.id]: 'viewer', [editorKey.id]: 'viewer', [viewerKey.id]: 'viewer' });
    });
  });

  describe(`${dialect}: only owners revoke owner keys`, () => {
    it('an admin gets a 403 revoking an owner key; owners and platform admins can', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const admin = await t.userWithRole('acme', 'admin');
      const owner = await t.userWithRole('acme', 'owner');
      const ownerKeys = [await t.apiKey('acme', 'owner'), await t.apiKey('acme', 'owner')];
      const adminKey = await t.apiKey('acme', 'admin');
      const revoke = (id: string, headers: Headers) =>
        t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/tokens/${id}`, headers });

      for (const headers of [admin.headers, adminKey.headers]) {
        const res = await revoke(ownerKeys[0]!.id, headers);
        expect(res.statusCode).toBe(403);
        expect(res.json().error).toMatchObject({ code: 'FORBIDDEN', message: 'Only owners can revoke owner keys' });
      }
      expect((await getTenant(t, ownerKeys[0]!.headers)).statusCode).toBe(200);
      expect(await keyAudit(t, 'api_key.revoked')).toEqual([]);

      expect((await revoke(ownerKeys[0]!.id, owner.headers)).statusCode).toBe(204);
      expect((await revoke(ownerKeys[1]!.id, t.admin.headers)).statusCode).toBe(204);
      // Admins still revoke keys up to their own role.
      expect((await revoke(adminKey.id, admin.headers)).statusCode).toBe(204);
      for (const k of [...ownerKeys, adminKey]) expect((await getTenant(t, k.headers)).statusCode).toBe(401);
    });
  });
}

describe.skipIf(!postgresAvailable())('postgres: a removed creator’s key is refused by another instance', () => {
  it('the revocation reaches the other instance’s key cache when the removal commits', async () => {
    const a = await createTestApp({ dialect: 'postgres' });
    await a.createTenant('acme');
    const owner = await a.userWithRole('acme', 'owner');
    const admin = await a.userWithRole('acme', 'admin');
    const demoted = await a.userWithRole('acme', 'admin');
    const k = await createKey(a, admin.headers, 'admin');
    const d = await createKey(a, demoted.headers, 'admin');
    const second = await openDatabase({ ...a.db.options, pgPoolSize: 2 });
    onTestFinished(() => second.close());
    const b = await createTestApp({ db: { ...a.db, database: second } });
    await eventually(async () => second.invalidations.live);
    expect((await getTenant(b, k.headers)).statusCode).toBe(200);
    expect((await listKeys(b, d.headers)).statusCode).toBe(200);

    const removed = await a.app.inject({
      method: 'DELETE',
      url: `/api/v1/tenants/acme/members/${admin.userId}`,
      headers: owner.headers,
    });
    expect(removed.statusCode).toBe(204);
    const lowered = await a.app.inject({
      method: 'PATCH',
      url: `/api/v1/tenants/acme/members/${demoted.userId}`,
      headers: owner.headers,
      payload: { role: 'viewer' },
    });
    expect(lowered.statusCode).toBe(200);
    await eventually(async () => (await getTenant(b, k.headers)).statusCode === 401, 2000);
    await eventually(async () => (await listKeys(b, d.headers)).statusCode === 403, 2000);
    expect((await getTenant(b, d.headers)).statusCode).toBe(200);
  });
});
