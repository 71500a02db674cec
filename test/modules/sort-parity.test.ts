/**
 * Sorting answers alike on SQLite and PostgreSQL: NULLs last ascending and first descending (the
 * dialects' defaults differ), text in code-point order.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.ts';
import { testDialects } from '../helpers/env.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: sort order`, () => {
    it('jobs by finished_at: unfinished (null) jobs last ascending, first descending', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const h = t.admin.headers;
      const create = async (name: string) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/tenants/acme/jobs',
            headers: h,
            payload: { name, source: 'terraform_state', input: { version: 4, resources: [] } },
          })
        ).json().data.id as string;
      const done = await create('done');
      await create('pending');
      const cancel = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${done}/cancel`,
        headers: h,
      });
      expect(cancel.statusCode).toBe(200);
      const names = async (sort: string) =>
        (await t.app.inject({ url: `/api/v1/tenants/acme/jobs?sort=${sort}`, headers: h }))
          .json()
          .data.map((j: { name: string }) => j.name);
      expect(await names('finished_at')).toEqual(['done', 'pending']);
      expect(await names('-finished_at')).toEqual(['pending', 'done']);
    });

    it('nodes by name: code-point order (punctuation, digits, upper case, lower case, then other letters)', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      // As a database created with a language's collation (the official image's en_US.utf8, ICU) would sort.
      if (dialect === 'postgres') {
        await sql`alter table nodes alter column name type text collate "en-US-x-icu"`.execute(t.services.db);
      }
      const names = ['b', 'B', '#hash', '[bracket]', 'a', 'École', '10', '&amp', 'Z'];
      for (const name of names) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: t.admin.headers,
          payload: { provider: 'aws', type: 'aws.x.y', region: 'global', name },
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      const listed = (await t.app.inject({ url: '/api/v1/tenants/acme/nodes?sort=name', headers: t.admin.headers }))
        .json()
        .data.map((n: { name: string }) => n.name);
      expect(listed).toEqual([...names].sort());
    });
  });
}
