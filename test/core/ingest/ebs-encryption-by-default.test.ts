/**
 * EBS encryption by default, a per-region account setting: `ec2 get-ebs-encryption-by-default` in an AWS
 * snapshot (region from the folder or the document) and Terraform's `aws_ebs_encryption_by_default`.
 */
import { describe, expect, it } from 'vitest';
import {
  IngestError,
  parseAwsSnapshot,
  parseTerraformPlan,
  parseTerraformState,
  snapshotDocumentsFromFiles,
} from '../../../src/core/ingest/index.ts';

const TYPE = 'aws.ebs.encryption_by_default';

describe('aws_snapshot: EbsEncryptionByDefault', () => {
  it('one node per account and region, from the folder layout (documents are read in path order)', () => {
    const inv = parseAwsSnapshot(
      snapshotDocumentsFromFiles([
        {
          path: '111111111111/us-east-1/ec2-get-ebs-encryption-by-default.json',
          content: { EbsEncryptionByDefault: false },
        },
        {
          path: '111111111111/eu-west-1/ec2-get-ebs-encryption-by-default.json',
          content: { EbsEncryptionByDefault: true },
        },
        {
          path: '222222222222/us-east-1/ec2-get-ebs-encryption-by-default.json',
          content: { EbsEncryptionByDefault: true },
        },
      ]),
    );
    expect(inv.warnings).toEqual([]);
    expect(
      inv.nodes.filter((n) => n.type === TYPE).map((n) => [n.id, n.account, n.region, n.name, n.attributes.enabled]),
    ).toEqual([
      [`aws:eu-west-1:${TYPE}:111111111111/eu-west-1`, '111111111111', 'eu-west-1', 'eu-west-1', true],
      [`aws:us-east-1:${TYPE}:111111111111/us-east-1`, '111111111111', 'us-east-1', 'us-east-1', false],
      [`aws:us-east-1:${TYPE}:222222222222/us-east-1`, '222222222222', 'us-east-1', 'us-east-1', true],
    ]);
  });

  it('a value other than true or false fails the job; without a region it is left out with a warning', () => {
    const one = (content: unknown, region?: string) =>
      parseAwsSnapshot({
        account_id: '111111111111',
        documents: [{ name: 'ebs.json', content, ...(region ? { region } : {}) }],
      });
    expect(() => one({ EbsEncryptionByDefault: 'yes' }, 'us-east-1')).toThrow(IngestError);
    expect(() => one({ EbsEncryptionByDefault: 'yes' }, 'us-east-1')).toThrow(/EbsEncryptionByDefault.*true or false/);
    const noRegion = one({ EbsEncryptionByDefault: false });
    expect(noRegion.nodes).toEqual([]);
    expect(noRegion.warnings).toEqual([
      'document "ebs.json": EBS encryption by default without a region (save it under a <region> folder or give the document a region); not read',
    ]);
  });
});

describe('terraform: aws_ebs_encryption_by_default', () => {
  const resource = { id: 'eu-west-1', enabled: false };
  it('a state: the region is the resource id, enabled as recorded', () => {
    const inv = parseTerraformState({
      version: 4,
      terraform_version: '1.9.5',
      serial: 3,
      lineage: 'ebs',
      outputs: {},
      resources: [
        {
          mode: 'managed',
          type: 'aws_ebs_encryption_by_default',
          name: 'this',
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [{ schema_version: 0, attributes: resource }],
        },
      ],
    });
    expect(inv.warnings).toEqual([]);
    expect(inv.nodes).toEqual([
      expect.objectContaining({
        id: `aws:eu-west-1:${TYPE}:eu-west-1`,
        type: TYPE,
        region: 'eu-west-1',
        attributes: expect.objectContaining({ enabled: false }),
      }),
    ]);
  });

  it('a plan turning it on', () => {
    const change = {
      address: 'aws_ebs_encryption_by_default.this',
      mode: 'managed',
      type: 'aws_ebs_encryption_by_default',
      name: 'this',
      provider_name: 'registry.terraform.io/hashicorp/aws',
    };
    const inv = parseTerraformPlan(
      {
        format_version: '1.2',
        planned_values: {
          root_module: {
            resources: [{ ...change, schema_version: 0, values: { enabled: true }, sensitive_values: {} }],
          },
        },
        resource_changes: [
          {
            ...change,
            change: { actions: ['create'], before: null, after: { enabled: true }, after_unknown: { id: true } },
          },
        ],
      },
      { region: 'us-east-1', account_id: '111111111111' },
    );
    expect(inv.nodes.filter((n) => n.type === TYPE).map((n) => [n.region, n.attributes.enabled])).toEqual([
      ['us-east-1', true],
    ]);
  });
});
