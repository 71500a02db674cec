/** Helpers for tests that run discovery jobs: an in-process runner, job requests, fixtures. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';
import { snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import type { JobT } from '../../../src/modules/jobs/schemas.ts';
import { toJob } from '../../../src/modules/jobs/service.ts';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from '../../../src/platform/jobs/runner.ts';
import { findJobById } from '../../../src/platform/jobs/store.ts';
import type { TestApp } from '../../helpers/app.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export const readJson = (path: string): unknown => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));

/** An AWS snapshot input from a fixture folder, the way `infracast ingest aws-snapshot DIR` builds it. */
export function snapshotFromDir(path: string): ReturnType<typeof snapshotDocumentsFromFiles> {
  const root = join(FIXTURES, path);
  const files: { path: string; content: unknown }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json'))
        files.push({ path: relative(root, full), content: JSON.parse(readFileSync(full, 'utf8')) });
    }
  };
  walk(root);
  return snapshotDocumentsFromFiles(files);
}

/** A job runner in the test process over the test app's services (not started). */
function testRunner(t: TestApp, opts: Partial<JobRunnerOptions>): JobRunner {
  return createJobRunner({
    db: t.services.db,
    inputs: t.services.jobInputs,
    dialect: t.services.dialect,
    kinds: t.services.jobKinds,
    signals: t.services.jobSignals,
    events: t.services.events,
    clock: t.services.clock,
    log: t.app.log,
    pollMs: 50,
    ...opts,
  });
}

/** A started job runner over the test app's services; stopped when the test ends. */
export function startRunner(t: TestApp, opts: Partial<JobRunnerOptions> = {}): JobRunner {
  const runner = testRunner(t, opts);
  runner.start();
  onTestFinished(() => runner.stop());
  return runner;
}

/** Runs every queued job to its end with a runner of its own, then stops it (a test can look at a job before). */
export async function runQueuedJobs(t: TestApp): Promise<void> {
  const runner = testRunner(t, { pollMs: 20 });
  runner.start();
  await runner.drain();
  await runner.stop();
}

export interface JobBody {
  name: string;
  source: 'terraform_state' | 'terraform_plan' | 'aws_snapshot';
  input: unknown;
  start?: boolean;
}

export async function createJob(t: TestApp, tenant: string, headers: Record<string, string>, body: JobBody) {
  return t.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant}/jobs`, headers, payload: body as never });
}

export async function getJob(t: TestApp, tenant: string, headers: Record<string, string>, id: string) {
  const res = await t.app.inject({ url: `/api/v1/tenants/${tenant}/jobs/${id}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

/** Creates a job with start: true, lets the runner finish everything queued, returns the job. */
export async function ingest(
  t: TestApp,
  runner: JobRunner,
  tenant: string,
  headers: Record<string, string>,
  body: JobBody,
) {
  const res = await createJob(t, tenant, headers, { ...body, start: true });
  expect(res.statusCode, res.body).toBe(201);
  await runner.drain();
  return getJob(t, tenant, headers, res.json().data.id);
}

/** Polls the database (not the API: polling would spend the tenant's rate limit) until `done` holds. */
export async function waitForJob(
  t: TestApp,
  _tenant: string,
  _headers: Record<string, string>,
  id: string,
  done: (job: JobT) => boolean,
  timeoutMs = 20_000,
): Promise<JobT> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await findJobById(t.services.db, id);
    if (!row) throw new Error(`job ${id} does not exist`);
    const job = toJob(row);
    if (done(job)) return job;
    if (Date.now() > until) throw new Error(`job ${id} did not get there in time: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every node and edge of a tenant, for comparing end states. */
export async function inventoryOf(t: TestApp, tenantSlug: string) {
  const tenant = await t.services.tenants.operatorScope(tenantSlug);
  const nodes = await t.services.db
    .selectFrom('nodes')
    .select(['id', 'content_hash', 'tags', 'attributes', 'name', 'scope_key'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('id')
    .execute();
  const edges = await t.services.db
    .selectFrom('edges')
    .select(['id', 'source_id', 'target_id', 'type', 'content_hash'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('id')
    .execute();
  return { nodes, edges };
}
