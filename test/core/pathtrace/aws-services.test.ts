/**
 * Addresses AWS answers itself: the link-local services an instance reaches
 * on its own interface (169.254.169.254 metadata, .253 DNS, .123 time sync,
 * .250–251 Windows activation) and the VPC's Amazon DNS server at base + 2.
 * No security group, network ACL or route table applies to them, only the
 * sender (an instance; for DNS at base + 2, any address of the VPC), the
 * service's ports, and the instance's metadata options.
 */
import { describe, expect, it } from 'vitest';
import { AWS_NETWORK_TYPES as T } from '../../../src/core/network/attributes.ts';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { aclEntry, hopList, id, node, route, twoTier } from './builders.ts';

const IMDS = { ip: '169.254.169.254' };

/** twoTier where web can send nothing through its groups or ACLs: only what skips them gets anywhere. */
function lockedDown() {
  const net = twoTier();
  net.remove('sg-web').sg('sg-web', 'vpc-a', { ingress: [], egress: [] });
  net.nacl(
    'acl-deny',
    'vpc-a',
    ['subnet-pub', 'subnet-priv'],
    [aclEntry(1, 'deny'), aclEntry(1, 'deny', { egress: true })],
  );
  net.remove('rtb-pub').routeTable('rtb-pub', 'vpc-a', { subnets: ['subnet-pub'], routes: [] });
  return net;
}

describe('the instance metadata service', () => {
  it('is reached on TCP 80 from the instance itself, whatever its groups, ACLs and routes say', () => {
    const r = trace(lockedDown().model(), { source: node('i-web'), destination: IMDS, protocol: 'tcp', port: 80 });
    expect(r).toMatchObject({
      reachable: true,
      disposition: 'ACCEPTED',
      source: { node_id: id(T.instance, 'i-web'), ip: '10.0.1.10', kind: 'eni' },
      destination: { node_id: null, eni_id: null, ip: '169.254.169.254', kind: 'aws_service' },
      blocked_by: null,
      return_path: { evaluated: true, allowed: true, hops: [] },
      reachable_ports: [{ from: 80, to: 80 }],
    });
    expect(hopList(r.hops)).toEqual(['eni i-web#eni0 egress forward', 'aws_service - ingress allow']);
    expect(r.explanation).toBe(
      "TCP port 80 from web (10.0.1.10) to 169.254.169.254 is allowed: the instance metadata service (IMDS) answers on web's own interface, where no security group, network ACL or route table applies, and replies come straight back.",
    );
    // Terraform-style instances carry no metadata options: AWS's default is stated, not silently taken.
    expect(r.assumptions).toContain(
      'the metadata options of web are not in the inventory; its instance metadata service is assumed on, as AWS defaults',
    );
    expect(
      trace(lockedDown().model(), {
        source: node('i-web'),
        destination: IMDS,
        protocol: 'tcp',
        port: 80,
        check_return: false,
      }).reachable,
    ).toBe(true);
  });

  it('answers TCP 80 only: another port, protocol or all traffic is refused by the service', () => {
    const m = twoTier().model();
    const other = trace(m, { source: node('i-web'), destination: IMDS, protocol: 'tcp', port: 443 });
    expect(other).toMatchObject({ reachable: false, disposition: 'DENIED_IN', reachable_ports: [] });
    expect(other.blocked_by).toMatchObject({
      kind: 'aws_service',
      direction: 'ingress',
      decision: 'deny',
      note: 'the instance metadata service (IMDS) answers only TCP port 80',
    });
    const range = trace(m, {
      source: node('i-web'),
      destination: IMDS,
      protocol: 'tcp',
      port_range: { from: 1, to: 1024 },
    });
    expect(range).toMatchObject({ reachable: true, reachable_ports: [{ from: 80, to: 80 }] });
    expect(range.explanation).toContain('(only ports 80 get through)');
    expect(trace(m, { source: node('i-web'), destination: IMDS, protocol: 'udp', port: 80 }).reachable).toBe(false);
    expect(trace(m, { source: node('i-web'), destination: IMDS, protocol: 'icmp' })).toMatchObject({
      reachable: false,
      reachable_ports: [],
    });
    expect(trace(m, { source: node('i-web'), destination: IMDS, protocol: 'all' })).toMatchObject({
      reachable: false,
      disposition: 'DENIED_IN',
      reachable_ports: null,
    });
  });

  it('is refused when the instance turns it off (HttpEndpoint disabled), and stated when unknown', () => {
    const net = twoTier();
    Object.assign(net.attrs('i-web'), { metadata_http_endpoint: 'disabled' });
    Object.assign(net.attrs('i-app'), { metadata_http_endpoint: 'enabled' });
    const m = net.model();
    const off = trace(m, { source: node('i-web'), destination: IMDS, protocol: 'tcp', port: 80 });
    expect(off).toMatchObject({ reachable: false, disposition: 'DENIED_IN' });
    expect(off.explanation).toBe(
      'TCP port 80 from web (10.0.1.10) to 169.254.169.254 is blocked on the way in: the instance metadata service is turned off for web (its metadata options have HttpEndpoint disabled).',
    );
    const on = trace(m, { source: node('i-app'), destination: IMDS, protocol: 'tcp', port: 80 });
    expect(on.reachable).toBe(true);
    expect(on.assumptions.filter((a) => a.includes('metadata'))).toEqual([]);
  });

  it('is reached only by an instance: not by another kind of interface, and undecided for an unknown sender', () => {
    const net = twoTier();
    net.eni('eni-orphan', 'subnet-priv', 'vpc-a', ['10.0.2.77'], { sgs: ['sg-app'] });
    const m = net.model();
    const fromNat = trace(m, { source: node('nat-a', T.natGateway), destination: IMDS, protocol: 'tcp', port: 80 });
    expect(fromNat).toMatchObject({ reachable: false, disposition: 'NO_ROUTE', destination: { kind: 'aws_service' } });
    expect(fromNat.blocked_by?.note).toBe(
      '169.254.169.254 is link-local, which the VPC does not route, and only an EC2 instance reaches the instance metadata service (IMDS) at 169.254.169.254, on its own interface; nat-a is not one',
    );
    // An interface attached to something the inventory lacks, and an address no interface has, might be an instance's.
    const orphan = trace(m, {
      source: node('eni-orphan', T.networkInterface),
      destination: IMDS,
      protocol: 'tcp',
      port: 80,
    });
    expect(orphan.disposition).toBe('UNSUPPORTED');
    expect(orphan.blocked_by?.note).toMatch(
      /^eni-orphan is attached to something the inventory lacks, and only an EC2/,
    );
    const address = trace(m, { source: { ip: '10.0.2.99' }, destination: IMDS, protocol: 'tcp', port: 80 });
    expect(address).toMatchObject({ disposition: 'UNSUPPORTED', source: { kind: 'subnet_address' } });
    expect(hopList(address.hops)).toEqual(['subnet subnet-priv egress drop']);
  });

  it('is never reached from the internet, and a destination CIDR of it alone reaches it as the address does', () => {
    const m = twoTier().model();
    const r = trace(m, { source: { internet: true }, destination: IMDS, protocol: 'tcp', port: 80 });
    expect(r).toMatchObject({ reachable: false, disposition: 'NO_ROUTE', reachable_ports: [] });
    expect(r.blocked_by?.note).toBe(
      "169.254.169.254 is link-local (169.254.0.0/16): it is answered only on an instance's own interface, never from the internet",
    );
    const viaCidr = trace(m, {
      source: node('i-web'),
      destination: { cidr: '169.254.169.254/32' },
      protocol: 'tcp',
      port: 80,
    });
    expect(viaCidr).toMatchObject({ reachable: true, destination: { ip: '169.254.169.254', kind: 'aws_service' } });
  });
});

describe('other link-local services', () => {
  it('Amazon DNS (UDP/TCP 53), Amazon Time Sync (UDP 123) and Windows activation (TCP 1688) answer the instance', () => {
    const m = lockedDown().model();
    const from = { source: node('i-web') };
    for (const [ip, protocol, port] of [
      ['169.254.169.253', 'udp', 53],
      ['169.254.169.253', 'tcp', 53],
      ['169.254.169.123', 'udp', 123],
      ['169.254.169.250', 'tcp', 1688],
      ['169.254.169.251', 'tcp', 1688],
    ] as const) {
      const r = trace(m, { ...from, destination: { ip }, protocol, port });
      expect(r, `${ip} ${protocol} ${port}`).toMatchObject({
        reachable: true,
        destination: { ip, kind: 'aws_service' },
      });
    }
    const dns = trace(m, { ...from, destination: { ip: '169.254.169.253' }, protocol: 'udp', port: 53 });
    expect(dns.assumptions).toContain(
      'whether DNS resolution (enableDnsSupport) is on in vpc-a is not in the inventory; it is assumed on, as AWS defaults',
    );
    const ntpOverTcp = trace(m, { ...from, destination: { ip: '169.254.169.123' }, protocol: 'tcp', port: 123 });
    expect(ntpOverTcp.blocked_by?.note).toBe('the Amazon Time Sync Service answers only UDP port 123');
  });

  it('another link-local address is not routed and answered by nothing', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: { ip: '169.254.1.1' },
      protocol: 'tcp',
      port: 80,
    });
    expect(r).toMatchObject({ reachable: false, disposition: 'NO_ROUTE', destination: { kind: 'external' } });
    expect(hopList(r.hops)).toEqual(['eni i-web#eni0 egress drop']);
    expect(r.explanation).toBe(
      'TCP port 80 from web (10.0.1.10) to 169.254.1.1 has no route: 169.254.1.1 is link-local (169.254.0.0/16), which the VPC does not route, and no AWS service answers there (AWS answers 169.254.169.254 (instance metadata), 169.254.169.253 (Amazon DNS), 169.254.169.123 (Amazon Time Sync) and 169.254.169.250–251 (Windows activation)).',
    );
  });

  it('a private address outside the network is not routed from the internet either', () => {
    const r = trace(twoTier().model(), {
      source: { internet: true },
      destination: { ip: '192.168.1.1' },
      protocol: 'tcp',
      port: 80,
    });
    expect(r).toMatchObject({ disposition: 'NO_ROUTE' });
    expect(r.blocked_by?.note).toBe('192.168.1.1 is not a public address, so the internet cannot deliver it');
  });
});

describe("the VPC's Amazon DNS server (base + 2)", () => {
  /** vpc-a plus vpc-b (10.1.0.0/16) peered with it, routes both ways, everything open. */
  function peered() {
    const net = twoTier();
    net.vpc('vpc-b', '10.1.0.0/16');
    net.subnet('subnet-b', 'vpc-b', '10.1.1.0/24');
    net.routeTable('rtb-b', 'vpc-b', { main: true, routes: [route('10.0.0.0/16', 'pcx-ab')] });
    net.nacl('acl-b', 'vpc-b', [], [aclEntry(100, 'allow'), aclEntry(100, 'allow', { egress: true })], true);
    net.sg('sg-b', 'vpc-b');
    net.instance('i-b', 'subnet-b', '10.1.1.10', { sgs: ['sg-b'] });
    net.peering('pcx-ab', 'vpc-a', 'vpc-b');
    return net;
  }

  it('answers every address of its VPC on port 53, named as the VPC, outside groups and ACLs', () => {
    const net = lockedDown();
    const m = net.model();
    const dns = { destination: { ip: '10.0.0.2' }, protocol: 'udp' as const, port: 53 };
    const r = trace(m, { source: node('i-web'), ...dns });
    expect(r).toMatchObject({
      reachable: true,
      disposition: 'ACCEPTED',
      destination: { node_id: id(T.vpc, 'vpc-a'), ip: '10.0.0.2', kind: 'aws_service' },
    });
    expect(r.hops[1]).toMatchObject({
      node_id: id(T.vpc, 'vpc-a'),
      kind: 'aws_service',
      decision: 'allow',
      note: 'the Amazon DNS server of vpc-a answers every address of the VPC, and no security group, network ACL or route table applies',
    });
    // Any sender in the VPC: an address no interface has, a NAT gateway.
    expect(trace(m, { source: { ip: '10.0.2.99' }, ...dns }).reachable).toBe(true);
    expect(trace(m, { source: node('nat-a', T.natGateway), ...dns }).reachable).toBe(true);
    expect(trace(m, { source: node('i-web'), ...dns, port: 80 }).blocked_by?.note).toBe(
      'the Amazon DNS server answers only UDP and TCP port 53',
    );
  });

  it('answers no one outside its VPC, even over a peering that routes there', () => {
    const m = peered().model();
    const r = trace(m, { source: node('i-b'), destination: { ip: '10.0.0.2' }, protocol: 'udp', port: 53 });
    expect(r).toMatchObject({ reachable: false, disposition: 'DENIED_IN' });
    expect(r.blocked_by?.note).toBe('the Amazon DNS server of vpc-a answers only addresses inside vpc-a');
    // Its own VPC's server is at 10.1.0.2.
    expect(
      trace(m, { source: node('i-b'), destination: { ip: '10.1.0.2' }, protocol: 'udp', port: 53 }).reachable,
    ).toBe(true);
  });

  it('is not assumed where the VPC itself is unknown (its CIDRs inferred from subnets)', () => {
    const net = twoTier();
    net.remove('vpc-a');
    const r = trace(net.model(), { source: node('i-web'), destination: { ip: '10.0.1.2' }, protocol: 'udp', port: 53 });
    expect(r.destination.kind).not.toBe('aws_service');
    expect(r.hops.some((h) => h.kind === 'aws_service')).toBe(false);
  });
});
