/**
 * Other AWS services print some of the same top-level keys (`Policies`, `Users`, `Listeners`,
 * `Rules`, `Addresses`…). Their documents are skipped with a warning, never fatal and never misfiled; the
 * documents this parser reads are recognised by the shape of their items as well as by the key.
 */
import { describe, expect, it } from 'vitest';
import { IngestError, parseAwsSnapshot } from '../../../src/core/ingest/index.ts';

const A = '111111111111';
const vpcs = { name: 'vpcs.json', content: { Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16' }] } };

const foreign: [string, string, unknown][] = [
  [
    'organizations list-policies',
    'Policies are not IAM policies',
    {
      Policies: [
        {
          Id: 'p-FullAWSAccess',
          Arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
          Name: 'FullAWSAccess',
          Type: 'SERVICE_CONTROL_POLICY',
          AwsManaged: true,
        },
      ],
    },
  ],
  [
    'cognito-idp list-users',
    'Users are not IAM users',
    {
      Users: [
        {
          Username: 'alice',
          Attributes: [],
          UserCreateDate: '2024-01-01T00:00:00Z',
          Enabled: true,
          UserStatus: 'CONFIRMED',
        },
      ],
    },
  ],
  [
    'identitystore list-users',
    'Users are not IAM users',
    { Users: [{ UserName: 'alice@example.com', UserId: '906722b2-0000', IdentityStoreId: 'd-123' }] },
  ],
  [
    'globalaccelerator list-listeners',
    'Listeners are not ELBv2 listeners',
    {
      Listeners: [
        {
          ListenerArn: `arn:aws:globalaccelerator::${A}:accelerator/abc/listener/0123`,
          PortRanges: [{ FromPort: 80, ToPort: 80 }],
          Protocol: 'TCP',
          ClientAffinity: 'NONE',
        },
      ],
    },
  ],
  [
    'snowball describe-addresses',
    'Addresses are not EC2 Elastic IPs',
    { Addresses: [{ AddressId: 'ADID1', Name: 'Dock', Street1: '1 Main St', City: 'Seattle', Country: 'US' }] },
  ],
  [
    'ssm list-associations',
    'Associations are not transit gateway route table associations',
    { Associations: [{ Name: 'AWS-RunPatchBaseline', AssociationId: 'a-1', Targets: [] }] },
  ],
  [
    'events list-rules',
    'Rules are not ELBv2 listener rules',
    {
      Rules: [
        {
          Name: 'nightly',
          Arn: `arn:aws:events:us-east-1:${A}:rule/nightly`,
          EventPattern: '{"source":["aws.ec2"]}',
          State: 'ENABLED',
          EventBusName: 'default',
        },
      ],
    },
  ],
  [
    'waf (classic) list-rules',
    'Rules are not ELBv2 listener rules',
    { Rules: [{ RuleId: 'a123fae4-b567-8e90-1234-5ab67ac8ca90', Name: 'block-bad-ips' }] },
  ],
  [
    'elb (classic) describe-load-balancer-attributes',
    'LoadBalancerAttributes is not a list',
    { LoadBalancerAttributes: { CrossZoneLoadBalancing: { Enabled: true }, ConnectionDraining: { Enabled: false } } },
  ],
];

describe('aws_snapshot: documents of other AWS services that share a top-level key', () => {
  for (const [call, reason, content] of foreign) {
    it(`skips ${call} with a warning and reads the other documents`, () => {
      // a route-table id in the name gives Associations the context they would need
      const name = `${call.replaceAll(' ', '-')}-tgw-rtb-0a.json`;
      const inv = parseAwsSnapshot({ account_id: A, region: 'us-east-1', documents: [{ name, content }, vpcs] });
      expect(inv.nodes.map((n) => n.id)).toEqual(['aws:us-east-1:aws.ec2.vpc:vpc-1']);
      expect(inv.skipped_documents).toEqual([name]);
      expect(inv.warnings).toHaveLength(1);
      expect(inv.warnings[0]).toContain(`document "${name}": ${reason}`);
      expect(inv.warnings[0]).toContain("another AWS service's output");
    });
  }

  it('reads a key it recognises in a document whose other key is another service’s', () => {
    const inv = parseAwsSnapshot({
      account_id: A,
      region: 'us-east-1',
      documents: [
        { name: 'mixed.json', content: { Vpcs: vpcs.content.Vpcs, Users: [{ Username: 'alice', Attributes: [] }] } },
      ],
    });
    expect(inv.nodes.map((n) => n.id)).toEqual(['aws:us-east-1:aws.ec2.vpc:vpc-1']);
    expect(inv.skipped_documents).toEqual([]);
    expect(inv.warnings).toEqual([
      `document "mixed.json": Users are not IAM users (no item has an Arn arn:<partition>:iam::…): another AWS service's output, not read`,
    ]);
  });

  it('still reads the IAM, ELBv2, EC2 and S3 outputs, and empty lists, as before', () => {
    const lb = `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/app/web/0123456789abcdef`;
    const inv = parseAwsSnapshot({
      account_id: A,
      region: 'us-east-1',
      documents: [
        {
          name: 'users.json',
          content: { Users: [{ UserName: 'bob', UserId: 'AIDA1', Arn: `arn:aws:iam::${A}:user/bob` }] },
        },
        {
          name: 'policies.json',
          content: { Policies: [{ PolicyName: 'ReadOnly', Arn: 'arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess' }] },
        },
        { name: 'roles.json', content: { Roles: [] } },
        {
          name: 'lbs.json',
          content: { LoadBalancers: [{ LoadBalancerArn: lb, LoadBalancerName: 'web', Type: 'application' }] },
        },
        { name: 'listeners.json', content: { Listeners: [{ LoadBalancerArn: lb, Port: 443, Protocol: 'HTTPS' }] } },
        {
          name: 'eips.json',
          content: { Addresses: [{ PublicIp: '3.3.3.3', AllocationId: 'eipalloc-1', Domain: 'vpc' }] },
        },
        { name: 'buckets.json', content: { Buckets: [{ Name: 'logs', CreationDate: '2024-01-01T00:00:00Z' }] } },
      ],
    });
    expect(inv.skipped_documents).toEqual([]);
    expect(inv.warnings).toEqual([]);
    expect(inv.nodes.map((n) => n.id).sort()).toEqual([
      'aws:global:aws.iam.policy:aws/ReadOnly',
      `aws:global:aws.iam.user:${A}/bob`,
      'aws:global:aws.s3.bucket:logs',
      `aws:us-east-1:aws.ec2.elastic_ip:eipalloc-1`,
      `aws:us-east-1:aws.elbv2.load_balancer:${A}/web`,
    ]);
    expect(inv.nodes.find((n) => n.type === 'aws.elbv2.load_balancer')?.attributes.listeners).toEqual([
      { port: 443, protocol: 'HTTPS' },
    ]);
  });

  it('still fails a recognised document whose required field is malformed', () => {
    const bad = (content: unknown) => () =>
      parseAwsSnapshot({ account_id: A, region: 'us-east-1', documents: [{ name: 'iam-list-roles.json', content }] });
    expect(bad({ Roles: [{ RoleName: 42, Arn: `arn:aws:iam::${A}:role/x` }] })).toThrow(IngestError);
    expect(bad({ Roles: [{ RoleName: 42, Arn: `arn:aws:iam::${A}:role/x` }] })).toThrow(
      'document "iam-list-roles.json": Roles[0].RoleName must be a string',
    );
    expect(bad({ Addresses: [{ PublicIp: 7, AllocationId: 'eipalloc-1' }] })).toThrow(
      'Addresses[0].PublicIp must be a string',
    );
    expect(
      bad({ Listeners: [{ ListenerArn: `arn:aws:elasticloadbalancing:us-east-1:${A}:listener/app/web/1/2` }] }),
    ).toThrow('Listeners[0].LoadBalancerArn must be a string');
  });
});
