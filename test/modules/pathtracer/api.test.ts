/**
 * POST /tenants/{t}/pathtracer/trace and /exposure over an inventory
 * ingested through the jobs API: every source and destination form,
 * validation, tenancy, and that the API answers exactly what the core
 * tracer computes over the whole inventory.
 */
import { describe, expect, it } from 'vitest';
import type { EdgeInput, NodeInput } from '../../../src/core/inventory/types.ts';
import { buildNetworkModel, exposure, type TraceQuery, trace } from '../../../src/core/pathtrace/index.ts';
import {
  allTraffic,
  id as builderId,
  Net,
  openAcl,
  route,
  tcp,
  twoTier as twoTierNet,
} from '../../core/pathtrace/builders.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import {
  DESTINATION_TYPES,
  findExposure,
  ingestSnapshot,
  TWO_TIER as N,
  SOURCE_TYPES,
  traceOk,
  tracePath,
} from './helpers.ts';

const SEED = { source_node_id: N.webByName, destination_cidr: '0.0.0.0/0', port: 443, protocol: 'tcp' };

async function twoTier(dialect: 'sqlite' | 'postgres') {
  const t = await createTestApp({ dialect });
  await t.createTenant('acme');
  await ingestSnapshot(t, 'acme', t.admin.headers);
  const viewer = await t.userWithRole('acme', 'viewer');
  return { t, h: viewer.headers };
}

/** The whole inventory (every type, every edge) as the core sees it, read straight from the database. */
async function fullModel(t: TestApp, slug: string) {
  const tenant = await t.services.tenants.operatorScope(slug);
  const rows = await t.services.db.selectFrom('nodes').selectAll().where('tenant_id', '=', tenant.id).execute();
  const nodes: NodeInput[] = rows.map((r) => ({
    id: r.id,
    provider: r.provider,
    type: r.type,
    account: r.account,
    region: r.region,
    name: r.name,
    native_id: r.native_id,
    tags: JSON.parse(r.tags),
    attributes: JSON.parse(r.attributes),
  }));
  const edgeRows = await t.services.db.selectFrom('edges').selectAll().where('tenant_id', '=', tenant.id).execute();
  const edges: EdgeInput[] = edgeRows.map((e) => ({
    source_id: e.source_id,
    target_id: e.target_id,
    type: e.type,
    attributes: JSON.parse(e.attributes),
  }));
  return { nodes, model: buildNetworkModel(nodes, edges) };
}

/** TraceQuery → API body. */
function bodyOf(q: TraceQuery): Record<string, unknown> {
  const { source, destination, ...rest } = q;
  return {
    ...('node_id' in source
      ? { source_node_id: source.node_id }
      : 'ip' in source
        ? { source_ip: source.ip }
        : { source: 'internet' }),
    ...('node_id' in destination
      ? { destination_node_id: destination.node_id }
      : 'ip' in destination
        ? { destination_ip: destination.ip }
        : { destination_cidr: destination.cidr }),
    ...rest,
  };
}

for (const dialect of testDialects()) {
  describe(`${dialect}: path tracer API`, () => {
    it("answers the seed's SDK call as written (node id by Name tag)", async () => {
      const { t, h } = await twoTier(dialect);
      const r = await traceOk(t, 'acme', h, SEED);
      expect(r.reachable).toBe(true);
      expect(r.disposition).toBe('EXITS_NETWORK');
      expect(r.source).toMatchObject({ node_id: N.web, ip: N.webIp, kind: 'eni' });
      expect(r.flow).toEqual({
        protocol: 'tcp',
        protocol_number: 6,
        ports: [{ from: 443, to: 443 }],
        description: 'TCP port 443',
      });
      expect(r.hops[0]).toMatchObject({ node_id: N.webEni, kind: 'eni', direction: 'egress' });
      expect(r.hops.map((x: { kind: string }) => x.kind)).toContain('internet_gateway');
      expect(r.return_path).toMatchObject({ evaluated: true, allowed: true });
      expect(r.explanation).toMatch(/^TCP port 443 from web-01 \(10\.0\.1\.10\) to .* leaves the modelled network/);
      // The exact id gives the same answer.
      expect(await traceOk(t, 'acme', h, { ...SEED, source_node_id: N.web })).toEqual(r);
    });

    it('accepts every source and destination form', async () => {
      const { t, h } = await twoTier(dialect);
      const cases: [string, Record<string, unknown>, boolean][] = [
        ['node → cidr', { source_node_id: N.web, destination_cidr: '10.0.2.0/24', port: 5432 }, true],
        ['node → node', { source_node_id: N.web, destination_node_id: N.db, port: 5432 }, true],
        ['name → name', { source_node_id: N.webByName, destination_node_id: N.dbByName, port: 5432 }, true],
        ['ip → node', { source_ip: N.webIp, destination_node_id: N.db, port: 5432 }, true],
        ['ip → ip', { source_ip: N.webIp, destination_ip: N.dbIp, port: 5432 }, true],
        ['internet → node', { source: 'internet', destination_node_id: N.web, port: 443 }, true],
        ['internet → public ip', { source: 'internet', destination_ip: N.webPublicIp, port: 443 }, true],
        ['internet → cidr', { source: 'internet', destination_cidr: `${N.webPublicIp}/32`, port: 443 }, true],
        ['public ip source', { source_ip: '198.51.100.7', destination_node_id: N.web, port: 443 }, true],
        ['internet → node, closed port', { source: 'internet', destination_node_id: N.web, port: 22 }, false],
        ['internet → private node', { source: 'internet', destination_node_id: N.db, port: 5432 }, false],
        [
          'interface node → interface node',
          { source_node_id: N.webEni, destination_node_id: N.dbEni, port: 5432 },
          true,
        ],
        ['node → subnet', { source_node_id: N.web, destination_node_id: N.privateSubnet, port: 5432 }, true],
        ['node → vpc', { source_node_id: N.web, destination_node_id: N.vpc, port: 5432 }, true],
        // An unused address of the subnet: not in web-sg, so db-sg refuses it.
        ['subnet → node', { source_node_id: N.publicSubnet, destination_node_id: N.db, port: 5432 }, false],
        ['internet → public subnet', { source: 'internet', destination_node_id: N.publicSubnet, port: 443 }, true],
        ['internet → vpc', { source: 'internet', destination_node_id: N.vpc, port: 443 }, true],
        ['node → instance metadata', { source_node_id: N.db, destination_ip: '169.254.169.254', port: 80 }, true],
        ['node → VPC DNS', { source_node_id: N.db, destination_ip: N.vpcResolverIp, protocol: 'udp', port: 53 }, true],
        [
          'node → instance metadata, port 443',
          { source_node_id: N.db, destination_ip: '169.254.169.254', port: 443 },
          false,
        ],
      ];
      for (const [name, body, reachable] of cases) {
        const r = await traceOk(t, 'acme', h, { protocol: 'tcp', ...body });
        expect(r.reachable, `${name}: ${r.explanation}`).toBe(reachable);
      }
    });

    it('answers addresses AWS itself serves as such, and says why another link-local address is not reached', async () => {
      const { t, h } = await twoTier(dialect);
      // The audit's repro: db-01's groups and its subnet's ACL would stop this; they do not apply.
      const imds = await traceOk(t, 'acme', h, { source_node_id: N.web, destination_ip: '169.254.169.254', port: 80 });
      expect(imds).toMatchObject({
        reachable: true,
        disposition: 'ACCEPTED',
        destination: { node_id: null, eni_id: null, ip: '169.254.169.254', kind: 'aws_service' },
        reachable_ports: [{ from: 80, to: 80 }],
        assumptions: [],
      });
      expect(imds.hops.map((hop: { kind: string }) => hop.kind)).toEqual(['eni', 'aws_service']);
      expect(imds.explanation).toBe(
        "TCP port 80 from web-01 (10.0.1.10) to 169.254.169.254 is allowed: the instance metadata service (IMDS) answers on web-01's own interface, where no security group, network ACL or route table applies, and replies come straight back.",
      );
      const dns = await traceOk(t, 'acme', h, {
        source_node_id: N.db,
        destination_ip: N.vpcResolverIp,
        protocol: 'udp',
        port: 53,
      });
      expect(dns.destination).toEqual({ node_id: N.vpc, eni_id: null, ip: N.vpcResolverIp, kind: 'aws_service' });
      const fromNat = await traceOk(t, 'acme', h, {
        source_node_id: N.nat,
        destination_ip: '169.254.169.254',
        port: 80,
      });
      expect(fromNat).toMatchObject({ reachable: false, disposition: 'NO_ROUTE' });
      const elsewhere = await traceOk(t, 'acme', h, {
        source_node_id: N.web,
        destination_ip: '169.254.170.2',
        port: 80,
      });
      expect(elsewhere.disposition).toBe('NO_ROUTE');
      expect(elsewhere.explanation).not.toContain('the internet cannot deliver it');
      expect(elsewhere.explanation).toContain(
        '169.254.170.2 is link-local (169.254.0.0/16), which the VPC does not route',
      );
    });

    it('reachable_ports is [] for every unreachable tcp answer, whatever stopped it', async () => {
      const { t, h } = await twoTier(dialect);
      const noPublicIp = await traceOk(t, 'acme', h, { source: 'internet', destination_node_id: N.db, port: 5432 });
      expect(noPublicIp).toMatchObject({ disposition: 'NO_PUBLIC_IP', reachable_ports: [] });
      const denied = await traceOk(t, 'acme', h, { source_node_id: N.web, destination_node_id: N.db, port: 22 });
      expect(denied).toMatchObject({ disposition: 'DENIED_IN', reachable_ports: [] });
      const all = await traceOk(t, 'acme', h, { source: 'internet', destination_node_id: N.db, protocol: 'all' });
      expect(all).toMatchObject({ disposition: 'NO_PUBLIC_IP', reachable_ports: null });
    });

    it('port ranges, protocol numbers, icmp, all traffic, all_paths and check_return', async () => {
      const { t, h } = await twoTier(dialect);
      const range = await traceOk(t, 'acme', h, {
        source_node_id: N.web,
        destination_node_id: N.db,
        port_range: { from: 5000, to: 6000 },
      });
      expect(range.reachable).toBe(true);
      expect(range.reachable_ports).toEqual([{ from: 5432, to: 5432 }]);
      expect(range.flow.protocol).toBe('tcp'); // the default protocol

      const byNumber = await traceOk(t, 'acme', h, { ...SEED, protocol: 6 });
      expect(byNumber).toEqual(await traceOk(t, 'acme', h, SEED));

      const ping = await traceOk(t, 'acme', h, {
        source: 'internet',
        destination_node_id: N.web,
        protocol: 'icmp',
        icmp_type: 8,
        icmp_code: 0,
      });
      expect(ping.reachable).toBe(false);
      expect(ping.blocked_by.rule).toMatchObject({ type: 'security_group_no_match', direction: 'ingress' });

      const all = await traceOk(t, 'acme', h, { source_node_id: N.web, destination_node_id: N.db, protocol: 'all' });
      expect(all.reachable).toBe(false);
      expect(all.flow.protocol_number).toBe(-1);

      const paths = await traceOk(t, 'acme', h, { ...SEED, all_paths: true, max_paths: 4 });
      expect(Array.isArray(paths.paths)).toBe(true);
      expect(paths.paths.length).toBeGreaterThan(0);
      expect(paths.paths.length).toBeLessThanOrEqual(4);

      const forward = await traceOk(t, 'acme', h, { ...SEED, check_return: false });
      expect(forward.reachable).toBe(true);
      expect(forward.return_path.evaluated).toBe(false);
    });

    it('names the deciding rule when a flow is blocked', async () => {
      const { t, h } = await twoTier(dialect);
      // SSH from the web tier: the private subnet's ACL only lets 5432 (and ephemeral ports) in.
      const ssh = await traceOk(t, 'acme', h, { source_node_id: N.web, destination_node_id: N.db, port: 22 });
      expect(ssh.reachable).toBe(false);
      expect(ssh.disposition).toBe('DENIED_IN');
      expect(ssh.blocked_by).toMatchObject({ kind: 'network_acl', decision: 'deny' });
      expect(ssh.blocked_by.rule).toMatchObject({ type: 'network_acl_entry', network_acl_id: N.privateAclNative });
      // From an address of the public subnet that is not in the web group: the ACL allows, db-sg does not.
      const stranger = await traceOk(t, 'acme', h, { source_ip: '10.0.1.99', destination_node_id: N.db, port: 5432 });
      expect(stranger.reachable).toBe(false);
      expect(stranger.blocked_by.rule).toEqual({
        type: 'security_group_no_match',
        direction: 'ingress',
        security_group_ids: [N.dbSgNative],
      });
      expect(stranger.explanation).toMatch(N.dbSgNative);
    });

    it('answers exactly what the core computes over the whole inventory (multi-account fixture)', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers, 'aws-snapshot/multi-account');
      await ingestSnapshot(t, 'acme', t.admin.headers, 'aws-snapshot/two-tier');
      const h = t.admin.headers;
      const { nodes, model } = await fullModel(t, 'acme');
      const endpoints = nodes
        .filter((n) =>
          ['aws.ec2.instance', 'aws.elbv2.load_balancer', 'aws.rds.db_instance', 'aws.lambda.function'].includes(
            n.type,
          ),
        )
        .map((n) => n.id)
        .sort();
      expect(endpoints.length).toBeGreaterThan(4);
      // A Lambda function accepts no connections (a 422, below); subnets, VPCs and interfaces are destinations too.
      const destinations = [
        ...endpoints.filter((id) => !id.includes(':aws.lambda.function:')),
        ...nodes
          .filter((n) => ['aws.ec2.subnet', 'aws.ec2.vpc', 'aws.ec2.network_interface'].includes(n.type))
          .map((n) => n.id)
          .sort(),
      ];
      const queries: TraceQuery[] = [];
      for (const id of destinations) {
        queries.push({ source: { internet: true }, destination: { node_id: id }, protocol: 'tcp', all_paths: true });
      }
      for (const id of endpoints) {
        for (const cidr of ['0.0.0.0/0', '192.168.0.0/16', '10.66.0.0/16', '10.77.0.0/16']) {
          queries.push({ source: { node_id: id }, destination: { cidr }, protocol: 'tcp', port: 443 });
        }
        for (const other of destinations) {
          if (other !== id) {
            queries.push({
              source: { node_id: id },
              destination: { node_id: other },
              protocol: 'tcp',
              all_paths: true,
            });
          }
        }
      }
      queries.push({ source: { internet: true }, destination: { node_id: endpoints[0] as string }, protocol: 'icmp' });
      queries.push({ source: { internet: true }, destination: { node_id: endpoints[1] as string }, protocol: 'udp' });
      const ruleTypes = new Set<string>();
      for (const q of queries) {
        const expected = trace(model, q);
        const got = await traceOk(t, 'acme', h, bodyOf(q));
        expect(got, JSON.stringify(q)).toEqual(JSON.parse(JSON.stringify(expected)));
        for (const p of [expected, ...(expected.paths ?? [])]) {
          for (const hop of [...p.hops, ...(p.return_path.hops ?? [])]) if (hop.rule) ruleTypes.add(hop.rule.type);
        }
      }
      const lambda = endpoints.find((id) => id.includes(':aws.lambda.function:')) as string;
      const toLambda = {
        source: { node_id: endpoints[0] as string },
        destination: { node_id: lambda },
        protocol: 'tcp',
      };
      expect(() => trace(model, toLambda as TraceQuery)).toThrow(/accepts no inbound network connections/);
      const refused = await tracePath(t, 'acme', h, bodyOf(toLambda as TraceQuery));
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.details).toEqual([
        {
          path: 'body.destination_node_id',
          message: `a Lambda function accepts no inbound network connections (it is invoked through the Lambda API); name a node of type ${DESTINATION_TYPES}`,
        },
      ]);
      // The comparison covered the interesting shapes, not only empty paths.
      expect([...ruleTypes].sort()).toEqual(
        expect.arrayContaining(['network_acl_entry', 'route', 'security_group_no_match', 'security_group_rule']),
      );

      for (const body of [
        {},
        { ports: [22, 443, 5432], protocols: ['tcp'] },
        { include_paths: false, max_results: 2 },
      ]) {
        const res = await findExposure(t, 'acme', h, body);
        expect(res.statusCode, res.body).toBe(200);
        const b = body as {
          ports?: number[];
          protocols?: ('tcp' | 'udp' | 'icmp')[];
          include_paths?: boolean;
          max_results?: number;
        };
        const expected = exposure(model, {
          ports: b.ports,
          protocols: b.protocols,
          includePaths: b.include_paths,
          maxResults: b.max_results ?? 1000,
        });
        expect(res.json().data).toEqual(JSON.parse(JSON.stringify(expected)));
      }
    });

    it('traces nodes written through the nodes API (a VPN gateway with a static route)', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const editor = (await t.userWithRole('acme', 'editor')).headers;
      const net = new Net();
      net.vpc('vpc-a', '10.0.0.0/16');
      net.subnet('subnet-a', 'vpc-a', '10.0.1.0/24', 'us-east-1a');
      net.nacl('acl-a', 'vpc-a', [], openAcl(), true);
      net.sg('sg-a', 'vpc-a', { ingress: [allTraffic('10.0.0.0/8')] });
      net.instance('i-a', 'subnet-a', '10.0.1.10', { sgs: ['sg-a'] });
      net.vgw('vgw-a', 'vpc-a');
      net.vpn('vpn-1', 'vgw-a', ['192.168.0.0/16']);
      net.routeTable('rtb-a', 'vpc-a', { main: true, routes: [route('192.168.0.0/16', 'vgw-a')] });
      for (const n of net.nodes) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: editor,
          payload: { ...n, tags: n.tags },
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      const q: TraceQuery = {
        source: { node_id: builderId('aws.ec2.instance', 'i-a') },
        destination: { ip: '192.168.10.5' },
        protocol: 'tcp',
        port: 22,
      };
      const got = await traceOk(t, 'acme', editor, bodyOf(q));
      expect(got.reachable).toBe(true);
      expect(got.hops.at(-1).rule).toEqual({
        type: 'vpn_route',
        vpn_connection_id: 'vpn-1',
        destination: '192.168.0.0/16',
        source: 'static',
      });
      expect(got).toEqual(JSON.parse(JSON.stringify(trace(net.model(), q))));
    });

    it('a load balancer target registered on two ports: trace and exposure answer as the core, target ports included', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const editor = (await t.userWithRole('acme', 'editor')).headers;
      const net = twoTierNet();
      net.sg('sg-lb', 'vpc-a', { ingress: [tcp(443, '0.0.0.0/0')] });
      net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp(8080, 'sg-lb'), tcp(8081, 'sg-lb')] });
      const lbNode = net.loadBalancer('web-lb', 'vpc-a', ['subnet-pub'], { sgs: ['sg-lb'], listeners: [443] });
      Object.assign(net.nodes.find((n) => n.id === lbNode)!.attributes, {
        targets: [
          { id: 'i-app', port: 8080 },
          { id: 'i-app', port: 8081 },
        ],
      });
      for (const n of net.nodes) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: editor,
          payload: { ...n, tags: n.tags },
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      const q: TraceQuery = {
        source: { internet: true },
        destination: { node_id: builderId('aws.ec2.instance', 'i-app') },
        protocol: 'tcp',
        port: 443,
        all_paths: true,
        max_paths: 2,
      };
      const got = await traceOk(t, 'acme', editor, bodyOf(q));
      expect(got).toEqual(JSON.parse(JSON.stringify(trace(net.model(), q))));
      expect(got.paths.map((p: { reachable: boolean }) => p.reachable)).toEqual([true, true]);
      const res = await findExposure(t, 'acme', editor, { protocols: ['tcp'] });
      expect(res.statusCode, res.body).toBe(200);
      const data = res.json().data;
      expect(data).toEqual(JSON.parse(JSON.stringify(exposure(net.model(), { protocols: ['tcp'] }))));
      const app = data.exposed.find((e: { node_id: string }) => e.node_id === builderId('aws.ec2.instance', 'i-app'));
      expect(app).toMatchObject({ via: 'load_balancer', load_balancer_node_id: lbNode });
      expect(app.services).toEqual([
        expect.objectContaining({ ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8080, to: 8081 }] }),
      ]);
    });

    it('finds what the internet can reach, with a path each', async () => {
      const { t, h } = await twoTier(dialect);
      const res = await findExposure(t, 'acme', h, {});
      expect(res.statusCode, res.body).toBe(200);
      const data = res.json().data;
      expect(data.truncated).toBe(false);
      expect(data.examined).toBeGreaterThan(0);
      const ids = data.exposed.map((e: { node_id: string }) => e.node_id);
      expect(ids).toContain(N.web);
      expect(ids).not.toContain(N.db);
      const web = data.exposed.find((e: { node_id: string }) => e.node_id === N.web);
      expect(web).toMatchObject({ name: 'web-01', public_ip: N.webPublicIp, via: 'public_ip' });
      expect(web.services).toEqual([
        expect.objectContaining({ protocol: 'tcp', ports: [{ from: 443, to: 443 }], open_to_any_address: true }),
      ]);
      expect(web.hops[0].kind).toBe('internet');

      const ssh = (await findExposure(t, 'acme', h, { ports: [22], protocols: ['tcp'] })).json().data;
      expect(ssh.exposed).toEqual([]);
      const bare = (await findExposure(t, 'acme', h, { include_paths: false })).json().data;
      expect(bare.exposed.every((e: object) => !('hops' in e))).toBe(true);
    });

    it('an empty inventory: traces are 404 for nodes, exposure is empty', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('empty');
      const h = t.admin.headers;
      const res = await tracePath(t, 'empty', h, SEED);
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'NOT_FOUND', message: `node ${N.webByName} not found` });
      const ext = await traceOk(t, 'empty', h, { source: 'internet', destination_cidr: '0.0.0.0/0', port: 443 });
      expect(ext.reachable).toBe(false);
      const exp = await findExposure(t, 'empty', h);
      expect(exp.json().data).toEqual({ exposed: [], examined: 0, truncated: false, assumptions: [] });
    });
  });

  describe(`${dialect}: path tracer API errors`, () => {
    it('400 naming the fields for missing, doubled or malformed sources and destinations', async () => {
      const { t, h } = await twoTier(dialect);
      const cases: [Record<string, unknown>, string[], RegExp][] = [
        [{}, ['body.source', 'body.source_ip', 'body.source_node_id'], /Give one source/],
        [
          { source: 'internet' },
          ['body.destination_cidr', 'body.destination_ip', 'body.destination_node_id'],
          /Give one destination/,
        ],
        [
          { source: 'internet', source_ip: '1.2.3.4', destination_cidr: '0.0.0.0/0' },
          ['body.source', 'body.source_ip'],
          /Give only one source, not source_ip and source/,
        ],
        [
          { source: 'internet', destination_ip: '10.0.0.1', destination_cidr: '0.0.0.0/0', destination_node_id: N.db },
          ['body.destination_cidr', 'body.destination_ip', 'body.destination_node_id'],
          /Give only one destination/,
        ],
        [{ source_ip: '10.0.1', destination_cidr: '0.0.0.0/0' }, ['body.source_ip'], /IPv4 address/],
        [{ source_ip: '2001:db8::1', destination_cidr: '0.0.0.0/0' }, ['body.source_ip'], /IPv6/],
        [{ source: 'internet', destination_cidr: '10.0.0.0/33' }, ['body.destination_cidr'], /IPv4 CIDR/],
        [{ source: 'internet', destination_cidr: '::/0' }, ['body.destination_cidr'], /IPv6/],
        [{ source: 'internet', destination_ip: 'db-01' }, ['body.destination_ip'], /IPv4 address/],
        [{ ...SEED, port_range: { from: 1, to: 2 } }, ['body.port_range'], /either port or port_range/],
        [{ ...SEED, protocol: 'icmp' }, ['body.port'], /applies only to tcp and udp/],
        [{ ...SEED, icmp_type: 8 }, ['body.icmp_type'], /applies only to icmp/],
        [{ ...SEED, port: undefined, protocol: 'icmp', icmp_code: 0 }, ['body.icmp_code'], /needs icmp_type/],
        [
          { ...SEED, port: undefined, port_range: { from: 10, to: 5 } },
          ['body.port_range'],
          /from must not be greater/,
        ],
        [{ ...SEED, port: 70000 }, ['body.port'], /./],
        [{ ...SEED, protocol: 'sctp' }, ['body.protocol'], /./],
        [{ ...SEED, protocol: 300 }, ['body.protocol'], /./],
        [{ ...SEED, colour: 'blue' }, ['body.colour'], /./],
        [{ ...SEED, source_node_id: '' }, ['body.source_node_id'], /./],
        [{ ...SEED, max_paths: 0 }, ['body.max_paths'], /./],
        // Found by the tracer, not the schema: still a field.
        [
          { source_ip: '10.9.9.9', destination_ip: N.dbIp, port: 5432 },
          ['body.source_ip'],
          /^source ip 10\.9\.9\.9 is not inside any modelled subnet$/,
        ],
      ];
      for (const [body, paths, message] of cases) {
        const res = await tracePath(t, 'acme', h, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        const error = res.json().error;
        expect(error.code).toBe('BAD_REQUEST');
        expect(error.message, JSON.stringify(body)).toMatch(message);
        const got = [...new Set((error.details as { path: string }[]).map((d) => d.path))].sort();
        expect(got, JSON.stringify(body)).toEqual(paths);
      }
      for (const body of [{ ports: [] }, { ports: [65536] }, { protocols: ['all'] }, { max_results: 0 }, { x: 1 }]) {
        const res = await findExposure(t, 'acme', h, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().error.details.length, JSON.stringify(body)).toBeGreaterThan(0);
      }
      // Ports with only port-less protocols would be dropped silently: refused as trace refuses them.
      for (const protocols of [['icmp'], [1], [47, 'icmp']]) {
        const res = await findExposure(t, 'acme', h, { ports: [22], protocols });
        expect(res.statusCode, JSON.stringify(protocols)).toBe(400);
        expect(res.json().error).toMatchObject({
          code: 'BAD_REQUEST',
          message: 'Invalid exposure: body.ports applies only to tcp and udp, and protocols names neither',
          details: [{ path: 'body.ports', message: 'applies only to tcp and udp, and protocols names neither' }],
        });
      }
      // With tcp or udp among them, the ports are theirs and icmp is checked whole.
      for (const protocols of [['tcp', 'icmp'], [6, 'icmp'], ['udp']]) {
        const res = await findExposure(t, 'acme', h, { ports: [22], protocols });
        expect(res.statusCode, JSON.stringify(protocols)).toBe(200);
      }
    });

    it('404 for unknown nodes, 409 for an ambiguous name, 422 for a node the tracer does not model', async () => {
      const { t, h } = await twoTier(dialect);
      const editor = (await t.userWithRole('acme', 'editor')).headers;
      const unknown = await tracePath(t, 'acme', h, { ...SEED, source_node_id: 'aws:us-east-1:aws.ec2.instance:nope' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.message).toBe('node aws:us-east-1:aws.ec2.instance:nope not found');
      const notAnId = await tracePath(t, 'acme', h, { source: 'internet', destination_node_id: 'web-01', port: 443 });
      expect(notAnId.statusCode).toBe(404);

      for (const id of ['i-dup1', 'i-dup2']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: editor,
          payload: {
            id: `aws:us-east-1:aws.ec2.instance:${id}`,
            provider: 'aws',
            type: 'aws.ec2.instance',
            region: 'us-east-1',
            name: 'twin',
            native_id: id,
            attributes: { instance_id: id, state: 'running' },
          },
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      const twin = await tracePath(t, 'acme', h, { ...SEED, source_node_id: 'aws:us-east-1:aws.ec2.instance:twin' });
      expect(twin.statusCode).toBe(409);
      expect(twin.json().error.code).toBe('CONFLICT');
      expect(twin.json().error.details.candidates).toEqual([
        'aws:us-east-1:aws.ec2.instance:i-dup1',
        'aws:us-east-1:aws.ec2.instance:i-dup2',
      ]);

      const bucket = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers: editor,
        payload: { provider: 'aws', type: 'aws.s3.bucket', name: 'logs' },
      });
      expect(bucket.statusCode, bucket.body).toBe(201);
      const s3 = await tracePath(t, 'acme', h, {
        source_node_id: N.web,
        destination_node_id: 'aws:global:aws.s3.bucket:logs',
      });
      expect(s3.statusCode).toBe(422);
      expect(s3.json().error).toMatchObject({
        code: 'UNPROCESSABLE',
        message:
          'aws:global:aws.s3.bucket:logs cannot be the destination: aws.s3.bucket is not a network endpoint; a trace goes to an instance, network interface, load balancer, RDS instance, NAT gateway, VPC endpoint, or any address in a subnet or VPC, or to an address or CIDR',
        details: [
          {
            path: 'body.destination_node_id',
            message: `aws.s3.bucket is not a network endpoint; name a node of type ${DESTINATION_TYPES}`,
          },
        ],
      });
    });

    it('422 alike for every node that is not a traffic endpoint, network node or not, listing the usable types', async () => {
      const { t, h } = await twoTier(dialect);
      // Security groups, route tables, ACLs, gateways and Elastic IPs are network nodes the model reads, but no
      // traffic starts or ends at them; a VPC is only a destination (any address in it).
      for (const [field, id, message] of [
        [
          'destination_node_id',
          N.webSg,
          `aws.ec2.security_group is not a network endpoint; name a node of type ${DESTINATION_TYPES}`,
        ],
        [
          'source_node_id',
          N.webSg,
          `aws.ec2.security_group is not a network endpoint; name a node of type ${SOURCE_TYPES}`,
        ],
        [
          'destination_node_id',
          N.publicRt,
          `aws.ec2.route_table is not a network endpoint; name a node of type ${DESTINATION_TYPES}`,
        ],
        [
          'source_node_id',
          N.privateAcl,
          `aws.ec2.network_acl is not a network endpoint; name a node of type ${SOURCE_TYPES}`,
        ],
        [
          'destination_node_id',
          N.igw,
          `aws.ec2.internet_gateway is not a network endpoint; name a node of type ${DESTINATION_TYPES}`,
        ],
        [
          'destination_node_id',
          N.natEip,
          `aws.ec2.elastic_ip is not a network endpoint; name a node of type ${DESTINATION_TYPES}`,
        ],
        [
          'source_node_id',
          N.vpc,
          `a VPC as a whole sends nothing: its subnets have their own route tables and network ACLs, so name one of them or give an address in it; name a node of type ${SOURCE_TYPES}`,
        ],
      ] as const) {
        const other = field === 'source_node_id' ? { destination_ip: N.dbIp } : { source_node_id: N.web };
        const res = await tracePath(t, 'acme', h, { [field]: id, ...other, port: 443 });
        expect(res.statusCode, `${field} ${id}: ${res.body}`).toBe(422);
        const error = res.json().error;
        expect(error.code).toBe('UNPROCESSABLE');
        expect(error.message).toMatch(new RegExp(`^${id} cannot be the ${field.split('_')[0]}: `));
        expect(error.details).toEqual([{ path: `body.${field}`, message }]);
      }
      // Both ends wrong, whether the model holds the node or not (a bucket): one 422 naming both fields.
      const editor = (await t.userWithRole('acme', 'editor')).headers;
      const bucket = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers: editor,
        payload: { provider: 'aws', type: 'aws.s3.bucket', name: 'assets' },
      });
      expect(bucket.statusCode, bucket.body).toBe(201);
      for (const source_node_id of [N.vpc, bucket.json().data.id]) {
        const both = await tracePath(t, 'acme', h, { source_node_id, destination_node_id: N.webSg });
        expect(both.statusCode).toBe(422);
        expect(both.json().error.details.map((d: { path: string }) => d.path)).toEqual([
          'body.source_node_id',
          'body.destination_node_id',
        ]);
      }
      // A Name tag resolves first, then the same refusal (web-sg is the group's Name).
      const byName = await tracePath(t, 'acme', h, {
        source_node_id: N.web,
        destination_node_id: 'aws:us-east-1:aws.ec2.security_group:web-sg',
        port: 443,
      });
      expect(byName.statusCode).toBe(422);
      expect(byName.json().error.details[0].path).toBe('body.destination_node_id');
    });

    it("another tenant's inventory is invisible: its slug is a 404, its node ids are unknown", async () => {
      const { t, h } = await twoTier(dialect);
      await t.createTenant('other');
      const outsider = await t.userWithRole('other', 'owner');
      const key = await t.apiKey('other', 'owner');
      for (const headers of [outsider.headers, key.headers]) {
        for (const url of ['/api/v1/tenants/acme/pathtracer/trace', '/api/v1/tenants/acme/pathtracer/exposure']) {
          const res = await t.app.inject({ method: 'POST', url, headers, payload: SEED });
          expect(res.statusCode).toBe(404);
          expect(res.json().error.message).toBe('tenant acme not found');
        }
        // acme's node ids mean nothing in "other".
        const res = await tracePath(t, 'other', headers, { ...SEED, source_node_id: N.web });
        expect(res.statusCode).toBe(404);
        expect(res.json().error.message).toBe(`node ${N.web} not found`);
        const exp = await findExposure(t, 'other', headers);
        expect(exp.json().data.exposed).toEqual([]);
      }
      // And acme's own viewer still gets its answer (the two tenants' models never mix).
      expect((await traceOk(t, 'acme', h, SEED)).reachable).toBe(true);
    });

    it('viewers and viewer keys may trace; no credentials is a 401', async () => {
      const { t } = await twoTier(dialect);
      const key = await t.apiKey('acme', 'viewer');
      expect((await traceOk(t, 'acme', key.headers, SEED)).reachable).toBe(true);
      const anon = await tracePath(t, 'acme', {}, SEED);
      expect(anon.statusCode).toBe(401);
    });
  });
}
