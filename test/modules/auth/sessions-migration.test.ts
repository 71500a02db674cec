/**
 * Migration 0008 turns the refresh token families of a running install into sessions: people signed
 * in before the upgrade keep refreshing, a family revoked before stays revoked.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrations } from '../../../migrations/index.ts';
import { generateRefreshToken } from '../../../src/platform/auth/credentials.ts';
import { migrateToLatest } from '../../../src/platform/db/migrate.ts';
import { createTestApp } from '../../helpers/app.ts';
import { freshDatabase } from '../../helpers/db.ts';
import { testDialects } from '../../helpers/env.ts';

const SESSIONS = '2026_12_07_0008_sessions';

for (const dialect of testDialects()) {
  describe(`${dialect}: sessions migration`, () => {
    it('makes a session of each refresh token family; live ones keep working, revoked ones stay revoked', async () => {
      const test = await freshDatabase(dialect, { migrate: false });
      onTestFinished(() => test.dispose());
      const { db, schema } = test.database;
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < SESSIONS));
      expect((await migrateToLatest(db, schema, before)).error).toBeNull();

      await db
        .insertInto('users')
        .values({
          id: 'usr_before',
          email: 'before@x.io',
          name: null,
          password_hash: 'scrypt$1$1$1$x$x',
          is_platform_admin: 0,
          created_at: '2026-12-01T00:00:00.000Z',
          updated_at: '2026-12-01T00:00:00.000Z',
          disabled_at: null,
        })
        .execute();
      const live = generateRefreshToken();
      const revoked = generateRefreshToken();
      const token = (id: string, family: string, hash: string, at: string, extra: object = {}) => ({
        id,
        family_id: family,
        user_id: 'usr_before',
        token_hash: hash,
        created_at: at,
        expires_at: '2099-01-01T00:00:00.000Z',
        used_at: null,
        revoked_at: null,
        ...extra,
      });
      await db
        .insertInto('refresh_tokens')
        .values([
          token('rtk_1', 'rtk_live', generateRefreshToken().hash, '2026-12-01T00:00:00.000Z', {
            used_at: '2026-12-02T00:00:00.000Z',
          }),
          token('rtk_2', 'rtk_live', live.hash, '2026-12-02T00:00:00.000Z'),
          token('rtk_3', 'rtk_gone', revoked.hash, '2026-12-03T00:00:00.000Z', {
            revoked_at: '2026-12-04T00:00:00.000Z',
          }),
        ])
        .execute();

      const upTo = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= SESSIONS));
      expect((await migrateToLatest(db, schema, upTo)).applied).toEqual([SESSIONS]);
      expect(await db.selectFrom('sessions').selectAll().orderBy('id').execute()).toEqual([
        {
          id: 'rtk_gone',
          user_id: 'usr_before',
          created_at: '2026-12-03T00:00:00.000Z',
          revoked_at: '2026-12-04T00:00:00.000Z',
        },
        { id: 'rtk_live', user_id: 'usr_before', created_at: '2026-12-01T00:00:00.000Z', revoked_at: null },
      ]);
      const user = await db.selectFrom('users').select('password_change_required').executeTakeFirstOrThrow();
      expect(user.password_change_required).toBe(0);

      const t = await createTestApp({ dialect, db: test });
      const refresh = (refresh_token: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } });
      const ok = await refresh(live.token);
      expect(ok.statusCode, ok.body).toBe(200);
      const me = await t.app.inject({
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${ok.json().data.access_token}` },
      });
      expect(me.json().data).toMatchObject({ id: 'usr_before', password_change_required: false });
      expect((await refresh(revoked.token)).statusCode).toBe(401);
    });
  });
}
