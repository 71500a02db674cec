/**
 * Deleting a tenant deletes its jobs' raw inputs kept in files beside a SQLite
 * database (Terraform states may hold secrets) as soon as the deletion commits,
 * instead of leaving them to the daily sweep; a file that can't be deleted is
 * logged and the deletion still succeeds.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { createJob, readJson } from '../jobs/helpers.ts';

async function pendingJobFile(t: TestApp, tenant: string, headers: Record<string, string>): Promise<string> {
  const res = await createJob(t, tenant, headers, {
    name: 'tf',
    source: 'terraform_state',
    input: readJson('terraform/two-tier.tfstate'),
  });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().data.status).toBe('pending');
  const stored = await t.services.jobInputs.open(t.services.db, res.json().data.id);
  if (!('file' in stored)) throw new Error('expected the input in a file (SQLite)');
  expect(existsSync(stored.file)).toBe(true);
  return stored.file;
}

describe('sqlite: deleting a tenant and its job inputs', () => {
  it("removes the tenant's pending jobs' input files right away, and no other tenant's", async () => {
    const t = await createTestApp({ dialect: 'sqlite' });
    await t.createTenant('acme');
    await t.createTenant('other');
    const acmeFiles = [
      await pendingJobFile(t, 'acme', t.admin.headers),
      await pendingJobFile(t, 'acme', t.admin.headers),
    ];
    const otherFile = await pendingJobFile(t, 'other', t.admin.headers);

    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: t.admin.headers });
    expect(del.statusCode).toBe(204);
    for (const file of acmeFiles) expect(existsSync(file), file).toBe(false);
    expect(existsSync(otherFile)).toBe(true);
  });

  it('an input that cannot be deleted is logged; the tenant is deleted all the same', async () => {
    const t = await createTestApp({ dialect: 'sqlite', captureLogs: true });
    await t.createTenant('acme');
    const file = await pendingJobFile(t, 'acme', t.admin.headers);
    // A directory where the file was: rm without `recursive` refuses it.
    rmSync(file);
    mkdirSync(file);
    writeFileSync(join(file, 'x'), 'x');

    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: t.admin.headers });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: t.admin.headers })).statusCode).toBe(404);
    const warning = t.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string; jobs?: number })
      .find((l) => l.msg === 'could not delete the job inputs of a deleted tenant');
    expect(warning).toMatchObject({ level: 40, jobs: 1 });
  });
});
