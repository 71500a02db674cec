/**
 * HTTP overhead: Infracast's GET /healthz and an authenticated GET /api/v1/tenants/{slug}
 * (SQLite, API key) against a raw node:http server answering the same JSON, each in
 * its own process, same load: 100 connections, pipelining 10. Rounds are interleaved
 * and the median kept (bench/lib.ts `interleaved`). A bare Fastify app is shown too,
 * as the framework's own floor.
 * Targets: healthz ≥ 0.80 of raw; tenant read ≥ 0.50 of raw.
 */
import { interleaved, printLoad, report, startBenchServer } from './lib.ts';

export default async function main(): Promise<void> {
  const raw = await startBenchServer('raw-http.ts');
  const bare = await startBenchServer('bare-fastify.ts');
  const app = await startBenchServer('app-server.ts', { BENCH_MODE: 'full' });
  try {
    const u = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
    const r = await interleaved([
      { name: 'raw-health', url: u(raw.port, '/healthz'), headers: {} },
      { name: 'bare-health', url: u(bare.port, '/healthz'), headers: {} },
      { name: 'app-health', url: u(app.port, '/healthz'), headers: {} },
      { name: 'raw-tenant', url: u(raw.port, '/api/v1/tenants/bench'), headers: {} },
      { name: 'app-tenant', url: u(app.port, '/api/v1/tenants/bench'), headers: app.headers },
    ]);
    printLoad('raw node:http  GET /healthz', r['raw-health']!);
    printLoad('bare Fastify   GET /healthz', r['bare-health']!);
    printLoad('infracast      GET /healthz', r['app-health']!);
    printLoad('raw node:http  GET tenant JSON', r['raw-tenant']!);
    printLoad('infracast      GET /api/v1/tenants/bench (API key)', r['app-tenant']!);
    const rps = (k: string) => r[k]!.requestsPerSec;
    report([
      {
        metric: 'GET /healthz req/s',
        infracast: rps('app-health'),
        baseline: rps('raw-health'),
        baselineName: 'raw node:http',
        higherIsBetter: true,
        target: '≥ 0.80',
        met: rps('app-health') / rps('raw-health') >= 0.8,
      },
      {
        metric: 'GET /api/v1/tenants/{slug} req/s',
        infracast: rps('app-tenant'),
        baseline: rps('raw-tenant'),
        baselineName: 'raw node:http',
        higherIsBetter: true,
        target: '≥ 0.50',
        met: rps('app-tenant') / rps('raw-tenant') >= 0.5,
      },
    ]);
  } finally {
    await Promise.all([raw.stop(), bare.stop(), app.stop()]);
  }
}
