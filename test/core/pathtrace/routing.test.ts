import { describe, expect, it } from 'vitest';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { allTraffic, hopList, Net, node, openAcl, route, tcp, twoTier } from './builders.ts';

/**
 * vpc-a 10.0.0.0/16 (app at 10.0.1.10) peered with vpc-b 10.1.0.0/16
 * (b1 at 10.1.5.5, b2 at 10.1.5.6), routes given per test.
 */
function peered(routesA: ReturnType<typeof route>[]) {
  const net = new Net();
  net.vpc('vpc-a', '10.0.0.0/16');
  net.vpc('vpc-b', '10.1.0.0/16');
  net.subnet('subnet-a', 'vpc-a', '10.0.1.0/24');
  net.subnet('subnet-a2', 'vpc-a', '10.0.2.0/24');
  net.subnet('subnet-b', 'vpc-b', '10.1.5.0/24');
  net.nacl('acl-a', 'vpc-a', [], openAcl(), true);
  net.nacl('acl-b', 'vpc-b', [], openAcl(), true);
  net.peering('pcx-ab', 'vpc-a', 'vpc-b');
  net.routeTable('rtb-a', 'vpc-a', { main: true, routes: routesA });
  net.routeTable('rtb-b', 'vpc-b', { main: true, routes: [route('10.0.0.0/16', 'pcx-ab')] });
  net.sg('sg-open-a', 'vpc-a', { ingress: [allTraffic('10.0.0.0/8')] });
  net.sg('sg-open-b', 'vpc-b', { ingress: [allTraffic('10.0.0.0/8')] });
  net.instance('i-a', 'subnet-a', '10.0.1.10', { sgs: ['sg-open-a'] });
  net.instance('i-a2', 'subnet-a2', '10.0.2.20', { sgs: ['sg-open-a'] });
  net.instance('i-b1', 'subnet-b', '10.1.5.5', { sgs: ['sg-open-b'] });
  net.instance('i-b2', 'subnet-b', '10.1.5.6', { sgs: ['sg-open-b'] });
  return net;
}

const ssh = { protocol: 'tcp' as const, port: 22 };

describe('route tables', () => {
  it('longest prefix match: a /32 beats a /16', () => {
    const m = peered([route('10.1.0.0/16', 'pcx-ab'), route('10.1.5.5/32', 'pcx-ab', 'blackhole')]).model();
    const to5 = trace(m, { source: node('i-a'), destination: node('i-b1'), ...ssh });
    expect(to5.disposition).toBe('NULL_ROUTED');
    expect(to5.blocked_by).toMatchObject({
      kind: 'route_table',
      native_id: 'rtb-a',
      decision: 'drop',
      rule: { type: 'route', route_table_id: 'rtb-a', destination: '10.1.5.5/32', state: 'blackhole' },
    });
    const to6 = trace(m, { source: node('i-a'), destination: node('i-b2'), ...ssh });
    expect(to6.disposition).toBe('ACCEPTED');
    expect(to6.hops.find((h) => h.kind === 'route_table')?.rule).toMatchObject({
      destination: '10.1.0.0/16',
      target_type: 'vpc_peering_connection',
      target_id: 'pcx-ab',
    });
    expect(hopList(to6.hops)).toEqual([
      'eni i-a#eni0 egress forward',
      'security_group sg-open-a egress allow',
      'route_table rtb-a forward forward',
      'network_acl acl-a egress allow',
      'vpc_peering_connection pcx-ab forward forward',
      'network_acl acl-b ingress allow',
      'security_group sg-open-b ingress allow',
      'eni i-b2#eni0 ingress allow',
    ]);
  });

  it('the local route covers the VPC even when a broader route exists', () => {
    const m = peered([route('10.0.0.0/8', 'pcx-ab')]).model();
    const r = trace(m, { source: node('i-a'), destination: node('i-a2'), ...ssh });
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.hops[2]!.rule).toMatchObject({
      destination: '10.0.0.0/16',
      target_type: 'local',
      target_id: 'local',
      implied: true,
    });
  });

  it('a route more specific than local inside the VPC applies only to a whole subnet CIDR', () => {
    // 10.0.2.0/25 is not a subnet CIDR: AWS would not accept it, local still decides.
    const notSubnet = peered([route('10.0.2.0/25', 'pcx-ab')]).model();
    expect(trace(notSubnet, { source: node('i-a'), destination: node('i-a2'), ...ssh }).hops[2]!.rule).toMatchObject({
      target_type: 'local',
    });
    // 10.0.2.0/24 is subnet-a2's CIDR: middlebox routing sends it to the appliance.
    const net = peered([route('10.0.2.0/24', 'eni-fw')]);
    net.eni('eni-fw', 'subnet-a', 'vpc-a', ['10.0.1.99'], { sgs: ['sg-open-a'] });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-a2'), ...ssh });
    expect(r.disposition).toBe('UNSUPPORTED');
    expect(r.hops[2]!.rule).toMatchObject({
      destination: '10.0.2.0/24',
      target_type: 'network_interface',
      target_id: 'eni-fw',
    });
    expect(r.blocked_by).toMatchObject({ kind: 'network_appliance', native_id: 'eni-fw' });
  });

  it('a blackhole route is NULL_ROUTED', () => {
    const m = peered([route('10.1.0.0/16', 'pcx-ab', 'blackhole')]).model();
    const r = trace(m, { source: node('i-a'), destination: node('i-b1'), ...ssh });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.explanation).toContain('route 10.1.0.0/16 → pcx-ab in rtb-a is a blackhole');
  });

  it('a private subnet with no route to the internet is NO_ROUTE', () => {
    const net = twoTier();
    net.remove('rtb-main').routeTable('rtb-main', 'vpc-a', { main: true, routes: [] });
    const r = trace(net.model(), { source: node('i-app'), destination: { ip: '8.8.8.8' }, ...ssh });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by).toMatchObject({
      kind: 'route_table',
      native_id: 'rtb-main',
      rule: { type: 'no_route', route_table_id: 'rtb-main', destination_ip: '8.8.8.8' },
    });
    expect(r.explanation).toBe(
      'TCP port 22 from app (10.0.2.20) to 8.8.8.8 has no route: rtb-main has no route to 8.8.8.8.',
    );
  });

  it('uses the main table for subnets without an explicit association', () => {
    const r = trace(twoTier().model(), {
      source: node('i-app'),
      destination: { ip: '8.8.8.8' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.hops[2]).toMatchObject({ kind: 'route_table', native_id: 'rtb-main' });
    expect(r.hops.map((h) => h.kind)).toContain('nat_gateway');
  });

  it('prefix-list destinations match the CIDRs of the list', () => {
    const net = twoTier();
    net.prefixList('pl-s3', ['52.216.0.0/15', '3.5.0.0/19']);
    net.gatewayEndpoint('vpce-s3', 'vpc-a', 'com.amazonaws.us-east-1.s3', ['rtb-main']);
    net.remove('rtb-main').routeTable('rtb-main', 'vpc-a', {
      main: true,
      routes: [route('0.0.0.0/0', 'nat-a'), route('pl-s3', 'vpce-s3')],
    });
    const m = net.model();
    const s3 = trace(m, { source: node('i-app'), destination: { ip: '52.217.1.1' }, protocol: 'tcp', port: 443 });
    expect(s3.disposition).toBe('EXITS_NETWORK');
    expect(s3.hops[2]!.rule).toMatchObject({
      type: 'route',
      destination: 'pl-s3 (52.216.0.0/15)',
      target_type: 'vpc_endpoint',
      target_id: 'vpce-s3',
    });
    expect(hopList(s3.hops).at(-1)).toBe('vpc_endpoint vpce-s3 forward forward');
    expect(s3.return_path.allowed).toBe(true);
    const other = trace(m, { source: node('i-app'), destination: { ip: '52.218.0.1' }, protocol: 'tcp', port: 443 });
    expect(other.hops[2]!.rule).toMatchObject({ destination: '0.0.0.0/0', target_id: 'nat-a' });
    // Naming the endpoint as the destination picks an address behind it.
    const named = trace(m, {
      source: node('i-app'),
      destination: node('vpce-s3', 'aws.ec2.vpc_endpoint'),
      protocol: 'tcp',
      port: 443,
    });
    expect(named.disposition).toBe('EXITS_NETWORK');
  });

  it('a route to a prefix list the inventory lacks is ignored and said so', () => {
    const net = twoTier();
    net.remove('rtb-main').routeTable('rtb-main', 'vpc-a', { main: true, routes: [route('pl-gone', 'nat-a')] });
    const r = trace(net.model(), { source: node('i-app'), destination: { ip: '8.8.8.8' }, ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.assumptions.some((a) => a.includes('pl-gone'))).toBe(true);
  });

  it('a static route wins over a propagated route to the same prefix', () => {
    const net = peered([]);
    net.vgw('vgw-a', 'vpc-a');
    net.vpn('vpn-1', 'vgw-a', ['10.1.0.0/16']);
    net.remove('rtb-a').routeTable('rtb-a', 'vpc-a', {
      main: true,
      routes: [
        { ...route('10.1.0.0/16', 'vgw-a'), origin: 'EnableVgwRoutePropagation' },
        route('10.1.0.0/16', 'pcx-ab'),
      ],
    });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-b1'), ...ssh });
    expect(r.hops[2]!.rule).toMatchObject({ target_id: 'pcx-ab' });
    expect(r.disposition).toBe('ACCEPTED');
  });

  it('an address inside the VPC with no subnet is NO_ROUTE', () => {
    const r = trace(peered([]).model(), { source: node('i-a'), destination: { ip: '10.0.200.1' }, ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by).toMatchObject({ kind: 'subnet', native_id: 'vpc-a' });
  });

  it('a subnet with no known route table gets only the local route, stated as an assumption', () => {
    const net = peered([]);
    net.remove('rtb-a');
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-b1'), ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.assumptions.some((a) => a.includes('only the local route'))).toBe(true);
    const local = trace(net.model(), { source: node('i-a'), destination: node('i-a2'), ...ssh });
    expect(local.disposition).toBe('ACCEPTED');
  });

  it('sg rules on the return leg are never checked (stateful)', () => {
    const net = peered([route('10.1.0.0/16', 'pcx-ab')]);
    // b has no egress rules at all: replies still flow.
    net.remove('sg-open-b').sg('sg-open-b', 'vpc-b', { ingress: [tcp(22, '10.0.0.0/16')], egress: [] });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-b1'), ...ssh });
    expect(r.reachable).toBe(true);
    expect(r.return_path.hops?.some((h) => h.kind === 'security_group')).toBe(false);
  });
});
