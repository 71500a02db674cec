import { describe, expect, it } from 'vitest';
import { exposure, TraceQueryError, trace } from '../../../src/core/pathtrace/index.ts';
import { buildNetworkModel } from '../../../src/core/pathtrace/model.ts';
import { aclEntry, hopList, id, node, route, tcp, twoTier } from './builders.ts';

const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web-lb/0123456789abcdef';

/** twoTier plus an internet-facing ALB on 443 in the public subnet, targeting app. */
function withLoadBalancer() {
  const net = twoTier();
  net.sg('sg-lb', 'vpc-a', { ingress: [tcp(443, '0.0.0.0/0')] });
  net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp(8080, 'sg-web'), tcp(443, 'sg-lb')] });
  net.loadBalancer('web-lb', 'vpc-a', ['subnet-pub'], { sgs: ['sg-lb'], listeners: [443], targets: ['i-app'] });
  return net;
}

describe('several paths', () => {
  function twoInterfaces() {
    const net = twoTier();
    net.sg('sg-mute', 'vpc-a', { egress: [] });
    net.remove('i-web').add('aws.ec2.instance', 'i-web', {
      instance_id: 'i-web',
      state: 'running',
      subnet_id: 'subnet-pub',
      private_ip: '10.0.1.10',
      security_group_ids: ['sg-web'],
      network_interface_ids: ['eni-w0', 'eni-w1'],
    });
    net.eni('eni-w0', 'subnet-pub', 'vpc-a', ['10.0.1.10'], { sgs: ['sg-mute'], instanceId: 'i-web', deviceIndex: 0 });
    net.eni('eni-w1', 'subnet-pub', 'vpc-a', ['10.0.1.11'], { sgs: ['sg-web'], instanceId: 'i-web', deviceIndex: 1 });
    return net.model();
  }

  it('returns the reachable path when some paths are blocked', () => {
    const r = trace(twoInterfaces(), {
      source: node('i-web'),
      destination: node('i-app'),
      protocol: 'tcp',
      port: 8080,
    });
    expect(r.reachable).toBe(true);
    expect(r.source).toMatchObject({ eni_id: 'eni-w1', ip: '10.0.1.11' });
    expect(r.paths).toBeUndefined();
  });

  it('all_paths lists every path explored, within max_paths', () => {
    const q = {
      source: node('i-web'),
      destination: node('i-app'),
      protocol: 'tcp' as const,
      port: 8080,
      all_paths: true,
    };
    const r = trace(twoInterfaces(), q);
    expect(r.reachable).toBe(true);
    expect(r.paths?.map((p) => [p.source.eni_id, p.disposition, p.reachable])).toEqual([
      ['eni-w0', 'DENIED_OUT', false],
      ['eni-w1', 'ACCEPTED', true],
    ]);
    expect(r.paths?.[0]?.blocked_by?.native_id).toBe('sg-mute');
    expect(trace(twoInterfaces(), { ...q, max_paths: 1 }).paths).toHaveLength(1);
  });

  it('a node sends from its primary address; { ip } of a secondary address sends from that one', () => {
    const net = twoTier();
    // sg-app admits 8080 only from web's secondary address 10.0.1.11.
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp(8080, '10.0.1.11/32')] });
    net.remove('i-web').add(
      'aws.ec2.instance',
      'i-web',
      {
        instance_id: 'i-web',
        state: 'running',
        subnet_id: 'subnet-pub',
        private_ip: '10.0.1.10',
        security_group_ids: ['sg-web'],
        network_interface_ids: ['eni-w0'],
      },
      { name: 'web' },
    );
    net.eni('eni-w0', 'subnet-pub', 'vpc-a', ['10.0.1.10', '10.0.1.11'], {
      sgs: ['sg-web'],
      instanceId: 'i-web',
      deviceIndex: 0,
    });
    const m = net.model();
    const q = { destination: node('i-app'), protocol: 'tcp' as const, port: 8080 };
    const fromNode = trace(m, { ...q, source: node('i-web'), all_paths: true });
    expect(fromNode.paths?.map((p) => p.source.ip)).toEqual(['10.0.1.10']);
    expect(fromNode.reachable).toBe(false);
    expect(fromNode.blocked_by?.native_id).toBe('sg-app');
    const fromSecondary = trace(m, { ...q, source: { ip: '10.0.1.11' } });
    expect(fromSecondary.reachable).toBe(true);
    expect(fromSecondary.source).toEqual({
      node_id: id('aws.ec2.instance', 'i-web'),
      eni_id: 'eni-w0',
      ip: '10.0.1.11',
      kind: 'eni',
    });
    expect(fromSecondary.hops.find((h) => h.native_id === 'sg-app')?.rule).toMatchObject({
      rule: { cidrs: ['10.0.1.11/32'] },
    });
    expect(fromSecondary.return_path.allowed).toBe(true);
  });

  it('tries the public address when the private one is not routable', () => {
    const net = twoTier();
    net.vpc('vpc-z', '172.16.0.0/16');
    net.subnet('subnet-z', 'vpc-z', '172.16.0.0/24');
    net.igw('igw-z', 'vpc-z');
    net.routeTable('rtb-z', 'vpc-z', { main: true, routes: [route('0.0.0.0/0', 'igw-z')] });
    net.instance('i-z', 'subnet-z', '172.16.0.10', { publicIp: '52.0.0.10', sgs: ['sg-web'] });
    const r = trace(net.model(), {
      source: node('i-app'),
      destination: node('i-z'),
      protocol: 'tcp',
      port: 443,
      all_paths: true,
    });
    expect(r.paths?.map((p) => p.disposition)).toEqual(['NO_ROUTE', 'ACCEPTED']);
    expect(r.disposition).toBe('ACCEPTED');
  });
});

describe('CIDR destinations', () => {
  it('answers for some address in the range and says which one', () => {
    const r = trace(twoTier().model(), {
      source: node('i-web'),
      destination: { cidr: '10.0.2.0/24' },
      protocol: 'tcp',
      port: 8080,
    });
    expect(r.reachable).toBe(true);
    expect(r.destination).toMatchObject({ eni_id: 'i-app#eni0', ip: '10.0.2.20' });
    expect(r.explanation).toContain('chosen in 10.0.2.0/24');
  });

  it('0.0.0.0/0 from a subnet without internet access is not reachable for any address', () => {
    const net = twoTier();
    net.remove('rtb-main').routeTable('rtb-main', 'vpc-a', { main: true, routes: [] });
    const r = trace(net.model(), {
      source: node('i-app'),
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
      all_paths: true,
    });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('NO_ROUTE');
    expect(r.paths?.every((p) => p.disposition === 'NO_ROUTE')).toBe(true);
    // Only internet addresses are tried: nothing private or inside the VPC.
    expect(r.paths?.some((p) => p.destination.ip?.startsWith('10.'))).toBe(false);
  });

  it('finds the one internet range an egress rule allows', () => {
    const net = twoTier();
    net.remove('sg-app').sg('sg-app', 'vpc-a', { egress: [tcp(443, '198.51.100.0/24')] });
    const r = trace(net.model(), {
      source: node('i-app'),
      destination: { cidr: '0.0.0.0/0' },
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.destination.ip).toBe('198.51.100.1');
  });
});

describe('load balancers', () => {
  it('forward internet traffic to a private target', () => {
    const r = trace(withLoadBalancer().model(), {
      source: { internet: true },
      destination: node('i-app'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.disposition).toBe('ACCEPTED');
    const lbEni = `${LB_ARN}#subnet-pub`;
    expect(hopList(r.hops)).toEqual([
      'internet - forward forward',
      'internet_gateway igw-a ingress forward',
      'network_acl acl-default ingress allow',
      'security_group sg-lb ingress allow',
      `load_balancer ${LB_ARN} ingress allow`,
      `eni ${lbEni} ingress allow`,
      `load_balancer ${LB_ARN} forward forward`,
      `eni ${lbEni} egress forward`,
      'security_group sg-lb egress allow',
      'route_table rtb-pub forward forward',
      'network_acl acl-default egress allow',
      'network_acl acl-default ingress allow',
      'security_group sg-app ingress allow',
      'eni i-app#eni0 ingress allow',
    ]);
    expect(r.hops[4]!.rule).toEqual({ type: 'listener', load_balancer_arn: LB_ARN, port: 443, protocol: 'HTTPS' });
    expect(r.destination).toMatchObject({ node_id: id('aws.ec2.instance', 'i-app'), ip: '10.0.2.20' });
    expect(r.assumptions.some((a) => a.includes('target ports of web-lb'))).toBe(true);
    expect(r.return_path.allowed).toBe(true);
  });

  it('sends to the target port when the inventory gives it', () => {
    const net = withLoadBalancer();
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp(8080, 'sg-lb')] });
    Object.assign(net.attrs(LB_ARN), { targets: [{ id: 'i-app', port: 8080 }] });
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node('i-app'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
    expect(r.reachable_ports).toEqual([{ from: 443, to: 443 }]);
    expect(r.hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note).toBe(
      'web-lb forwards to target app (10.0.2.20 port 8080)',
    );
    expect(r.hops.find((h) => h.native_id === 'sg-app')?.rule).toMatchObject({ rule: { from_port: 8080 } });
    expect(r.assumptions.some((a) => a.includes('target ports of web-lb'))).toBe(false);
  });

  it('a port without a listener stops at the load balancer', () => {
    const net = withLoadBalancer();
    net.remove('sg-lb').sg('sg-lb', 'vpc-a', { ingress: [tcp([0, 65535], '0.0.0.0/0')] });
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node(LB_ARN, 'aws.elbv2.load_balancer'),
      protocol: 'tcp',
      port: 8443,
    });
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({ kind: 'load_balancer' });
    expect(r.blocked_by?.note).toContain('no listener on port 8443');
  });
});

describe('a target registered on several ports (ECS dynamic ports, several target groups)', () => {
  /** withLoadBalancer, i-app registered on 8080 and 8081; sg-app admits `admitted` from the load balancer. */
  function multiPort(admitted: number[]) {
    const net = withLoadBalancer();
    net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: admitted.map((p) => tcp(p, 'sg-lb')) });
    Object.assign(net.attrs(LB_ARN), {
      targets: [
        { id: 'i-app', port: 8080 },
        { id: 'i-app', port: 8081 },
      ],
    });
    return net;
  }
  const toApp = {
    source: { internet: true as const },
    destination: node('i-app'),
    protocol: 'tcp' as const,
    port: 443,
  };
  const forwardNote = (hops: { kind: string; direction: string; note?: string }[]) =>
    hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward')?.note;

  it('keeps every (target, port) registration in the model, once per interface and port', () => {
    const net = multiPort([8080]);
    // Repeated registrations (two target groups on the same port, the target named by IP too)
    // count once; a port-less mention of a target whose port is known adds nothing.
    Object.assign(net.attrs(LB_ARN), {
      target_ids: ['i-app', '10.0.2.20'],
      targets: [
        { id: 'i-app', port: 8080 },
        { id: 'i-app', port: 8081 },
        { id: 'i-app', port: 8080 },
        { id: '10.0.2.20', port: 8081 },
      ],
    });
    const m = buildNetworkModel(net.nodes);
    const lb = m.loadBalancers.get(LB_ARN)!;
    expect(lb.registrations.map(({ id, port }) => ({ id, port }))).toEqual([
      { id: 'i-app', port: 8080 },
      { id: 'i-app', port: 8081 },
      { id: '10.0.2.20', port: 8081 },
    ]);
    expect(lb.targets.map((t) => [t.eni.id, t.port])).toEqual([
      ['i-app#eni0', 8080],
      ['i-app#eni0', 8081],
    ]);
    expect(m.lbTargetsByNode.get(id('aws.ec2.instance', 'i-app'))?.map((t) => t.port)).toEqual([8080, 8081]);
  });

  it('reaches the target on the registered port its security group admits, and the hops name that port', () => {
    const r = trace(multiPort([8080]).model(), toApp);
    expect(r.reachable).toBe(true);
    expect(r.reachable_ports).toEqual([{ from: 443, to: 443 }]);
    expect(forwardNote(r.hops)).toBe('web-lb forwards to target app (10.0.2.20 port 8080)');
    expect(r.hops.find((h) => h.native_id === 'sg-app')?.rule).toMatchObject({ rule: { from_port: 8080 } });
    expect(r.explanation).toContain('app (through web-lb to port 8080) is allowed');
    // The other way round: only 8081 admitted.
    const other = trace(multiPort([8081]).model(), toApp);
    expect(other.reachable).toBe(true);
    expect(forwardNote(other.hops)).toBe('web-lb forwards to target app (10.0.2.20 port 8081)');
  });

  it('reports the registration whose port the security group blocks as blocked, with the reason', () => {
    const r = trace(multiPort([8080]).model(), { ...toApp, all_paths: true, max_paths: 2 });
    expect(r.reachable).toBe(true);
    const [on8080, on8081] = r.paths!;
    expect(on8080).toMatchObject({ reachable: true, disposition: 'ACCEPTED' });
    expect(forwardNote(on8080!.hops)).toBe('web-lb forwards to target app (10.0.2.20 port 8080)');
    expect(on8081).toMatchObject({ reachable: false, disposition: 'DENIED_IN' });
    expect(forwardNote(on8081!.hops)).toBe('web-lb forwards to target app (10.0.2.20 port 8081)');
    expect(on8081!.blocked_by).toMatchObject({
      kind: 'security_group',
      native_id: 'sg-app',
      rule: { type: 'security_group_no_match', direction: 'ingress', security_group_ids: ['sg-app'] },
    });
    expect(on8081!.explanation).toBe(
      'TCP port 443 from internet address 1.0.0.1 to app (through web-lb to port 8081) is blocked on the way in: ' +
        `${on8081!.blocked_by!.note}.`,
    );
  });

  it('is blocked when the security group admits none of the registered ports, naming each', () => {
    const r = trace(multiPort([9090]).model(), { ...toApp, all_paths: true, max_paths: 2 });
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by?.native_id).toBe('sg-app');
    expect(r.paths?.map((p) => [forwardNote(p.hops), p.blocked_by?.native_id])).toEqual([
      ['web-lb forwards to target app (10.0.2.20 port 8080)', 'sg-app'],
      ['web-lb forwards to target app (10.0.2.20 port 8081)', 'sg-app'],
    ]);
  });

  it('tries every registered port against the network ACL too', () => {
    const net = multiPort([8080, 8081]);
    // The target's subnet denies 8081 from the load balancer's subnet; 8080 gets through.
    net.nacl(
      'acl-priv',
      'vpc-a',
      ['subnet-priv'],
      [
        aclEntry(100, 'deny', { protocol: '6', cidr: '10.0.1.0/24', ports: [8081, 8081] }),
        aclEntry(200, 'allow'),
        aclEntry(100, 'allow', { egress: true }),
      ],
    );
    const r = trace(net.model(), { ...toApp, all_paths: true, max_paths: 2 });
    expect(r.reachable).toBe(true);
    expect(forwardNote(r.hops)).toBe('web-lb forwards to target app (10.0.2.20 port 8080)');
    expect(r.paths?.map((p) => [forwardNote(p.hops), p.reachable])).toEqual([
      ['web-lb forwards to target app (10.0.2.20 port 8080)', true],
      ['web-lb forwards to target app (10.0.2.20 port 8081)', false],
    ]);
    expect(r.paths?.[1]?.blocked_by).toMatchObject({
      kind: 'network_acl',
      native_id: 'acl-priv',
      rule: { type: 'network_acl_entry', rule_number: 100, action: 'deny' },
    });
  });

  it('exposure lists each registered port that is reachable on the target', () => {
    const appVia = (admitted: number[]) =>
      exposure(multiPort(admitted).model(), { protocols: ['tcp'] }).exposed.find(
        (e) => e.name === 'app' && e.via === 'load_balancer',
      );
    expect(appVia([8080, 8081])?.services).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        ports: [{ from: 443, to: 443 }],
        target_ports: [{ from: 8080, to: 8081 }],
      }),
    ]);
    const only8080 = appVia([8080]);
    expect(only8080?.services).toEqual([
      expect.objectContaining({ ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8080, to: 8080 }] }),
    ]);
    expect(forwardNote(only8080?.hops ?? [])).toBe('web-lb forwards to target app (10.0.2.20 port 8080)');
    expect(appVia([9090])).toBeUndefined();
  });
});

describe('exposure', () => {
  it('lists every node reachable from the internet, with ports and a path', () => {
    const res = exposure(withLoadBalancer().model());
    const summary = res.exposed.map((e) => ({
      name: e.name,
      via: e.via,
      services: e.services.map((s) => [s.protocol, s.ports, s.ports_open_to_any_address, s.open_to_any_address]),
    }));
    expect(summary).toEqual([
      {
        name: 'web',
        via: 'public_ip',
        services: [
          [
            'tcp',
            [
              { from: 22, to: 22 },
              { from: 443, to: 443 },
            ],
            [{ from: 443, to: 443 }],
            false,
          ],
        ],
      },
      {
        name: 'web-lb',
        via: 'public_ip',
        services: [['tcp', [{ from: 443, to: 443 }], [{ from: 443, to: 443 }], true]],
      },
      {
        name: 'app',
        via: 'load_balancer',
        services: [['tcp', [{ from: 443, to: 443 }], [{ from: 443, to: 443 }], true]],
      },
    ]);
    const web = res.exposed[0]!;
    expect(web.public_ip).toBe('54.0.0.10');
    expect(hopList(web.hops)[0]).toBe('internet - forward forward');
    expect(res.exposed[2]!.load_balancer_node_id).toBe(id('aws.elbv2.load_balancer', LB_ARN));
    expect(res.truncated).toBe(false);
    // The NAT gateway has a public address but accepts no connections.
    expect(res.exposed.some((e) => e.name === 'nat-a')).toBe(false);
  });

  it('resolves load balancer targets given as IP addresses', () => {
    const net = withLoadBalancer();
    Object.assign(net.attrs(LB_ARN), { target_ids: ['10.0.2.20'] });
    const viaLb = exposure(net.model()).exposed.filter((e) => e.via === 'load_balancer');
    expect(viaLb.map((e) => [e.name, e.private_ip])).toEqual([['app', '10.0.2.20']]);
    const r = trace(net.model(), {
      source: { internet: true },
      destination: node('i-app'),
      protocol: 'tcp',
      port: 443,
    });
    expect(r.reachable).toBe(true);
  });

  it('restricts to the given ports and bounds the results', () => {
    const m = withLoadBalancer().model();
    const ssh = exposure(m, { ports: [22] });
    expect(ssh.exposed.map((e) => e.name)).toEqual(['web']);
    expect(ssh.exposed[0]!.services[0]!.ports).toEqual([{ from: 22, to: 22 }]);
    const one = exposure(m, { maxResults: 1, includePaths: false });
    expect(one.exposed).toHaveLength(1);
    expect(one.truncated).toBe(true);
    expect(one.exposed[0]!.hops).toBeUndefined();
  });
});

describe('queries', () => {
  it('an unknown node is NODE_NOT_FOUND', () => {
    const m = twoTier().model();
    expect(() => trace(m, { source: node('i-nope'), destination: node('i-app'), protocol: 'tcp', port: 1 })).toThrow(
      TraceQueryError,
    );
    try {
      trace(m, { source: node('i-web'), destination: node('i-nope'), protocol: 'tcp', port: 1 });
    } catch (e) {
      expect((e as TraceQueryError).code).toBe('NODE_NOT_FOUND');
    }
  });

  it.each([
    [{ protocol: 'tcp', port: 70000 }, ['port']],
    [{ protocol: 'tcp', port_range: { from: 10, to: 5 } }, ['port_range']],
    [{ protocol: 'icmp', port: 22 }, ['port']],
    [{ protocol: 'udp', port: 22, icmp_type: 8, icmp_code: 0 }, ['icmp_type', 'icmp_code']],
    [{ protocol: 'icmp', icmp_type: 8, icmp_code: 300 }, ['icmp_code']],
    [{ protocol: 'icmp', icmp_code: 0 }, ['icmp_code']],
    [{ protocol: 'sctp' }, ['protocol']],
    [{ protocol: 300 }, ['protocol']],
    [{ protocol: 'tcp', port: 22, port_range: { from: 1, to: 2 } }, ['port_range']],
    [{ protocol: 'tcp', ephemeral_port_range: { from: 2, to: 1 } }, ['ephemeral_port_range']],
  ])('rejects a malformed flow %j, naming the fields', (flow, fields) => {
    const m = twoTier().model();
    const q = { source: node('i-web'), destination: node('i-app'), ...flow } as Parameters<typeof trace>[1];
    let error: TraceQueryError | null = null;
    try {
      trace(m, q);
    } catch (e) {
      error = e as TraceQueryError;
    }
    expect(error).toMatchObject({ code: 'INVALID_QUERY' });
    expect(error?.problems.map((p) => p.field)).toEqual(fields);
  });

  it('says plainly that IPv6 is not modelled', () => {
    expect(() =>
      trace(twoTier().model(), { source: node('i-web'), destination: { ip: '2001:db8::1' }, protocol: 'tcp', port: 1 }),
    ).toThrow('destination ip 2001:db8::1 is IPv6; the path tracer models IPv4 only');
  });

  it('rejects a private source address outside every modelled subnet, naming source.ip', () => {
    expect(() =>
      trace(twoTier().model(), { source: { ip: '10.9.9.9' }, destination: node('i-app'), protocol: 'tcp', port: 1 }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_QUERY',
        message: 'source ip 10.9.9.9 is not inside any modelled subnet',
        problems: [
          {
            field: 'source.ip',
            message:
              'is not inside any modelled subnet, not the public address of a modelled interface, and not a public (internet) address',
          },
        ],
      }),
    );
  });

  it('results are plain JSON', () => {
    const m = withLoadBalancer().model();
    for (const q of [
      {
        source: { internet: true as const },
        destination: node('i-app'),
        protocol: 'tcp' as const,
        port: 443,
        all_paths: true,
      },
      { source: node('i-web'), destination: node('i-db'), protocol: 'all' as const },
      { source: node('i-app'), destination: { cidr: '0.0.0.0/0' }, protocol: 'icmp' as const },
    ]) {
      const r = trace(m, q);
      expect(JSON.parse(JSON.stringify(r))).toStrictEqual(r);
    }
    const e = exposure(m);
    expect(JSON.parse(JSON.stringify(e))).toStrictEqual(e);
  });

  it('interface endpoints are reached through their interfaces and groups', () => {
    const net = twoTier();
    net.sg('sg-vpce', 'vpc-a', { ingress: [tcp(443, '10.0.2.0/24')] });
    net.add('aws.ec2.vpc_endpoint', 'vpce-sqs', {
      vpc_endpoint_id: 'vpce-sqs',
      vpc_id: 'vpc-a',
      vpc_endpoint_type: 'Interface',
      service_name: 'com.amazonaws.us-east-1.sqs',
      state: 'available',
      route_table_ids: [],
      subnet_ids: ['subnet-priv'],
      network_interface_ids: [],
      security_group_ids: ['sg-vpce'],
    });
    const m = net.model();
    const q = { destination: node('vpce-sqs', 'aws.ec2.vpc_endpoint'), protocol: 'tcp' as const, port: 443 };
    const ok = trace(m, { source: node('i-app'), ...q });
    expect(ok.reachable).toBe(true);
    expect(ok.hops.at(-2)?.rule).toMatchObject({ security_group_id: 'sg-vpce' });
    expect(trace(m, { source: node('i-web'), ...q }).disposition).toBe('DENIED_IN');
  });

  it('traffic to its own address never leaves the host', () => {
    const r = trace(twoTier().model(), {
      source: node('i-db'),
      destination: node('i-db'),
      protocol: 'tcp',
      port: 9999,
    });
    expect(r.reachable).toBe(true);
    expect(hopList(r.hops)).toEqual(['eni i-db#eni0 egress forward', 'eni i-db#eni0 ingress allow']);
    // So does traffic to a loopback address (127.0.0.0/8): no group, ACL or route sees it.
    for (const ip of ['127.0.0.1', '127.1.2.3']) {
      const loop = trace(twoTier().model(), { source: node('i-db'), destination: { ip }, protocol: 'tcp', port: 5432 });
      expect(loop.disposition, ip).toBe('ACCEPTED');
      expect(hopList(loop.hops)).toEqual(['eni i-db#eni0 egress forward', 'eni i-db#eni0 ingress allow']);
      expect(loop.hops.at(-1)?.note).toBe(`${ip} is the loopback address; the traffic stays on the host`);
    }
  });

  it('a node that is not a network endpoint is a query error naming the field, never a verdict', () => {
    const m = twoTier().model();
    const q = {
      source: node('i-web'),
      destination: node('sg-app', 'aws.ec2.security_group'),
      protocol: 'tcp' as const,
    };
    expect(() => trace(m, { ...q, port: 1 })).toThrow(
      expect.objectContaining({
        code: 'NOT_AN_ENDPOINT',
        problems: [
          {
            field: 'destination.node_id',
            message: expect.stringMatching(/^aws\.ec2\.security_group is not a network endpoint; name a node of type /),
          },
        ],
      }),
    );
  });

  it('databases and functions without interfaces are placed in their subnets, with the assumption stated', () => {
    const net = twoTier();
    net.sg('sg-rds', 'vpc-a', { ingress: [tcp(5432, 'sg-app')] });
    net.add(
      'aws.rds.db_instance',
      'orders',
      {
        db_instance_identifier: 'orders',
        engine: 'postgres',
        status: 'available',
        endpoint_address: 'orders.abc.us-east-1.rds.amazonaws.com',
        endpoint_port: 5432,
        publicly_accessible: false,
        vpc_id: 'vpc-a',
        subnet_ids: ['subnet-priv'],
        security_group_ids: ['sg-rds'],
        storage_encrypted: true,
      },
      { name: 'orders' },
    );
    net.add('aws.lambda.function', 'fn', {
      function_name: 'fn',
      vpc_id: 'vpc-a',
      subnet_ids: ['subnet-priv'],
      security_group_ids: ['sg-app'],
    });
    const m = net.model();
    const r = trace(m, {
      source: node('fn', 'aws.lambda.function'),
      destination: node('orders', 'aws.rds.db_instance'),
      protocol: 'tcp',
      port: 5432,
    });
    expect(r.reachable).toBe(true);
    expect(r.destination.ip).toBe('10.0.2.254');
    expect(r.assumptions.some((a) => a.includes('assumed 10.0.2.254'))).toBe(true);
    // A function accepts no inbound connections: naming one as the destination is refused outright.
    expect(() =>
      trace(m, { source: node('i-app'), destination: node('fn', 'aws.lambda.function'), protocol: 'tcp', port: 443 }),
    ).toThrow(/a Lambda function accepts no inbound network connections/);
  });
});
