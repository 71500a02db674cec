/**
 * The tracer over inventories as the ingest parsers build them (AWS CLI
 * snapshots, Terraform states), not hand-made nodes: snapshot nodes have
 * ARNs as native ids, load balancer targets are bare instance ids, Elastic
 * IPs may sit on secondary private addresses.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { buildNetworkModel, exposure, trace } from '../../../src/core/pathtrace/index.ts';

const ACCT = '111111111111';
const REGION = 'us-east-1';
const VPC = 'vpc-0aaa0000000000001';
const instanceNode = (id: string) => `aws:${REGION}:aws.ec2.instance:${id}`;

const tags = (name: string) => [{ Key: 'Name', Value: name }];

function permission(port: number, source: { cidr?: string; group?: string }) {
  return {
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    IpRanges: source.cidr ? [{ CidrIp: source.cidr }] : [],
    Ipv6Ranges: [],
    PrefixListIds: [],
    UserIdGroupPairs: source.group ? [{ GroupId: source.group, UserId: ACCT }] : [],
  };
}

const ALL_EGRESS = [
  { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
];

function securityGroup(id: string, name: string, ingress: unknown[]) {
  return {
    Description: name,
    GroupName: name,
    GroupId: id,
    OwnerId: ACCT,
    VpcId: VPC,
    IpPermissions: ingress,
    IpPermissionsEgress: ALL_EGRESS,
    Tags: tags(name),
  };
}

function subnet(id: string, cidr: string, name: string) {
  return {
    AvailabilityZone: 'us-east-1a',
    CidrBlock: cidr,
    MapPublicIpOnLaunch: false,
    State: 'available',
    SubnetId: id,
    VpcId: VPC,
    OwnerId: ACCT,
    SubnetArn: `arn:aws:ec2:${REGION}:${ACCT}:subnet/${id}`,
    Tags: tags(name),
  };
}

const DEFAULT_ACL_ENTRIES = [
  { CidrBlock: '0.0.0.0/0', Egress: true, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 },
  { CidrBlock: '0.0.0.0/0', Egress: true, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
  { CidrBlock: '0.0.0.0/0', Egress: false, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 },
  { CidrBlock: '0.0.0.0/0', Egress: false, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
];

/** An instance as describe-instances prints it, with its embedded primary interface. */
function instance(
  id: string,
  name: string,
  subnetId: string,
  privateIps: { ip: string; publicIp?: string }[],
  group: string,
  opts: { publicIp?: string; eniAssociation?: boolean } = {},
) {
  const primary = privateIps[0]!;
  const association = (publicIp: string) => ({ IpOwnerId: ACCT, PublicDnsName: '', PublicIp: publicIp });
  return {
    InstanceId: id,
    InstanceType: 't3.micro',
    ImageId: 'ami-0abc',
    State: { Code: 16, Name: 'running' },
    Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' },
    PrivateIpAddress: primary.ip,
    ...(opts.publicIp ? { PublicIpAddress: opts.publicIp } : {}),
    SubnetId: subnetId,
    VpcId: VPC,
    SecurityGroups: [{ GroupId: group, GroupName: group }],
    Tags: tags(name),
    NetworkInterfaces: [
      {
        ...(opts.eniAssociation && primary.publicIp ? { Association: association(primary.publicIp) } : {}),
        Attachment: {
          AttachmentId: `eni-attach-${id.slice(2)}`,
          DeleteOnTermination: true,
          DeviceIndex: 0,
          Status: 'attached',
        },
        Groups: [{ GroupId: group, GroupName: group }],
        Ipv6Addresses: [],
        NetworkInterfaceId: `eni-${id.slice(2)}`,
        OwnerId: ACCT,
        PrivateIpAddress: primary.ip,
        PrivateIpAddresses: privateIps.map((p, i) => ({
          Primary: i === 0,
          PrivateIpAddress: p.ip,
          ...(p.publicIp ? { Association: association(p.publicIp) } : {}),
        })),
        SourceDestCheck: true,
        Status: 'in-use',
        SubnetId: subnetId,
        VpcId: VPC,
        InterfaceType: 'interface',
      },
    ],
  };
}

/** A VPC with a public subnet (route to the internet gateway) and an app subnet (local only). */
function baseSnapshot(instances: unknown[], groups: unknown[]): Record<string, unknown> {
  return {
    'ec2-describe-vpcs.json': {
      Vpcs: [
        {
          CidrBlock: '10.0.0.0/16',
          State: 'available',
          VpcId: VPC,
          OwnerId: ACCT,
          IsDefault: false,
          CidrBlockAssociationSet: [
            { AssociationId: 'vpc-cidr-assoc-1', CidrBlock: '10.0.0.0/16', CidrBlockState: { State: 'associated' } },
          ],
        },
      ],
    },
    'ec2-describe-subnets.json': {
      Subnets: [subnet('subnet-0a01', '10.0.1.0/24', 'a-public'), subnet('subnet-0a02', '10.0.2.0/24', 'a-app')],
    },
    'ec2-describe-internet-gateways.json': {
      InternetGateways: [
        { InternetGatewayId: 'igw-0aaa', OwnerId: ACCT, Attachments: [{ State: 'available', VpcId: VPC }], Tags: [] },
      ],
    },
    'ec2-describe-route-tables.json': {
      RouteTables: [
        {
          RouteTableId: 'rtb-0amain',
          VpcId: VPC,
          OwnerId: ACCT,
          Associations: [{ Main: true, RouteTableAssociationId: 'rtbassoc-m', RouteTableId: 'rtb-0amain' }],
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
          ],
        },
        {
          RouteTableId: 'rtb-0apub',
          VpcId: VPC,
          OwnerId: ACCT,
          Associations: [
            { Main: false, RouteTableAssociationId: 'rtbassoc-p', RouteTableId: 'rtb-0apub', SubnetId: 'subnet-0a01' },
          ],
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
            { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0aaa', Origin: 'CreateRoute', State: 'active' },
          ],
        },
      ],
    },
    'ec2-describe-network-acls.json': {
      NetworkAcls: [
        {
          NetworkAclId: 'acl-0adef',
          VpcId: VPC,
          OwnerId: ACCT,
          IsDefault: true,
          Associations: [
            { NetworkAclAssociationId: 'aclassoc-1', NetworkAclId: 'acl-0adef', SubnetId: 'subnet-0a01' },
            { NetworkAclAssociationId: 'aclassoc-2', NetworkAclId: 'acl-0adef', SubnetId: 'subnet-0a02' },
          ],
          Entries: DEFAULT_ACL_ENTRIES,
        },
      ],
    },
    'ec2-describe-security-groups.json': { SecurityGroups: groups },
    'ec2-describe-instances.json': { Reservations: [{ ReservationId: 'r-1', OwnerId: ACCT, Instances: instances }] },
  };
}

function modelOf(files: Record<string, unknown>) {
  const inv = parseAwsSnapshot({
    account_id: ACCT,
    region: REGION,
    documents: Object.entries(files).map(([name, content]) => ({ name, content })),
  });
  return buildNetworkModel(inv.nodes, inv.edges);
}

// ---------------------------------------------------------------------------------------------

const LB_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCT}:loadbalancer/app/web-alb/50dc6c495c0c9188`;
const TG_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCT}:targetgroup/app-tg/73e2d6bc24d8a067`;
const LB_NODE = `aws:${REGION}:aws.elbv2.load_balancer:${ACCT}/web-alb`;

/** QA snapshot L: internet-facing ALB web-alb, listener 443 → app-tg, target i-0app on port 8080. */
function albSnapshot(): Record<string, unknown> {
  const files = baseSnapshot(
    [instance('i-0app', 'app-01', 'subnet-0a02', [{ ip: '10.0.2.10' }], 'sg-0app')],
    [
      securityGroup('sg-0alb', 'alb', [permission(443, { cidr: '0.0.0.0/0' })]),
      // The app listens on 8080 and admits it only from the load balancer.
      securityGroup('sg-0app', 'app', [permission(8080, { group: 'sg-0alb' })]),
    ],
  );
  files['elbv2-describe-load-balancers.json'] = {
    LoadBalancers: [
      {
        LoadBalancerArn: LB_ARN,
        DNSName: 'web-alb-1.us-east-1.elb.amazonaws.com',
        LoadBalancerName: 'web-alb',
        Scheme: 'internet-facing',
        VpcId: VPC,
        State: { Code: 'active' },
        Type: 'application',
        AvailabilityZones: [{ ZoneName: 'us-east-1a', SubnetId: 'subnet-0a01', LoadBalancerAddresses: [] }],
        SecurityGroups: ['sg-0alb'],
        IpAddressType: 'ipv4',
      },
    ],
  };
  files['elbv2-describe-listeners.json'] = {
    Listeners: [
      {
        ListenerArn: `${LB_ARN.replace('loadbalancer', 'listener')}/f2f7dc8efc522ab2`,
        LoadBalancerArn: LB_ARN,
        Port: 443,
        Protocol: 'HTTPS',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN, Order: 1 }],
      },
    ],
  };
  files['elbv2-describe-target-groups.json'] = {
    TargetGroups: [
      {
        TargetGroupArn: TG_ARN,
        TargetGroupName: 'app-tg',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: VPC,
        TargetType: 'instance',
        LoadBalancerArns: [LB_ARN],
      },
    ],
  };
  files['elbv2-describe-target-health.json'] = {
    TargetGroupArn: TG_ARN,
    TargetHealthDescriptions: [
      {
        Target: { Id: 'i-0app', Port: 8080, AvailabilityZone: 'us-east-1a' },
        HealthCheckPort: '8080',
        TargetHealth: { State: 'healthy' },
      },
    ],
  };
  files['ec2-describe-network-interfaces.json'] = {
    NetworkInterfaces: [
      {
        Association: { IpOwnerId: 'amazon-elb', PublicIp: '34.1.1.1' },
        AvailabilityZone: 'us-east-1a',
        Description: 'ELB app/web-alb/50dc6c495c0c9188',
        Groups: [{ GroupId: 'sg-0alb', GroupName: 'alb' }],
        InterfaceType: 'interface',
        NetworkInterfaceId: 'eni-0alb1',
        OwnerId: ACCT,
        PrivateIpAddress: '10.0.1.50',
        PrivateIpAddresses: [
          {
            Primary: true,
            PrivateIpAddress: '10.0.1.50',
            Association: { IpOwnerId: 'amazon-elb', PublicIp: '34.1.1.1' },
          },
        ],
        RequesterId: 'amazon-elb',
        RequesterManaged: true,
        SourceDestCheck: true,
        Status: 'in-use',
        SubnetId: 'subnet-0a01',
        VpcId: VPC,
        Attachment: { AttachmentId: 'ela-attach-1', DeviceIndex: 1, InstanceOwnerId: 'amazon-aws', Status: 'attached' },
      },
    ],
  };
  return files;
}

describe('IP targets on a secondary address of an instance', () => {
  /** The ALB of albSnapshot with an `ip` target group: app-01's secondary 10.0.2.11 on 8080, its primary on 9090. */
  function ipTargets() {
    const files = albSnapshot();
    files['ec2-describe-instances.json'] = baseSnapshot(
      [instance('i-0app', 'app-01', 'subnet-0a02', [{ ip: '10.0.2.10' }, { ip: '10.0.2.11' }], 'sg-0app')],
      [],
    )['ec2-describe-instances.json'];
    const groups = files['elbv2-describe-target-groups.json'] as { TargetGroups: Record<string, unknown>[] };
    groups.TargetGroups[0]!.TargetType = 'ip';
    files['elbv2-describe-target-health.json'] = {
      TargetGroupArn: TG_ARN,
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.2.11', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.0.2.10', Port: 9090 }, TargetHealth: { State: 'healthy' } },
      ],
    };
    return modelOf(files);
  }

  it('sends to the registered address, not the interface’s primary one, and keeps both registrations', () => {
    const r = trace(ipTargets(), {
      source: { internet: true },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp',
      port: 443,
      all_paths: true,
    });
    expect(r.reachable).toBe(true);
    // One path per (internet source candidate, registration): the distinct outcomes are the registrations'.
    const outcomes = new Set(
      (r.paths ?? []).map((p) =>
        JSON.stringify([
          p.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note,
          p.reachable,
          p.blocked_by?.native_id ?? null,
        ]),
      ),
    );
    // sg-0app admits 8080 from the load balancer, not 9090.
    expect([...outcomes].sort()).toEqual([
      JSON.stringify(['web-alb forwards to target app-01 (10.0.2.10 port 9090)', false, 'sg-0app']),
      JSON.stringify(['web-alb forwards to target app-01 (10.0.2.11 port 8080)', true, null]),
    ]);
  });

  it('exposure names the registered address the load balancer reaches, not the primary', () => {
    const entry = exposure(ipTargets(), { ports: [443], protocols: ['tcp'] }).exposed.find(
      (x) => x.node_id === instanceNode('i-0app'),
    );
    expect(entry).toMatchObject({ via: 'load_balancer', private_ip: '10.0.2.11' });
    expect(entry?.services[0]?.target_ports).toEqual([{ from: 8080, to: 8080 }]);
  });
});

describe('load balancer targets of a snapshot inventory (target id = bare instance id)', () => {
  const model = modelOf(albSnapshot());

  it('reaches the instance from the internet through the ALB, on the registered target port', () => {
    const r = trace(model, {
      source: { internet: true },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.destination).toMatchObject({ node_id: instanceNode('i-0app'), eni_id: 'eni-0app', ip: '10.0.2.10' });
    expect(r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note).toBe(
      'web-alb forwards to target app-01 (10.0.2.10 port 8080)',
    );
    // sg-0app admits 8080 (not 443) from the load balancer's group.
    expect(r.hops.find((h) => h.kind === 'security_group' && h.native_id === 'sg-0app')).toMatchObject({
      direction: 'ingress',
      decision: 'allow',
    });
    expect(r.assumptions.some((a) => a.includes('target ports of web-alb'))).toBe(false);
  });

  it('only the listener port gets in: 8080 from the internet stops at the load balancer', () => {
    const r = trace(model, {
      source: { internet: true },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp',
      port: 8080,
    });
    expect(r.reachable).toBe(false);
    expect(r.disposition).not.toBe('NO_PUBLIC_IP');
    expect(r.blocked_by?.native_id).toBe('sg-0alb');
  });

  it('uses the registered target port however the target was matched (instance without a Name tag)', () => {
    const files = albSnapshot();
    const reservations = (
      files['ec2-describe-instances.json'] as { Reservations: { Instances: { Tags: unknown[] }[] }[] }
    ).Reservations;
    reservations[0]!.Instances[0]!.Tags = [];
    const r = trace(modelOf(files), {
      source: { internet: true },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note).toBe(
      'web-alb forwards to target i-0app (10.0.2.10 port 8080)',
    );
    expect(r.assumptions.some((a) => a.includes('target ports of web-alb'))).toBe(false);
  });

  it('lists the instance in the exposure report as the ALB target', () => {
    const e = exposure(model, { ports: [443, 8080], protocols: ['tcp'] });
    const app = e.exposed.find((x) => x.node_id === instanceNode('i-0app'));
    expect(app).toMatchObject({
      via: 'load_balancer',
      load_balancer_node_id: LB_NODE,
      eni_id: 'eni-0app',
      private_ip: '10.0.2.10',
      services: [{ protocol: 'tcp', ports: [{ from: 443, to: 443 }] }],
    });
  });
});

describe('a target registered on several ports in a snapshot (describe-target-health)', () => {
  const TG_B_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCT}:targetgroup/app-tg-b/0f1e2d3c4b5a6978`;
  const forwardNote = (hops: { kind: string; direction: string; note?: string }[]) =>
    hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note;
  const toApp = {
    source: { internet: true as const },
    destination: { node_id: instanceNode('i-0app') },
    protocol: 'tcp' as const,
    port: 443,
  };
  const health = (port: number) => ({
    Target: { Id: 'i-0app', Port: port, AvailabilityZone: 'us-east-1a' },
    HealthCheckPort: 'traffic-port',
    TargetHealth: { State: 'healthy' },
  });

  /** ECS dynamic port mapping: one target group, i-0app registered on 8080 and 8081; sg-0app admits 8080 only. */
  function oneGroupTwoPorts() {
    const files = albSnapshot();
    files['elbv2-describe-target-health.json'] = {
      TargetGroupArn: TG_ARN,
      TargetHealthDescriptions: [health(8080), health(8081)],
    };
    return files;
  }

  /** The listener forwards (weighted) to two groups: app-tg (i-0app:8080) and app-tg-b (i-0app:8081). */
  function twoGroups() {
    const files = albSnapshot();
    const listeners = files['elbv2-describe-listeners.json'] as { Listeners: { DefaultActions: unknown[] }[] };
    listeners.Listeners[0]!.DefaultActions = [
      {
        Type: 'forward',
        Order: 1,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: TG_ARN, Weight: 1 },
            { TargetGroupArn: TG_B_ARN, Weight: 1 },
          ],
        },
      },
    ];
    const groups = files['elbv2-describe-target-groups.json'] as { TargetGroups: Record<string, unknown>[] };
    groups.TargetGroups.push({
      ...groups.TargetGroups[0]!,
      TargetGroupArn: TG_B_ARN,
      TargetGroupName: 'app-tg-b',
      Port: 8081,
    });
    files['elbv2-describe-target-health.json'] = {
      LoadBalancerTargetHealth: [
        { TargetGroupArn: TG_ARN, TargetHealthDescriptions: [health(8080)] },
        { TargetGroupArn: TG_B_ARN, TargetHealthDescriptions: [health(8081)] },
      ],
    };
    return files;
  }

  for (const [label, files] of [
    ['one target group, two ports', oneGroupTwoPorts],
    ['two target groups of the load balancer', twoGroups],
  ] as const) {
    it(`reaches the instance on the registered port sg-0app admits (${label})`, () => {
      const model = modelOf(files());
      expect(model.loadBalancers.get(LB_ARN)?.targets.map((t) => [t.eni.id, t.port])).toEqual([
        ['eni-0app', 8080],
        ['eni-0app', 8081],
      ]);
      const r = trace(model, toApp);
      expect(r.reachable).toBe(true);
      expect(forwardNote(r.hops)).toBe('web-alb forwards to target app-01 (10.0.2.10 port 8080)');
      const all = trace(model, { ...toApp, all_paths: true, max_paths: 2 });
      expect(all.paths?.map((p) => [forwardNote(p.hops), p.reachable, p.blocked_by?.native_id ?? null])).toEqual([
        ['web-alb forwards to target app-01 (10.0.2.10 port 8080)', true, null],
        ['web-alb forwards to target app-01 (10.0.2.10 port 8081)', false, 'sg-0app'],
      ]);
      const e = exposure(model, { ports: [443], protocols: ['tcp'] });
      expect(e.exposed.find((x) => x.node_id === instanceNode('i-0app'))?.services).toEqual([
        expect.objectContaining({ ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8080, to: 8080 }] }),
      ]);
    });
  }

  it('lists both registered ports in the exposure report when sg-0app admits both', () => {
    const files = oneGroupTwoPorts();
    const sgs = files['ec2-describe-security-groups.json'] as { SecurityGroups: { IpPermissions: unknown[] }[] };
    sgs.SecurityGroups[1]!.IpPermissions.push(permission(8081, { group: 'sg-0alb' }));
    const e = exposure(modelOf(files), { ports: [443], protocols: ['tcp'] });
    expect(e.exposed.find((x) => x.node_id === instanceNode('i-0app'))?.services).toEqual([
      expect.objectContaining({ ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8080, to: 8081 }] }),
    ]);
  });
});

describe("a listener rule forwarding to another listener's default target group (describe-rules)", () => {
  const LISTENER_80 = `${LB_ARN.replace('loadbalancer', 'listener')}/0a0b0c0d0e0f0080`;
  const TG_B_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCT}:targetgroup/other-tg/0f1e2d3c4b5a6978`;
  const toAppOn80 = {
    source: { internet: true as const },
    destination: { node_id: instanceNode('i-0app') },
    protocol: 'tcp' as const,
    port: 80,
  };

  /** Listener 443's default is app-tg; listener 80's default forwards to other-tg (no targets). */
  function withListener80(rules: boolean) {
    const files = albSnapshot();
    const sgs = files['ec2-describe-security-groups.json'] as { SecurityGroups: { IpPermissions: unknown[] }[] };
    sgs.SecurityGroups[0]!.IpPermissions.push(permission(80, { cidr: '0.0.0.0/0' }));
    const groups = files['elbv2-describe-target-groups.json'] as { TargetGroups: Record<string, unknown>[] };
    groups.TargetGroups.push({ ...groups.TargetGroups[0]!, TargetGroupArn: TG_B_ARN, TargetGroupName: 'other-tg' });
    const listeners = files['elbv2-describe-listeners.json'] as { Listeners: unknown[] };
    listeners.Listeners.push({
      ListenerArn: LISTENER_80,
      LoadBalancerArn: LB_ARN,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_B_ARN, Order: 1 }],
    });
    if (rules) {
      const rule = (id: string, priority: string, isDefault: boolean, tg: string, conditions: unknown[]) => ({
        RuleArn: `${LISTENER_80.replace(':listener/', ':listener-rule/')}/${id}`,
        Priority: priority,
        Conditions: conditions,
        Actions: [{ Type: 'forward', TargetGroupArn: tg, Order: 1 }],
        IsDefault: isDefault,
      });
      files['elbv2-describe-rules.json'] = {
        Rules: [
          rule('9683b2d02a6cabee', '10', false, TG_ARN, [
            { Field: 'path-pattern', PathPatternConfig: { Values: ['/app/*'] }, Values: ['/app/*'] },
          ]),
          rule('ad5a5e6d4ae2e4b0', 'default', true, TG_B_ARN, []),
        ],
      };
    }
    return files;
  }

  it("without the rules, port 80 is refused at the load balancer (app-tg is listener 443's)", () => {
    const r = trace(modelOf(withListener80(false)), toAppOn80);
    expect(r.reachable).toBe(false);
  });

  it('with the rules, a trace on port 80 reaches the target of app-tg', () => {
    const model = modelOf(withListener80(true));
    const r = trace(model, toAppOn80);
    expect(r.reachable).toBe(true);
    expect(r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note).toBe(
      'web-alb forwards to target app-01 (10.0.2.10 port 8080)',
    );
    expect(r.assumptions.some((a) => a.includes('not named by any listener'))).toBe(false);
    expect(trace(model, { ...toAppOn80, port: 443 }).reachable).toBe(true);
  });
});

describe('listener rules: source-ip conditions and rules that answer every request (describe-rules)', () => {
  const LISTENER_443 = `${LB_ARN.replace('loadbalancer', 'listener')}/f2f7dc8efc522ab2`;
  const TG_B_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCT}:targetgroup/other-tg/0f1e2d3c4b5a6978`;
  const toApp = {
    source: { internet: true as const },
    destination: { node_id: instanceNode('i-0app') },
    protocol: 'tcp' as const,
    port: 443,
  };
  type Rule = { priority: number; conditions: unknown[]; actions: unknown[] };
  const forwardTo = (tg: string) => [{ Type: 'forward', TargetGroupArn: tg, Order: 1 }];
  const fixedResponse = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' }, Order: 1 }];
  const sourceIp = (...cidrs: string[]) => ({ Field: 'source-ip', SourceIpConfig: { Values: cidrs } });
  const path = (...patterns: string[]) => ({ Field: 'path-pattern', PathPatternConfig: { Values: patterns } });

  /** albSnapshot's listener 443 with `defaultTo` as its default target group and these rules. */
  function withRules(defaultTo: string, rules: Rule[]) {
    const files = albSnapshot();
    const groups = files['elbv2-describe-target-groups.json'] as { TargetGroups: Record<string, unknown>[] };
    groups.TargetGroups.push({ ...groups.TargetGroups[0]!, TargetGroupArn: TG_B_ARN, TargetGroupName: 'other-tg' });
    const listeners = files['elbv2-describe-listeners.json'] as { Listeners: Record<string, unknown>[] };
    listeners.Listeners[0]!.DefaultActions = forwardTo(defaultTo);
    files['elbv2-describe-rules.json'] = {
      Rules: [
        ...rules.map((r) => ({
          RuleArn: `${LISTENER_443.replace(':listener/', ':listener-rule/')}/${String(r.priority).padStart(16, '0')}`,
          Priority: String(r.priority),
          Conditions: r.conditions,
          Actions: r.actions,
          IsDefault: false,
        })),
        {
          RuleArn: `${LISTENER_443.replace(':listener/', ':listener-rule/')}/ad5a5e6d4ae2e4b0`,
          Priority: 'default',
          Conditions: [],
          Actions: forwardTo(defaultTo),
          IsDefault: true,
        },
      ],
    };
    return modelOf(files);
  }
  const lbDrop = (r: ReturnType<typeof trace>) =>
    r.hops.find((h) => h.kind === 'load_balancer' && h.decision === 'drop');

  it('reaches a target group behind a source-ip rule only from its CIDRs, and says why elsewhere', () => {
    const model = withRules(TG_B_ARN, [
      { priority: 10, conditions: [path('/admin/*'), sourceIp('203.0.113.0/24')], actions: forwardTo(TG_ARN) },
    ]);
    const fromInternet = trace(model, toApp);
    expect(fromInternet.reachable).toBe(true);
    expect(fromInternet.source.ip).toMatch(/^203\.0\.113\./);

    const fromOther = trace(model, { ...toApp, source: { ip: '198.51.100.7' } });
    expect(fromOther.reachable).toBe(false);
    expect(lbDrop(fromOther)?.note).toBe(
      'web-alb does not forward this traffic to app-01 (target group app-tg): listener HTTPS:443 forwards traffic from 198.51.100.7 to target group other-tg; its rule of priority 10 forwards to it only from 203.0.113.0/24',
    );
    expect(trace(model, { ...toApp, source: { ip: '203.0.113.9' } }).reachable).toBe(true);
  });

  it('exposes the target only to the rule’s sources: not open to any address', () => {
    const model = withRules(TG_B_ARN, [
      { priority: 10, conditions: [sourceIp('203.0.113.0/24')], actions: forwardTo(TG_ARN) },
    ]);
    const service = exposure(model, { ports: [443], protocols: ['tcp'] }).exposed.find(
      (x) => x.node_id === instanceNode('i-0app'),
    )?.services[0];
    expect(service).toMatchObject({ ports: [{ from: 443, to: 443 }], open_to_any_address: false });
    expect(service?.example_source_ip).toMatch(/^203\.0\.113\./);

    // With the target group also the default, every address reaches it.
    const open = exposure(
      withRules(TG_ARN, [{ priority: 10, conditions: [sourceIp('203.0.113.0/24')], actions: forwardTo(TG_B_ARN) }]),
      { ports: [443], protocols: ['tcp'] },
    ).exposed.find((x) => x.node_id === instanceNode('i-0app'))?.services[0];
    // ...except 203.0.113.0/24, whose requests all go to other-tg.
    expect(open).toMatchObject({ open_to_any_address: false });
    expect(open?.example_source_ip).not.toMatch(/^203\.0\.113\./);
  });

  it('a rule answering every request hides the rules after it and the default action', () => {
    const model = withRules(TG_ARN, [
      { priority: 1, conditions: [path('/*')], actions: fixedResponse },
      { priority: 5, conditions: [path('/api/*')], actions: forwardTo(TG_ARN) },
    ]);
    const r = trace(model, toApp);
    expect(r.reachable).toBe(false);
    expect(lbDrop(r)?.note).toMatch(
      /^web-alb does not forward this traffic to app-01 \(target group app-tg\): listener HTTPS:443 forwards traffic from [\d.]+ to no target group \(rule of priority 1 answers every request from [\d.]+\); its rule of priority 5, which forwards to it, comes after rule of priority 1; its default action, which forwards to it, is never reached: rule of priority 1 comes first$/,
    );
    // A rule that matches only some paths hides nothing.
    const partial = withRules(TG_ARN, [{ priority: 1, conditions: [path('/status')], actions: fixedResponse }]);
    expect(trace(partial, toApp).reachable).toBe(true);
  });

  it('a catch-all rule for some sources hides the default action from those sources only', () => {
    // Maintenance page for the office's range; everyone else reaches app-tg.
    const model = withRules(TG_ARN, [
      { priority: 1, conditions: [sourceIp('198.51.100.0/24')], actions: fixedResponse },
    ]);
    expect(trace(model, toApp).reachable).toBe(true);
    expect(trace(model, { ...toApp, source: { ip: '198.51.100.20' } }).reachable).toBe(false);
    expect(trace(model, { ...toApp, source: { ip: '192.0.2.200' } }).reachable).toBe(true);
  });
});

describe('a Network Load Balancer keeps the client’s address for instance targets (client IP preservation)', () => {
  const toApp = {
    source: { internet: true as const },
    destination: { node_id: instanceNode('i-0app') },
    protocol: 'tcp' as const,
    port: 443,
  };

  /** albSnapshot's load balancer as an NLB without security groups: TCP 443 → app on 8080. */
  function nlb(
    appIngress: unknown[],
    targetType: 'instance' | 'ip' = 'instance',
    preserve?: 'true' | 'false',
    edit: (files: Record<string, unknown>) => void = () => {},
  ) {
    const files = albSnapshot();
    edit(files);
    const lbs = files['elbv2-describe-load-balancers.json'] as { LoadBalancers: Record<string, unknown>[] };
    lbs.LoadBalancers[0]!.Type = 'network';
    delete lbs.LoadBalancers[0]!.SecurityGroups;
    const enis = files['ec2-describe-network-interfaces.json'] as { NetworkInterfaces: Record<string, unknown>[] };
    enis.NetworkInterfaces[0]!.Groups = [];
    const listeners = files['elbv2-describe-listeners.json'] as { Listeners: Record<string, unknown>[] };
    listeners.Listeners[0]!.Protocol = 'TCP';
    const groups = files['elbv2-describe-target-groups.json'] as { TargetGroups: Record<string, unknown>[] };
    Object.assign(groups.TargetGroups[0]!, { Protocol: 'TCP', TargetType: targetType });
    if (targetType === 'ip') {
      files['elbv2-describe-target-health.json'] = {
        TargetGroupArn: TG_ARN,
        TargetHealthDescriptions: [{ Target: { Id: '10.0.2.10', Port: 8080 }, TargetHealth: { State: 'healthy' } }],
      };
    }
    if (preserve) {
      // describe-target-group-attributes, as a per-group list (the group's ARN beside its attributes).
      files['elbv2-target-group-attributes.json'] = {
        TargetGroupAttributes: [
          { TargetGroupArn: TG_ARN, Attributes: [{ Key: 'preserve_client_ip.enabled', Value: preserve }] },
        ],
      };
    }
    const sgs = files['ec2-describe-security-groups.json'] as { SecurityGroups: { IpPermissions: unknown[] }[] };
    sgs.SecurityGroups[1]!.IpPermissions = appIngress;
    return modelOf(files);
  }
  const forwardNote = (r: ReturnType<typeof trace>) =>
    r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note;

  it('an instance target admitting only the VPC is not reachable from the internet: it sees the client', () => {
    const r = trace(nlb([permission(8080, { cidr: '10.0.0.0/16' })]), toApp);
    expect(r.reachable).toBe(false);
    expect(r.blocked_by?.native_id).toBe('sg-0app');
    expect(forwardNote(r)).toMatch(
      /^web-alb forwards to target app-01 \(10\.0\.2\.10 port 8080\), keeping the client's address /,
    );
    expect(
      exposure(nlb([permission(8080, { cidr: '10.0.0.0/16' })]), { ports: [443], protocols: ['tcp'] }).exposed.map(
        (e) => e.node_id,
      ),
    ).not.toContain(instanceNode('i-0app'));
  });

  it('admitting the client’s range reaches it, from that range only', () => {
    const model = nlb([permission(8080, { cidr: '203.0.113.0/24' })]);
    const r = trace(model, toApp);
    expect(r.reachable).toBe(true);
    expect(r.source.ip).toMatch(/^203\.0\.113\./);
    expect(trace(model, { ...toApp, source: { ip: '198.51.100.9' } }).reachable).toBe(false);
    const service = exposure(model, { ports: [443], protocols: ['tcp'] }).exposed.find(
      (e) => e.node_id === instanceNode('i-0app'),
    )?.services[0];
    expect(service).toMatchObject({ open_to_any_address: false, target_ports: [{ from: 8080, to: 8080 }] });
  });

  it('an IP target over TCP sees the load balancer’s address (no preservation by default)', () => {
    const r = trace(nlb([permission(8080, { cidr: '10.0.0.0/16' })], 'ip'), toApp);
    expect(r.reachable).toBe(true);
    expect(forwardNote(r)).toBe('web-alb forwards to target app-01 (10.0.2.10 port 8080)');
  });

  /** The app subnet gets a network ACL of its own that lets out only these entries (and in everything). */
  const appSubnetAcl = (egress: Record<string, unknown>[]) => (files: Record<string, unknown>) => {
    const acls = files['ec2-describe-network-acls.json'] as { NetworkAcls: Record<string, unknown>[] };
    const main = acls.NetworkAcls[0]!;
    main.Associations = (main.Associations as { SubnetId: string }[]).filter((a) => a.SubnetId !== 'subnet-0a02');
    acls.NetworkAcls.push({
      NetworkAclId: 'acl-0app',
      VpcId: VPC,
      OwnerId: ACCT,
      IsDefault: false,
      Associations: [{ NetworkAclAssociationId: 'aclassoc-3', NetworkAclId: 'acl-0app', SubnetId: 'subnet-0a02' }],
      Entries: [
        ...egress.map((e, i) => ({ Egress: true, RuleAction: 'allow', RuleNumber: 100 + i, ...e })),
        { CidrBlock: '0.0.0.0/0', Egress: true, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
        { CidrBlock: '0.0.0.0/0', Egress: false, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 },
        { CidrBlock: '0.0.0.0/0', Egress: false, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
      ],
    });
  };

  it('the target subnet’s network ACL judges the reply to the preserved client, not to the load balancer', () => {
    const clients = [permission(8080, { cidr: '203.0.113.0/24' })];
    const vpcOnly = appSubnetAcl([{ CidrBlock: '10.0.0.0/16', Protocol: '-1' }]);
    const fromClient = { ...toApp, source: { ip: '203.0.113.5' } };
    const r = trace(nlb(clients, 'instance', undefined, vpcOnly), fromClient);
    expect(r.reachable).toBe(false);
    expect(r.return_path).toMatchObject({ evaluated: true, allowed: false });
    expect(r.blocked_by).toMatchObject({ native_id: 'acl-0app', direction: 'egress', decision: 'deny' });
    expect(r.blocked_by?.note).toMatch(/^rule 32767 of acl-0app denies it outbound from subnet-0a02/);

    // Replies to the internet's ephemeral ports let out: reachable, the load balancer taking the reply back.
    const ephemeral = appSubnetAcl([
      { CidrBlock: '10.0.0.0/16', Protocol: '-1' },
      { CidrBlock: '0.0.0.0/0', Protocol: '6', PortRange: { From: 1024, To: 65535 } },
    ]);
    const ok = trace(nlb(clients, 'instance', undefined, ephemeral), fromClient);
    expect(ok.reachable).toBe(true);
    expect(ok.return_path.hops?.map((h) => h.note)).toContain(
      'the load balancer takes back the reply to 203.0.113.5, whose address it preserved',
    );
    expect(trace(nlb(clients, 'instance', undefined, ephemeral), toApp).reachable).toBe(true);

    // Without preservation (an IP target) the reply goes to the load balancer's own address, in the VPC.
    const viaLb = trace(nlb([permission(8080, { cidr: '10.0.0.0/16' })], 'ip', undefined, vpcOnly), toApp);
    expect(viaLb.reachable).toBe(true);
  });

  it('the group’s preserve_client_ip.enabled (describe-target-group-attributes) overrides the default', () => {
    const vpcOnly = [permission(8080, { cidr: '10.0.0.0/16' })];
    expect(trace(nlb(vpcOnly, 'instance', 'false'), toApp).reachable).toBe(true);
    expect(trace(nlb(vpcOnly, 'ip', 'true'), toApp).reachable).toBe(false);
  });
});

describe('load balancer targets of a Terraform state (aws_lb_target_group_attachment)', () => {
  const R = (type: string, name: string, attributes: Record<string, unknown>) => ({
    mode: 'managed',
    type,
    name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 0, attributes }],
  });
  const arn = (kind: string, id: string) => `arn:aws:ec2:${REGION}:${ACCT}:${kind}/${id}`;
  const rule = (port: number, o: { cidr?: string; group?: string }) => ({
    cidr_blocks: o.cidr ? [o.cidr] : [],
    description: '',
    from_port: port,
    to_port: port,
    ipv6_cidr_blocks: [],
    prefix_list_ids: [],
    protocol: 'tcp',
    security_groups: o.group ? [o.group] : [],
    self: false,
  });
  const egressAll = [{ ...rule(0, { cidr: '0.0.0.0/0' }), protocol: '-1' }];
  const state = {
    version: 4,
    terraform_version: '1.9.0',
    serial: 1,
    lineage: 'lb-targets',
    outputs: {},
    resources: [
      R('aws_vpc', 'main', { id: VPC, arn: arn('vpc', VPC), cidr_block: '10.0.0.0/16', owner_id: ACCT, tags: {} }),
      R('aws_subnet', 'public', {
        id: 'subnet-0a01',
        arn: arn('subnet', 'subnet-0a01'),
        vpc_id: VPC,
        cidr_block: '10.0.1.0/24',
        availability_zone: 'us-east-1a',
        tags: {},
      }),
      R('aws_subnet', 'app', {
        id: 'subnet-0a02',
        arn: arn('subnet', 'subnet-0a02'),
        vpc_id: VPC,
        cidr_block: '10.0.2.0/24',
        availability_zone: 'us-east-1a',
        tags: {},
      }),
      R('aws_internet_gateway', 'igw', { id: 'igw-0aaa', arn: arn('internet-gateway', 'igw-0aaa'), vpc_id: VPC }),
      R('aws_route_table', 'public', {
        id: 'rtb-0apub',
        arn: arn('route-table', 'rtb-0apub'),
        vpc_id: VPC,
        owner_id: ACCT,
        route: [{ cidr_block: '0.0.0.0/0', gateway_id: 'igw-0aaa' }],
        tags: {},
      }),
      R('aws_route_table_association', 'public', {
        id: 'rtbassoc-p',
        route_table_id: 'rtb-0apub',
        subnet_id: 'subnet-0a01',
      }),
      R('aws_security_group', 'alb', {
        id: 'sg-0alb',
        arn: arn('security-group', 'sg-0alb'),
        name: 'alb',
        vpc_id: VPC,
        owner_id: ACCT,
        ingress: [rule(443, { cidr: '0.0.0.0/0' })],
        egress: egressAll,
        tags: {},
      }),
      R('aws_security_group', 'app', {
        id: 'sg-0app',
        arn: arn('security-group', 'sg-0app'),
        name: 'app',
        vpc_id: VPC,
        owner_id: ACCT,
        ingress: [rule(8080, { group: 'sg-0alb' })],
        egress: egressAll,
        tags: {},
      }),
      R('aws_instance', 'app', {
        id: 'i-0app',
        arn: arn('instance', 'i-0app'),
        subnet_id: 'subnet-0a02',
        private_ip: '10.0.2.10',
        public_ip: '',
        vpc_security_group_ids: ['sg-0app'],
        instance_state: 'running',
        availability_zone: 'us-east-1a',
        tags: { Name: 'app-01' },
      }),
      R('aws_lb', 'web', {
        id: LB_ARN,
        arn: LB_ARN,
        name: 'web-alb',
        internal: false,
        load_balancer_type: 'application',
        subnets: ['subnet-0a01'],
        security_groups: ['sg-0alb'],
        vpc_id: VPC,
        tags: {},
      }),
      R('aws_lb_target_group', 'app', {
        id: TG_ARN,
        arn: TG_ARN,
        name: 'app-tg',
        port: 8080,
        protocol: 'HTTP',
        target_type: 'instance',
        vpc_id: VPC,
        load_balancer_arns: [LB_ARN],
        tags: {},
      }),
      R('aws_lb_listener', 'https', {
        id: `${LB_ARN.replace('loadbalancer', 'listener')}/f2f7dc8efc522ab2`,
        load_balancer_arn: LB_ARN,
        port: 443,
        protocol: 'HTTPS',
        default_action: [{ type: 'forward', target_group_arn: TG_ARN, forward: [] }],
      }),
      R('aws_lb_target_group_attachment', 'app', {
        id: `${TG_ARN}-i-0app`,
        target_group_arn: TG_ARN,
        target_id: 'i-0app',
        port: 8080,
      }),
    ],
  };
  const inv = parseTerraformState(state);
  const model = buildNetworkModel(inv.nodes, inv.edges);

  it('matches the attachment target_id to the instance (native id an ARN) and uses its port', () => {
    expect(inv.nodes.find((n) => n.id === instanceNode('i-0app'))?.native_id).toBe(arn('instance', 'i-0app'));
    const r = trace(model, {
      source: { internet: true },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note).toBe(
      'web-alb forwards to target app-01 (10.0.2.10 port 8080)',
    );
    const e = exposure(model, { ports: [443], protocols: ['tcp'] });
    expect(e.exposed.find((x) => x.node_id === instanceNode('i-0app'))).toMatchObject({
      via: 'load_balancer',
      load_balancer_node_id: LB_NODE,
    });
  });

  it('keeps every attachment of the instance: a second one on port 8081 (blocked by sg-0app) does not hide 8080', () => {
    const twoAttachments = {
      ...state,
      resources: [
        ...state.resources,
        R('aws_lb_target_group_attachment', 'app_8081', {
          id: `${TG_ARN}-i-0app-8081`,
          target_group_arn: TG_ARN,
          target_id: 'i-0app',
          port: 8081,
        }),
      ],
    };
    const parsed = parseTerraformState(twoAttachments);
    const m = buildNetworkModel(parsed.nodes, parsed.edges);
    const q = {
      source: { internet: true as const },
      destination: { node_id: instanceNode('i-0app') },
      protocol: 'tcp' as const,
      port: 443,
      all_paths: true,
      max_paths: 2,
    };
    const r = trace(m, q);
    expect(r.reachable).toBe(true);
    expect(
      r.paths?.map((p) => [
        p.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note,
        p.reachable,
        p.blocked_by?.native_id ?? null,
      ]),
    ).toEqual([
      ['web-alb forwards to target app-01 (10.0.2.10 port 8080)', true, null],
      ['web-alb forwards to target app-01 (10.0.2.10 port 8081)', false, 'sg-0app'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('an Elastic IP on a secondary private address (QA snapshots S9 / S9c)', () => {
  /** web-01: primary 10.0.1.10 without a public address, secondary 10.0.1.11 with EIP 52.9.9.9. */
  function eipOnSecondary(withDescribeAddresses: boolean) {
    const files = baseSnapshot(
      [
        instance(
          'i-0web',
          'web-01',
          'subnet-0a01',
          [{ ip: '10.0.1.10' }, { ip: '10.0.1.11', publicIp: '52.9.9.9' }],
          'sg-0web',
        ),
      ],
      [securityGroup('sg-0web', 'web', [permission(443, { cidr: '0.0.0.0/0' })])],
    );
    if (withDescribeAddresses) {
      files['ec2-describe-addresses.json'] = {
        Addresses: [
          {
            InstanceId: 'i-0web',
            PublicIp: '52.9.9.9',
            AllocationId: 'eipalloc-0w',
            AssociationId: 'eipassoc-0w',
            Domain: 'vpc',
            NetworkInterfaceId: 'eni-0web',
            NetworkInterfaceOwnerId: ACCT,
            PrivateIpAddress: '10.0.1.11',
            Tags: [],
          },
        ],
      };
    }
    return modelOf(files);
  }

  it('an inventory ingested before per-address associations: the Elastic IP names its private address', () => {
    // Earlier ingests copied the Elastic IP onto the interface's and the instance's public_ip.
    const files = baseSnapshot(
      [instance('i-0web', 'web-01', 'subnet-0a01', [{ ip: '10.0.1.10' }, { ip: '10.0.1.11' }], 'sg-0web')],
      [securityGroup('sg-0web', 'web', [permission(443, { cidr: '0.0.0.0/0' })])],
    );
    files['ec2-describe-addresses.json'] = {
      Addresses: [
        {
          InstanceId: 'i-0web',
          PublicIp: '52.9.9.9',
          AllocationId: 'eipalloc-0w',
          AssociationId: 'eipassoc-0w',
          Domain: 'vpc',
          NetworkInterfaceId: 'eni-0web',
          PrivateIpAddress: '10.0.1.11',
        },
      ],
    };
    const inv = parseAwsSnapshot({
      account_id: ACCT,
      region: REGION,
      documents: Object.entries(files).map(([name, content]) => ({ name, content })),
    });
    for (const n of inv.nodes) {
      if (n.type === 'aws.ec2.network_interface' || n.type === 'aws.ec2.instance') {
        n.attributes.public_ip = '52.9.9.9';
        delete n.attributes.public_ip_associations;
      }
    }
    const model = buildNetworkModel(inv.nodes, inv.edges);
    const out = trace(model, {
      source: { node_id: instanceNode('i-0web') },
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
    });
    expect(out.disposition).toBe('NO_PUBLIC_IP');
    const inbound = trace(model, {
      source: { internet: true },
      destination: { ip: '52.9.9.9' },
      protocol: 'tcp',
      port: 443,
    });
    expect(inbound.reachable).toBe(true);
    expect(inbound.destination.ip).toBe('10.0.1.11');
  });

  for (const withAddresses of [false, true]) {
    const label = withAddresses ? 'with describe-addresses' : 'from describe-instances alone';

    it(`internet → 52.9.9.9 reaches 10.0.1.11 on eni-0web (${label})`, () => {
      const r = trace(eipOnSecondary(withAddresses), {
        source: { internet: true },
        destination: { ip: '52.9.9.9' },
        protocol: 'tcp',
        port: 443,
      });
      expect(r.reachable).toBe(true);
      expect(r.destination).toMatchObject({ node_id: instanceNode('i-0web'), eni_id: 'eni-0web', ip: '10.0.1.11' });
      expect(r.hops.find((h) => h.kind === 'internet_gateway')?.note).toBe('translates 52.9.9.9 to 10.0.1.11');
      expect(r.return_path.hops?.find((h) => h.kind === 'internet_gateway')?.note).toBe(
        'translates 10.0.1.11 to 52.9.9.9',
      );
    });

    it(`the primary address 10.0.1.10 has no public address, so it cannot reach the internet (${label})`, () => {
      const r = trace(eipOnSecondary(withAddresses), {
        source: { node_id: instanceNode('i-0web') },
        destination: { cidr: '0.0.0.0/0' },
        protocol: 'tcp',
        port: 443,
      });
      expect(r.reachable).toBe(false);
      expect(r.disposition).toBe('NO_PUBLIC_IP');
      expect(r.source.ip).toBe('10.0.1.10');
      expect(r.blocked_by).toMatchObject({ kind: 'internet_gateway', native_id: 'igw-0aaa' });
    });

    it(`traffic sent from the secondary address 10.0.1.11 leaves as 52.9.9.9 (${label})`, () => {
      const r = trace(eipOnSecondary(withAddresses), {
        source: { ip: '10.0.1.11' },
        destination: { cidr: '0.0.0.0/0' },
        protocol: 'tcp',
        port: 443,
      });
      expect(r.reachable).toBe(true);
      expect(r.disposition).toBe('EXITS_NETWORK');
      expect(r.hops.find((h) => h.kind === 'internet_gateway')?.note).toBe('translates 10.0.1.11 to 52.9.9.9');
    });

    it(`the node, as a destination from the internet, is reached on its secondary address (${label})`, () => {
      const r = trace(eipOnSecondary(withAddresses), {
        source: { internet: true },
        destination: { node_id: instanceNode('i-0web') },
        protocol: 'tcp',
        port: 443,
      });
      expect(r.reachable).toBe(true);
      expect(r.destination.ip).toBe('10.0.1.11');
    });
  }
});

describe('instance metadata options and interface nodes of a snapshot (describe-instances)', () => {
  /** app-01 with its metadata service turned off, web-01 with it on (MetadataOptions as AWS prints them). */
  function metadataSnapshot() {
    const metadata = (endpoint: string) => ({
      MetadataOptions: { State: 'applied', HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: endpoint },
    });
    return modelOf(
      baseSnapshot(
        [
          { ...instance('i-0web', 'web-01', 'subnet-0a01', [{ ip: '10.0.1.10' }], 'sg-0web'), ...metadata('enabled') },
          { ...instance('i-0app', 'app-01', 'subnet-0a02', [{ ip: '10.0.2.10' }], 'sg-0app'), ...metadata('disabled') },
        ],
        [
          securityGroup('sg-0web', 'web', []),
          securityGroup('sg-0app', 'app', [permission(8080, { group: 'sg-0web' })]),
        ],
      ),
    );
  }
  const imds = { destination: { ip: '169.254.169.254' }, protocol: 'tcp' as const, port: 80 };

  it('HttpEndpoint disabled refuses 169.254.169.254; enabled answers it, with nothing assumed', () => {
    const m = metadataSnapshot();
    const on = trace(m, { source: { node_id: instanceNode('i-0web') }, ...imds });
    expect(on).toMatchObject({ reachable: true, disposition: 'ACCEPTED', destination: { kind: 'aws_service' } });
    expect(on.assumptions).toEqual([]);
    const off = trace(m, { source: { node_id: instanceNode('i-0app') }, ...imds });
    expect(off).toMatchObject({ reachable: false, disposition: 'DENIED_IN' });
    expect(off.blocked_by?.note).toBe(
      'the instance metadata service is turned off for app-01 (its metadata options have HttpEndpoint disabled)',
    );
  });

  it('the embedded interface has a node of its own that a trace can name, at either end', () => {
    const m = metadataSnapshot();
    const eniNode = `aws:${REGION}:aws.ec2.network_interface:eni-0app`;
    expect(m.nodes.has(eniNode)).toBe(true);
    const to = trace(m, {
      source: { node_id: instanceNode('i-0web') },
      destination: { node_id: eniNode },
      protocol: 'tcp',
      port: 8080,
    });
    expect(to).toMatchObject({ reachable: true, destination: { eni_id: 'eni-0app', ip: '10.0.2.10', kind: 'eni' } });
    // From the interface node: its instance's metadata options still apply.
    expect(trace(m, { source: { node_id: eniNode }, ...imds }).disposition).toBe('DENIED_IN');
  });
});
