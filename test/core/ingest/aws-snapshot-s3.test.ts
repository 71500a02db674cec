/**
 * S3 settings in an AWS snapshot: `s3api get-public-access-block` and `s3api get-bucket-policy` per bucket
 * (the bucket named beside the output, in the file name or by its folder), `s3control get-public-access-block`
 * for the account, and the per-bucket lists a collector writes; as the two S3 rules read them.
 */
import { describe, expect, it } from 'vitest';
import { IngestError, parseAwsSnapshot, snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import { evaluateRules, ruleById } from '../../../src/core/rules/index.ts';

const A = '111111111111';
const dir = `${A}/us-east-1`;
const buckets = (...names: string[]) => ({
  Buckets: names.map((Name) => ({ Name, CreationDate: '2026-01-10T09:00:00+00:00' })),
  Owner: { ID: 'abc' },
});
const block = (on: boolean, restrict = on) => ({
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: on,
    IgnorePublicAcls: on,
    BlockPublicPolicy: on,
    RestrictPublicBuckets: restrict,
  },
});
const TLS_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::logs', 'arn:aws:s3:::logs/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
});
const READ_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 's3:GetObject', Resource: '*' }],
});

const run = (ruleId: string, nodes: ReturnType<typeof parseAwsSnapshot>) => {
  const rule = ruleById(ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return evaluateRules(nodes.nodes, nodes.edges, [rule]).results[0];
};

describe('aws_snapshot: S3 public access blocks and bucket policies', () => {
  const inv = parseAwsSnapshot(
    snapshotDocumentsFromFiles([
      { path: `${dir}/s3api-list-buckets.json`, content: buckets('logs', 'prod-logs', 'assets', 'site.example.com') },
      // The bucket in the file name, after a separator; `prod-logs` is the longest bucket that ends it.
      { path: `${dir}/get-public-access-block-prod-logs.json`, content: block(true) },
      { path: `${dir}/public-access-block.logs.json`, content: block(false) },
      // In a folder of the bucket's name; a name with dots.
      { path: `${dir}/s3/site.example.com/public-access-block.json`, content: block(true, false) },
      // Named beside the output.
      { path: `${dir}/pab-x.json`, content: { Bucket: 'assets', ...block(true) } },
      { path: `${dir}/bucket-policy-logs.json`, content: { Policy: TLS_ONLY } },
      { path: `${dir}/bucket-policy-unknown.json`, content: { Policy: READ_ONLY } },
      { path: `${dir}/pab-unknown.json`, content: block(true) },
      // Lambda's and KMS's get-policy print a Policy text too; IAM's get-policy an object.
      { path: `${dir}/lambda-get-policy-fn.json`, content: { Policy: READ_ONLY, RevisionId: 'r-1' } },
      { path: `${dir}/kms-get-key-policy.json`, content: { Policy: READ_ONLY, PolicyName: 'default' } },
      { path: `${dir}/iam-get-policy.json`, content: { Policy: { PolicyName: 'x', Arn: 'arn:aws:iam::1:policy/x' } } },
      {
        path: `${dir}/s3-bucket-policies.json`,
        content: {
          BucketPolicies: [
            { Bucket: 'assets', Policy: READ_ONLY },
            { Bucket: 'site.example.com', Policy: null },
          ],
        },
      },
    ]),
  );

  it('keeps each setting as Terraform names it, under the bucket it is of', () => {
    const blocks = inv.nodes.filter((n) => n.type === 'aws.s3.bucket_public_access_block');
    expect(
      blocks
        .map((n) => [n.id, n.attributes.bucket, n.attributes.block_public_acls, n.attributes.restrict_public_buckets])
        .sort(),
    ).toEqual([
      ['aws:global:aws.s3.bucket_public_access_block:assets', 'assets', true, true],
      ['aws:global:aws.s3.bucket_public_access_block:logs', 'logs', false, false],
      ['aws:global:aws.s3.bucket_public_access_block:prod-logs', 'prod-logs', true, true],
      ['aws:global:aws.s3.bucket_public_access_block:site.example.com', 'site.example.com', true, false],
    ]);
    const policies = inv.nodes.filter((n) => n.type === 'aws.s3.bucket_policy');
    expect(policies.map((n) => [n.attributes.bucket, n.attributes.policy]).sort()).toEqual([
      ['assets', READ_ONLY],
      ['logs', TLS_ONLY],
      ['site.example.com', ''],
    ]);
  });

  it('skips, with a reason, what names no bucket and what is another service’s policy', () => {
    expect(inv.skipped_documents.sort()).toEqual(
      [
        `${dir}/bucket-policy-unknown.json`,
        `${dir}/pab-unknown.json`,
        `${dir}/lambda-get-policy-fn.json`,
        `${dir}/kms-get-key-policy.json`,
        `${dir}/iam-get-policy.json`,
      ].sort(),
    );
    expect(inv.warnings).toContain(
      `document "${dir}/pab-unknown.json": public access block settings without their bucket (name the file after the bucket, e.g. public-access-block-<bucket>.json, or wrap them as {Bucket, PublicAccessBlockConfiguration}); not read`,
    );
    expect(inv.warnings).toContain(
      `document "${dir}/lambda-get-policy-fn.json": a Policy that is not an S3 bucket policy (another service's output); not read`,
    );
  });

  it('lets the public access rule judge each bucket', () => {
    const r = run('aws.s3.public_access_not_blocked', inv);
    expect(r?.failures.map((f) => f.message).sort()).toEqual([
      'bucket logs has public access block settings turned off: block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets',
      'bucket site.example.com has public access block settings turned off: restrict_public_buckets',
    ]);
    expect(r?.evaluated).toBe(4);
    expect(r?.skipped_node_ids).toEqual([]);
  });

  it('lets the TLS rule judge each bucket whose policy is recorded', () => {
    const r = run('aws.s3.insecure_transport_allowed', inv);
    expect(r?.failures.map((f) => f.message).sort()).toEqual([
      'bucket assets’s policy has no statement denying requests with aws:SecureTransport = false',
      'bucket site.example.com has no bucket policy, so nothing denies requests over plain HTTP',
    ]);
    // prod-logs: no policy recorded (get-bucket-policy fails for a bucket without one): not judged.
    expect(r?.skipped_node_ids).toEqual(['aws:global:aws.s3.bucket:prod-logs']);
  });

  it('takes the account-wide block from s3control, which makes up for a bucket’s', () => {
    const withAccount = parseAwsSnapshot(
      snapshotDocumentsFromFiles([
        { path: `${dir}/s3api-list-buckets.json`, content: buckets('logs') },
        { path: `${dir}/public-access-block-logs.json`, content: block(false) },
        { path: `${dir}/s3control-get-public-access-block.json`, content: block(true) },
      ]),
    );
    const account = withAccount.nodes.find((n) => n.type === 'aws.s3.account_public_access_block');
    expect(account?.id).toBe(`aws:global:aws.s3.account_public_access_block:${A}`);
    expect(account?.attributes).toEqual({
      account_id: A,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(run('aws.s3.public_access_not_blocked', withAccount)?.failures).toEqual([]);
    // Wrapped with its AccountId, any file name will do.
    const wrapped = parseAwsSnapshot(
      snapshotDocumentsFromFiles([{ path: `${dir}/x.json`, content: { AccountId: '222222222222', ...block(true) } }]),
    );
    expect(wrapped.nodes.map((n) => n.id)).toEqual(['aws:global:aws.s3.account_public_access_block:222222222222']);
  });

  it('fails the job on a policy that is not a JSON policy document', () => {
    const bad = () =>
      parseAwsSnapshot(
        snapshotDocumentsFromFiles([
          { path: `${dir}/s3api-list-buckets.json`, content: buckets('logs') },
          { path: `${dir}/bucket-policy-logs.json`, content: { Policy: '{not json' } },
        ]),
      );
    expect(bad).toThrow(IngestError);
    expect(bad).toThrow(/bucket-policy-logs\.json.*Policy.*JSON text/);
  });
});
