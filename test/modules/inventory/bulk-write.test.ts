/**
 * The ingest's bulk write: on PostgreSQL new rows go in by COPY, whose text
 * format has its own escaping; values must come back exactly as sent. And a
 * row that appears between the compare and the write must not fail the job.
 */
import { describe, expect, it } from 'vitest';
import type { BulkTransaction } from '../../../src/platform/db/pg-bulk.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { freshDatabase } from '../../helpers/db.ts';
import { postgresAvailable, testDialects } from '../../helpers/env.ts';
import { ingest, startRunner } from '../jobs/helpers.ts';

const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';
const ODD = 'tab\there, new\nline, carriage\rreturn, back\\slash, \\N, \\t, "quotes", ü, 🚀, \u0001';

function state(instanceName: string) {
  return {
    version: 4,
    terraform_version: '1.9.8',
    serial: 1,
    lineage: 'b7c1f3e0-bulk-write',
    outputs: {},
    resources: [
      {
        mode: 'managed',
        type: 'aws_vpc',
        name: 'main',
        provider: AWS,
        instances: [
          {
            schema_version: 1,
            attributes: {
              id: 'vpc-0a1b2c3d',
              arn: 'arn:aws:ec2:us-east-1:111111111111:vpc/vpc-0a1b2c3d',
              cidr_block: '10.0.0.0/16',
              tags: { Name: 'main' },
            },
            sensitive_attributes: [],
            dependencies: [],
          },
        ],
      },
      {
        mode: 'managed',
        type: 'aws_instance',
        name: 'odd',
        provider: AWS,
        instances: [
          {
            schema_version: 1,
            attributes: {
              id: 'i-0123456789abcdef0',
              arn: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0',
              instance_type: 't3.micro',
              tags: { Name: instanceName, Note: ODD, 'key\twith\\odd': 'v' },
            },
            sensitive_attributes: [],
            dependencies: ['aws_vpc.main'],
          },
        ],
      },
    ],
  };
}

const INSTANCE = 'aws:us-east-1:aws.ec2.instance:i-0123456789abcdef0';

async function instance(t: TestApp, h: Record<string, string>) {
  const res = await t.app.inject({ url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(INSTANCE)}`, headers: h });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

for (const dialect of testDialects()) {
  describe(`${dialect}: ingest bulk write`, () => {
    it('keeps tabs, newlines, backslashes and non-ASCII in names, tags and attributes exactly', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const { headers: h } = await t.userWithRole('acme', 'editor');
      const runner = startRunner(t);
      const job = await ingest(t, runner, 'acme', h, {
        name: 'odd',
        source: 'terraform_state',
        input: state(`odd\tname\\1`),
      });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.counts).toMatchObject({ created: 2, edges: 1 });
      const node = await instance(t, h);
      expect(node.name).toBe('odd\tname\\1');
      expect(node.tags).toEqual({ Name: 'odd\tname\\1', Note: ODD, 'key\twith\\odd': 'v' });

      // The same input again, as a new serial: everything compares unchanged (the stored text hashes the same).
      const again = await ingest(t, runner, 'acme', h, {
        name: 'odd',
        source: 'terraform_state',
        input: { ...state(`odd\tname\\1`), serial: 2 },
      });
      expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    });
  });
}

describe.skipIf(!postgresAvailable())('postgres: ingest bulk write', () => {
  it('a node created by hand after the compare: the COPY conflicts, the write is redone with upserts', async () => {
    const db = await freshDatabase('postgres');
    const real = db.database.bulkTransaction as BulkTransaction;
    let t: TestApp | null = null;
    let h: Record<string, string> = {};
    let raced = 0;
    const racing: BulkTransaction = async (fn) => {
      if (raced++ === 0) {
        // Committed before the job's write transaction starts, after its compare found the node new.
        const res = await t?.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: h,
          payload: { id: INSTANCE, provider: 'aws', type: 'aws.ec2.instance', region: 'us-east-1', name: 'by-hand' },
        });
        expect(res?.statusCode, res?.body).toBe(201);
      }
      return real(fn);
    };
    t = await createTestApp({ dialect: 'postgres', db, discovery: { bulkTransaction: racing } });
    await t.createTenant('acme');
    h = (await t.userWithRole('acme', 'editor')).headers;
    const runner = startRunner(t);
    const job = await ingest(t, runner, 'acme', h, { name: 'odd', source: 'terraform_state', input: state('odd') });
    expect(raced).toBe(1);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.counts).toMatchObject({ created: 2, edges: 1 });
    const node = await instance(t, h);
    expect(node).toMatchObject({ name: 'odd', source: job.id });
    expect(node.tags.Note).toBe(ODD);
  });
});
