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

export function testDialects(): DatabaseDialect[] {
  if (!TEST_PG_URL) note('PostgreSQL tests skipped: INFRACAST_TEST_DATABASE_URL is not set');
  return TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function redisAvailable(): boolean {
  if (!TEST_REDIS_URL) note('Redis tests skipped: INFRACAST_TEST_REDIS_URL is not set');
  return TEST_REDIS_URL !== null;
}

export function postgresAvailable(): boolean {
  if (!TEST_PG_URL) note('PostgreSQL tests skipped: INFRACAST_TEST_DATABASE_URL is not set');
  return TEST_PG_URL !== null;
}
