/**
 * Which databases and services the suite runs against. SQLite always; PostgreSQL
 * and Redis when INFRACAST_TEST_DATABASE_URL / INFRACAST_TEST_REDIS_URL are set.
 * Tests that need them are skipped with a printed reason otherwise.
 */
import type { DatabaseDialect } from '../../src/platform/config.ts';

export const TEST_PG_URL = process.env.INFRACAST_TEST_DATABASE_URL || null;
export const TEST_REDIS_URL = process.env.INFRACAST_TEST_REDIS_URL || null;

const printed = new Set<string>();
function note(reason: string) {
  if (printed.has(reason)) return;
  printed.add(reason);
  console.log(`[skip] ${reason}`);
}

const DIALECTS: readonly DatabaseDialect[] = ['sqlite', 'postgres'];

/**
 * `INFRACAST_TEST_DIALECTS` (e.g. `postgres`) narrows the store tests to some
 * dialects: CI's PostgreSQL pass sets it, because its SQLite pass has just run
 * the same tests on SQLite.
 */
const ONLY = (process.env.INFRACAST_TEST_DIALECTS ?? '')
  .split(',')
  .map((d) => d.trim())
  .filter(Boolean);
for (const d of ONLY) {
  if (!DIALECTS.includes(d as DatabaseDialect)) {
    throw new Error(`INFRACAST_TEST_DIALECTS: unknown dialect ${d} (sqlite, postgres)`);
  }
}
if (ONLY.includes('postgres') && !TEST_PG_URL) {
  throw new Error('INFRACAST_TEST_DIALECTS names postgres but INFRACAST_TEST_DATABASE_URL is not set');
}

export function testDialects(): DatabaseDialect[] {
  if (!TEST_PG_URL) note('PostgreSQL tests skipped: INFRACAST_TEST_DATABASE_URL is not set');
  const available: DatabaseDialect[] = TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
  if (ONLY.length === 0) return available;
  for (const d of available)
    if (!ONLY.includes(d)) note(`${d} store tests skipped: INFRACAST_TEST_DIALECTS=${ONLY.join(',')}`);
  return available.filter((d) => ONLY.includes(d));
}

export function redisAvailable(): boolean {
  if (!TEST_REDIS_URL) note('Redis tests skipped: INFRACAST_TEST_REDIS_URL is not set');
  return TEST_REDIS_URL !== null;
}

export function postgresAvailable(): boolean {
  if (!TEST_PG_URL) note('PostgreSQL tests skipped: INFRACAST_TEST_DATABASE_URL is not set');
  return TEST_PG_URL !== null;
}
