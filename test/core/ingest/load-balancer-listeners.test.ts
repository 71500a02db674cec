/**
 * Which target groups each listener forwards to, and each registration's target group and
 * health, as AWS CLI output (describe-listeners / describe-target-groups / describe-target-health)
 * and Terraform (aws_lb_listener default_action, aws_lb_target_group_attachment) give them.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { nodeById, snapshotFromFolder } from './helpers.ts';

const A = '111111111111';
const LB = `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/app/edge-alb/5d1b2c3d4e5f6001`;
const TG_A = `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/db-http/7a1b2c3d4e5f6001`;
const TG_B = `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/db-https/7a1b2c3d4e5f6002`;
const DB = 'i-0a1b2c3d4e5f60092';
const LB_NODE = `aws:us-east-1:aws.elbv2.load_balancer:${A}/edge-alb`;

describe('aws_snapshot: listener target groups and target health', () => {
  const inv = parseAwsSnapshot(snapshotFromFolder('aws-snapshot/two-listeners'));

  it('keeps each listener with the target groups its default actions forward to', () => {
    expect(nodeById(inv, LB_NODE).attributes.listeners).toEqual([
      {
        port: 80,
        protocol: 'HTTP',
        listener_arn: `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a1`,
        target_group_arns: [TG_A],
      },
      {
        port: 443,
        protocol: 'HTTPS',
        listener_arn: `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a2`,
        target_group_arns: [TG_B],
      },
    ]);
  });

  it('copies each registration to the load balancer with its target group, health state and reason', () => {
    expect(nodeById(inv, `aws:us-east-1:aws.elbv2.target_group:${A}/db-http`).attributes.targets).toEqual([
      { id: DB, port: 8080, health: 'unhealthy', health_reason: 'Target.FailedHealthChecks' },
    ]);
    expect(nodeById(inv, LB_NODE).attributes.targets).toEqual([
      {
        id: DB,
        port: 8080,
        target_group_arn: TG_A,
        health: 'unhealthy',
        health_reason: 'Target.FailedHealthChecks',
      },
      { id: DB, port: 8443, target_group_arn: TG_B, health: 'healthy' },
    ]);
  });

  const listenerDoc = (actions: Record<string, unknown>) => ({
    name: 'listeners.json',
    content: { Listeners: [{ LoadBalancerArn: LB, Port: 80, Protocol: 'HTTP', ...actions }] },
  });
  const lbDoc = {
    name: 'lbs.json',
    content: { LoadBalancers: [{ LoadBalancerArn: LB, LoadBalancerName: 'edge-alb' }] },
  };
  const listenersOf = (actions: Record<string, unknown>) =>
    nodeById(
      parseAwsSnapshot({ account_id: A, region: 'us-east-1', documents: [lbDoc, listenerDoc(actions)] }),
      LB_NODE,
    ).attributes.listeners;

  it('reads weighted ForwardConfig target groups, ignores non-forward actions, and leaves unknown mapping absent', () => {
    expect(
      listenersOf({
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: TG_A, Weight: 1 },
                { TargetGroupArn: TG_B, Weight: 3 },
              ],
            },
          },
        ],
      }),
    ).toEqual([{ port: 80, protocol: 'HTTP', target_group_arns: [TG_A, TG_B] }]);
    // A redirect listener forwards to no target group.
    expect(
      listenersOf({ DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443' } }] }),
    ).toEqual([{ port: 80, protocol: 'HTTP', target_group_arns: [] }]);
    // Without DefaultActions the snapshot does not say: no target_group_arns.
    expect(listenersOf({})).toEqual([{ port: 80, protocol: 'HTTP' }]);
  });
});

describe('terraform: aws_lb_listener target groups and aws_lb_target_group_attachment', () => {
  const R = (type: string, name: string, attributes: Record<string, unknown>) => ({
    mode: 'managed',
    type,
    name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 0, attributes }],
  });
  const tg = (name: string, arn: string, port: number) =>
    R('aws_lb_target_group', name, {
      id: arn,
      arn,
      name,
      port,
      protocol: 'HTTP',
      target_type: 'instance',
      vpc_id: 'vpc-1',
      load_balancer_arns: [LB],
      tags: {},
    });
  const state = {
    version: 4,
    terraform_version: '1.9.0',
    serial: 1,
    lineage: 'listeners',
    outputs: {},
    resources: [
      R('aws_lb', 'edge', {
        id: LB,
        arn: LB,
        name: 'edge-alb',
        internal: false,
        load_balancer_type: 'application',
        subnets: [],
        security_groups: [],
        vpc_id: 'vpc-1',
        tags: {},
      }),
      tg('db-http', TG_A, 8080),
      tg('db-https', TG_B, 8443),
      R('aws_lb_listener', 'http', {
        id: `${LB}/l80`,
        arn: `${LB}/l80`,
        load_balancer_arn: LB,
        port: 80,
        protocol: 'HTTP',
        default_action: [{ type: 'forward', target_group_arn: TG_A, forward: [] }],
      }),
      R('aws_lb_listener', 'https', {
        id: `${LB}/l443`,
        arn: `${LB}/l443`,
        load_balancer_arn: LB,
        port: 443,
        protocol: 'HTTPS',
        default_action: [
          {
            type: 'forward',
            target_group_arn: '',
            forward: [{ target_group: [{ arn: TG_B, weight: 1 }], stickiness: [] }],
          },
        ],
      }),
      R('aws_lb_target_group_attachment', 'http', { id: 'a1', target_group_arn: TG_A, target_id: DB, port: 8080 }),
      R('aws_lb_target_group_attachment', 'https', { id: 'a2', target_group_arn: TG_B, target_id: DB, port: 8443 }),
    ],
  };
  const inv = parseTerraformState(state);
  const lb = inv.nodes.find((n) => n.type === 'aws.elbv2.load_balancer');

  it('keeps each listener with its default_action / forward target groups', () => {
    expect(lb?.attributes.listeners).toEqual([
      { port: 80, protocol: 'HTTP', listener_arn: `${LB}/l80`, target_group_arns: [TG_A] },
      { port: 443, protocol: 'HTTPS', listener_arn: `${LB}/l443`, target_group_arns: [TG_B] },
    ]);
  });

  it('copies each attachment to the load balancer with its target group (health unknown)', () => {
    expect(lb?.attributes.targets).toEqual([
      { id: DB, port: 8080, target_group_arn: TG_A, health: null },
      { id: DB, port: 8443, target_group_arn: TG_B, health: null },
    ]);
  });
});
