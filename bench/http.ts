/**
 * HTTP overhead: Infracast's GET /healthz and an authenticated GET /api/v1/tenants/{slug}
 * (SQLite) against a raw node:http server answering the same JSON, each in its own
 * process, same load: 100 connections, pipelining 10.
 * Targets: healthz ≥ 0.80 of raw; tenant read ≥ 0.50 of raw.
 */
import { load, printLoad, report, startBenchServer } from './lib.ts';

export default async function main(): Promise<void> {
  const raw = await startBenchServer('raw-http.ts');
  const app = await startBenchServer('app-server.ts', { BENCH_MODE: 'full' });
  try {
    // Warm both up (JIT, SQLite page cache) before measuring.
    await load(`http://127.0.0.1:${raw.port}/healthz`, {}, { seconds: 1 });
    await load(`http://127.0.0.1:${app.port}/api/v1/tenants/bench`, app.headers, { seconds: 1 });

    const rawHealth = await load(`http://127.0.0.1:${raw.port}/healthz`, {});
    const appHealth = await load(`http://127.0.0.1:${app.port}/healthz`, {});
    const rawTenant = await load(`http://127.0.0.1:${raw.port}/api/v1/tenants/bench`, {});
    const appTenant = await load(`http://127.0.0.1:${app.port}/api/v1/tenants/bench`, app.headers);
    printLoad('raw node:http  GET /healthz', rawHealth);
    printLoad('infracast      GET /healthz', appHealth);
    printLoad('raw node:http  GET tenant JSON', rawTenant);
    printLoad('infracast      GET /api/v1/tenants/bench (API key)', appTenant);
    const h = appHealth.requestsPerSec / rawHealth.requestsPerSec;
    const t = appTenant.requestsPerSec / rawTenant.requestsPerSec;
    report([
      {
        metric: 'GET /healthz req/s',
        infracast: appHealth.requestsPerSec,
        baseline: rawHealth.requestsPerSec,
        baselineName: 'raw node:http',
        higherIsBetter: true,
        target: '≥ 0.80',
        met: h >= 0.8,
      },
      {
        metric: 'GET /api/v1/tenants/{slug} req/s',
        infracast: appTenant.requestsPerSec,
        baseline: rawTenant.requestsPerSec,
        baselineName: 'raw node:http',
        higherIsBetter: true,
        target: '≥ 0.50',
        met: t >= 0.5,
      },
    ]);
  } finally {
    await Promise.all([raw.stop(), app.stop()]);
  }
}
