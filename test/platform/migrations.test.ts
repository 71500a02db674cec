import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.ts';
import type { Database } from '../../src/platform/db/index.ts';
import { migrateToLatest, pendingMigrations, unknownMigrations } from '../../src/platform/db/migrate.ts';
import { freshDatabase } from '../helpers/db.ts';
import { postgresAvailable, testDialects } from '../helpers/env.ts';

async function tableNames(database: Database): Promise<string[]> {
  const tables = await database.db.introspection.getTables();
  return tables
    .filter((t) => database.schema === null || t.schema === database.schema)
    .map((t) => t.name)
    .sort();
}

for (const dialect of testDialects()) {
  describe(`${dialect}: migrations`, () => {
    it('apply every migration once; applying again is a no-op', async () => {
      const t = await freshDatabase(dialect, { migrate: false });
      try {
        const first = await migrateToLatest(t.database.db, t.database.schema);
        expect(first.error).toBeNull();
        expect(first.applied).toEqual(Object.keys(migrations));
        const before = await tableNames(t.database);
        expect(before).toEqual(
          expect.arrayContaining(['tenants', 'users', 'nodes', 'edges', 'jobs', 'tagging_policies']),
        );

        const second = await migrateToLatest(t.database.db, t.database.schema);
        expect(second).toEqual({ applied: [], error: null });
        expect(await tableNames(t.database)).toEqual(before);
        expect(await pendingMigrations(t.database.db, t.database.schema)).toEqual([]);
      } finally {
        await t.dispose();
      }
    });

    it('a failing migration leaves the database exactly as it was', async () => {
      const t = await freshDatabase(dialect, { migrate: false });
      try {
        const broken = {
          ...migrations,
          '2099_01_01_0001_broken': {
            async up(db: Parameters<NonNullable<(typeof migrations)[string]['up']>>[0]) {
              await db.schema.createTable('half_done').addColumn('id', 'text').execute();
              await sql`select * from table_that_does_not_exist`.execute(db);
            },
          },
        };
        const result = await migrateToLatest(t.database.db, t.database.schema, broken);
        expect(result.applied).toEqual([]);
        expect(result.error?.message).toMatch(/^migration 2099_01_01_0001_broken failed: /);
        const left = (await tableNames(t.database)).filter((n) => !n.startsWith('infracast_migrations'));
        expect(left).toEqual([]);
        // And the good migrations still apply afterwards.
        expect((await migrateToLatest(t.database.db, t.database.schema)).error).toBeNull();
      } finally {
        await t.dispose();
      }
    });
  });

  describe(`${dialect}: a database migrated by a newer version`, () => {
    it('is named as such; nothing is applied (no "corrupted migrations", no "up to date")', async () => {
      const t = await freshDatabase(dialect);
      try {
        expect(await unknownMigrations(t.database.db, t.database.schema)).toEqual([]);
        const db = t.database.schema ? t.database.db.withSchema(t.database.schema) : t.database.db;
        await db
          .insertInto('infracast_migrations' as never)
          .values({ name: '2099_12_31_0099_future', timestamp: new Date().toISOString() } as never)
          .execute();
        expect(await unknownMigrations(t.database.db, t.database.schema)).toEqual(['2099_12_31_0099_future']);
        const result = await migrateToLatest(t.database.db, t.database.schema);
        expect(result.applied).toEqual([]);
        expect(result.error?.message).toBe(
          'the database was migrated by a newer version of Infracast: it has applied 2099_12_31_0099_future, ' +
            'which this version does not know; run that version (or a newer one) against it',
        );
      } finally {
        await t.dispose();
      }
    });

    it('an empty database has none', async () => {
      const t = await freshDatabase(dialect, { migrate: false });
      try {
        expect(await unknownMigrations(t.database.db, t.database.schema)).toEqual([]);
      } finally {
        await t.dispose();
      }
    });
  });

  if (dialect === 'postgres') {
    describe('postgres: migrations look at their own schema only', () => {
      it('ignore other schemas, even ones created and dropped while migrating', async () => {
        const other = await freshDatabase(dialect);
        const t = await freshDatabase(dialect, { migrate: false });
        let churning = true;
        // Another tenant of the same database creating and dropping schemas,
        // as the test suite's other worker does.
        const churn = (async () => {
          let i = 0;
          while (churning) {
            const name = `churn_${Date.now().toString(36)}_${i++}`;
            await sql
              .raw(`create schema ${name}; create table ${name}.x (id int); drop schema ${name} cascade`)
              .execute(other.database.db);
          }
        })();
        try {
          for (let round = 0; round < 3; round++) {
            const result = await migrateToLatest(t.database.db, t.database.schema);
            expect(result.error).toBeNull();
          }
          const tables = await t.database.db.introspection.getTables();
          expect(new Set(tables.map((x) => x.schema))).toEqual(new Set([t.database.schema]));
        } finally {
          churning = false;
          await churn;
          await t.dispose();
          await other.dispose();
        }
      });
    });
  }
}

describe.skipIf(!postgresAvailable())('postgres: test schemas', () => {
  // test/helpers/db.ts migrates the first schema of a process and replays the recorded statements for the
  // next ones: the replay must build exactly what the migrator builds.
  it('a replayed schema is the migrated one: tables, columns, indexes, constraints, migration rows', async () => {
    const first = await freshDatabase('postgres');
    const second = await freshDatabase('postgres');
    const third = await freshDatabase('postgres');
    const catalog = async (d: Database) => {
      const q = (text: string) =>
        sql
          .raw<Record<string, unknown>>(text.replaceAll('$schema', `'${d.schema}'`))
          .execute(d.db)
          .then((r) => r.rows);
      return {
        columns: await q(
          `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
           where table_schema = $schema order by table_name, column_name`,
        ),
        indexes: await q(
          `select indexname, replace(indexdef, $schema || '.', '') as def from pg_indexes where schemaname = $schema order by indexname`,
        ),
        constraints: await q(
          `select conname, pg_get_constraintdef(c.oid) as def from pg_constraint c join pg_namespace n on n.oid = c.connamespace
           where n.nspname = $schema order by conname`,
        ),
        migrations: await q('select name from infracast_migrations order by name'),
      };
    };
    try {
      const [a, b, c] = [await catalog(first.database), await catalog(second.database), await catalog(third.database)];
      expect(a.columns.length).toBeGreaterThan(50);
      expect(a.migrations.map((m) => m.name)).toEqual(Object.keys(migrations).sort());
      // Whichever of them the migrator built, the others are the same.
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect(await pendingMigrations(second.database.db, second.database.schema)).toEqual([]);
    } finally {
      await Promise.all([first.dispose(), second.dispose(), third.dispose()]);
    }
  });
});
