/**
 * A Kysely driver for SQLite with two connections to one WAL database: a writer, taken by one
 * transaction or write at a time (as Kysely's own SqliteDriver takes its single connection), and a
 * read-only reader for reads outside transactions. WAL lets the reader see the last commit while a
 * write transaction is open, here or in another thread: a discovery job writing 100k rows in the
 * ingest thread, which holds the writer meanwhile (`exclusiveWrites`), no longer stalls every other
 * tenant's reads for as long.
 *
 * Which connection a query takes is decided by SQLite itself: a statement that `readonly` (it changes
 * nothing: SELECT, most PRAGMA reads) outside a transaction goes to the reader; anything else waits its
 * turn for the writer. An in-memory database has no second connection: everything takes the writer.
 */
import type SQLite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';

/** One waiter at a time, first come first served. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves, once the lock is this caller's, with the function that releases it. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.#tail;
    this.#tail = before.then(() => mine);
    return before.then(() => release);
  }
}

function run(stmt: SQLite.Statement, parameters: readonly unknown[]): QueryResult<unknown> {
  if (stmt.reader) return { rows: stmt.all(parameters) };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

/** What Kysely holds between acquire and release: a single query, a transaction, or a `connection()` block. */
class Lease implements DatabaseConnection {
  /** Set while this lease holds the writer (a transaction). */
  #release: (() => void) | null = null;

  constructor(readonly driver: ReadWriteSqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { writer, reader } = this.driver.handles();
    const parameters = query.parameters as unknown[];
    // The writer's statement says whether it writes (and is cached on it for when it does).
    const stmt = writer.prepare(query.sql);
    if (reader && stmt.readonly && this.#release === null) {
      return run(reader.prepare(query.sql), parameters) as QueryResult<R>;
    }
    if (this.#release) return run(stmt, parameters) as QueryResult<R>;
    // A write outside a transaction: the writer for this one statement.
    const release = await this.driver.lockWriter();
    try {
      return run(stmt, parameters) as QueryResult<R>;
    } finally {
      release();
    }
  }

  // biome-ignore lint/correctness/useYield: Kysely's interface; streaming is not offered on SQLite here.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite');
  }

  async begin(): Promise<void> {
    this.#release = await this.driver.lockWriter();
    try {
      this.driver.handles().writer.exec('begin');
    } catch (e) {
      this.end();
      throw e;
    }
  }

  finish(statement: 'commit' | 'rollback'): void {
    try {
      this.driver.handles().writer.exec(statement);
    } finally {
      this.end();
    }
  }

  end(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}

export class ReadWriteSqliteDriver implements Driver {
  readonly #writer: SQLite.Database;
  readonly #reader: SQLite.Database | null;
  readonly #writerLock = new Mutex();

  constructor(writer: SQLite.Database, reader: SQLite.Database | null) {
    this.#writer = writer;
    this.#reader = reader;
  }

  handles(): { writer: SQLite.Database; reader: SQLite.Database | null } {
    return { writer: this.#writer, reader: this.#reader };
  }

  lockWriter(): Promise<() => void> {
    return this.#writerLock.lock();
  }

  /**
   * Runs `fn` holding the writer: the server's own writes wait (asynchronously) until it settles. Writes
   * already asked for go first: Kysely reaches `lockWriter` some promise hops after a query starts, so the
   * lock is asked for after those settle (a job's new step, written just before its long write, shows).
   */
  async exclusiveWrites<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    const release = await this.lockWriter();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Lease).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).finish('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).finish('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).end();
  }

  async destroy(): Promise<void> {
    this.#reader?.close();
    this.#writer.close();
  }
}

// SQLite runs DDL inside transactions; Kysely's adapter says it doesn't, which
// would make a failed migration leave a half-applied schema behind.
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class ReadWriteSqliteDialect extends SqliteDialect {
  readonly #driver: ReadWriteSqliteDriver;

  constructor(driver: ReadWriteSqliteDriver) {
    super({ database: driver.handles().writer });
    this.#driver = driver;
  }

  override createDriver(): Driver {
    return this.#driver;
  }

  override createAdapter() {
    return new TransactionalDdlSqliteAdapter();
  }
}
