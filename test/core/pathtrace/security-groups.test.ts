import { describe, expect, it } from 'vitest';
import { trace } from '../../../src/core/pathtrace/index.ts';
import { allTraffic, hopList, icmp, node, sgRule, tcp, twoTier, udp } from './builders.ts';

describe('security groups', () => {
  it('admits a flow allowed by the source egress and the destination ingress rules', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: node('i-app'),
      protocol: 'tcp',
      port: 8080,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.blocked_by).toBeNull();
    expect(hopList(r.hops)).toEqual([
      'eni i-web#eni0 egress forward',
      'security_group sg-web egress allow',
      'route_table rtb-pub forward forward',
      'network_acl acl-default egress allow',
      'network_acl acl-default ingress allow',
      'security_group sg-app ingress allow',
      'eni i-app#eni0 ingress allow',
    ]);
    expect(r.hops[5]!.rule).toMatchObject({
      type: 'security_group_rule',
      security_group_id: 'sg-app',
      direction: 'ingress',
      rule_index: 0,
      rule: { protocol: '6', from_port: 8080, to_port: 8080, security_group_ids: ['sg-web'] },
    });
    expect(r.explanation).toContain('sg-app ingress rule 0');
    expect(r.source).toEqual({
      node_id: 'aws:us-east-1:aws.ec2.instance:i-web',
      eni_id: 'i-web#eni0',
      ip: '10.0.1.10',
      kind: 'eni',
    });
    expect(r.destination.ip).toBe('10.0.2.20');
  });

  it('denies inbound when no ingress rule matches, naming the groups', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: node('i-db'),
      protocol: 'tcp',
      port: 5432,
    });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({
      kind: 'security_group',
      native_id: 'sg-db',
      direction: 'ingress',
      decision: 'deny',
      rule: { type: 'security_group_no_match', direction: 'ingress', security_group_ids: ['sg-db'] },
    });
    expect(r.return_path).toEqual({ evaluated: false, allowed: false });
    expect(r.explanation).toBe(
      'TCP port 5432 from web (10.0.1.10) to db (10.0.2.30) is blocked on the way in: no ingress rule of sg-db allows it from 10.0.1.10.',
    );
  });

  it('denies outbound when the source groups do not allow the egress', () => {
    const net = twoTier();
    net.remove('sg-web').sg('sg-web', 'vpc-a', {
      ingress: [tcp(443, '0.0.0.0/0')],
      egress: [tcp(443, '0.0.0.0/0')],
    });
    const r = trace(net.model(), { source: node('i-web'), destination: node('i-app'), protocol: 'tcp', port: 8080 });
    expect(r.disposition).toBe('DENIED_OUT');
    expect(hopList(r.hops)).toEqual(['eni i-web#eni0 egress forward', 'security_group sg-web egress deny']);
    expect(r.blocked_by?.rule).toEqual({
      type: 'security_group_no_match',
      direction: 'egress',
      security_group_ids: ['sg-web'],
    });
  });

  it('resolves security group references through the interfaces that carry the group', () => {
    const net = twoTier();
    // A second instance in the public subnet, not in sg-app: db must not admit it.
    net.instance('i-other', 'subnet-pub', '10.0.1.11', { sgs: ['sg-web'] });
    const m = net.model();
    const ok = trace(m, { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(ok.disposition).toBe('ACCEPTED');
    expect(ok.hops.find((h) => h.kind === 'security_group' && h.direction === 'ingress')?.rule).toMatchObject({
      security_group_id: 'sg-db',
      rule_index: 0,
    });
    const no = trace(m, { source: node('i-other'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(no.disposition).toBe('DENIED_IN');

    // Putting i-other in sg-app makes it a member, so the same rule admits it.
    net.remove('i-other').instance('i-other', 'subnet-pub', '10.0.1.11', { sgs: ['sg-web', 'sg-app'] });
    const now = trace(net.model(), { source: node('i-other'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(now.disposition).toBe('ACCEPTED');
  });

  it('a reference to a group the inventory lacks is UNSUPPORTED, never a silent guess', () => {
    const net = twoTier();
    net.remove('sg-db').sg('sg-db', 'vpc-a', { ingress: [tcp(5432, 'sg-missing')] });
    const r = trace(net.model(), { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('UNSUPPORTED');
    expect(r.blocked_by).toMatchObject({ kind: 'security_group', native_id: 'sg-db', decision: 'drop' });
    expect(r.assumptions.some((a) => a.includes('sg-missing'))).toBe(true);
    expect(r.explanation).toContain('sg-missing');

    // When another rule admits the flow, the unknown reference does not matter.
    net.remove('sg-db').sg('sg-db', 'vpc-a', { ingress: [tcp(5432, 'sg-missing'), tcp(5432, '10.0.2.0/24')] });
    const ok = trace(net.model(), { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(ok.disposition).toBe('ACCEPTED');
    expect(ok.hops.find((h) => h.native_id === 'sg-db')?.rule).toMatchObject({ rule_index: 1 });
  });

  it('an attached group the inventory lacks is UNSUPPORTED', () => {
    const net = twoTier();
    net.remove('i-db').instance('i-db', 'subnet-priv', '10.0.2.30', { sgs: ['sg-gone'] });
    const r = trace(net.model(), { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(r.disposition).toBe('UNSUPPORTED');
    expect(r.assumptions.some((a) => a.includes('sg-gone'))).toBe(true);
  });

  it('prefix lists in rules resolve through managed prefix list nodes', () => {
    const net = twoTier();
    net.prefixList('pl-office', ['10.0.2.0/25']);
    net.remove('sg-db').sg('sg-db', 'vpc-a', { ingress: [tcp(5432, 'pl-office')] });
    const m = net.model();
    expect(
      trace(m, { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 }).disposition,
    ).toBe('ACCEPTED');
    expect(
      trace(m, { source: node('i-web'), destination: node('i-db'), protocol: 'tcp', port: 5432 }).disposition,
    ).toBe('DENIED_IN');
  });

  it('port ranges are inclusive, and a range query reports the ports that get through', () => {
    const net = twoTier();
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp([8000, 8100], '10.0.0.0/16')] });
    const m = net.model();
    const q = { source: node('i-web'), destination: node('i-app'), protocol: 'tcp' as const };
    expect(trace(m, { ...q, port: 8000 }).disposition).toBe('ACCEPTED');
    expect(trace(m, { ...q, port: 8100 }).disposition).toBe('ACCEPTED');
    expect(trace(m, { ...q, port: 8101 }).disposition).toBe('DENIED_IN');
    expect(trace(m, { ...q, port: 7999 }).disposition).toBe('DENIED_IN');
    const range = trace(m, { ...q, port_range: { from: 8050, to: 8200 } });
    expect(range.reachable).toBe(true);
    expect(range.reachable_ports).toEqual([{ from: 8050, to: 8100 }]);
    expect(range.explanation).toContain('only ports 8050–8100 get through');
    const none = trace(m, { ...q, port_range: { from: 9000, to: 9100 } });
    expect(none.disposition).toBe('DENIED_IN');
    expect(none.reachable_ports).toEqual([]);
  });

  it('a rule admits only its own protocol or all protocols', () => {
    const net = twoTier();
    net
      .remove('sg-app')
      .sg('sg-app', 'vpc-a', { ingress: [tcp(53, '10.0.0.0/16'), sgRule('47', null, '10.0.1.0/24')] });
    const m = net.model();
    const q = { source: node('i-web'), destination: node('i-app') };
    expect(trace(m, { ...q, protocol: 'tcp', port: 53 }).disposition).toBe('ACCEPTED');
    expect(trace(m, { ...q, protocol: 6, port: 53 }).disposition).toBe('ACCEPTED');
    expect(trace(m, { ...q, protocol: 'udp', port: 53 }).disposition).toBe('DENIED_IN');
    expect(trace(m, { ...q, protocol: 47 }).disposition).toBe('ACCEPTED');
    const esp = trace(m, { ...q, protocol: 50 });
    expect(esp.disposition).toBe('DENIED_IN');
    expect(esp.reachable_ports).toBeNull();
    expect(esp.flow).toMatchObject({ protocol: '50', protocol_number: 50, ports: null });
  });

  it('ICMP rules match on type and code', () => {
    const net = twoTier();
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [icmp(8, -1, '10.0.0.0/16')] });
    const m = net.model();
    const q = { source: node('i-web'), destination: node('i-app'), protocol: 'icmp' as const };
    const echo = trace(m, { ...q, icmp_type: 8, icmp_code: 0 });
    expect(echo.disposition).toBe('ACCEPTED');
    expect(echo.flow.description).toBe('ICMP type 8 code 0');
    expect(trace(m, { ...q, icmp_type: 13 }).disposition).toBe('DENIED_IN');
    // Without a type, any ICMP is asked about: echo (type 8) gets through.
    const any = trace(m, q);
    expect(any.reachable).toBe(true);
    expect(any.reachable_ports).toEqual([{ from: 8 * 256, to: 8 * 256 + 255 }]);
  });

  it("protocol 'all' is admitted only by rules for all protocols", () => {
    const net = twoTier();
    net
      .remove('sg-app')
      .sg('sg-app', 'vpc-a', { ingress: [tcp([0, 65535], '10.0.0.0/16'), udp([0, 65535], '10.0.0.0/16')] });
    expect(trace(net.model(), { source: node('i-web'), destination: node('i-app'), protocol: 'all' }).disposition).toBe(
      'DENIED_IN',
    );
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [allTraffic('10.0.1.0/24')] });
    const r = trace(net.model(), { source: node('i-web'), destination: node('i-app'), protocol: 'all' });
    expect(r.disposition).toBe('ACCEPTED');
    expect(r.flow).toEqual({ protocol: 'all', protocol_number: -1, ports: null, description: 'all traffic' });
  });

  it('stopped and terminated instances carry no traffic and belong to no group', () => {
    const net = twoTier();
    net.instance('i-old', 'subnet-priv', '10.0.2.40', { sgs: ['sg-app'], state: 'terminated' });
    const m = net.model();
    // Its address is no longer a member of sg-app...
    const fromOldIp = trace(m, { source: { ip: '10.0.2.40' }, destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(fromOldIp.disposition).toBe('DENIED_IN');
    expect(fromOldIp.source.kind).toBe('subnet_address');
    // ...traffic to it reaches only an empty address...
    const toOldIp = trace(m, { source: node('i-app'), destination: { ip: '10.0.2.40' }, protocol: 'tcp', port: 22 });
    expect(toOldIp.disposition).toBe('DELIVERED_TO_SUBNET');
    expect(toOldIp.destination.kind).toBe('subnet_address');
    // ...and naming it says why nothing flows.
    const named = trace(m, { source: node('i-old'), destination: node('i-db'), protocol: 'tcp', port: 5432 });
    expect(named.reachable).toBe(false);
    expect(named.disposition).toBe('UNSUPPORTED');
    expect(named.explanation).toContain('terminated');
    const stopped = twoTier();
    stopped.remove('i-db').instance('i-db', 'subnet-priv', '10.0.2.30', { sgs: ['sg-db'], state: 'stopped' });
    expect(
      trace(stopped.model(), { source: node('i-app'), destination: node('i-db'), protocol: 'tcp', port: 5432 })
        .disposition,
    ).toBe('UNSUPPORTED');
  });

  it('evaluates the groups of real ENI nodes when the inventory has them', () => {
    const net = twoTier();
    net.remove('i-app').add('aws.ec2.instance', 'i-app', {
      instance_id: 'i-app',
      state: 'running',
      subnet_id: 'subnet-priv',
      private_ip: '10.0.2.20',
      public_ip: null,
      security_group_ids: ['sg-app'],
      network_interface_ids: ['eni-app0', 'eni-app1'],
    });
    net.eni('eni-app0', 'subnet-priv', 'vpc-a', ['10.0.2.20'], {
      sgs: ['sg-app'],
      instanceId: 'i-app',
      deviceIndex: 0,
    });
    net.eni('eni-app1', 'subnet-priv', 'vpc-a', ['10.0.2.21'], { sgs: ['sg-db'], instanceId: 'i-app', deviceIndex: 1 });
    const m = net.model();
    const r = trace(m, { source: node('i-web'), destination: { ip: '10.0.2.21' }, protocol: 'tcp', port: 8080 });
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by?.native_id).toBe('sg-db');
    const p = trace(m, { source: node('i-web'), destination: node('i-app'), protocol: 'tcp', port: 8080 });
    expect(p.destination).toMatchObject({ eni_id: 'eni-app0', ip: '10.0.2.20' });
    expect(p.assumptions.some((a) => a.includes('i-app has no network interface'))).toBe(false);
  });
});
