/**
 * A request that loses to a concurrent change in the database (SQLite busy
 * past its timeout because another process holds the write lock; a
 * PostgreSQL deadlock or serialization failure) is a 503 the client can
 * retry, with Retry-After, and nothing of it is written: not a 500.
 */
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { toAppError } from '../../src/platform/http/conventions.ts';
import { createTestApp } from '../helpers/app.ts';
import { postgresAvailable, TEST_PG_URL } from '../helpers/env.ts';

describe('database contention', () => {
  it('sqlite: another process holding the write lock past the busy timeout: 503 with Retry-After, nothing written', async () => {
    const t = await createTestApp({ dialect: 'sqlite' });
    await t.createTenant('acme');
    const editor = await t.userWithRole('acme', 'editor');
    // The server's connection waits 50 ms instead of 5 s (better-sqlite3 waits synchronously).
    await sql`pragma busy_timeout = 50`.execute(t.services.db);
    const other = new SQLite(t.db.options.sqlitePath as string);
    try {
      other.exec('begin immediate');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers: editor.headers,
        payload: { provider: 'aws', region: 'us-east-1', type: 'aws.ec2.test', name: 'web' },
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json().error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retry_after: 1 });
      other.exec('rollback');
    } finally {
      other.close();
    }
    const list = await t.app.inject({ url: '/api/v1/tenants/acme/nodes', headers: editor.headers });
    expect(list.json().meta.total).toBe(0);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/nodes',
      headers: editor.headers,
      payload: { provider: 'aws', region: 'us-east-1', type: 'aws.ec2.test', name: 'web' },
    });
    expect(again.statusCode, again.body).toBe(201);
  });

  it.skipIf(!postgresAvailable())('postgres: a deadlock victim is a 503 with Retry-After', async () => {
    const schema = `contention_${Math.random().toString(36).slice(2, 10)}`;
    const clients = [0, 1, 2].map(() => new pg.Client({ connectionString: TEST_PG_URL as string }));
    await Promise.all(clients.map((c) => c.connect()));
    const [admin, a, b] = clients as [pg.Client, pg.Client, pg.Client];
    try {
      await admin.query(`create schema ${schema}; create table ${schema}.r (id int primary key, v int)`);
      await admin.query(`insert into ${schema}.r values (1, 0), (2, 0)`);
      await a.query('begin');
      await b.query('begin');
      await a.query(`update ${schema}.r set v = 1 where id = 1`);
      await b.query(`update ${schema}.r set v = 1 where id = 2`);
      // Each now waits for the other: PostgreSQL aborts one of them (deadlock_detected).
      const results = await Promise.allSettled([
        a.query(`update ${schema}.r set v = 2 where id = 2`),
        b.query(`update ${schema}.r set v = 2 where id = 1`),
      ]);
      const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((failure.reason as { code?: string }).code).toBe('40P01');
      const error = toAppError(failure.reason, 1024);
      expect(error.status).toBe(503);
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.headers['retry-after']).toBe('1');
      await a.query('rollback');
      await b.query('rollback');
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
