import { describe, expect, it } from 'vitest';
import type { NetworkAclEntry } from '../../../src/core/network/attributes.ts';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { aclEntry, allTraffic, hopList, type Net, node, openAcl, twoTier } from './builders.ts';

/** twoTier with its own ACL on the private subnet. */
function withPrivateAcl(entries: NetworkAclEntry[], change?: (net: Net) => void) {
  const net = twoTier();
  net.nacl('acl-priv', 'vpc-a', ['subnet-priv'], entries);
  change?.(net);
  return net.model();
}

/** app admits everything from the VPC, so the ACL is what decides. */
const openApp = (net: Net) => net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [allTraffic('10.0.0.0/16')] });

const webToApp = { source: node('i-web'), destination: node('i-app'), protocol: 'tcp' as const, port: 8080 };

describe('network ACLs', () => {
  it('first match wins: a deny at 100 beats an allow at 200', () => {
    const m = withPrivateAcl([
      aclEntry(100, 'deny', { protocol: '6', cidr: '10.0.1.0/24', ports: [8080, 8080] }),
      aclEntry(200, 'allow'),
      aclEntry(100, 'allow', { egress: true }),
    ]);
    const r = trace(m, webToApp);
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({
      kind: 'network_acl',
      native_id: 'acl-priv',
      direction: 'ingress',
      decision: 'deny',
      rule: { type: 'network_acl_entry', network_acl_id: 'acl-priv', rule_number: 100, egress: false, action: 'deny' },
    });
    expect(r.explanation).toBe(
      'TCP port 8080 from web (10.0.1.10) to app (10.0.2.20) is blocked on the way in: rule 100 of acl-priv denies it inbound to subnet-priv.',
    );
  });

  it('first match wins: an allow at 100 beats a deny at 200', () => {
    const m = withPrivateAcl([
      aclEntry(100, 'allow', { protocol: '6', cidr: '10.0.1.0/24', ports: [8080, 8080] }),
      aclEntry(200, 'deny', { cidr: '10.0.1.0/24' }),
      aclEntry(100, 'allow', { egress: true }),
    ]);
    const r = trace(m, webToApp);
    expect(r.reachable).toBe(true);
    expect(r.hops.find((h) => h.native_id === 'acl-priv')?.rule).toMatchObject({ rule_number: 100, action: 'allow' });
  });

  it('entries are evaluated in rule-number order, not input order', () => {
    const m = withPrivateAcl([
      aclEntry(200, 'allow'),
      aclEntry(150, 'deny', { protocol: '6', ports: [8000, 8999] }),
      aclEntry(100, 'allow', { egress: true }),
    ]);
    expect(trace(m, webToApp).blocked_by?.rule).toMatchObject({ rule_number: 150 });
  });

  it('nothing matching falls to the default * rule (32767)', () => {
    const m = withPrivateAcl([aclEntry(100, 'allow', { protocol: '17' }), aclEntry(100, 'allow', { egress: true })]);
    const r = trace(m, webToApp);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by?.rule).toEqual({
      type: 'network_acl_entry',
      network_acl_id: 'acl-priv',
      rule_number: 32767,
      egress: false,
      action: 'deny',
      entry: null,
    });
    expect(r.explanation).toContain('the default rule * (32767) of acl-priv denies it');
  });

  it('checks outbound rules of the source subnet', () => {
    const net = twoTier();
    net.nacl(
      'acl-pub',
      'vpc-a',
      ['subnet-pub'],
      [aclEntry(100, 'allow'), aclEntry(90, 'deny', { egress: true, cidr: '10.0.2.0/24' })],
    );
    const r = trace(net.model(), webToApp);
    expect(r.disposition).toBe('DENIED_OUT');
    expect(r.blocked_by).toMatchObject({
      native_id: 'acl-pub',
      direction: 'egress',
      rule: { rule_number: 90, egress: true },
    });
  });

  it('does not check ACLs for traffic that stays inside one subnet', () => {
    const m = withPrivateAcl([]); // denies everything crossing the subnet boundary
    const r = trace(m, { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(r.reachable).toBe(true);
    expect(hopList(r.hops)).toEqual([
      'eni i-app#eni0 egress forward',
      'security_group sg-app egress allow',
      'route_table rtb-main forward forward',
      'security_group sg-db ingress allow',
      'eni i-db#eni0 ingress allow',
    ]);
    expect(hopList(r.return_path.hops)).toEqual([
      'eni i-db#eni0 egress forward',
      'route_table rtb-main forward forward',
      'eni i-app#eni0 ingress allow',
    ]);
  });

  it('checks return traffic on the ephemeral ports (ACLs are stateless)', () => {
    // Inbound 8080 allowed, but outbound only 443: replies to the client's ephemeral port are dropped.
    const m = withPrivateAcl([
      aclEntry(100, 'allow'),
      aclEntry(100, 'allow', { egress: true, protocol: '6', ports: [443, 443] }),
    ]);
    const r = trace(m, webToApp);
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.reachable).toBe(false);
    expect(r.return_path.evaluated).toBe(true);
    expect(r.return_path.allowed).toBe(false);
    expect(r.return_path.ports).toEqual([{ from: 1024, to: 65535 }]);
    expect(r.blocked_by).toMatchObject({
      kind: 'network_acl',
      native_id: 'acl-priv',
      direction: 'egress',
      rule: { rule_number: 32767, egress: true },
    });
    expect(r.return_path.blocked_by).toEqual(r.blocked_by);
    expect(r.explanation).toBe(
      'TCP port 8080 from web (10.0.1.10) to app (10.0.2.20) gets there, but replies cannot come back: the default rule * (32767) of acl-priv denies it outbound from subnet-priv (ports 1024–65535), so connections cannot complete.',
    );
  });

  it('return traffic must pass for every port of the client ephemeral range', () => {
    // Only the Linux range is open outbound.
    const m = withPrivateAcl([
      aclEntry(100, 'allow'),
      aclEntry(100, 'allow', { egress: true, protocol: '6', ports: [32768, 65535] }),
    ]);
    const def = trace(m, webToApp);
    expect(def.reachable).toBe(false);
    expect(def.return_path.blocked_by?.note).toContain('ports 1024–32767');
    const linux = trace(m, { ...webToApp, ephemeral_port_range: { from: 32768, to: 60999 } });
    expect(linux.reachable).toBe(true);
    expect(linux.return_path).toMatchObject({ evaluated: true, allowed: true, ports: [{ from: 32768, to: 60999 }] });
    // A deny inside the range, before the allow, still blocks.
    const holed = withPrivateAcl([
      aclEntry(100, 'allow'),
      aclEntry(50, 'deny', { egress: true, protocol: '6', ports: [40000, 40000] }),
      aclEntry(100, 'allow', { egress: true, protocol: '6', ports: [1024, 65535] }),
    ]);
    const h = trace(holed, webToApp);
    expect(h.reachable).toBe(false);
    expect(h.return_path.blocked_by?.rule).toMatchObject({ rule_number: 50 });
  });

  it('checks the return path on the source subnet inbound too', () => {
    const net = twoTier();
    net.nacl(
      'acl-pub',
      'vpc-a',
      ['subnet-pub'],
      [aclEntry(100, 'allow', { protocol: '6', ports: [443, 443] }), aclEntry(100, 'allow', { egress: true })],
    );
    const r = trace(net.model(), webToApp);
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.reachable).toBe(false);
    expect(r.return_path.blocked_by).toMatchObject({ native_id: 'acl-pub', direction: 'ingress' });
    expect(trace(net.model(), { ...webToApp, check_return: false }).reachable).toBe(true);
  });

  it('a port range query keeps only the ports every ACL on the way allows', () => {
    const m = withPrivateAcl(
      [aclEntry(100, 'allow', { protocol: '6', ports: [8000, 8080] }), aclEntry(100, 'allow', { egress: true })],
      openApp,
    );
    const r = trace(m, {
      source: webToApp.source,
      destination: webToApp.destination,
      protocol: 'tcp',
      port_range: { from: 8070, to: 8090 },
    });
    expect(r.reachable).toBe(true);
    expect(r.reachable_ports).toEqual([{ from: 8070, to: 8080 }]);
  });

  it("protocol 'all' passes an ACL only where all traffic is allowed", () => {
    const all = { source: node('i-web'), destination: node('i-app'), protocol: 'all' as const };
    // A deny for one UDP port is part of "all traffic": it decides.
    const partialDeny = withPrivateAcl(
      [
        aclEntry(90, 'deny', { protocol: '17', ports: [53, 53] }),
        aclEntry(100, 'allow'),
        aclEntry(100, 'allow', { egress: true }),
      ],
      openApp,
    );
    const r = trace(partialDeny, all);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by?.rule).toMatchObject({ rule_number: 90 });
    // An allow for TCP only does not cover all traffic: the default rule decides.
    const partialAllow = withPrivateAcl(
      [aclEntry(100, 'allow', { protocol: '6' }), aclEntry(100, 'allow', { egress: true })],
      openApp,
    );
    expect(trace(partialAllow, all).blocked_by?.rule).toMatchObject({ rule_number: 32767 });
    expect(trace(withPrivateAcl(openAcl(), openApp), all).reachable).toBe(true);
  });

  it('ICMP entries match on type and code', () => {
    const m = withPrivateAcl(
      [
        aclEntry(100, 'allow', { protocol: '1', icmp: { type: 8, code: -1 } }),
        aclEntry(100, 'allow', { egress: true }),
      ],
      openApp,
    );
    const echo = trace(m, {
      source: node('i-web'),
      destination: node('i-app'),
      protocol: 'icmp',
      icmp_type: 8,
      icmp_code: 0,
    });
    expect(echo.reachable).toBe(true);
    expect(echo.hops.find((h) => h.native_id === 'acl-priv')?.rule).toMatchObject({ rule_number: 100 });
    const ts = trace(m, {
      source: node('i-web'),
      destination: node('i-app'),
      protocol: 'icmp',
      icmp_type: 13,
      icmp_code: 0,
    });
    expect(ts.blocked_by).toMatchObject({ kind: 'network_acl', rule: { rule_number: 32767 } });
  });
});
