/**
 * VPC flow logs from `ec2 describe-flow-logs` in an AWS snapshot, and what they let the flow-log rule judge:
 * a VPC of an account and region whose flow logs were read, with none of its own, has none.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import { evaluateRules, ruleById } from '../../../src/core/rules/index.ts';

const A = '111111111111';
const vpc = (id: string) => ({
  VpcId: id,
  OwnerId: A,
  CidrBlock: '10.0.0.0/16',
  State: 'available',
  CidrBlockAssociationSet: [
    { AssociationId: `${id}-cidr`, CidrBlock: '10.0.0.0/16', CidrBlockState: { State: 'associated' } },
  ],
});
const flowLog = (id: string, resource: string, extra: Record<string, unknown> = {}) => ({
  FlowLogId: id,
  ResourceId: resource,
  TrafficType: 'ALL',
  LogDestinationType: 'cloud-watch-logs',
  LogGroupName: '/vpc/flow',
  FlowLogStatus: 'ACTIVE',
  DeliverLogsStatus: 'SUCCESS',
  CreationTime: '2026-11-02T10:00:00.000Z',
  Tags: [{ Key: 'team', Value: 'net' }],
  ...extra,
});

function snapshot(files: Record<string, unknown>) {
  return parseAwsSnapshot(
    snapshotDocumentsFromFiles(Object.entries(files).map(([path, content]) => ({ path, content }))),
  );
}

describe('aws_snapshot: FlowLogs (describe-flow-logs)', () => {
  const inv = snapshot({
    [`${A}/us-east-1/ec2-describe-vpcs.json`]: { Vpcs: [vpc('vpc-0aaa'), vpc('vpc-0bbb')] },
    [`${A}/us-east-1/ec2-describe-flow-logs.json`]: {
      FlowLogs: [
        flowLog('fl-0001', 'vpc-0aaa'),
        flowLog('fl-0002', 'subnet-0ccc', {
          TrafficType: 'REJECT',
          LogDestinationType: 's3',
          LogDestination: 'arn:aws:s3:::logs',
        }),
      ],
    },
    // Another region: VPCs, but its flow logs were not saved.
    [`${A}/eu-west-1/ec2-describe-vpcs.json`]: { Vpcs: [vpc('vpc-0eee')] },
  });

  it('keeps each flow log with the resource it records, as aws_flow_log names it', () => {
    expect(inv.warnings).toEqual([]);
    const logs = inv.nodes.filter((n) => n.type === 'aws.ec2.flow_log');
    expect(logs.map((n) => [n.id, n.tags])).toEqual([
      [`aws:us-east-1:aws.ec2.flow_log:fl-0001`, { team: 'net' }],
      [`aws:us-east-1:aws.ec2.flow_log:fl-0002`, { team: 'net' }],
    ]);
    expect(logs[0]?.attributes).toMatchObject({
      resource_id: 'vpc-0aaa',
      vpc_id: 'vpc-0aaa',
      subnet_id: null,
      traffic_type: 'ALL',
      log_destination: '/vpc/flow',
    });
    expect(logs[1]?.attributes).toMatchObject({
      vpc_id: null,
      subnet_id: 'subnet-0ccc',
      log_destination: 'arn:aws:s3:::logs',
    });
  });

  it('lets the rule judge the VPCs of the account and region whose flow logs were read, and only those', () => {
    const rule = ruleById('aws.vpc.flow_logs_disabled');
    if (!rule) throw new Error('no rule');
    const r = evaluateRules(inv.nodes, inv.edges, [rule]).results[0];
    // vpc-0bbb has only no log of its own (a subnet's log is not the VPC's); vpc-0eee's region was not read.
    expect(r?.failures.map((f) => f.message)).toEqual(['VPC vpc-0bbb has no flow log']);
    expect(r?.evaluated).toBe(2);
    expect(r?.skipped_node_ids).toEqual([`aws:eu-west-1:aws.ec2.vpc:vpc-0eee`]);
  });

  it('an empty list still says the region has no flow log', () => {
    const none = snapshot({
      [`${A}/us-east-1/ec2-describe-vpcs.json`]: { Vpcs: [vpc('vpc-0aaa')] },
      [`${A}/us-east-1/ec2-describe-flow-logs.json`]: { FlowLogs: [] },
    });
    const rule = ruleById('aws.vpc.flow_logs_disabled');
    if (!rule) throw new Error('no rule');
    expect(evaluateRules(none.nodes, none.edges, [rule]).results[0]?.failures).toHaveLength(1);
  });
});
