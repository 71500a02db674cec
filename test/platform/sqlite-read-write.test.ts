/**
 * SQLite's two connections (src/platform/db/sqlite-driver.ts): reads outside transactions take the
 * read-only connection and go on while a write holds the writer, here or in another thread; writes
 * wait their turn, asynchronously; a transaction reads what it wrote, others see it once committed.
 */
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../src/platform/db/index.ts';
import { createTestApp } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/db.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fresh() {
  const t = await freshDatabase('sqlite', { migrate: false });
  onTestFinished(() => t.dispose());
  await sql`create table items (id integer primary key, v text not null)`.execute(t.database.db);
  return t;
}

describe('sqlite reader and writer', () => {
  it('reads go on while another connection holds a write transaction; writes wait for exclusiveWrites, asynchronously', async () => {
    const t = await fresh();
    const { db } = t.database;
    await sql`insert into items (v) values ('before')`.execute(db);

    // Another connection (the ingest thread's, in the server) in the middle of a long write.
    const other = new SQLite(t.options.sqlitePath as string);
    other.pragma('busy_timeout = 5000');
    other.exec("begin immediate; insert into items (v) values ('uncommitted')");
    let released = false;
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = t.database.exclusiveWrites(async () => {
      entered();
      await sleep(400);
      other.exec('commit');
      other.close();
      released = true;
    });

    await holding;
    // Reads answer at once, with the last committed state.
    const started = performance.now();
    const rows = await db
      .selectFrom('items' as never)
      .select('v' as never)
      .execute();
    expect(rows).toEqual([{ v: 'before' }]);
    expect(performance.now() - started).toBeLessThan(200);

    // A write waits for the hold to end, without blocking the event loop meanwhile.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    await sql`insert into items (v) values ('after')`.execute(db);
    clearInterval(ticker);
    expect(released).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(5);
    await held;
    const all = await sql<{ v: string }>`select v from items order by id`.execute(db);
    expect(all.rows.map((r) => r.v)).toEqual(['before', 'uncommitted', 'after']);
  });

  it('a transaction reads its own writes; reads outside it see them once it commits; a rollback leaves nothing', async () => {
    const t = await fresh();
    const { db } = t.database;
    const values = async () => (await sql<{ v: string }>`select v from items order by id`.execute(db)).rows;
    await db.transaction().execute(async (tx) => {
      await sql`insert into items (v) values ('a')`.execute(tx);
      expect((await sql<{ v: string }>`select v from items`.execute(tx)).rows).toEqual([{ v: 'a' }]);
      expect(await values()).toEqual([]); // outside: not yet
    });
    expect(await values()).toEqual([{ v: 'a' }]);
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`insert into items (v) values ('b')`.execute(tx);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await values()).toEqual([{ v: 'a' }]);
    // Two transactions at once take the writer one after the other.
    await Promise.all(
      ['c', 'd'].map((v) =>
        db.transaction().execute(async (tx) => {
          const n = (await sql<{ n: number }>`select count(*) as n from items`.execute(tx)).rows[0]?.n as number;
          await sleep(20);
          await sql`insert into items (v) values (${`${v}${n}`})`.execute(tx);
        }),
      ),
    );
    expect((await values()).map((r) => r.v)).toEqual(['a', 'c1', 'd2']);
  });

  it("a request is served while a write holds the writer: an API key's last_used_at is written after it", async () => {
    const t = await createTestApp({ dialect: 'sqlite' });
    await t.createTenant('acme');
    const key = await t.apiKey('acme', 'viewer');
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = t.db.database.exclusiveWrites(async () => {
      entered();
      await sleep(1500);
    });
    await holding;
    const started = performance.now();
    const res = await t.app.inject({ url: '/api/v1/tenants/acme', headers: key.headers });
    expect(res.statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    await held;
    await sleep(50);
    const row = await t.db.database.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('client_id', '=', key.clientId)
      .executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();
  });

  it('an in-memory database has one connection: reads and writes share it', async () => {
    const memory = await openDatabase({ dialect: 'sqlite', url: 'sqlite::memory:', sqlitePath: ':memory:' });
    onTestFinished(() => memory.close());
    await sql`create table items (v text)`.execute(memory.db);
    await sql`insert into items values ('x')`.execute(memory.db);
    expect((await sql<{ v: string }>`select v from items`.execute(memory.db)).rows).toEqual([{ v: 'x' }]);
  });
});
