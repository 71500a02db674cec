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
  // The first schema of this process is migrated by the migrator (its statements recorded); the
  // next ones replay those statements in one round trip, which is what they would have run.
  const migrated = opts.migrate !== false && (await replayMigrations(schema));
  const options = { dialect, url: TEST_PG_URL, sqlitePath: null, pgSchema: schema };
  const database = await openDatabase({ ...options, pgPoolSize: 5 });
  if (opts.migrate !== false && !migrated) await recordMigrations(database, schema);
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

const DDL = /^\s*(create|alter|drop|comment)\b/i;

/** What migrating an empty schema ran, with the schema's name where it appears, once per process. */
let recorded: { schema: string; statements: string[] } | null = null;

async function recordMigrations(database: Database, schema: string) {
  const statements: string[] = [];
  const query = pg.Client.prototype.query;
  // Every statement the migrator sends, parameters inlined (they are names and timestamps).
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [text, values] = args;
    const sqlText = typeof text === 'string' ? text : (text as { text?: string })?.text;
    const params = Array.isArray(values) ? values : ((text as { values?: unknown[] })?.values ?? []);
    // Migrations are DDL only; the migrator's bookkeeping writes to its two tables.
    if (typeof sqlText === 'string' && (DDL.test(sqlText) || sqlText.includes('"infracast_migrations')))
      if (!/^\s*select\b/i.test(sqlText)) statements.push(inlineParameters(sqlText, params));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await mustMigrate(database);
  } finally {
    pg.Client.prototype.query = query;
  }
  recorded ??= { schema, statements };
}

async function replayMigrations(schema: string): Promise<boolean> {
  if (!recorded || !TEST_PG_URL) return false;
  const quoted = new RegExp(`"${recorded.schema}"`, 'g');
  const bare = new RegExp(`\\b${recorded.schema}\\b`, 'g');
  const text = recorded.statements.map((s) => s.replace(quoted, `"${schema}"`).replace(bare, schema)).join(';\n');
  const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query(`begin;\n${text};\ncommit`);
  } finally {
    await client.end();
  }
  return true;
}

function inlineParameters(text: string, params: unknown[]): string {
  if (params.length === 0) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = params[Number(n) - 1];
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    const str = v instanceof Date ? v.toISOString() : String(v);
    return `'${str.replace(/'/g, "''")}'`;
  });
}
