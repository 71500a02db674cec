import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.ts';
import { testDialects } from '../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: the first admin`, () => {
    it('instances started together on an empty database create it once; the others start without error', async () => {
      const t = await createTestApp({ dialect });
      // createTestApp seeds a platform admin: start from an empty database, as a new deployment does.
      await t.db.database.db.deleteFrom('audit_log').execute();
      await t.db.database.db.deleteFrom('users').execute();
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => t.services.auth.bootstrapAdmin({ email: 'root@example.com', password: null })),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const created = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({ email: 'root@example.com', generated: true });
      const users = await t.db.database.db.selectFrom('users').select(['email', 'is_platform_admin']).execute();
      expect(users).toEqual([{ email: 'root@example.com', is_platform_admin: 1 }]);
    });
  });
}
