import { describe, expect, it } from 'vitest';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { aclEntry, hopList, node, route, twoTier } from './builders.ts';

describe('internet gateways', () => {
  it('reaches the internet from an interface with a public IP', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: { ip: '8.8.8.8' },
      protocol: 'udp',
      port: 53,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(hopList(r.hops)).toEqual([
      'eni i-web#eni0 egress forward',
      'security_group sg-web egress allow',
      'route_table rtb-pub forward forward',
      'network_acl acl-default egress allow',
      'internet_gateway igw-a egress forward',
      'internet - forward forward',
    ]);
    expect(r.hops[4]!.note).toBe('translates 10.0.1.10 to 54.0.0.10');
    expect(hopList(r.return_path.hops)).toEqual([
      'internet - forward forward',
      'internet_gateway igw-a ingress forward',
      'network_acl acl-default ingress allow',
      'eni i-web#eni0 ingress allow',
    ]);
    expect(r.destination).toEqual({ node_id: null, eni_id: null, ip: '8.8.8.8', kind: 'external' });
  });

  it('without a public IP the internet gateway cannot carry the traffic: NO_PUBLIC_IP', () => {
    const net = twoTier();
    net.instance('i-nopub', 'subnet-pub', '10.0.1.20', { sgs: ['sg-web'] });
    const r = trace(net.model(), {
      source: node('i-nopub'),
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('NO_PUBLIC_IP');
    expect(r.blocked_by).toMatchObject({ kind: 'internet_gateway', native_id: 'igw-a', decision: 'drop' });
    expect(r.explanation).toContain('i-nopub#eni0 has no public IP address');
  });

  it('an Elastic IP gives the interface its public address', () => {
    const net = twoTier();
    net.instance('i-eip', 'subnet-pub', '10.0.1.21', { sgs: ['sg-web'] });
    net.add('aws.ec2.elastic_ip', 'eipalloc-1', {
      allocation_id: 'eipalloc-1',
      public_ip: '54.0.0.21',
      association_id: 'eipassoc-1',
      network_interface_id: null,
      instance_id: 'i-eip',
      private_ip: '10.0.1.21',
    });
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node('i-eip'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.hops[1]!.note).toBe('translates 54.0.0.21 to 10.0.1.21');
  });

  it('admits internet traffic to a public instance, choosing a source address', () => {
    const r = trace(twoTier().model(), {
      source: { internet: true },
      destination: node('i-web'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(hopList(r.hops)).toEqual([
      'internet - forward forward',
      'internet_gateway igw-a ingress forward',
      'network_acl acl-default ingress allow',
      'security_group sg-web ingress allow',
      'eni i-web#eni0 ingress allow',
    ]);
    // Any address works for 443: the most general candidate is chosen.
    expect(r.source).toEqual({ node_id: null, eni_id: null, ip: '1.0.0.1', kind: 'internet' });
  });

  it('finds the source range a restricted rule admits', () => {
    const r = trace(twoTier().model(), {
      source: { internet: true },
      destination: node('i-web'),
      protocol: 'tcp',
      port: 22,
    });
    expect(r.reachable).toBe(true);
    expect(r.source.ip).toBe('203.0.113.1');
    expect(r.hops[3]!.rule).toMatchObject({ security_group_id: 'sg-web', rule_index: 1 });
    // A fixed source outside that range is denied.
    const denied = trace(twoTier().model(), {
      source: { ip: '198.51.100.7' },
      destination: node('i-web'),
      protocol: 'tcp',
      port: 22,
    });
    expect(denied.disposition).toBe('DENIED_IN');
    expect(denied.source).toMatchObject({ kind: 'internet', ip: '198.51.100.7' });
  });

  it('from the internet, a private-only instance has NO_PUBLIC_IP', () => {
    const r = trace(twoTier().model(), {
      source: { internet: true },
      destination: node('i-app'),
      protocol: 'tcp',
      port: 8080,
    });
    expect(r.disposition).toBe('NO_PUBLIC_IP');
    expect(r.blocked_by).toMatchObject({ kind: 'eni', native_id: 'i-app#eni0', decision: 'drop' });
    const byIp = trace(twoTier().model(), {
      source: { internet: true },
      destination: { ip: '10.0.2.20' },
      protocol: 'tcp',
      port: 8080,
    });
    expect(byIp.disposition).toBe('NO_PUBLIC_IP');
  });

  it('ingress from the internet needs a route back through the gateway', () => {
    const net = twoTier();
    net.remove('rtb-pub').routeTable('rtb-pub', 'vpc-a', { subnets: ['subnet-pub'], routes: [] });
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node('i-web'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.reachable).toBe(false);
    expect(r.return_path.allowed).toBe(false);
    expect(r.blocked_by).toMatchObject({ kind: 'route_table', native_id: 'rtb-pub', rule: { type: 'no_route' } });
    expect(r.explanation).toContain('replies cannot come back: rtb-pub has no route to 1.0.0.1');
  });

  it('replies routed to a NAT gateway instead of the internet gateway break the connection', () => {
    const net = twoTier();
    net.instance('i-misrouted', 'subnet-priv', '10.0.2.50', { publicIp: '54.0.0.50', sgs: ['sg-web'] });
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node('i-misrouted'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.reachable).toBe(false);
    expect(r.return_path.blocked_by).toMatchObject({ kind: 'nat_gateway', native_id: 'nat-a' });
    expect(r.return_path.blocked_by?.note).toContain('asymmetric');
  });

  it('a detached internet gateway drops the traffic', () => {
    const net = twoTier();
    net.remove('igw-a').igw('igw-a', null);
    const r = trace(net.model(), { source: node('i-web'), destination: { ip: '8.8.8.8' }, protocol: 'tcp', port: 443 });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.blocked_by?.note).toBe('igw-a is not attached to vpc-a');
  });

  it('traffic to a private address through the internet gateway goes nowhere', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: { ip: '192.168.1.1' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.blocked_by?.note).toContain('not a public address');
  });

  it('reaches another VPC public address across the internet', () => {
    const net = twoTier();
    net.vpc('vpc-z', '172.16.0.0/16');
    net.subnet('subnet-z', 'vpc-z', '172.16.0.0/24');
    net.igw('igw-z', 'vpc-z');
    net.routeTable('rtb-z', 'vpc-z', { main: true, routes: [route('0.0.0.0/0', 'igw-z')] });
    net.instance('i-z', 'subnet-z', '172.16.0.10', { publicIp: '52.0.0.10', sgs: ['sg-web'] });
    const r = trace(net.model(), { source: node('i-app'), destination: node('i-z'), protocol: 'tcp', port: 443 });
    expect(r.reachable).toBe(true);
    expect(r.destination).toMatchObject({ eni_id: 'i-z#eni0', ip: '172.16.0.10' });
    expect(hopList(r.hops)).toContain('nat_gateway nat-a forward forward');
    expect(hopList(r.hops)).toContain('internet_gateway igw-z ingress forward');
  });
});

describe('NAT gateways', () => {
  it('carry outbound-initiated traffic from a private subnet and its replies', () => {
    const r = trace(twoTier().model(), {
      source: node('i-app'),
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(hopList(r.hops)).toEqual([
      'eni i-app#eni0 egress forward',
      'security_group sg-app egress allow',
      'route_table rtb-main forward forward',
      'network_acl acl-default egress allow',
      'network_acl acl-default ingress allow',
      'nat_gateway nat-a forward forward',
      'route_table rtb-pub forward forward',
      'network_acl acl-default egress allow',
      'internet_gateway igw-a egress forward',
      'internet - forward forward',
    ]);
    expect(r.hops[5]!.note).toBe('translates source 10.0.2.20 to 10.0.1.100');
    expect(r.hops[8]!.note).toBe('translates 10.0.1.100 to 54.0.0.100');
    // The answer says which internet address it chose.
    expect(r.destination).toEqual({ node_id: null, eni_id: null, ip: '1.0.0.1', kind: 'external' });
    expect(r.explanation).toContain('1.0.0.1 (chosen in 0.0.0.0/0)');
    expect(hopList(r.return_path.hops)).toEqual([
      'internet - forward forward',
      'internet_gateway igw-a ingress forward',
      'network_acl acl-default ingress allow',
      'nat_gateway nat-a forward forward',
      'route_table rtb-pub forward forward',
      'network_acl acl-default egress allow',
      'network_acl acl-default ingress allow',
      'eni i-app#eni0 ingress allow',
    ]);
  });

  it('deny connections initiated from the internet', () => {
    const r = trace(twoTier().model(), {
      source: { internet: true },
      destination: { ip: '54.0.0.100' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({ kind: 'nat_gateway', native_id: 'nat-a', decision: 'drop' });
  });

  it('a deleted NAT gateway is ignored: its route goes nowhere', () => {
    const net = twoTier();
    net.remove('nat-a').nat('nat-a', 'vpc-a', 'subnet-pub', '10.0.1.100', '54.0.0.100', 'deleted');
    const r = trace(net.model(), { source: node('i-app'), destination: { ip: '8.8.8.8' }, protocol: 'tcp', port: 443 });
    expect(r.disposition).toBe('NULL_ROUTED');
    expect(r.blocked_by).toMatchObject({ kind: 'nat_gateway', native_id: 'nat-a', note: 'nat-a is deleted' });
  });

  it("the NAT gateway's subnet ACL applies to the replies on the NAT's ports", () => {
    const net = twoTier();
    net.nacl(
      'acl-pub',
      'vpc-a',
      ['subnet-pub'],
      [
        aclEntry(100, 'allow', { cidr: '10.0.0.0/16' }),
        aclEntry(110, 'allow', { protocol: '6', ports: [1024, 65535] }),
        aclEntry(100, 'allow', { egress: true }),
      ],
    );
    expect(
      trace(net.model(), { source: node('i-app'), destination: { ip: '8.8.8.8' }, protocol: 'tcp', port: 443 })
        .reachable,
    ).toBe(true);
    net
      .remove('acl-pub')
      .nacl(
        'acl-pub',
        'vpc-a',
        ['subnet-pub'],
        [aclEntry(100, 'allow', { cidr: '10.0.0.0/16' }), aclEntry(100, 'allow', { egress: true })],
      );
    const r = trace(net.model(), { source: node('i-app'), destination: { ip: '8.8.8.8' }, protocol: 'tcp', port: 443 });
    expect(r.disposition).toBe('EXITS_NETWORK');
    expect(r.reachable).toBe(false);
    expect(r.return_path.blocked_by).toMatchObject({
      native_id: 'acl-pub',
      direction: 'ingress',
      rule: { rule_number: 32767 },
    });
  });
});
