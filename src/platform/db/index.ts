/**
 * One store interface, two dialects. SQLite (better-sqlite3, WAL) is the
 * embedded default; PostgreSQL (pg pool) is for production and several
 * instances. Everything above this file talks to `Database.db` through Kysely.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseDialect } from '../config.ts';
import { createLocalInvalidations, createPgInvalidations, type Invalidations } from './invalidation.ts';
import { type BulkTransaction, createBulkTransaction } from './pg-bulk.ts';
import { SchemaScopedPostgresDialect } from './pg-introspector.ts';
import type { DB } from './schema.ts';
import { startSqliteCheckpointer } from './sqlite-checkpointer.ts';
import { ReadWriteSqliteDialect, ReadWriteSqliteDriver } from './sqlite-driver.ts';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** A query target that may be the database or an open transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface Database {
  readonly db: Db;
  readonly dialect: DatabaseDialect;
  /** PostgreSQL: the schema tables live in ('public' unless configured); null on SQLite. */
  readonly schema: string | null;
  /** SQLite: the database file (null in memory); null on PostgreSQL. */
  readonly file: string | null;
  /** PostgreSQL: the connection string (worker threads open connections of their own); null on SQLite. */
  readonly url: string | null;
  /** Invalidation of rows other code caches in memory (API keys, tenants); see invalidation.ts. */
  readonly invalidations: Invalidations;
  /** PostgreSQL: a transaction that can also COPY (bulk loads); null on SQLite. */
  readonly bulkTransaction: BulkTransaction | null;
  /**
   * Runs `fn` while the server's own writes wait (SQLite: `fn` writes on another connection, in a thread;
   * without this, a write on the event loop would wait for it in SQLite's busy handler, blocking the loop).
   * Reads go on. PostgreSQL: just runs `fn`.
   */
  exclusiveWrites<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs a trivial query; resolves with its latency in ms or rejects when the database is unreachable. */
  ping(): Promise<number>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dialect: DatabaseDialect;
  url: string;
  sqlitePath: string | null;
  /** PostgreSQL only: the schema to use (tests give each run its own). */
  pgSchema?: string;
  pgPoolSize?: number;
}

export class DatabaseConnectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseConnectError';
  }
}

// int8 (COUNT(*), SUM) comes back from pg as a string by default; our counts fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Page size of new SQLite databases, in bytes. */
export const SQLITE_PAGE_SIZE = 8192;

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.dialect === 'sqlite') {
    const path = opts.sqlitePath ?? ':memory:';
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (e) {
        // A file in the way, no permission, a read-only file system: one line naming what to change.
        throw new DatabaseConnectError(
          `cannot create ${dirname(path)} for the SQLite database (set INFRACAST_DATA_DIR or INFRACAST_DATABASE_URL): ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
    let handle: SQLite.Database;
    try {
      handle = new SQLite(path);
    } catch (e) {
      throw new DatabaseConnectError(`cannot open SQLite database at ${path}: ${(e as Error).message}`, { cause: e });
    }
    // A new database gets 8 KB pages (SQLite's default is 4 KB): bulk ingest ≈ 15% faster (fewer B-tree
    // splits for rows of a few hundred bytes with 30–60 byte text keys), point reads no slower; a one-row
    // commit logs twice the bytes (≈ 8 µs more). Discovery jobs are most of what is written, so bulk wins.
    // It takes effect only before the first table; an existing database keeps its page size (see README).
    handle.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    handle.pragma('foreign_keys = ON');
    handle.pragma('busy_timeout = 5000');
    foldLower(handle);
    // A file database is checkpointed by a background thread, never by a commit on the event loop.
    const checkpointer = path === ':memory:' ? null : startSqliteCheckpointer(path);
    if (checkpointer) handle.pragma('wal_autocheckpoint = 0');
    // Reads outside transactions take a second, read-only connection (see sqlite-driver.ts).
    let reader: SQLite.Database | null = null;
    if (path !== ':memory:') {
      reader = new SQLite(path, { readonly: true, fileMustExist: true });
      // The same settings as the writer, so that a pragma read (which takes the reader) tells the truth.
      for (const setting of [
        'foreign_keys = ON',
        'busy_timeout = 5000',
        ...(checkpointer ? ['wal_autocheckpoint = 0'] : []),
      ]) {
        reader.pragma(setting);
      }
      foldLower(reader);
    }
    const driver = new ReadWriteSqliteDriver(withStatementCache(handle), reader ? withStatementCache(reader) : null);
    const db = new Kysely<DB>({ dialect: new ReadWriteSqliteDialect(driver) });
    return {
      db,
      dialect: 'sqlite',
      schema: null,
      file: path === ':memory:' ? null : path,
      url: null,
      invalidations: createLocalInvalidations(),
      bulkTransaction: null,
      exclusiveWrites: (fn) => driver.exclusiveWrites(fn),
      async ping() {
        const start = performance.now();
        await sql`select 1`.execute(db);
        return performance.now() - start;
      },
      async close() {
        await checkpointer?.stop();
        await db.destroy();
      },
    };
  }

  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.pgPoolSize ?? 10,
    connectionTimeoutMillis: 5000,
    ...(opts.pgSchema ? { options: `-c search_path=${opts.pgSchema}` } : {}),
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new DatabaseConnectError(
      `cannot connect to PostgreSQL at ${redactUrl(opts.url)}: ${(e as Error).message || (e as Error).name}`,
      { cause: e },
    );
  }
  const schema = opts.pgSchema ?? (await currentSchema(pool));
  const db = new Kysely<DB>({ dialect: new SchemaScopedPostgresDialect({ pool }, schema) });
  const invalidations = createPgInvalidations({ url: opts.url, schema });
  return {
    db,
    dialect: 'postgres',
    schema,
    file: null,
    url: opts.url,
    invalidations,
    bulkTransaction: createBulkTransaction(pool, schema),
    exclusiveWrites: (fn) => fn(),
    async ping() {
      const start = performance.now();
      await sql`select 1`.execute(db);
      return performance.now() - start;
    },
    async close() {
      await invalidations.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares a statement for every query; preparing costs more than
 * running a simple indexed SELECT. Reuse prepared statements by SQL text
 * (bounded, least recently used dropped first). Safe because Kysely runs one
 * statement at a time on the single SQLite connection.
 */
/**
 * lower() folds every letter, as PostgreSQL's does (SQLite's own folds ASCII only): `?q=école` finds
 * "École" on both. Only read paths use it (case-insensitive search); no index is built on it.
 */
function foldLower(handle: SQLite.Database): void {
  handle.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
}

function withStatementCache(handle: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(handle, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (stmt) {
          cache.delete(source);
        } else {
          stmt = target.prepare(source);
          if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        }
        cache.set(source, stmt);
        return stmt;
      };
    },
  });
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function currentSchema(pool: pg.Pool): Promise<string> {
  const r = await pool.query<{ schema: string }>('select current_schema() as schema');
  return r.rows[0]?.schema ?? 'public';
}
