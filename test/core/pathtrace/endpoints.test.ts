/**
 * What a query may name as its source and destination: every node type that
 * is not a traffic endpoint is refused alike (NOT_AN_ENDPOINT, naming the
 * field and the usable types), a usable node is never reported with a wrong
 * endpoint kind, subnets and VPCs as destinations mean any address in them,
 * and answers that stop before any walk still say which ports got through.
 */
import { describe, expect, it } from 'vitest';
import { AWS_NETWORK_TYPES as T } from '../../../src/core/network/attributes.ts';
import {
  DESTINATION_NODE_TYPES,
  endpointRefusal,
  exposure,
  SOURCE_NODE_TYPES,
  type TraceQuery,
  TraceQueryError,
  trace,
} from '../../../src/core/pathtrace/index.ts';
import { hopList, icmp, id, node, tcp, twoTier } from './builders.ts';

const https = { protocol: 'tcp' as const, port: 443 };

/** The refusal trace throws for a query, or null when it answers. */
function refusal(q: TraceQuery, net = twoTier()): TraceQueryError | null {
  try {
    trace(net.model(), q);
    return null;
  } catch (e) {
    if (e instanceof TraceQueryError) return e;
    throw e;
  }
}

describe('nodes that are not traffic endpoints', () => {
  /** twoTier with one node of every network type that is neither a source nor a destination. */
  function everything() {
    const net = twoTier();
    net.nacl('acl-priv', 'vpc-a', ['subnet-priv'], []);
    net.routeTable('rtb-priv', 'vpc-a', { subnets: ['subnet-priv'] });
    net.add(T.elasticIp, 'eipalloc-1', { allocation_id: 'eipalloc-1', public_ip: '54.0.0.50', private_ip: null });
    net.prefixList('pl-1', ['192.0.2.0/24']);
    net.peering('pcx-1', 'vpc-a', 'vpc-b');
    net.tgw('tgw-1');
    net.tgwAttachment('tgw-attach-1', 'tgw-1', { vpc: 'vpc-a' }, ['subnet-priv']);
    net.tgwRouteTable('tgw-rtb-1', 'tgw-1', {});
    net.vgw('vgw-1', 'vpc-a');
    net.vpn('vpn-1', 'vgw-1', ['192.168.0.0/16']);
    net.add(T.customerGateway, 'cgw-1', { customer_gateway_id: 'cgw-1' });
    net.add(T.egressOnlyInternetGateway, 'eigw-1', { egress_only_internet_gateway_id: 'eigw-1' });
    net.add(T.targetGroup, 'tg-1', { target_group_arn: 'tg-1' });
    return net;
  }
  const notEndpoints: [string, string][] = [
    [T.securityGroup, 'sg-web'],
    [T.networkAcl, 'acl-priv'],
    [T.routeTable, 'rtb-priv'],
    [T.internetGateway, 'igw-a'],
    [T.egressOnlyInternetGateway, 'eigw-1'],
    [T.elasticIp, 'eipalloc-1'],
    [T.managedPrefixList, 'pl-1'],
    [T.vpcPeeringConnection, 'pcx-1'],
    [T.transitGateway, 'tgw-1'],
    [T.transitGatewayAttachment, 'tgw-attach-1'],
    [T.transitGatewayRouteTable, 'tgw-rtb-1'],
    [T.vpnGateway, 'vgw-1'],
    [T.vpnConnection, 'vpn-1'],
    [T.customerGateway, 'cgw-1'],
    [T.targetGroup, 'tg-1'],
  ];

  it.each(notEndpoints)('%s is refused as the source and as the destination, alike', (type, native) => {
    const net = everything();
    const nodeId = id(type, native);
    const asDestination = refusal({ source: node('i-web'), destination: { node_id: nodeId }, ...https }, net);
    expect(asDestination).toMatchObject({
      code: 'NOT_AN_ENDPOINT',
      message: `${nodeId} cannot be the destination: ${type} is not a network endpoint; a trace goes to an instance, network interface, load balancer, RDS instance, NAT gateway, VPC endpoint, or any address in a subnet or VPC, or to an address or CIDR`,
      problems: [
        {
          field: 'destination.node_id',
          message: `${type} is not a network endpoint; name a node of type ${DESTINATION_NODE_TYPES.join(', ')}`,
        },
      ],
    });
    const asSource = refusal({ source: { node_id: nodeId }, destination: { ip: '10.0.2.20' }, ...https }, net);
    expect(asSource).toMatchObject({ code: 'NOT_AN_ENDPOINT', problems: [{ field: 'source.node_id' }] });
    expect(asSource?.problems[0]?.message).toContain('aws.ec2.vpc_endpoint (Interface), aws.ec2.subnet');
  });

  it('a type outside the network model (a bucket) gets the same refusal, for the API to give before loading it', () => {
    const bucket = { id: 'aws:global:aws.s3.bucket:logs', type: 'aws.s3.bucket' };
    expect(endpointRefusal(bucket, 'destination')).toEqual({
      message:
        'aws:global:aws.s3.bucket:logs cannot be the destination: aws.s3.bucket is not a network endpoint; a trace goes to an instance, network interface, load balancer, RDS instance, NAT gateway, VPC endpoint, or any address in a subnet or VPC, or to an address or CIDR',
      detail: `aws.s3.bucket is not a network endpoint; name a node of type ${DESTINATION_NODE_TYPES.join(', ')}`,
    });
    for (const type of SOURCE_NODE_TYPES) expect(endpointRefusal({ id: 'x', type }, 'source')).toBeNull();
    for (const type of DESTINATION_NODE_TYPES) expect(endpointRefusal({ id: 'x', type }, 'destination')).toBeNull();
  });

  it('both ends wrong: one refusal naming both fields', () => {
    const r = refusal({ source: node('vpc-a', T.vpc), destination: node('sg-web', T.securityGroup), ...https });
    expect(r?.problems.map((p) => p.field)).toEqual(['source.node_id', 'destination.node_id']);
    expect(r?.message).toMatch(/cannot be the source: .*; .* cannot be the destination: /);
  });

  it('a VPC is a destination (any address in it) but not a source; a Lambda function a source but not a destination', () => {
    const net = twoTier();
    net.add(T.lambdaFunction, 'fn', {
      function_name: 'fn',
      vpc_id: 'vpc-a',
      subnet_ids: ['subnet-priv'],
      security_group_ids: ['sg-app'],
    });
    expect(refusal({ source: node('vpc-a', T.vpc), destination: node('i-app'), ...https }, net)?.problems).toEqual([
      {
        field: 'source.node_id',
        message: `a VPC as a whole sends nothing: its subnets have their own route tables and network ACLs, so name one of them or give an address in it; name a node of type ${SOURCE_NODE_TYPES.map((t) => (t === T.vpcEndpoint ? `${t} (Interface)` : t)).join(', ')}`,
      },
    ]);
    expect(refusal({ source: node('i-web'), destination: node('vpc-a', T.vpc), ...https }, net)).toBeNull();
    expect(refusal({ source: node('fn', T.lambdaFunction), destination: node('i-web'), ...https }, net)).toBeNull();
    expect(refusal({ source: node('i-web'), destination: node('fn', T.lambdaFunction), ...https }, net)).toMatchObject({
      code: 'NOT_AN_ENDPOINT',
      problems: [
        {
          field: 'destination.node_id',
          message: expect.stringMatching(/^a Lambda function accepts no inbound network connections/),
        },
      ],
    });
  });

  it('a gateway VPC endpoint is a destination but not a source; from the internet it has no route', () => {
    const net = twoTier();
    net.prefixList('pl-s3', ['52.216.0.0/15']);
    net.remove('rtb-main').routeTable('rtb-main', 'vpc-a', { main: true, routes: [] });
    net.gatewayEndpoint('vpce-s3', 'vpc-a', 'com.amazonaws.us-east-1.s3', ['rtb-main']);
    const m = net.model();
    expect(() => trace(m, { source: node('vpce-s3', T.vpcEndpoint), destination: node('i-app'), ...https })).toThrow(
      expect.objectContaining({
        code: 'NOT_AN_ENDPOINT',
        problems: [
          {
            field: 'source.node_id',
            message: expect.stringMatching(
              /^a gateway VPC endpoint is a route target: traffic goes to it, none starts/,
            ),
          },
        ],
      }),
    );
    const fromInternet = trace(m, {
      source: { internet: true },
      destination: node('vpce-s3', T.vpcEndpoint),
      ...https,
    });
    expect(fromInternet).toMatchObject({
      reachable: false,
      disposition: 'NO_ROUTE',
      destination: { node_id: id(T.vpcEndpoint, 'vpce-s3'), kind: 'external' },
      reachable_ports: [],
    });
    expect(fromInternet.blocked_by).toMatchObject({ kind: 'vpc_endpoint', decision: 'drop' });
  });
});

describe('nodes that are endpoints', () => {
  /** An instance with an ENI node of its own (as snapshots have), and a stopped one with its ENI. */
  function withEniNodes() {
    const net = twoTier();
    net.remove('i-app').add(T.instance, 'i-app', {
      instance_id: 'i-app',
      state: 'running',
      subnet_id: 'subnet-priv',
      security_group_ids: ['sg-app'],
      network_interface_ids: ['eni-app'],
    });
    net.eni('eni-app', 'subnet-priv', 'vpc-a', ['10.0.2.20'], { sgs: ['sg-app'], instanceId: 'i-app' });
    net.add(T.instance, 'i-old', {
      instance_id: 'i-old',
      state: 'stopped',
      subnet_id: 'subnet-priv',
      security_group_ids: ['sg-app'],
      network_interface_ids: ['eni-old'],
    });
    net.eni('eni-old', 'subnet-priv', 'vpc-a', ['10.0.2.40'], { sgs: ['sg-app'], instanceId: 'i-old' });
    return net.model();
  }

  it("an instance's network interface node is a source and a destination, as its instance is", () => {
    const m = withEniNodes();
    const viaEni = trace(m, {
      source: node('i-web'),
      destination: node('eni-app', T.networkInterface),
      protocol: 'tcp',
      port: 8080,
    });
    const viaInstance = trace(m, { source: node('i-web'), destination: node('i-app'), protocol: 'tcp', port: 8080 });
    expect(viaEni.reachable).toBe(true);
    expect(viaEni.destination).toEqual(viaInstance.destination);
    expect(viaEni.destination).toMatchObject({ node_id: id(T.instance, 'i-app'), eni_id: 'eni-app', kind: 'eni' });
    const fromEni = trace(m, {
      source: node('eni-app', T.networkInterface),
      destination: { cidr: '0.0.0.0/0' },
      ...https,
    });
    expect(fromEni.source).toMatchObject({ eni_id: 'eni-app', ip: '10.0.2.20', kind: 'eni' });
    expect(fromEni.disposition).toBe('EXITS_NETWORK');
  });

  it('a stopped instance and its interface answer UNSUPPORTED with the reason, as interfaces, with no port through', () => {
    const m = withEniNodes();
    for (const [ref, reason] of [
      [node('i-old'), 'instance i-old is stopped and carries no traffic'],
      [
        node('eni-old', T.networkInterface),
        'network interface eni-old belongs to instance i-old, which is stopped and carries no traffic',
      ],
    ] as const) {
      const r = trace(m, { source: node('i-web'), destination: ref, protocol: 'tcp', port: 8080 });
      expect(r).toMatchObject({
        reachable: false,
        disposition: 'UNSUPPORTED',
        destination: { node_id: ref.node_id, eni_id: null, ip: null, kind: 'eni' },
        reachable_ports: [],
      });
      expect(r.blocked_by?.note).toBe(reason);
      const from = trace(m, { source: ref, destination: node('i-web'), ...https });
      expect(from.source).toEqual({ node_id: ref.node_id, eni_id: null, ip: null, kind: 'eni' });
    }
  });

  it('a deleted NAT gateway is named by a nat_gateway hop, not an interface one', () => {
    const net = twoTier();
    net.remove('nat-a').nat('nat-a', 'vpc-a', 'subnet-pub', '10.0.1.100', '54.0.0.100', 'deleted');
    const r = trace(net.model(), { source: node('nat-a', T.natGateway), destination: { cidr: '0.0.0.0/0' }, ...https });
    expect(r.disposition).toBe('UNSUPPORTED');
    expect(hopList(r.hops)).toEqual(['nat_gateway nat-a egress drop']);
  });

  it('a subnet or a VPC as the destination is any address in it, from inside and from the internet', () => {
    const net = twoTier();
    net.remove('vpc-a').vpc('vpc-a', ['10.0.0.0/16', '10.1.0.0/16']);
    net.subnet('subnet-extra', 'vpc-a', '10.1.0.0/24');
    net.instance('i-extra', 'subnet-extra', '10.1.0.10', { sgs: ['sg-extra'] });
    net.sg('sg-extra', 'vpc-a', { ingress: [tcp(9000, '10.0.0.0/8')] });
    const m = net.model();
    // The VPC's second CIDR counts too: only i-extra, in it, admits port 9000.
    const toVpc = trace(m, { source: node('i-web'), destination: node('vpc-a', T.vpc), protocol: 'tcp', port: 9000 });
    expect(toVpc.reachable).toBe(true);
    expect(toVpc.destination).toMatchObject({ node_id: id(T.instance, 'i-extra'), ip: '10.1.0.10' });
    // From the internet: the public addresses that lead into it.
    const https443 = { protocol: 'tcp' as const, port: 443 };
    const pub = trace(m, { source: { internet: true }, destination: node('subnet-pub', T.subnet), ...https443 });
    expect(pub).toMatchObject({ reachable: true, destination: { node_id: id(T.instance, 'i-web'), ip: '10.0.1.10' } });
    const priv = trace(m, { source: { internet: true }, destination: node('subnet-priv', T.subnet), ...https443 });
    expect(priv).toMatchObject({ reachable: false, disposition: 'NO_PUBLIC_IP', reachable_ports: [] });
    expect(priv.blocked_by?.note).toBe('no interface with a public IP address has an address in 10.0.2.0/24');
    expect(trace(m, { source: { internet: true }, destination: node('vpc-a', T.vpc), ...https443 }).reachable).toBe(
      true,
    );
  });
});

describe('reachable_ports', () => {
  it('is [] whenever nothing gets through, and null only for protocols without ports', () => {
    const m = twoTier().model();
    const toDb = { source: { internet: true as const }, destination: node('i-db') };
    // Stopped before any walk (no public address), blocked by a rule: both [].
    expect(trace(m, { ...toDb, protocol: 'tcp', port: 5432 })).toMatchObject({
      disposition: 'NO_PUBLIC_IP',
      reachable_ports: [],
    });
    expect(trace(m, { source: node('i-web'), destination: node('i-db'), protocol: 'tcp', port: 5432 })).toMatchObject({
      disposition: 'DENIED_IN',
      reachable_ports: [],
    });
    expect(trace(m, { ...toDb, protocol: 'icmp' })).toMatchObject({ disposition: 'NO_PUBLIC_IP', reachable_ports: [] });
    expect(trace(m, { ...toDb, protocol: 'all' })).toMatchObject({
      disposition: 'NO_PUBLIC_IP',
      reachable_ports: null,
    });
    expect(trace(m, { ...toDb, protocol: 47 })).toMatchObject({ reachable_ports: null });
  });
});

describe('exposure options', () => {
  it('refuses ports when no protocol asked has them, naming the field; with tcp too, icmp is checked whole', () => {
    const m = twoTier().model();
    expect(() => exposure(m, { ports: [22], protocols: ['icmp'] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_QUERY',
        problems: [{ field: 'ports', message: 'applies only to tcp and udp, and protocols names neither' }],
      }),
    );
    expect(() => exposure(m, { protocols: ['tcp', 'sctp' as 'tcp'] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_QUERY',
        problems: [expect.objectContaining({ field: 'protocols[1]' })],
      }),
    );
    const net = twoTier();
    net.remove('sg-web').sg('sg-web', 'vpc-a', { ingress: [tcp(443, '0.0.0.0/0'), icmp(8, -1, '0.0.0.0/0')] });
    const mixed = exposure(net.model(), { ports: [443], protocols: ['tcp', 'icmp'] });
    const web = mixed.exposed.find((e) => e.node_id === id(T.instance, 'i-web'));
    expect(web?.services.map((s) => [s.protocol, s.ports])).toEqual([
      ['tcp', [{ from: 443, to: 443 }]],
      // Echo request (type 8, every code), not narrowed to "port" 443.
      ['icmp', [{ from: 8 * 256, to: 8 * 256 + 255 }]],
    ]);
  });
});
