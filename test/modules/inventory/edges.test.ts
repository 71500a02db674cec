import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

const enc = encodeURIComponent;
const id = (name: string) => `aws:us-east-1:aws.ec2.test:${name}`;

async function setup(dialect: 'sqlite' | 'postgres') {
  const t = await createTestApp({ dialect });
  await t.createTenant('acme');
  const editor = await t.userWithRole('acme', 'editor');
  const api = (method: string, path: string, payload?: unknown, tenant = 'acme', headers = editor.headers) =>
    t.app.inject({
      method: method as 'GET',
      url: `/api/v1/tenants/${tenant}${path}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as never }),
    });
  for (const name of ['vpc', 'subnet', 'web', 'db', 'sg', 'lonely']) {
    const res = await api('POST', '/nodes', { provider: 'aws', region: 'us-east-1', type: 'aws.ec2.test', name });
    expect(res.statusCode, res.body).toBe(201);
  }
  const edge = async (source: string, type: string, target: string, attributes?: Record<string, unknown>) => {
    const res = await api('POST', '/edges', { source_id: id(source), target_id: id(target), type, attributes });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data;
  };
  return { t, api, edge, editor };
}

for (const dialect of testDialects()) {
  describe(`${dialect}: edges`, () => {
    it('id filters keep a comma inside double quotes (a Terraform for_each key) as part of the id', async () => {
      const { api, edge } = await setup(dialect);
      const name = 'aws_subnet.app["a,b"]';
      const created = await api('POST', '/nodes', { provider: 'aws', region: 'us-east-1', type: 'aws.ec2.test', name });
      expect(created.statusCode, created.body).toBe(201);
      await edge(name, 'contains', 'web');
      await edge('vpc', 'contains', 'db');
      for (const qs of [`node_id=${enc(id(name))}`, `source_id=${enc(`${id(name)},${id('lonely')}`)}`]) {
        const res = await api('GET', `/edges?${qs}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().data.map((e: { target_id: string }) => e.target_id)).toEqual([id('web')]);
      }
    });

    it('create, get, list with filters and sorts, delete', async () => {
      const { api, edge } = await setup(dialect);
      const contains = await edge('vpc', 'contains', 'subnet', { via: 'cidr' });
      expect(contains).toMatchObject({
        source_id: id('vpc'),
        target_id: id('subnet'),
        type: 'contains',
        attributes: { via: 'cidr' },
      });
      expect(contains.id).toMatch(/^edg_[0-9A-HJKMNP-TV-Z]{26}$/);
      await edge('subnet', 'contains', 'web');
      await edge('subnet', 'contains', 'db');
      await edge('web', 'member_of', 'sg');
      await edge('db', 'member_of', 'sg');

      const got = await api('GET', `/edges/${contains.id}`);
      expect(got.json().data).toEqual(contains);

      const list = async (qs: string) => {
        const res = await api('GET', `/edges?${qs}`);
        expect(res.statusCode, `${qs}: ${res.body}`).toBe(200);
        return res
          .json()
          .data.map(
            (e: { source_id: string; target_id: string }) =>
              `${e.source_id.split(':')[3]}>${e.target_id.split(':')[3]}`,
          );
      };
      expect(await list('sort=source_id,target_id')).toEqual([
        'db>sg',
        'subnet>db',
        'subnet>web',
        'vpc>subnet',
        'web>sg',
      ]);
      expect(await list(`source_id=${enc(id('subnet'))}&sort=target_id`)).toEqual(['subnet>db', 'subnet>web']);
      expect(await list(`target_id=${enc(`${id('sg')},${id('subnet')}`)}&sort=source_id`)).toEqual([
        'db>sg',
        'vpc>subnet',
        'web>sg',
      ]);
      expect(await list(`node_id=${enc(id('web'))}&sort=-type`)).toEqual(['web>sg', 'subnet>web']);
      // node_id takes a comma list (any of), like source_id and target_id.
      expect(await list(`node_id=${enc(`${id('web')},${id('db')}`)}&sort=source_id,target_id`)).toEqual([
        'db>sg',
        'subnet>db',
        'subnet>web',
        'web>sg',
      ]);
      expect(await list('types=member_of&sort=source_id')).toEqual(['db>sg', 'web>sg']);
      expect((await api('GET', '/edges?sort=weight')).statusCode).toBe(400);
      expect((await api('GET', '/edges?colour=red')).statusCode).toBe(400);

      expect((await api('DELETE', `/edges/${contains.id}`)).statusCode).toBe(204);
      expect((await api('GET', `/edges/${contains.id}`)).statusCode).toBe(404);
      expect((await api('DELETE', `/edges/${contains.id}`)).statusCode).toBe(404);
    });

    it('both ends must exist in the tenant (400 naming the missing id); the same relation twice is a 409', async () => {
      const { t, api, edge } = await setup(dialect);
      const missing = await api('POST', '/edges', { source_id: id('vpc'), target_id: id('ghost'), type: 'contains' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatchObject({
        code: 'BAD_REQUEST',
        message: `Node ${id('ghost')} does not exist in this tenant`,
        details: [{ path: 'body.target_id', message: `node ${id('ghost')} does not exist in this tenant` }],
      });
      const first = await edge('vpc', 'contains', 'subnet');
      const again = await api('POST', '/edges', { source_id: id('vpc'), target_id: id('subnet'), type: 'contains' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.details).toEqual({ id: first.id });
      // Another type between the same nodes is another edge.
      await edge('vpc', 'routes_to', 'subnet');
      const badType = await api('POST', '/edges', { source_id: id('vpc'), target_id: id('subnet'), type: 'Contains!' });
      expect(badType.statusCode).toBe(400);

      // A node of another tenant is as good as missing.
      await t.createTenant('other');
      const owner = await t.userWithRole('other', 'owner');
      const created = await api(
        'POST',
        '/nodes',
        { provider: 'aws', type: 'aws.ec2.test', region: 'us-east-1', name: 'theirs' },
        'other',
        owner.headers,
      );
      expect(created.statusCode).toBe(201);
      const cross = await api('POST', '/edges', { source_id: id('vpc'), target_id: id('theirs'), type: 'peers_with' });
      expect(cross.statusCode).toBe(400);
      const foreign = await api('GET', `/edges/${first.id}`, undefined, 'other', owner.headers);
      expect(foreign.statusCode).toBe(404);
      expect((await api('GET', '/edges', undefined, 'other', owner.headers)).json().meta.total).toBe(0);
    });

    it('deleting a node deletes its edges', async () => {
      const { api, edge } = await setup(dialect);
      await edge('vpc', 'contains', 'subnet');
      await edge('subnet', 'contains', 'web');
      await edge('web', 'member_of', 'sg');
      expect((await api('DELETE', `/nodes/${enc(id('subnet'))}`)).statusCode).toBe(204);
      const left = (await api('GET', '/edges')).json();
      expect(left.meta.total).toBe(1);
      expect(left.data[0]).toMatchObject({ source_id: id('web'), target_id: id('sg') });
    });

    it('neighbors: direction, types and depth; nodes and edges come back', async () => {
      const { api, edge } = await setup(dialect);
      await edge('vpc', 'contains', 'subnet');
      await edge('subnet', 'contains', 'web');
      await edge('subnet', 'contains', 'db');
      await edge('web', 'member_of', 'sg');
      await edge('db', 'member_of', 'sg');
      const around = async (node: string, qs = '') => {
        const res = await api('GET', `/nodes/${enc(id(node))}/neighbors${qs}`);
        expect(res.statusCode, res.body).toBe(200);
        const d = res.json().data;
        return {
          node: d.node.id.split(':')[3],
          nodes: d.nodes.map((n: { id: string }) => n.id.split(':')[3]).sort(),
          edges: d.edges.length,
          truncated: d.truncated,
        };
      };
      expect(await around('subnet')).toEqual({
        node: 'subnet',
        nodes: ['db', 'vpc', 'web'],
        edges: 3,
        truncated: false,
      });
      expect(await around('subnet', '?direction=out')).toEqual({
        node: 'subnet',
        nodes: ['db', 'web'],
        edges: 2,
        truncated: false,
      });
      expect(await around('subnet', '?direction=in')).toEqual({
        node: 'subnet',
        nodes: ['vpc'],
        edges: 1,
        truncated: false,
      });
      expect(await around('vpc', '?direction=out&depth=2')).toEqual({
        node: 'vpc',
        nodes: ['db', 'subnet', 'web'],
        edges: 3,
        truncated: false,
      });
      expect(await around('vpc', '?direction=out&depth=3')).toEqual({
        node: 'vpc',
        nodes: ['db', 'sg', 'subnet', 'web'],
        edges: 5,
        truncated: false,
      });
      expect(await around('sg', '?depth=2&types=member_of')).toEqual({
        node: 'sg',
        nodes: ['db', 'web'],
        edges: 2,
        truncated: false,
      });
      expect(await around('lonely')).toEqual({ node: 'lonely', nodes: [], edges: 0, truncated: false });
      expect((await api('GET', `/nodes/${enc(id('vpc'))}/neighbors?depth=4`)).statusCode).toBe(400);
      expect((await api('GET', `/nodes/${enc(id('vpc'))}/neighbors?direction=up`)).statusCode).toBe(400);
      expect((await api('GET', `/nodes/${enc(id('ghost'))}/neighbors`)).statusCode).toBe(404);
    });
  });
}
