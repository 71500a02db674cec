/** Helpers for path tracer tests: the two-tier network ingested through the jobs API, trace calls. */

import { expect } from 'vitest';
import type { AwsSnapshotDocument } from '../../../src/core/ingest/aws-snapshot.ts';
import type { JobRunner } from '../../../src/platform/jobs/runner.ts';
import type { TestApp } from '../../helpers/app.ts';
import { ingest, snapshotFromDir, startRunner } from '../jobs/helpers.ts';

/** Node ids of the two-tier fixture (test/fixtures/aws-snapshot/two-tier). */
export const TWO_TIER = {
  web: 'aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091',
  webByName: 'aws:us-east-1:aws.ec2.instance:web-01',
  webIp: '10.0.1.10',
  webPublicIp: '3.91.20.30',
  webEni: 'aws:us-east-1:aws.ec2.network_interface:eni-0a1b2c3d4e5f60042',
  db: 'aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60092',
  dbByName: 'aws:us-east-1:aws.ec2.instance:db-01',
  dbIp: '10.0.2.20',
  dbEni: 'aws:us-east-1:aws.ec2.network_interface:eni-0a1b2c3d4e5f60043',
  webSg: 'aws:us-east-1:aws.ec2.security_group:sg-0a1b2c3d4e5f60081',
  dbSgNative: 'sg-0a1b2c3d4e5f60082',
  privateAclNative: 'acl-0a1b2c3d4e5f60072',
  publicSubnet: 'aws:us-east-1:aws.ec2.subnet:subnet-0a1b2c3d4e5f60011',
  privateSubnet: 'aws:us-east-1:aws.ec2.subnet:subnet-0a1b2c3d4e5f60012',
  vpc: 'aws:us-east-1:aws.ec2.vpc:vpc-0a1b2c3d4e5f60001',
  vpcResolverIp: '10.0.0.2',
  publicRt: 'aws:us-east-1:aws.ec2.route_table:rtb-0a1b2c3d4e5f60061',
  privateAcl: 'aws:us-east-1:aws.ec2.network_acl:acl-0a1b2c3d4e5f60072',
  igw: 'aws:us-east-1:aws.ec2.internet_gateway:igw-0a1b2c3d4e5f60021',
  nat: 'aws:us-east-1:aws.ec2.nat_gateway:nat-0a1b2c3d4e5f60031',
  natEip: 'aws:us-east-1:aws.ec2.elastic_ip:eipalloc-0a1b2c3d4e5f60051',
} as const;

/** The node types a 422 lists as usable (the API's contract, spelled out). */
export const SOURCE_TYPES =
  'aws.ec2.instance, aws.ec2.network_interface, aws.elbv2.load_balancer, aws.rds.db_instance, aws.lambda.function, aws.ec2.nat_gateway, aws.ec2.vpc_endpoint (Interface), aws.ec2.subnet';
export const DESTINATION_TYPES =
  'aws.ec2.instance, aws.ec2.network_interface, aws.elbv2.load_balancer, aws.rds.db_instance, aws.ec2.nat_gateway, aws.ec2.vpc_endpoint, aws.ec2.subnet, aws.ec2.vpc';

// One job runner per app: a second one could claim the job the first is asked to drain.
const runners = new WeakMap<TestApp, JobRunner>();

/** Ingests a snapshot fixture through POST /jobs (start: true) and a job runner, as a user would. */
export async function ingestSnapshot(
  t: TestApp,
  tenant: string,
  headers: Record<string, string>,
  fixture = 'aws-snapshot/two-tier',
  /** Documents added to the fixture's (an account and region of their own, or the input's). */
  extraDocuments: AwsSnapshotDocument[] = [],
) {
  let runner = runners.get(t);
  if (!runner) {
    runner = startRunner(t);
    runners.set(t, runner);
  }
  const job = await ingest(t, runner, tenant, headers, {
    name: fixture,
    source: 'aws_snapshot',
    input: (() => {
      const input = snapshotFromDir(fixture);
      input.documents.push(...extraDocuments);
      return input;
    })(),
  });
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  await t.services.events.idle();
  return job;
}

export function tracePath(t: TestApp, tenant: string, headers: Record<string, string>, body: unknown) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant}/pathtracer/trace`,
    headers,
    payload: body as object,
  });
}

export function findExposure(t: TestApp, tenant: string, headers: Record<string, string>, body: unknown = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant}/pathtracer/exposure`,
    headers,
    payload: body as object,
  });
}

/** A trace that must answer 200; returns the TraceResult. */
export async function traceOk(t: TestApp, tenant: string, headers: Record<string, string>, body: unknown) {
  const res = await tracePath(t, tenant, headers, body);
  expect(res.statusCode, res.body).toBe(200);
  const json = res.json();
  expect(json.error).toBeNull();
  expect(json.meta).toBeNull();
  return json.data;
}
