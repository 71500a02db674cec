/** Small SQL helpers that behave the same on SQLite and PostgreSQL. */
import {
  type Compilable,
  type CompiledQuery,
  type Expression,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import type { Executor } from './index.ts';

/** `lower(expr) LIKE '%text%'` with % and _ in `text` matched literally on both dialects. */
export function containsInsensitive(expr: Expression<unknown>, text: string): RawBuilder<SqlBool> {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<SqlBool>`lower(${expr}) like ${`%${escaped}%`} escape '\\'`;
}

/**
 * One ORDER BY term of a list's sort, the same on both dialects: NULLs last ascending and first
 * descending (PostgreSQL's default; SQLite's is the other way round), and, for text columns, code-point
 * order (SQLite's BINARY; on PostgreSQL `COLLATE "C"`, whatever collation the database was created with,
 * so pages and ties come out alike). Timestamps are fixed-width ISO text: any collation sorts them right.
 */
export function sortTerm(db: Executor, column: string, desc: boolean, text = false): RawBuilder<unknown> {
  const collate = text && db.getExecutor().adapter instanceof PostgresAdapter ? sql` collate "C"` : sql``;
  return sql`${sql.ref(column)}${collate} ${sql.raw(desc ? 'desc nulls first' : 'asc nulls last')}`;
}

/**
 * One page of an offset-paginated list and the total it is a page of. `filtered` is the list's
 * query before any selection (it is counted), `rows` the same query selecting its rows; `order`
 * their sort terms, the last of which must be unique (the id) so that pages neither overlap nor skip.
 */
export async function offsetPage<DB, TB extends keyof DB, O>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  rows: SelectQueryBuilder<DB, TB, O>,
  order: readonly Expression<unknown>[],
  page: { limit: number; offset: number },
): Promise<{ rows: O[]; total: number }> {
  const counted = await filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  let q = rows;
  for (const term of order) q = q.orderBy(term);
  const list = await q.limit(page.limit).offset(page.offset).execute();
  return { rows: list as O[], total: Number((counted as { total: number | string }).total) };
}

/**
 * A concurrent insert of the same key: SQLite's constraint error or PostgreSQL's 23505 (on PostgreSQL
 * the insert waits for the other transaction and fails once it commits). Callers map it to the 409
 * their pre-check gives, so a race answers as the serialised order would.
 */
export const isUniqueViolation = (e: unknown): boolean => {
  const code = (e as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/** A row refers to one that is not there (PostgreSQL's foreign_key_violation, SQLite's FOREIGN KEY constraint). */
export const isForeignKeyViolation = (e: unknown): boolean => {
  const code = (e as { code?: unknown })?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
};

/**
 * The database gave up on a statement because of a concurrent one, and the transaction was rolled back:
 * PostgreSQL's deadlock_detected, serialization_failure and lock_not_available; SQLite busy or locked
 * past its busy timeout (another process holding the write lock). Retrying the request is safe.
 */
export const isTransientConflict = (e: unknown): boolean => {
  const code = (e as { code?: unknown })?.code;
  return (
    code === '40P01' ||
    code === '40001' ||
    code === '55P03' ||
    (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
  );
};

/** Converts a 0/1 flag column to a boolean. */
export const flag = (v: number | boolean | null | undefined): boolean => v === 1 || v === true;
export const toFlag = (b: boolean): number => (b ? 1 : 0);

/**
 * A query on a hot path (every request) compiled once and run with new
 * parameters, instead of rebuilding and recompiling it with Kysely each time.
 * `build` receives placeholder values; their order is the parameter order.
 */
export function precompiled<DBT, Row, P extends unknown[]>(
  build: (db: Kysely<DBT>, ...placeholders: P) => Compilable<Row>,
  placeholders: P,
) {
  const compiledFor = new WeakMap<Kysely<DBT>, CompiledQuery<Row>>();
  return async (db: Kysely<DBT>, ...params: P): Promise<Row[]> => {
    let compiled = compiledFor.get(db);
    if (!compiled) {
      compiled = build(db, ...placeholders).compile();
      if (compiled.parameters.length !== params.length) {
        throw new Error(`precompiled query has ${compiled.parameters.length} parameters, expected ${params.length}`);
      }
      compiledFor.set(db, compiled);
    }
    const result = await db.executeQuery<Row>({ ...compiled, parameters: params });
    return result.rows;
  };
}

/** The SQLite database file behind a connection (null for an in-memory database). */
export async function databaseFile(db: Kysely<unknown> | Executor): Promise<string | null> {
  const rows = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  const main = rows.rows.find((r) => r.name === 'main');
  return main?.file ? main.file : null;
}
