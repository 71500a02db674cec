/** PostgreSQL COPY text format, without the driver: ingest threads build COPY batches. */

/** One value in COPY text format. */
export function copyValue(v: string | null): string {
  if (v === null) return '\\N';
  return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPE, escapeChar) : v;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPE = /[\\\t\n\r]/g;
const escapeChar = (c: string): string => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r');
