/** Small SQL helpers that behave the same on SQLite and PostgreSQL. */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';

/** `lower(expr) LIKE '%text%'` with % and _ in `text` matched literally on both dialects. */
export function containsInsensitive(expr: Expression<unknown>, text: string): RawBuilder<SqlBool> {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<SqlBool>`lower(${expr}) like ${`%${escaped}%`} escape '\\'`;
}

/** Converts a 0/1 flag column to a boolean. */
export const flag = (v: number | boolean | null | undefined): boolean => v === 1 || v === true;
export const toFlag = (b: boolean): number => (b ? 1 : 0);
