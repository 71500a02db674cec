/**
 * SQLite specifics: new databases get 8 KB pages, the server connection leaves
 * checkpoints to a background thread, and job inputs kept in files are swept once no job will read them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase, SQLITE_PAGE_SIZE } from '../../src/platform/db/index.ts';
import { startSqliteCheckpointer } from '../../src/platform/db/sqlite-checkpointer.ts';
import { fileInputStore } from '../../src/platform/jobs/inputs.ts';
import { freshDatabase } from '../helpers/db.ts';

describe('sqlite storage', () => {
  it('creates databases with 8 KB pages; opens one made with another page size as it is', async () => {
    const t = await freshDatabase('sqlite');
    onTestFinished(() => t.dispose());
    const size = await sql<{ page_size: number }>`pragma page_size`.execute(t.database.db);
    expect(size.rows[0]?.page_size).toBe(SQLITE_PAGE_SIZE);
    expect(SQLITE_PAGE_SIZE).toBe(8192);

    // A database of an earlier version, with SQLite's default 4 KB pages and a table in it.
    const dir = mkdtempSync(join(tmpdir(), 'infracast-pages-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'old.db');
    const old = new SQLite(path);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.exec("create table kept (v text); insert into kept values ('x')");
    old.close();
    const reopened = await openDatabase({ dialect: 'sqlite', url: `sqlite:${path}`, sqlitePath: path });
    onTestFinished(() => reopened.close());
    const kept = await sql<{ page_size: number }>`pragma page_size`.execute(reopened.db);
    expect(kept.rows[0]?.page_size).toBe(4096);
    expect((await sql<{ v: string }>`select v from kept`.execute(reopened.db)).rows).toEqual([{ v: 'x' }]);
  });

  it('the server connection never checkpoints; the checkpointer thread copies the whole log', async () => {
    const t = await freshDatabase('sqlite');
    onTestFinished(() => t.dispose());
    const { db, file } = t.database;
    const auto = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    expect(auto.rows[0]?.wal_autocheckpoint).toBe(0);
    await sql`create table filler (v text)`.execute(db);
    for (let i = 0; i < 50; i++) await sql`insert into filler values (${'x'.repeat(100_000)})`.execute(db);
    const checkpointer = startSqliteCheckpointer(file as string, { intervalMs: 60_000 });
    onTestFinished(() => checkpointer.stop());
    const state = await checkpointer.checkpoint();
    // 5 MB written: the log holds at least that many bytes of pages.
    expect((state?.log ?? 0) * SQLITE_PAGE_SIZE).toBeGreaterThan(5_000_000);
    expect(state?.checkpointed).toBe(state?.log);
  });

  it('sweeps inputs of finished and deleted jobs and old orphans, keeps those of live jobs', async () => {
    const t = await freshDatabase('sqlite');
    onTestFinished(() => t.dispose());
    const { db, file } = t.database;
    const dir = join(dirname(file as string), 'job-inputs');
    mkdirSync(dir, { recursive: true });
    const now = new Date().toISOString();
    await db
      .insertInto('tenants')
      .values({ id: 'ten_1', slug: 'acme', name: 'Acme', plan: 'free', created_at: now, updated_at: now } as never)
      .execute();
    const job = (id: string, status: string) =>
      db
        .insertInto('jobs')
        .values({
          id,
          tenant_id: 'ten_1',
          kind: 'discovery',
          name: id,
          source: 'terraform_state',
          status,
          progress: 0,
          counts: '{}',
          attempts: 0,
          cancel_requested: 0,
          created_at: now,
          updated_at: now,
        } as never)
        .execute();
    await job('job_live', 'queued');
    await job('job_done', 'succeeded');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    const put = (name: string, old = false) => {
      writeFileSync(join(dir, name), '{}');
      if (old) utimesSync(join(dir, name), hourAgo, hourAgo);
    };
    put('job_live.json', true);
    put('job_done.json');
    put('job_gone.json', true); // its tenant was deleted with it
    put('job_new.json'); // being created right now: its row is not committed yet
    put('job_cut.json.partial', true);
    const removed = await fileInputStore(dir).sweep(db);
    expect(removed).toBe(3);
    expect(existsSync(join(dir, 'job_live.json'))).toBe(true);
    expect(existsSync(join(dir, 'job_new.json'))).toBe(true);
    for (const gone of ['job_done.json', 'job_gone.json', 'job_cut.json.partial'])
      expect(existsSync(join(dir, gone))).toBe(false);
  });
});
