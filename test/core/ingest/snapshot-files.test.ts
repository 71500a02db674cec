import { describe, expect, it } from 'vitest';
import { snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';

const doc = (path: string) => ({ path, content: { Vpcs: [] } });
const locations = (paths: string[], defaults = {}) =>
  snapshotDocumentsFromFiles(paths.map(doc), defaults).documents.map((d) => [
    d.name,
    d.account_id ?? null,
    d.region ?? null,
  ]);

describe('snapshotDocumentsFromFiles', () => {
  it('reads account and region from <account>/<region>/*.json, and global folders', () => {
    expect(
      locations([
        '111111111111/us-east-1/ec2-describe-vpcs.json',
        '111111111111/global/iam-list-roles.json',
        '222222222222/eu-west-1/x.json',
      ]),
    ).toEqual([
      ['111111111111/global/iam-list-roles.json', '111111111111', 'global'],
      ['111111111111/us-east-1/ec2-describe-vpcs.json', '111111111111', 'us-east-1'],
      ['222222222222/eu-west-1/x.json', '222222222222', 'eu-west-1'],
    ]);
  });

  it('leaves flat folders to the defaults', () => {
    const input = snapshotDocumentsFromFiles([doc('vpcs.json'), doc('./subnets.json')], {
      account_id: '123456789012',
      region: 'us-west-2',
    });
    expect(input).toEqual({
      account_id: '123456789012',
      region: 'us-west-2',
      documents: [
        { name: 'subnets.json', content: { Vpcs: [] } },
        { name: 'vpcs.json', content: { Vpcs: [] } },
      ],
    });
  });

  it('understands the Batfish layouts, named accounts included', () => {
    expect(
      locations([
        'snapshot/aws_configs/Vpcs.json',
        'snapshot/aws_configs/us-west-2/Subnets.json',
        'snapshot/aws_configs/accounts/prod/eu-west-1/Vpcs.json',
        'aws_configs\\accounts\\333333333333\\ap-south-1\\Vpcs.json',
        'accounts/staging/us-east-2/Vpcs.json',
      ]),
    ).toEqual([
      ['accounts/staging/us-east-2/Vpcs.json', 'staging', 'us-east-2'],
      ['aws_configs/accounts/333333333333/ap-south-1/Vpcs.json', '333333333333', 'ap-south-1'],
      ['snapshot/aws_configs/Vpcs.json', null, null],
      ['snapshot/aws_configs/accounts/prod/eu-west-1/Vpcs.json', 'prod', 'eu-west-1'],
      ['snapshot/aws_configs/us-west-2/Subnets.json', null, 'us-west-2'],
    ]);
  });

  it('takes an account folder without a region folder', () => {
    expect(locations(['444444444444/describe-vpcs.json'])).toEqual([
      ['444444444444/describe-vpcs.json', '444444444444', null],
    ]);
  });

  it('ignores files that are not JSON', () => {
    expect(locations(['README.md', '111111111111/us-east-1/notes.txt', 'a/Vpcs.JSON'])).toEqual([
      ['a/Vpcs.JSON', null, null],
    ]);
  });
});
