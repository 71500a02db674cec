/**
 * EBS volumes (`ec2 describe-volumes`) and CloudTrail trails (`cloudtrail describe-trails`) in an AWS
 * snapshot, as the volume-encryption and log-validation rules read them.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import { evaluateRules, ruleById } from '../../../src/core/rules/index.ts';

const A = '111111111111';
const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${A}:trail/org-trail`;
const trail = {
  Name: 'org-trail',
  S3BucketName: 'acme-cloudtrail',
  IncludeGlobalServiceEvents: true,
  IsMultiRegionTrail: true,
  HomeRegion: 'us-east-1',
  TrailARN: TRAIL_ARN,
  LogFileValidationEnabled: false,
  HasCustomEventSelectors: false,
  HasInsightSelectors: false,
  IsOrganizationTrail: false,
};

const inv = parseAwsSnapshot(
  snapshotDocumentsFromFiles([
    {
      path: `${A}/us-east-1/ec2-describe-instances.json`,
      content: {
        Reservations: [
          {
            OwnerId: A,
            Instances: [
              { InstanceId: 'i-0abc', State: { Name: 'running' }, Placement: { AvailabilityZone: 'us-east-1a' } },
            ],
          },
        ],
      },
    },
    {
      path: `${A}/us-east-1/ec2-describe-volumes.json`,
      content: {
        Volumes: [
          {
            VolumeId: 'vol-0aaa',
            AvailabilityZone: 'us-east-1a',
            Encrypted: false,
            Size: 8,
            VolumeType: 'gp3',
            State: 'in-use',
            Attachments: [{ InstanceId: 'i-0abc', Device: '/dev/xvda', State: 'attached', VolumeId: 'vol-0aaa' }],
            Tags: [{ Key: 'Name', Value: 'web-root' }],
          },
          {
            VolumeId: 'vol-0bbb',
            AvailabilityZone: 'us-east-1b',
            Encrypted: true,
            KmsKeyId: `arn:aws:kms:us-east-1:${A}:key/1234`,
            Size: 100,
            VolumeType: 'gp3',
            State: 'available',
            Attachments: [],
          },
        ],
      },
    },
    // A multi-region trail is listed by describe-trails in every region: one node, in its home region.
    { path: `${A}/us-east-1/cloudtrail-describe-trails.json`, content: { trailList: [trail] } },
    { path: `${A}/eu-west-1/cloudtrail-describe-trails.json`, content: { trailList: [trail] } },
    // FSx prints `Volumes` too: not EBS, left out with a warning.
    { path: `${A}/us-east-1/fsx-describe-volumes.json`, content: { Volumes: [{ VolumeId: 'fsvol-0123', Name: 'x' }] } },
  ]),
);

describe('aws_snapshot: Volumes and trailList', () => {
  it('keeps volumes with their encryption and attachments, and each trail once', () => {
    expect(inv.skipped_documents).toEqual([`${A}/us-east-1/fsx-describe-volumes.json`]);
    const volumes = inv.nodes.filter((n) => n.type === 'aws.ec2.volume');
    expect(volumes.map((n) => [n.id, n.name, n.attributes.encrypted, n.attributes.attached_instance_ids])).toEqual([
      ['aws:us-east-1:aws.ec2.volume:vol-0aaa', 'web-root', false, ['i-0abc']],
      ['aws:us-east-1:aws.ec2.volume:vol-0bbb', 'vol-0bbb', true, []],
    ]);
    expect(inv.edges).toContainEqual(
      expect.objectContaining({
        source_id: 'aws:us-east-1:aws.ec2.volume:vol-0aaa',
        target_id: 'aws:us-east-1:aws.ec2.instance:i-0abc',
        type: 'attached_to',
      }),
    );
    const trails = inv.nodes.filter((n) => n.type === 'aws.cloudtrail.trail');
    expect(trails).toHaveLength(1);
    expect(trails[0]).toMatchObject({
      id: `aws:us-east-1:aws.cloudtrail.trail:${A}/org-trail`,
      native_id: TRAIL_ARN,
      attributes: {
        log_file_validation_enabled: false,
        is_multi_region_trail: true,
        s3_bucket_name: 'acme-cloudtrail',
      },
    });
  });

  it('lets the EBS and CloudTrail rules judge them', () => {
    const run = (id: string) => {
      const rule = ruleById(id);
      if (!rule) throw new Error(`no rule ${id}`);
      return evaluateRules(inv.nodes, inv.edges, [rule]).results[0];
    };
    expect(run('aws.ebs.volume_not_encrypted')?.failures.map((f) => f.node_id)).toEqual([
      'aws:us-east-1:aws.ec2.volume:vol-0aaa',
    ]);
    const trails = run('aws.cloudtrail.log_file_validation_disabled');
    expect(trails?.evaluated).toBe(1);
    expect(trails?.failures.map((f) => f.node_name)).toEqual(['org-trail']);
  });
});
