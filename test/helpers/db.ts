/**
 * A fresh, migrated database per test: a new SQLite file in a temp directory,
 * or a new schema in the test PostgreSQL database. Dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseDialect } from '../../src/platform/config.ts';
import { type Database, openDatabase } from '../../src/platform/db/index.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { TEST_PG_URL } from './env.ts';

export interface TestDatabase {
  database: Database;
  /** Connection settings that open the same database again (for child processes, second instances). */
  options: { dialect: DatabaseDialect; url: string; sqlitePath: string | null; pgSchema?: string };
  /** Environment variables that point a child process at this database. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function freshDatabase(dialect: DatabaseDialect, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'infracast-test-'));
    const sqlitePath = join(dir, 'test.db');
    const options = { dialect, url: `sqlite:${sqlitePath}`, sqlitePath };
    const database = await openDatabase(options);
    if (opts.migrate !== false) await mustMigrate(database);
    return {
      database,
      options,
      env: { INFRACAST_DATABASE_URL: `sqlite:${sqlitePath}`, INFRACAST_DATA_DIR: dir },
      async dispose() {
        await database.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!TEST_PG_URL) throw new Error('INFRACAST_TEST_DATABASE_URL is not set');
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const options = { dialect, url: TEST_PG_URL, sqlitePath: null, pgSchema: schema };
  const database = await openDatabase({ ...options, pgPoolSize: 5 });
  if (opts.migrate !== false) await mustMigrate(database);
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dir = mkdtempSync(join(tmpdir(), 'infracast-test-'));
  return {
    database,
    options,
    env: { INFRACAST_DATABASE_URL: url.toString(), INFRACAST_DATA_DIR: dir },
    async dispose() {
      await database.close().catch(() => {});
      const c = new pg.Client({ connectionString: TEST_PG_URL ?? undefined });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function mustMigrate(database: Database) {
  const { error } = await migrateToLatest(database.db, database.schema);
  if (error) throw error;
}
