import { describe, expect, it } from 'vitest';
import type { EventMap } from '../../../src/platform/events.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';

const enc = encodeURIComponent;

async function version(t: TestApp, slug: string): Promise<number> {
  const row = await t.services.db
    .selectFrom('tenants')
    .select('inventory_version')
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  return row.inventory_version;
}

async function setup(dialect: 'sqlite' | 'postgres') {
  const t = await createTestApp({ dialect });
  await t.createTenant('acme');
  const editor = await t.userWithRole('acme', 'editor');
  const api = (method: string, path: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url: `/api/v1/tenants/acme${path}`,
      headers: editor.headers,
      ...(payload === undefined ? {} : { payload: payload as never }),
    });
  const create = async (body: Record<string, unknown>) => {
    const res = await api('POST', '/nodes', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data;
  };
  return { t, editor, api, create };
}

for (const dialect of testDialects()) {
  describe(`${dialect}: nodes`, () => {
    it('create, get, replace, patch (merge patch), delete; every write bumps the version and publishes inventory.changed', async () => {
      const { t, editor, api, create } = await setup(dialect);
      const changes: EventMap['inventory.changed'][] = [];
      t.services.events.subscribe('inventory.changed', (e) => {
        changes.push(e);
      });
      const v0 = await version(t, 'acme');

      const node = await create({
        provider: 'aws',
        type: 'aws.ec2.instance',
        account: '111111111111',
        region: 'us-east-1',
        name: 'web-01',
        native_id: 'i-0abc',
        tags: { env: 'prod', Name: 'web-01' },
        attributes: { instance_type: 't3.micro', private_ip: '10.0.1.10' },
      });
      expect(node).toMatchObject({
        id: 'aws:us-east-1:aws.ec2.instance:web-01',
        provider: 'aws',
        type: 'aws.ec2.instance',
        account: '111111111111',
        region: 'us-east-1',
        name: 'web-01',
        native_id: 'i-0abc',
        tags: { Name: 'web-01', env: 'prod' },
        attributes: { instance_type: 't3.micro', private_ip: '10.0.1.10' },
        source: 'manual',
      });
      for (const k of ['first_seen_at', 'last_seen_at', 'created_at', 'updated_at']) {
        expect(node[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      const got = await api('GET', `/nodes/${enc(node.id)}`);
      expect(got.statusCode).toBe(200);
      expect(got.json().data).toEqual(node);

      const put = await api('PUT', `/nodes/${enc(node.id)}`, {
        name: 'web-01a',
        tags: { env: 'dev' },
        attributes: { instance_type: 't3.large' },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json().data).toMatchObject({
        name: 'web-01a',
        tags: { env: 'dev' },
        attributes: { instance_type: 't3.large' },
      });

      const patch = await api('PATCH', `/nodes/${enc(node.id)}`, {
        tags: { owner: 'team-a', env: null },
        attributes: { monitoring: { enabled: true } },
      });
      expect(patch.statusCode, patch.body).toBe(200);
      const patched = patch.json().data;
      expect(patched.tags).toEqual({ owner: 'team-a' });
      expect(patched.attributes).toEqual({ instance_type: 't3.large', monitoring: { enabled: true } });
      expect(patched.first_seen_at).toBe(node.first_seen_at);
      expect(patched.updated_at >= node.updated_at).toBe(true);

      // RFC 7396's own media type is accepted too.
      const mergePatch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/nodes/${enc(node.id)}`,
        headers: { ...editor.headers, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ tags: { owner: null, team: 'b' } }),
      });
      expect(mergePatch.statusCode, mergePatch.body).toBe(200);
      expect(mergePatch.json().data.tags).toEqual({ team: 'b' });

      const emptyPatch = await api('PATCH', `/nodes/${enc(node.id)}`, {});
      expect(emptyPatch.statusCode).toBe(400);

      // A change to what the node already holds writes nothing: same updated_at, no version, no event.
      const current = mergePatch.json().data;
      for (const [method, body] of [
        ['PATCH', { tags: { team: 'b' }, name: current.name }],
        ['PUT', { name: current.name, tags: current.tags, attributes: current.attributes }],
      ] as const) {
        const same = await api(method, `/nodes/${enc(node.id)}`, body);
        expect(same.statusCode, same.body).toBe(200);
        expect(same.json().data).toEqual(current);
      }

      // null removes every tag or attribute (RFC 7396); a separate node, so the count below holds.
      const other = await create({ provider: 'aws', type: 'aws.s3.bucket', name: 'clear-me', tags: { a: '1' } });
      const cleared = await api('PATCH', `/nodes/${enc(other.id)}`, { tags: null, attributes: null });
      expect(cleared.statusCode, cleared.body).toBe(200);
      expect(cleared.json().data).toMatchObject({ tags: {}, attributes: {} });
      expect((await api('DELETE', `/nodes/${enc(other.id)}`)).statusCode).toBe(204);
      await t.services.events.idle();
      changes.splice(changes.length - 3, 3);
      const afterOther = await version(t, 'acme');

      const del = await api('DELETE', `/nodes/${enc(node.id)}`);
      expect(del.statusCode).toBe(204);
      expect((await api('GET', `/nodes/${enc(node.id)}`)).statusCode).toBe(404);
      expect((await api('DELETE', `/nodes/${enc(node.id)}`)).statusCode).toBe(404);

      // create, put, two patches, delete: five writes, five versions, five events after commit (and the
      // other node's three in between).
      await t.services.events.idle();
      expect(await version(t, 'acme')).toBe(afterOther + 1);
      expect(afterOther).toBe(v0 + 7);
      expect(changes.map((c) => c.version)).toEqual([v0 + 1, v0 + 2, v0 + 3, v0 + 4, v0 + 8]);
      const tenantId = (await t.services.tenants.operatorScope('acme')).id;
      expect(changes.every((c) => c.tenantId === tenantId)).toBe(true);
    });

    it('a create with an existing id is a 409; an id that does not match provider:region:type is a 400', async () => {
      const { t, api, create } = await setup(dialect);
      await create({ provider: 'aws', type: 'aws.s3.bucket', name: 'logs' });
      const v = await version(t, 'acme');
      const dup = await api('POST', '/nodes', { provider: 'aws', type: 'aws.s3.bucket', name: 'logs' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error).toMatchObject({
        code: 'CONFLICT',
        message: 'A node with id aws:global:aws.s3.bucket:logs already exists',
      });
      const mismatch = await api('POST', '/nodes', {
        id: 'aws:eu-west-1:aws.s3.bucket:logs',
        provider: 'aws',
        type: 'aws.s3.bucket',
        name: 'logs',
      });
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.json().error.details[0].path).toBe('body.id');
      const badField = await api('POST', '/nodes', { provider: 'aws', type: 'x', name: 'y', colour: 'red' });
      expect(badField.statusCode).toBe(400);
      expect(badField.json().error.details).toEqual([{ path: 'body.colour', message: 'unknown field "colour"' }]);
      const colon = await api('POST', '/nodes', { provider: 'a:b', type: 'x', name: 'y' });
      expect(colon.statusCode).toBe(400);
      expect(await version(t, 'acme')).toBe(v); // failed writes change nothing
    });

    it('ids with /, ", [ and ] are URL-encoded on every node route', async () => {
      const { api, create } = await setup(dialect);
      const ids = [
        'aws:us-east-1:aws.cloudwatch.log_group:/shop/app',
        'aws:global:aws.iam.role:111111111111/web-role',
        'aws:eu-west-1:aws.ec2.subnet:aws_subnet.app["a"]',
        'aws:eu-west-1:aws.ec2.instance:module.app["b c"].aws_instance.this[0]',
      ];
      for (const id of ids) {
        const [provider, region, type] = id.split(':') as [string, string, string];
        const name = id.slice(`${provider}:${region}:${type}:`.length);
        const node = await create({ id, provider, region, type, name });
        expect(node.id).toBe(id);
      }
      const edge = await api('POST', '/edges', { source_id: ids[0], target_id: ids[2], type: 'uses' });
      expect(edge.statusCode, edge.body).toBe(201);
      for (const id of ids) {
        const got = await api('GET', `/nodes/${enc(id)}`);
        expect(got.statusCode, `${id}: ${got.body}`).toBe(200);
        expect(got.json().data.id).toBe(id);
        const patched = await api('PATCH', `/nodes/${enc(id)}`, { tags: { seen: 'yes' } });
        expect(patched.statusCode).toBe(200);
        const neighbors = await api('GET', `/nodes/${enc(id)}/neighbors`);
        expect(neighbors.statusCode).toBe(200);
      }
      const around = (await api('GET', `/nodes/${enc(ids[2] as string)}/neighbors?direction=in`)).json().data;
      expect(around.nodes.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
      const listed = await api('GET', `/nodes?q=${enc('["b c"]')}`);
      expect(listed.json().data.map((n: { id: string }) => n.id)).toEqual([ids[3]]);
      for (const id of ids) expect((await api('DELETE', `/nodes/${enc(id)}`)).statusCode).toBe(204);
      expect((await api('GET', '/edges')).json().meta.total).toBe(0);
    });

    it('filters: types, provider, region, account, source, tag.<key>, tag_missing, q, updated_since', async () => {
      const { api, create } = await setup(dialect);
      await create({
        provider: 'aws',
        type: 'aws.ec2.instance',
        region: 'us-east-1',
        account: '111',
        name: 'web-1',
        native_id: 'i-01',
        tags: { env: 'prod', app: 'shop' },
      });
      await create({
        provider: 'aws',
        type: 'aws.ec2.instance',
        region: 'eu-west-1',
        account: '222',
        name: 'web-2',
        native_id: 'i-02',
        tags: { env: 'dev', app: 'shop' },
      });
      await create({
        provider: 'aws',
        type: 'aws.s3.bucket',
        account: '111',
        name: 'Logs-Bucket',
        tags: { env: 'prod' },
      });
      await create({
        provider: 'google',
        type: 'google.compute.instance',
        region: 'europe-west1',
        account: 'proj',
        name: 'gce-1',
        tags: {},
      });
      const ids = async (qs: string) => {
        const res = await api('GET', `/nodes?${qs}`);
        expect(res.statusCode, `${qs}: ${res.body}`).toBe(200);
        return res
          .json()
          .data.map((n: { name: string }) => n.name)
          .sort();
      };
      expect(await ids('types=aws.ec2.instance')).toEqual(['web-1', 'web-2']);
      expect(await ids('types=aws.s3.bucket,google.compute.instance')).toEqual(['Logs-Bucket', 'gce-1']);
      expect(await ids('provider=google')).toEqual(['gce-1']);
      expect(await ids('region=global,eu-west-1')).toEqual(['Logs-Bucket', 'web-2']);
      expect(await ids('account=111')).toEqual(['Logs-Bucket', 'web-1']);
      expect(await ids('source=manual')).toHaveLength(4);
      expect(await ids('source=job_01J0000000000000000000000')).toEqual([]);
      expect(await ids('tag.env=prod')).toEqual(['Logs-Bucket', 'web-1']);
      expect(await ids('tag.env=prod,dev&tag.app=shop')).toEqual(['web-1', 'web-2']);
      expect(await ids('tag_missing=app')).toEqual(['Logs-Bucket', 'gce-1']);
      expect(await ids('tag_missing=env')).toEqual(['gce-1']);
      expect(await ids('q=logs')).toEqual(['Logs-Bucket']);
      expect(await ids('q=i-0')).toEqual(['web-1', 'web-2']);
      expect(await ids('q=%25')).toEqual([]); // % is matched literally
      // Any letter in any case, on SQLite as on PostgreSQL (SQLite's own lower() folds ASCII only).
      for (const name of ['École', 'ÉCOLE-2', 'école-3']) {
        await create({ provider: 'aws', type: 'aws.s3.bucket', account: '222', name, tags: {} });
      }
      for (const q of ['école', 'ÉCOLE', 'É']) {
        expect(await ids(`q=${enc(q)}&account=222`), q).toEqual(['ÉCOLE-2', 'École', 'école-3'].sort());
      }
      const since = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      expect(
        (await api('PATCH', `/nodes/${enc('aws:eu-west-1:aws.ec2.instance:web-2')}`, { name: 'web-2b' })).statusCode,
      ).toBe(200);
      expect(await ids(`updated_since=${enc(since)}`)).toEqual(['web-2b']);
      // Finer than a millisecond: after a node updated at that millisecond, not at it.
      const updatedAt = (await api('GET', `/nodes/${enc('aws:eu-west-1:aws.ec2.instance:web-2')}`)).json().data
        .updated_at as string;
      expect(await ids(`updated_since=${enc(updatedAt.replace('Z', '0000Z'))}`)).toEqual(['web-2b']);
      expect(await ids(`updated_since=${enc(updatedAt.replace('Z', '0001Z'))}`)).toEqual([]);
      expect(await ids(`updated_since=${enc(updatedAt.replace('Z', '+00:00'))}`)).toEqual(['web-2b']);

      // Tag values with commas or edge spaces are quoted; an empty parameter is the empty value.
      await create({
        provider: 'aws',
        type: 'aws.s3.bucket',
        account: '333',
        name: 'odd-tags',
        tags: { team: 'a,b', owner: ' x ', note: 'say "hi"', empty: '' },
      });
      expect(await ids(`tag.team=${enc('"a,b"')}`)).toEqual(['odd-tags']);
      expect(await ids(`tag.team=${enc('a,b')}`)).toEqual([]);
      expect(await ids(`tag.owner=${enc('" x "')}`)).toEqual(['odd-tags']);
      expect(await ids(`tag.owner=${enc('x')}`)).toEqual([]);
      expect(await ids(`tag.note=${enc('"say \\"hi\\""')}`)).toEqual(['odd-tags']);
      expect(await ids(`tag.note=${enc('nope, "say \\"hi\\""')}`)).toEqual(['odd-tags']);
      expect(await ids('tag.empty=')).toEqual(['odd-tags']);
      expect(await ids(`tag.empty=${enc('""')}`)).toEqual(['odd-tags']);
      const noValue = await api('GET', `/nodes?tag.env=${enc(' , ')}`);
      expect(noValue.statusCode).toBe(400);
      expect(noValue.json().error.details).toEqual([
        { path: 'querystring.tag.env', message: 'must list at least one value' },
      ]);

      for (const bad of ['colour=red', 'tag_missin=env', 'per_page=501', 'updated_since=yesterday']) {
        const res = await api('GET', `/nodes?${bad}`);
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().error.details[0].path).toMatch(/^querystring\./);
      }
    });

    it('sorts on created_at, updated_at, name and type, both ways; unknown fields are a 400; pages with meta and Link', async () => {
      const { api, create } = await setup(dialect);
      for (const [name, type] of [
        ['charlie', 'aws.ec2.vpc'],
        ['alpha', 'aws.ec2.subnet'],
        ['bravo', 'aws.ec2.instance'],
      ]) {
        await create({ provider: 'aws', type, region: 'us-east-1', name });
        await new Promise((r) => setTimeout(r, 3));
      }
      const names = async (sort: string) =>
        (await api('GET', `/nodes?sort=${sort}`)).json().data.map((n: { name: string }) => n.name);
      expect(await names('name')).toEqual(['alpha', 'bravo', 'charlie']);
      expect(await names('-name')).toEqual(['charlie', 'bravo', 'alpha']);
      expect(await names('type')).toEqual(['bravo', 'alpha', 'charlie']);
      expect(await names('created_at')).toEqual(['charlie', 'alpha', 'bravo']);
      expect(await names('-created_at')).toEqual(['bravo', 'alpha', 'charlie']);
      await api('PATCH', `/nodes/${enc('aws:us-east-1:aws.ec2.vpc:charlie')}`, { tags: { x: 'y' } });
      expect(await names('-updated_at')).toEqual(['charlie', 'bravo', 'alpha']);
      const bad = await api('GET', '/nodes?sort=colour');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toBe(
        'Cannot sort by "colour"; allowed fields: created_at, updated_at, name, type',
      );
      const page = await api('GET', '/nodes?sort=name&per_page=2&page=2');
      expect(page.json().meta).toEqual({ total: 3, page: 2, per_page: 2, total_pages: 2 });
      expect(page.json().data.map((n: { name: string }) => n.name)).toEqual(['charlie']);
      expect(page.headers.link).toMatch(/rel="prev"/);
    });

    it('provider:region:type:<Name> finds the one node so named; several are a 409 listing them', async () => {
      const { api, create } = await setup(dialect);
      await create({
        id: 'aws:us-east-1:aws.ec2.instance:i-0aaa',
        provider: 'aws',
        region: 'us-east-1',
        type: 'aws.ec2.instance',
        name: 'web-01',
      });
      await create({
        id: 'aws:us-east-1:aws.ec2.instance:i-0bbb',
        provider: 'aws',
        region: 'us-east-1',
        type: 'aws.ec2.instance',
        name: 'api',
      });
      await create({
        id: 'aws:us-east-1:aws.ec2.instance:i-0ccc',
        provider: 'aws',
        region: 'us-east-1',
        type: 'aws.ec2.instance',
        name: 'api',
      });
      await create({
        id: 'aws:eu-west-1:aws.ec2.instance:i-0ddd',
        provider: 'aws',
        region: 'eu-west-1',
        type: 'aws.ec2.instance',
        name: 'web-01',
      });

      const byName = await api('GET', `/nodes/${enc('aws:us-east-1:aws.ec2.instance:web-01')}`);
      expect(byName.statusCode).toBe(200);
      expect(byName.json().data.id).toBe('aws:us-east-1:aws.ec2.instance:i-0aaa');
      const patched = await api('PATCH', `/nodes/${enc('aws:us-east-1:aws.ec2.instance:web-01')}`, {
        tags: { env: 'prod' },
      });
      expect(patched.json().data).toMatchObject({ id: 'aws:us-east-1:aws.ec2.instance:i-0aaa', tags: { env: 'prod' } });

      const ambiguous = await api('GET', `/nodes/${enc('aws:us-east-1:aws.ec2.instance:api')}`);
      expect(ambiguous.statusCode).toBe(409);
      expect(ambiguous.json().error.message).toMatch(
        /ambiguous: 2 aws\.ec2\.instance nodes in us-east-1 are named "api"/,
      );
      expect(ambiguous.json().error.details.candidates).toEqual([
        'aws:us-east-1:aws.ec2.instance:i-0bbb',
        'aws:us-east-1:aws.ec2.instance:i-0ccc',
      ]);
      expect((await api('GET', `/nodes/${enc('aws:us-east-1:aws.ec2.instance:nobody')}`)).statusCode).toBe(404);
      expect((await api('DELETE', `/nodes/${enc('aws:eu-west-1:aws.ec2.instance:web-01')}`)).statusCode).toBe(204);
      expect((await api('GET', `/nodes/${enc('aws:eu-west-1:aws.ec2.instance:i-0ddd')}`)).statusCode).toBe(404);
    });

    it("another tenant's nodes are a 404; viewers read but cannot write", async () => {
      const { t, create } = await setup(dialect);
      const node = await create({ provider: 'aws', type: 'aws.s3.bucket', name: 'private' });
      await t.createTenant('other');
      const stranger = await t.userWithRole('other', 'owner');
      const foreign = await t.app.inject({
        url: `/api/v1/tenants/other/nodes/${enc(node.id)}`,
        headers: stranger.headers,
      });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().error.message).toBe(`node ${node.id} not found`);
      const list = await t.app.inject({ url: '/api/v1/tenants/other/nodes', headers: stranger.headers });
      expect(list.json().meta.total).toBe(0);
      const theirs = await t.app.inject({
        url: `/api/v1/tenants/acme/nodes/${enc(node.id)}`,
        headers: stranger.headers,
      });
      expect(theirs.statusCode).toBe(404);
      const viewer = await t.userWithRole('acme', 'viewer');
      expect(
        (await t.app.inject({ url: `/api/v1/tenants/acme/nodes/${enc(node.id)}`, headers: viewer.headers })).statusCode,
      ).toBe(200);
      const write = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/nodes/${enc(node.id)}`,
        headers: viewer.headers,
      });
      expect(write.statusCode).toBe(403);
    });
  });
}
