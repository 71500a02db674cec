/**
 * Bulk loading on PostgreSQL: a transaction that Kysely and `COPY … FROM
 * STDIN` share. Kysely hides its connection, so the transaction runs on a
 * client taken from the pool here, seen by Kysely as a pool of one; COPY
 * streams on the same client, inside the same transaction.
 */
import { pipeline } from 'node:stream/promises';
import { Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Tx } from './index.ts';
import { SchemaScopedPostgresDialect } from './pg-introspector.ts';
import type { DB } from './schema.ts';

/** Streams text in COPY's text format (tab-separated, `\N` for null) into `table (columns)`. */
export type CopyIn = (table: string, columns: string, text: string) => Promise<void>;

/** Runs `fn` in one transaction; `copy` is null where the transaction cannot COPY (SQLite). */
export type BulkTransaction = <T>(fn: (tx: Tx, copy: CopyIn | null) => Promise<T>) => Promise<T>;

export function createBulkTransaction(pool: pg.Pool, schema: string): BulkTransaction {
  return async (fn) => {
    const client = await pool.connect();
    // Kysely releases its connection after the transaction; the client goes back to the pool here instead.
    const lease = new Proxy(client, {
      get(target, prop) {
        if (prop === 'release') return () => {};
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const single = { connect: async () => lease, end: async () => {} } as unknown as pg.Pool;
    const db = new Kysely<DB>({ dialect: new SchemaScopedPostgresDialect({ pool: single }, schema) });
    const copy: CopyIn = async (table, columns, text) => {
      if (text.length === 0) return;
      await pipeline(
        (function* () {
          yield text;
        })(),
        client.query(copyFrom(`copy ${table} (${columns}) from stdin`)),
      );
    };
    let broken: Error | undefined;
    try {
      return await db.transaction().execute((tx) => fn(tx, copy));
    } catch (e) {
      // A COPY cut off half-way leaves the connection in an unknown state: don't pool it.
      if ((e as { code?: string }).code === undefined) broken = e as Error;
      throw e;
    } finally {
      client.release(broken);
    }
  };
}
