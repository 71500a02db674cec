/**
 * Durable jobs: a worker killed with SIGKILL mid-job, then a restart, reaches
 * the same end state as an uninterrupted run; two workers on one PostgreSQL
 * database never run the same job; a stopping worker hands its job back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import { openDatabase } from '../../../src/platform/db/index.ts';
import { createJobRunner } from '../../../src/platform/jobs/runner.ts';
import { createServices } from '../../../src/services.ts';
import { createTestApp } from '../../helpers/app.ts';
import { BIN, childEnv } from '../../helpers/cli.ts';
import { postgresAvailable, testDialects } from '../../helpers/env.ts';
import { createJob, ingest, inventoryOf, readJson, startRunner, waitForJob } from './helpers.ts';

/** `infracast worker` in a child process against the test database. */
function startWorkerProcess(env: Record<string, string>, args: string[]) {
  const child = spawn(process.execPath, [BIN, 'worker', '--poll-ms', '100', ...args], {
    env: childEnv({ ...env, INFRACAST_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const stopChild = async (w: { child: ChildProcess; exited: Promise<unknown> }, signal: NodeJS.Signals) => {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(signal);
  await w.exited;
};

for (const dialect of testDialects()) {
  describe(`${dialect}: durable jobs`, () => {
    it('a worker killed with SIGKILL in the middle of writing: after a restart the job finishes with the same end state', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.createTenant('control');
      const h = t.admin.headers;
      const input = generateTerraformState({ resources: 1500, edgesPerResource: 2, seed: 7 });
      const job = (await createJob(t, 'acme', h, { name: 'big', source: 'terraform_state', input, start: true })).json()
        .data;

      // Slow batches (≈ 6 of them: about a second of writing) and a short lease, so the kill lands
      // mid-transaction however late this process sees the step, and the takeover comes soon.
      const first = startWorkerProcess(t.db.env, ['--lease-seconds', '2', '--batch-pause-ms', '150']);
      try {
        const writing = await waitForJob(t, 'acme', h, job.id, (j) => j.progress.step === 'writing', 30_000);
        expect(writing).toMatchObject({ status: 'running', attempts: 1 });
        await new Promise((r) => setTimeout(r, 300)); // a few batches into the transaction
      } finally {
        await stopChild(first, 'SIGKILL');
      }
      expect(first.child.signalCode).toBe('SIGKILL');
      const killed = await waitForJob(t, 'acme', h, job.id, () => true);
      expect(killed.status).toBe('running'); // nobody has noticed yet: the lease has not expired
      expect((await inventoryOf(t, 'acme')).nodes).toEqual([]); // the open transaction died with the process

      const second = startWorkerProcess(t.db.env, ['--lease-seconds', '2']);
      try {
        const done = await waitForJob(
          t,
          'acme',
          h,
          job.id,
          (j) => j.status !== 'running' && j.status !== 'queued',
          60_000,
        );
        expect(done, second.output()).toMatchObject({ status: 'succeeded', attempts: 2 });
        expect(done.counts).toMatchObject({ created: 1500, updated: 0, removed: 0 });
      } finally {
        await stopChild(second, 'SIGTERM');
      }
      expect(await second.exited).toBe(0);

      // The same input, uninterrupted, in another tenant: the same nodes, edges and contents.
      const runner = startRunner(t);
      const control = await ingest(t, runner, 'control', h, { name: 'big', source: 'terraform_state', input });
      expect(control.counts).toEqual((await waitForJob(t, 'acme', h, job.id, () => true)).counts);
      const [a, b] = [await inventoryOf(t, 'acme'), await inventoryOf(t, 'control')];
      expect(a.nodes.length).toBe(1500);
      expect(a).toEqual(b);
    }, 120_000);

    // Parsing runs in the ingest thread (threadMinBytes), which the stop terminates at once.
    it.each(['parsing', 'comparing'])(
      'a worker stopping while %s hands its job back to the queue; another finishes it',
      async (step) => {
        const t = await createTestApp({ dialect, discovery: { batchPauseMs: 40, threadMinBytes: 1024 } });
        await t.createTenant('acme');
        const h = t.admin.headers;
        const input = generateTerraformState({ resources: 3000, edgesPerResource: 2 });
        // Stopped from its own progress report: on SQLite the database is not readable from outside mid-write.
        let stopping: Promise<void> | null = null;
        const a = startRunner(t, {
          onProgress: (_id, p) => {
            if (p.step === step && !stopping) stopping = a.stop();
          },
        });
        const job = (
          await createJob(t, 'acme', h, { name: 'big', source: 'terraform_state', input, start: true })
        ).json().data;
        await waitForJob(t, 'acme', h, job.id, () => stopping !== null);
        await stopping;
        const back = await waitForJob(t, 'acme', h, job.id, () => true);
        expect(back).toMatchObject({ status: 'queued', attempts: 0, progress: { step: 'queued' } });
        expect((await inventoryOf(t, 'acme')).nodes).toEqual([]);
        const b = startRunner(t);
        await b.drain();
        const done = await waitForJob(t, 'acme', h, job.id, () => true);
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
      },
    );

    it('a job whose worker keeps dying is failed after three attempts', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const h = t.admin.headers;
      const job = (
        await createJob(t, 'acme', h, {
          name: 'tf',
          source: 'terraform_state',
          input: readJson('terraform/two-tier.tfstate'),
          start: true,
        })
      ).json().data;
      // As a third worker would leave it: claimed three times, lease long expired.
      await t.services.db
        .updateTable('jobs')
        .set({
          status: 'running',
          attempts: 3,
          lease_owner: 'dead-worker',
          lease_expires_at: '2000-01-01T00:00:00.000Z',
        })
        .where('id', '=', job.id)
        .execute();
      const runner = startRunner(t);
      await runner.drain();
      const failed = await waitForJob(t, 'acme', h, job.id, () => true);
      expect(failed).toMatchObject({ status: 'failed', attempts: 4, error: { code: 'ATTEMPTS_EXCEEDED' } });
      expect((await inventoryOf(t, 'acme')).nodes).toEqual([]);
    });
  });
}

describe('postgres: two workers share one queue', () => {
  it.skipIf(!postgresAvailable())(
    'every job runs once, on one of the two workers (FOR UPDATE SKIP LOCKED)',
    async () => {
      const t = await createTestApp({ dialect: 'postgres' });
      const tenants = Array.from({ length: 8 }, (_, i) => `team-${i}`);
      for (const slug of tenants) await t.createTenant(slug);
      const input = readJson('terraform/two-tier.tfstate');
      const jobs: string[] = [];
      for (const slug of tenants) {
        jobs.push(
          (
            await createJob(t, slug, t.admin.headers, { name: 'tf', source: 'terraform_state', input, start: true })
          ).json().data.id,
        );
      }

      // Two workers as two processes would have them: each its own pool, services and runner.
      const ranBy = new Map<string, string[]>();
      const workers = await Promise.all(
        ['w1', 'w2'].map(async (workerId) => {
          const database = await openDatabase({ ...t.db.options, pgPoolSize: 4 });
          const services = await createServices({ config: t.config, database, discovery: { batchPauseMs: 10 } });
          services.events.subscribe('job.completed', (e) => {
            ranBy.set(e.jobId, [...(ranBy.get(e.jobId) ?? []), workerId]);
          });
          const runner = createJobRunner({
            db: database.db,
            inputs: services.jobInputs,
            dialect: 'postgres',
            kinds: services.jobKinds,
            signals: services.jobSignals,
            events: services.events,
            clock: services.clock,
            log: t.app.log,
            workerId,
            concurrency: 3,
            pollMs: 20,
          });
          return { runner, database, services };
        }),
      );
      try {
        for (const w of workers) w.runner.start();
        for (const id of jobs) {
          await waitForJob(t, '', {}, id, (j) => j.status === 'succeeded' || j.status === 'failed', 60_000);
        }
        for (const w of workers) await w.services.events.idle();
      } finally {
        for (const w of workers) {
          await w.runner.stop();
          await w.database.close();
        }
      }
      const rows = await t.services.db
        .selectFrom('jobs')
        .select(['id', 'status', 'attempts'])
        .where('id', 'in', jobs)
        .execute();
      expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
      expect([...ranBy.keys()].sort()).toEqual([...jobs].sort());
      expect([...ranBy.values()].every((by) => by.length === 1)).toBe(true);
      const counts = { w1: 0, w2: 0 };
      for (const [by] of ranBy.values()) counts[by as 'w1' | 'w2'] += 1;
      expect(counts.w1 + counts.w2).toBe(8);
      expect(Math.min(counts.w1, counts.w2)).toBeGreaterThan(0);
    },
    120_000,
  );
});
