/**
 * A large ingest runs beside the HTTP server without holding its event loop:
 * the body and the document are parsed in worker threads and the writes go in
 * small batches with a yield between them. (bench/ingest.ts measures the same
 * for 100k resources over a real socket.)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { startRunner, waitForJob } from './helpers.ts';

for (const dialect of testDialects()) {
  describe(`${dialect}: event loop`, () => {
    // Timing on a shared machine: retried, since another process can take the CPU away.
    it('a 10k-resource state (≈ 9 MB, 40k edges) never stalls the event loop for 100 ms', {
      retry: 2,
      timeout: 120_000,
    }, async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      const key = await t.apiKey('acme', 'editor');
      const body = JSON.stringify({
        name: 'big',
        source: 'terraform_state',
        start: true,
        input: generateTerraformState({ resources: 10_000, edgesPerResource: 3 }),
      });
      const runner = startRunner(t);
      // Warm up: the first request to a route compiles its validators (a one-off cost, not the ingest's).
      const warm = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/jobs',
        headers: key.headers,
        payload: {},
      });
      expect(warm.statusCode).toBe(400);
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/jobs',
        headers: { ...key.headers, 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(201);
      const job = await waitForJob(
        t,
        'acme',
        key.headers,
        res.json().data.id,
        (j) => j.status !== 'queued' && j.status !== 'running',
        100_000,
      );
      await runner.drain();
      // The findings evaluation that follows the change reads the whole graph and runs every rule: on the
      // same event loop, in slices.
      // (Run now, or waited for when the debounced one after the change is running already.)
      await t.services.findings.evaluate(tenant.id);
      const findings = await t.services.db
        .selectFrom('findings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirstOrThrow();
      loop.disable();
      expect(job.status).toBe('succeeded');
      expect(job.counts.created).toBe(10_000);
      expect(Number(findings.n)).toBeGreaterThan(1000);
      const maxMs = loop.max / 1e6;
      expect(
        maxMs,
        `longest stall ${maxMs.toFixed(1)} ms (p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms)`,
      ).toBeLessThan(100);
    });
  });
}
