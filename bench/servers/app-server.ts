/**
 * Infracast in a child process for the HTTP benchmarks. BENCH_MODE selects:
 *   full        auth + tenant scope + in-memory rate limiter (limits raised out of the way)
 *   redis       the same with the Redis limiter (BENCH_REDIS_URL)
 *   nolimit     auth + tenant scope, a limiter that always allows
 *   open        no auth, no limiter: the tenant is resolved by slug only
 * Prints {port, headers} on stdout once listening.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { openDatabase } from '../../src/platform/db/index.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { createMemoryLimiter, createRedisLimiter, type RateLimiter } from '../../src/platform/ratelimit/limiter.ts';
import { connectRedis } from '../../src/platform/redis.ts';
import { createServices } from '../../src/services.ts';

const mode = process.env.BENCH_MODE ?? 'full';
const dir = mkdtempSync(join(tmpdir(), 'infracast-bench-'));
const config = loadConfig({
  INFRACAST_DATA_DIR: dir,
  INFRACAST_LOG_LEVEL: 'warn',
  INFRACAST_MAX_CONCURRENT_PER_KEY: '10000',
});
const database = await openDatabase(config.database);
const migrated = await migrateToLatest(database.db, database.schema);
if (migrated.error) throw migrated.error;
const services = await createServices({ config, database });

const tenant = await services.tenants.createAsOperator({ slug: 'bench', name: 'Bench', plan: 'enterprise' });
await database.db
  .updateTable('tenants')
  .set({ rate_limit_per_minute: 100_000_000, rate_limit_burst: 100_000_000 })
  .where('id', '=', tenant.id)
  .execute();
const key = await services.apiKeys.create(
  { principal: null, requestId: null, ip: null, tenant: await services.tenants.operatorScope(tenant.id) },
  { description: 'bench', role: 'viewer', never_expires: true },
);

const allowAll: RateLimiter = {
  consume: async (_k, l) => ({ allowed: true, limit: l.perMinute, remaining: l.burst, resetAt: 0, retryAfter: 0 }),
  admit: async (_k, l, slot) => ({
    decision: { allowed: true, limit: l.perMinute, remaining: l.burst, resetAt: 0, retryAfter: 0 },
    slot: slot ? async () => {} : undefined,
  }),
  refund: async () => {},
  status: () => ({ backend: 'memory', healthy: true, degraded: false }),
};
let limiter: RateLimiter = createMemoryLimiter();
if (mode === 'redis') {
  const redis = connectRedis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
  limiter = createRedisLimiter({ redis, prefix: `bench:${process.pid}:` });
}
if (mode === 'nolimit' || mode === 'open') limiter = allowAll;

const app = await buildApp({
  config,
  database,
  services,
  version: 'bench',
  limiter,
  ...(mode === 'open' ? { accessControlDisabledForBenchmark: true } : {}),
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(
  `${JSON.stringify({
    port: typeof addr === 'object' && addr ? addr.port : 0,
    headers: mode === 'open' ? {} : { authorization: `Bearer ${key.token}` },
  })}\n`,
);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
