import { describe, expect, it } from 'vitest';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { aclEntry, allTraffic, hopList, Net, node, openAcl, route, tcp, tgwRoute } from './builders.ts';

const ssh = { protocol: 'tcp' as const, port: 22 };

/** One VPC per letter: vpc-x 10.<n>.0.0/16, subnet-x 10.<n>.1.0/24 in us-east-1a, instance i-x at 10.<n>.1.10. */
function vpcs(letters: string[]): Net {
  const net = new Net();
  letters.forEach((x, n) => {
    net.vpc(`vpc-${x}`, `10.${n}.0.0/16`);
    net.subnet(`subnet-${x}`, `vpc-${x}`, `10.${n}.1.0/24`, 'us-east-1a');
    net.subnet(`subnet-${x}-tgw`, `vpc-${x}`, `10.${n}.255.0/28`, 'us-east-1a');
    net.nacl(`acl-${x}`, `vpc-${x}`, [], openAcl(), true);
    net.sg(`sg-${x}`, `vpc-${x}`, { ingress: [allTraffic('10.0.0.0/8')] });
    net.instance(`i-${x}`, `subnet-${x}`, `10.${n}.1.10`, { sgs: [`sg-${x}`] });
  });
  return net;
}

describe('VPC peering', () => {
  function ab(routesB: ReturnType<typeof route>[] = [route('10.0.0.0/16', 'pcx-ab')]) {
    const net = vpcs(['a', 'b']);
    net.peering('pcx-ab', 'vpc-a', 'vpc-b');
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('10.1.0.0/16', 'pcx-ab')] });
    net.routeTable('rtb-b', 'vpc-b', { main: true, routes: routesB });
    return net;
  }

  it('carries traffic when both sides route to the peering', () => {
    const r = trace(ab().model(), { source: node('i-a'), destination: node('i-b'), ...ssh });
    expect(r.reachable).toBe(true);
    expect(hopList(r.return_path.hops)).toEqual([
      'eni i-b#eni0 egress forward',
      'route_table rtb-b forward forward',
      'network_acl acl-b egress allow',
      'vpc_peering_connection pcx-ab forward forward',
      'network_acl acl-a ingress allow',
      'eni i-a#eni0 ingress allow',
    ]);
  });

  it('without the reverse route the replies have nowhere to go', () => {
    const r = trace(ab([]).model(), { source: node('i-a'), destination: node('i-b'), ...ssh });
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.reachable).toBe(false);
    expect(r.return_path).toMatchObject({ evaluated: true, allowed: false });
    expect(r.blocked_by).toMatchObject({
      kind: 'route_table',
      native_id: 'rtb-b',
      rule: { type: 'no_route', route_table_id: 'rtb-b', destination_ip: '10.0.1.10' },
    });
  });

  it('security group references work across the peering', () => {
    const net = ab();
    net.remove('sg-b').sg('sg-b', 'vpc-b', { ingress: [tcp(22, 'sg-a')] });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-b'), ...ssh });
    expect(r.reachable).toBe(true);
    expect(r.hops.find((h) => h.native_id === 'sg-b')?.rule).toMatchObject({ rule: { security_group_ids: ['sg-a'] } });
  });

  it('is not transitive: A cannot reach C through B', () => {
    const net = vpcs(['a', 'b', 'c']);
    net.peering('pcx-ab', 'vpc-a', 'vpc-b');
    net.peering('pcx-bc', 'vpc-b', 'vpc-c');
    net.routeTable('rtb-a', 'vpc-a', {
      main: true,
      routes: [route('10.1.0.0/16', 'pcx-ab'), route('10.2.0.0/16', 'pcx-ab')],
    });
    net.routeTable('rtb-b', 'vpc-b', {
      main: true,
      routes: [route('10.0.0.0/16', 'pcx-ab'), route('10.2.0.0/16', 'pcx-bc')],
    });
    net.routeTable('rtb-c', 'vpc-c', { main: true, routes: [route('10.0.0.0/8', 'pcx-bc')] });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-c'), ...ssh });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by).toMatchObject({ kind: 'vpc_peering_connection', native_id: 'pcx-ab' });
    expect(r.explanation).toContain('VPC peering is not transitive');
  });

  it("traffic that arrived over a peering cannot use the peer's internet gateway", () => {
    const net = vpcs(['a', 'b']);
    net.peering('pcx-ab', 'vpc-a', 'vpc-b');
    net.igw('igw-b', 'vpc-b');
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('0.0.0.0/0', 'pcx-ab')] });
    net.routeTable('rtb-b', 'vpc-b', { main: true, routes: [route('0.0.0.0/0', 'igw-b')] });
    const r = trace(net.model(), { source: node('i-a'), destination: { ip: '8.8.8.8' }, ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by).toMatchObject({ kind: 'vpc_peering_connection', native_id: 'pcx-ab' });
    expect(r.blocked_by?.note).toContain('8.8.8.8 is not inside vpc-b');
  });

  it('a peering that is not active carries nothing', () => {
    const net = ab();
    net.remove('pcx-ab').peering('pcx-ab', 'vpc-a', 'vpc-b', 'pending-acceptance');
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-b'), ...ssh });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.blocked_by).toMatchObject({ kind: 'vpc_peering_connection', note: 'pcx-ab is pending-acceptance' });
  });
});

describe('transit gateways', () => {
  /**
   * Spokes a and b, shared-services c. rtb-spokes (a, b associated) routes only
   * to c; rtb-shared (c associated) propagates a and b without listing routes.
   */
  function hub() {
    const net = vpcs(['a', 'b', 'c']);
    net.tgw('tgw-1');
    for (const x of ['a', 'b', 'c']) {
      net.routeTable(`rtb-${x}`, `vpc-${x}`, { main: true, routes: [route('10.0.0.0/8', 'tgw-1')] });
    }
    net.tgwAttachment('tgw-attach-a', 'tgw-1', { vpc: 'vpc-a' }, ['subnet-a-tgw']);
    net.tgwAttachment('tgw-attach-b', 'tgw-1', { vpc: 'vpc-b' }, ['subnet-b-tgw']);
    net.tgwAttachment('tgw-attach-c', 'tgw-1', { vpc: 'vpc-c' }, ['subnet-c-tgw'], { rtb: 'tgw-rtb-shared' });
    net.tgwRouteTable('tgw-rtb-spokes', 'tgw-1', {
      associations: ['tgw-attach-a', 'tgw-attach-b'],
      routes: [tgwRoute('10.2.0.0/16', ['tgw-attach-c']), tgwRoute('10.2.99.0/24', [], { state: 'blackhole' })],
    });
    net.tgwRouteTable('tgw-rtb-shared', 'tgw-1', { propagations: ['tgw-attach-a', 'tgw-attach-b'] });
    net.instance('i-c-dark', 'subnet-c', '10.2.1.99', { sgs: ['sg-c'] });
    return net;
  }

  it('routes a VPC attachment by its associated table into the destination VPC', () => {
    const r = trace(hub().model(), { source: node('i-a'), destination: node('i-c'), ...ssh });
    expect(r.reachable).toBe(true);
    expect(hopList(r.hops)).toEqual([
      'eni i-a#eni0 egress forward',
      'security_group sg-a egress allow',
      'route_table rtb-a forward forward',
      'network_acl acl-a egress allow',
      'network_acl acl-a ingress allow',
      'transit_gateway tgw-1 forward forward',
      'transit_gateway_route_table tgw-rtb-spokes forward forward',
      'transit_gateway_attachment tgw-attach-c forward forward',
      'route_table rtb-c forward forward',
      'network_acl acl-c egress allow',
      'network_acl acl-c ingress allow',
      'security_group sg-c ingress allow',
      'eni i-c#eni0 ingress allow',
    ]);
    expect(r.hops[6]!.rule).toEqual({
      type: 'transit_gateway_route',
      transit_gateway_route_table_id: 'tgw-rtb-spokes',
      destination: '10.2.0.0/16',
      route_type: 'static',
      state: 'active',
      attachment_ids: ['tgw-attach-c'],
    });
    // The way back uses rtb-shared, whose routes are derived from its propagations.
    const back = r.return_path.hops?.find((h) => h.kind === 'transit_gateway_route_table');
    expect(back?.rule).toMatchObject({
      transit_gateway_route_table_id: 'tgw-rtb-shared',
      destination: '10.0.0.0/16',
      route_type: 'propagated',
      derived: true,
    });
  });

  it('spokes cannot reach each other when their table has no route', () => {
    const r = trace(hub().model(), { source: node('i-a'), destination: node('i-b'), ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by).toMatchObject({
      kind: 'transit_gateway_route_table',
      native_id: 'tgw-rtb-spokes',
      rule: { type: 'no_route', route_table_id: 'tgw-rtb-spokes', destination_ip: '10.1.1.10' },
    });
    // The shared VPC uses the other table and reaches both spokes.
    expect(trace(hub().model(), { source: node('i-c'), destination: node('i-b'), ...ssh }).reachable).toBe(true);
  });

  it('a blackhole in the transit gateway table is NULL_ROUTED (longest prefix first)', () => {
    const r = trace(hub().model(), { source: node('i-a'), destination: { ip: '10.2.99.5' }, ...ssh });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.blocked_by?.rule).toMatchObject({ destination: '10.2.99.0/24', state: 'blackhole' });
  });

  it('deleted attachments are ignored', () => {
    const net = hub();
    net.remove('tgw-attach-c').tgwAttachment('tgw-attach-c', 'tgw-1', { vpc: 'vpc-c' }, ['subnet-c-tgw'], {
      rtb: 'tgw-rtb-shared',
      state: 'deleted',
    });
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-c'), ...ssh });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.blocked_by).toMatchObject({ kind: 'transit_gateway_attachment', native_id: 'tgw-attach-c' });
  });

  it('only takes traffic from Availability Zones it is attached in', () => {
    const net = hub();
    net.subnet('subnet-a-b', 'vpc-a', '10.0.2.0/24', 'us-east-1b');
    net.instance('i-a-b', 'subnet-a-b', '10.0.2.10', { sgs: ['sg-a'] });
    const r = trace(net.model(), { source: node('i-a-b'), destination: node('i-c'), ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by?.note).toContain('no subnet in us-east-1b');
  });

  it('detects routing loops', () => {
    const net = vpcs(['a']);
    net.tgw('tgw-1');
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('0.0.0.0/0', 'tgw-1')] });
    net.tgwAttachment('tgw-attach-a', 'tgw-1', { vpc: 'vpc-a' }, ['subnet-a-tgw'], { rtb: 'tgw-rtb' });
    net.tgwRouteTable('tgw-rtb', 'tgw-1', { routes: [tgwRoute('0.0.0.0/0', ['tgw-attach-a'])] });
    const r = trace(net.model(), { source: node('i-a'), destination: { ip: '8.8.8.8' }, ...ssh });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by?.note).toBe('routing loop: the packet keeps being forwarded');
  });

  it('the attachment subnet ACL applies to traffic entering the transit gateway', () => {
    const net = hub();
    net.nacl('acl-a-tgw', 'vpc-a', ['subnet-a-tgw'], [aclEntry(50, 'deny'), aclEntry(100, 'allow', { egress: true })]);
    const r = trace(net.model(), { source: node('i-a'), destination: node('i-c'), ...ssh });
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({ native_id: 'acl-a-tgw', direction: 'ingress' });
  });
});

describe('centralised egress', () => {
  it('a spoke reaches the internet through the transit gateway and a NAT gateway in the egress VPC', () => {
    const net = vpcs(['a', 'e']);
    net.tgw('tgw-1');
    net.subnet('subnet-e-pub', 'vpc-e', '10.1.0.0/24', 'us-east-1a');
    net.igw('igw-e', 'vpc-e');
    net.nat('nat-e', 'vpc-e', 'subnet-e-pub', '10.1.0.5', '54.1.0.5');
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('0.0.0.0/0', 'tgw-1')] });
    // The egress VPC's transit gateway subnet sends everything to the NAT; the NAT subnet goes out or back.
    net.routeTable('rtb-e-tgw', 'vpc-e', { subnets: ['subnet-e-tgw'], routes: [route('0.0.0.0/0', 'nat-e')] });
    net.routeTable('rtb-e-pub', 'vpc-e', {
      subnets: ['subnet-e-pub'],
      routes: [route('0.0.0.0/0', 'igw-e'), route('10.0.0.0/8', 'tgw-1')],
    });
    net.routeTable('rtb-e', 'vpc-e', { main: true, routes: [] });
    net.tgwAttachment('tgw-attach-a', 'tgw-1', { vpc: 'vpc-a' }, ['subnet-a-tgw'], { rtb: 'tgw-rtb-spokes' });
    net.tgwAttachment('tgw-attach-e', 'tgw-1', { vpc: 'vpc-e' }, ['subnet-e-tgw'], { rtb: 'tgw-rtb-egress' });
    net.tgwRouteTable('tgw-rtb-spokes', 'tgw-1', { routes: [tgwRoute('0.0.0.0/0', ['tgw-attach-e'])] });
    net.tgwRouteTable('tgw-rtb-egress', 'tgw-1', { propagations: ['tgw-attach-a'] });
    const r = trace(net.model(), {
      source: node('i-a'),
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(hopList(r.hops).filter((h) => !h.startsWith('network_acl'))).toEqual([
      'eni i-a#eni0 egress forward',
      'security_group sg-a egress allow',
      'route_table rtb-a forward forward',
      'transit_gateway tgw-1 forward forward',
      'transit_gateway_route_table tgw-rtb-spokes forward forward',
      'transit_gateway_attachment tgw-attach-e forward forward',
      'route_table rtb-e-tgw forward forward',
      'nat_gateway nat-e forward forward',
      'route_table rtb-e-pub forward forward',
      'internet_gateway igw-e egress forward',
      'internet - forward forward',
    ]);
    // Replies are translated back by the NAT and routed to the spoke through the egress table.
    expect(hopList(r.return_path.hops).filter((h) => !h.startsWith('network_acl'))).toEqual([
      'internet - forward forward',
      'internet_gateway igw-e ingress forward',
      'nat_gateway nat-e forward forward',
      'route_table rtb-e-pub forward forward',
      'transit_gateway tgw-1 forward forward',
      'transit_gateway_route_table tgw-rtb-egress forward forward',
      'transit_gateway_attachment tgw-attach-a forward forward',
      'route_table rtb-a forward forward',
      'eni i-a#eni0 ingress allow',
    ]);
  });
});

describe('VPN', () => {
  it('a virtual private gateway with a matching static route leaves the network', () => {
    const net = vpcs(['a']);
    net.vgw('vgw-a', 'vpc-a');
    net.vpn('vpn-1', 'vgw-a', ['192.168.0.0/16']);
    net.routeTable('rtb-a', 'vpc-a', {
      main: true,
      routes: [route('192.168.0.0/16', 'vgw-a'), route('172.20.0.0/16', 'vgw-a')],
    });
    const m = net.model();
    const r = trace(m, { source: node('i-a'), destination: { ip: '192.168.10.5' }, ...ssh });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(hopList(r.hops).slice(-2)).toEqual([
      'vpn_gateway vgw-a forward forward',
      'vpn_connection vpn-1 forward forward',
    ]);
    expect(r.hops.at(-1)!.rule).toEqual({
      type: 'vpn_route',
      vpn_connection_id: 'vpn-1',
      destination: '192.168.0.0/16',
      source: 'static',
    });
    expect(r.return_path.allowed).toBe(true);
    // The VPC routes 172.20/16 to the gateway, but no VPN static route covers it.
    const none = trace(m, { source: node('i-a'), destination: { ip: '172.20.0.1' }, ...ssh });
    expect(none.disposition).toBe('NO_ROUTE');
    expect(none.blocked_by).toMatchObject({ kind: 'vpn_connection', native_id: 'vpn-1' });
  });

  it('a BGP VPN is assumed to take the traffic, and says so', () => {
    const net = vpcs(['a']);
    net.vgw('vgw-a', 'vpc-a');
    net.vpn('vpn-bgp', 'vgw-a', [], { staticOnly: false });
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('172.20.0.0/16', 'vgw-a')] });
    const r = trace(net.model(), { source: node('i-a'), destination: { ip: '172.20.0.1' }, ...ssh });
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(r.assumptions.some((a) => a.includes('BGP'))).toBe(true);
  });

  it('a VPN attachment on a transit gateway leaves the network', () => {
    const net = vpcs(['a']);
    net.tgw('tgw-1');
    net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('192.168.0.0/16', 'tgw-1')] });
    net.vpn('vpn-2', null, ['192.168.0.0/16'], { tgwId: 'tgw-1' });
    net.tgwAttachment('tgw-attach-a', 'tgw-1', { vpc: 'vpc-a' }, ['subnet-a-tgw'], { rtb: 'tgw-rtb' });
    net.tgwAttachment('tgw-attach-vpn', 'tgw-1', { vpn: 'vpn-2' }, [], { rtb: 'tgw-rtb' });
    net.tgwRouteTable('tgw-rtb', 'tgw-1', { propagations: ['tgw-attach-a', 'tgw-attach-vpn'] });
    const r = trace(net.model(), { source: node('i-a'), destination: { ip: '192.168.1.1' }, ...ssh });
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(r.reachable).toBe(true);
    expect(hopList(r.hops).at(-1)).toBe('vpn_connection tgw-attach-vpn forward forward');
  });
});
