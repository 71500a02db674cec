/**
 * What authentication and rate limiting cost: an API-key GET of a tenant
 * resource through the full stack (in-memory limiter; Redis limiter when
 * BENCH_REDIS_URL or INFRACAST_TEST_REDIS_URL is set), the same route with
 * auth but a no-op limiter, with auth and limiter off, and raw node:http,
 * all in one run with limits raised out of the way.
 * Targets: full stack ≥ 0.35 of raw node:http; in-memory limiter costs ≤ 10%
 * of req/s; Redis limiter ≤ 40%.
 */
import { type BenchServer, type Comparison, interleaved, printLoad, report, startBenchServer } from './lib.ts';

export default async function main(): Promise<void> {
  const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.INFRACAST_TEST_REDIS_URL;
  const path = '/api/v1/tenants/bench';
  const modes: [string, string, Record<string, string>][] = [
    ['raw', 'raw-http.ts', {}],
    ['open', 'app-server.ts', { BENCH_MODE: 'open' }],
    ['nolimit', 'app-server.ts', { BENCH_MODE: 'nolimit' }],
    ['full', 'app-server.ts', { BENCH_MODE: 'full' }],
  ];
  if (redisUrl) modes.push(['redis', 'app-server.ts', { BENCH_MODE: 'redis', BENCH_REDIS_URL: redisUrl }]);
  const servers: Record<string, BenchServer> = {};
  try {
    for (const [name, script, env] of modes) servers[name] = await startBenchServer(script, env);
    const results = await interleaved(
      Object.entries(servers).map(([name, s]) => ({
        name,
        url: `http://127.0.0.1:${s.port}${path}`,
        headers: s.headers,
      })),
    );
    const rps = (k: string) => results[k]?.requestsPerSec ?? Number.NaN;
    printLoad('raw node:http (same JSON)', results.raw!);
    printLoad('auth off, limiter off', results.open!);
    printLoad('API key auth, no-op limiter', results.nolimit!);
    printLoad('API key auth + in-memory limiter (full)', results.full!);
    if (results.redis) printLoad('API key auth + Redis limiter', results.redis);
    else console.log('  (Redis limiter skipped: set BENCH_REDIS_URL or INFRACAST_TEST_REDIS_URL)');
    const rows: Comparison[] = [
      {
        metric: 'full stack req/s vs raw node:http',
        infracast: rps('full'),
        baseline: rps('raw'),
        baselineName: 'raw node:http',
        higherIsBetter: true,
        target: '≥ 0.35',
        met: rps('full') / rps('raw') >= 0.35,
      },
      {
        metric: 'in-memory limiter: req/s with vs without',
        infracast: rps('full'),
        baseline: rps('nolimit'),
        baselineName: 'no-op limiter',
        higherIsBetter: true,
        target: '≥ 0.90 (cost ≤ 10%)',
        met: rps('full') / rps('nolimit') >= 0.9,
      },
      {
        metric: 'auth + limiter vs auth off',
        infracast: rps('full'),
        baseline: rps('open'),
        baselineName: 'auth off',
        higherIsBetter: true,
      },
    ];
    if (results.redis) {
      rows.push({
        metric: 'Redis limiter: req/s with vs without',
        infracast: rps('redis'),
        baseline: rps('nolimit'),
        baselineName: 'no-op limiter',
        higherIsBetter: true,
        target: '≥ 0.60 (cost ≤ 40%)',
        met: rps('redis') / rps('nolimit') >= 0.6,
      });
    }
    report(rows);
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}
