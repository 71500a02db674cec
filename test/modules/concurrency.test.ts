/**
 * Concurrent requests get the same answers on both dialects. SQLite serialises
 * writers; PostgreSQL (READ COMMITTED, a pool) must lock the rows it reads
 * before merging into them, map unique violations of racing inserts to the
 * pre-check's 409, and count the rows a delete or revoke really changed.
 */
import { describe, expect, it } from 'vitest';
import type { EventMap } from '../../src/platform/events.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testDialects } from '../helpers/env.ts';
import { finopsBody } from './tagging/helpers.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function setup(dialect: 'sqlite' | 'postgres') {
  const t = await createTestApp({ dialect });
  await t.createTenant('acme');
  const editor = await t.userWithRole('acme', 'editor');
  const as = (headers: Record<string, string>) => (method: Method, path: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${path}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as never }),
    });
  return { t, editor, api: as(editor.headers), admin: as(t.admin.headers) };
}

const statuses = (results: { statusCode: number }[]) => results.map((r) => r.statusCode).sort();
const times = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

async function auditActions(t: TestApp, slug: string, action: string) {
  const res = await t.app.inject({
    url: `/api/v1/tenants/${slug}/audit-log?action=${action}&per_page=100`,
    headers: t.admin.headers,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as {
    action: string;
    target_id: string;
    created_at: string;
    summary: Record<string, unknown>;
  }[];
}

const NODE = { provider: 'aws', type: 'aws.ec2.instance', region: 'us-east-1', name: 'web-01', attributes: {} };
const NODE_ID = 'aws:us-east-1:aws.ec2.instance:web-01';

for (const dialect of testDialects()) {
  describe(`${dialect}: concurrent requests`, () => {
    it('parallel merge-patches of one node keep every key (attributes and tags)', async () => {
      const { api } = await setup(dialect);
      expect((await api('POST', '/tenants/acme/nodes', NODE)).statusCode).toBe(201);
      const url = `/tenants/acme/nodes/${encodeURIComponent(NODE_ID)}`;

      const attrs = await times(10, (i) => api('PATCH', url, { attributes: { [`a${i}`]: i } }));
      expect(statuses(attrs)).toEqual(Array(10).fill(200));
      const tags = await times(10, (i) => api('PATCH', url, { tags: { [`k${i}`]: 'v' } }));
      expect(statuses(tags)).toEqual(Array(10).fill(200));

      const node = (await api('GET', url)).json().data;
      expect(node.attributes).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, i])));
      expect(node.tags).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'])));
    });

    it('parallel PATCHes of one tenant keep every field', async () => {
      const { admin } = await setup(dialect);
      for (let round = 0; round < 3; round++) {
        const name = `Acme ${round}`;
        const plan = round % 2 === 0 ? 'pro' : 'enterprise';
        const limit = { per_minute: 100 + round, burst: 10 + round };
        const res = await Promise.all([
          admin('PATCH', '/tenants/acme', { name }),
          admin('PATCH', '/tenants/acme', { plan }),
          admin('PATCH', '/tenants/acme', { rate_limit: limit }),
        ]);
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([200, 200, 200]);
        const got = (await admin('GET', '/tenants/acme')).json().data;
        expect(got).toMatchObject({ name, plan, rate_limit: { ...limit, source: 'override' } });
      }
    });

    it('parallel PATCHes of one tagging policy all succeed, one version each', async () => {
      const { t, api } = await setup(dialect);
      const base = '/tenants/acme/tagging-policies';
      const created = await api('POST', base, finopsBody());
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().data.id as string;

      const res = await times(5, (i) => api('PATCH', `${base}/${id}`, { description: `d${i}` }));
      expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual(Array(5).fill(200));
      expect(res.map((r) => r.json().data.version).sort()).toEqual([2, 3, 4, 5, 6]);
      const got = (await api('GET', `${base}/${id}`)).json().data;
      expect(got.version).toBe(6);
      expect((await auditActions(t, 'acme', 'tagging_policy.updated')).length).toBe(5);
    });

    it('parallel creates of one tenant slug: one 201, the others the same 409 as the pre-check', async () => {
      const { t, admin } = await setup(dialect);
      const res = await times(4, () => admin('POST', '/tenants', { slug: 'race1', name: 'Race 1' }));
      expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([201, 409, 409, 409]);
      for (const r of res.filter((r) => r.statusCode === 409)) {
        expect(r.json().error.message).toBe('A tenant with slug "race1" already exists');
      }

      // The operator CLI's create, too.
      const cli = await Promise.allSettled(
        Array.from({ length: 3 }, () => t.services.tenants.createAsOperator({ slug: 'race2', name: 'Race 2' })),
      );
      expect(cli.filter((r) => r.status === 'fulfilled').length).toBe(1);
      for (const r of cli.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          status: 409,
          message: 'A tenant with slug "race2" already exists',
        });
      }
    });

    it('parallel renames of two tenants to one slug: one 200, one 409', async () => {
      const { t, admin } = await setup(dialect);
      const pairs = [0, 1, 2, 3, 4];
      for (const i of pairs) {
        await t.createTenant(`ren-a${i}`);
        await t.createTenant(`ren-b${i}`);
      }
      const rounds = await Promise.all(
        pairs.map((i) =>
          Promise.all([
            admin('PATCH', `/tenants/ren-a${i}`, { slug: `ren-target${i}` }),
            admin('PATCH', `/tenants/ren-b${i}`, { slug: `ren-target${i}` }),
          ]),
        ),
      );
      for (const [i, res] of rounds.entries()) {
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([200, 409]);
        expect(res.find((r) => r.statusCode === 409)?.json().error.message).toBe(
          `A tenant with slug "ren-target${i}" already exists`,
        );
      }
    });

    it('parallel adds of one new member: one 201, the others 409; one new user added to two tenants at once', async () => {
      const { t, admin } = await setup(dialect);
      const res = await times(8, () =>
        admin('POST', '/tenants/acme/members', { email: 'ex0@acme.io', role: 'viewer' }),
      );
      expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([201, ...Array(7).fill(409)]);
      for (const r of res.filter((r) => r.statusCode === 409)) {
        expect(r.json().error.message).toBe('ex0@acme.io is already a member of acme');
      }
      expect((await auditActions(t, 'acme', 'member.added')).length).toBe(1);

      await t.createTenant('other');
      const both = await Promise.all(
        ['acme', 'other'].map((slug) =>
          admin('POST', `/tenants/${slug}/members`, { email: 'ex1@acme.io', role: 'viewer' }),
        ),
      );
      expect(statuses(both), both.map((r) => r.body).join('\n')).toEqual([201, 201]);
      const [a, b] = both.map((r) => r.json().data);
      expect(a.user_id).toBe(b.user_id);
      // Only the request that created the user got a first password.
      expect([a.initial_password, b.initial_password].filter((p) => p !== null).length).toBe(1);
    });

    it('parallel deletes of one node: one 204, the others 404; one version bump and event per node', async () => {
      const { t, api } = await setup(dialect);
      const names = ['web-01', 'web-02', 'web-03', 'web-04', 'web-05'];
      for (const name of names)
        expect((await api('POST', '/tenants/acme/nodes', { ...NODE, name })).statusCode).toBe(201);
      const changes: EventMap['inventory.changed'][] = [];
      t.services.events.subscribe('inventory.changed', (e) => {
        changes.push(e);
      });
      const version = async () =>
        (
          await t.services.db
            .selectFrom('tenants')
            .select('inventory_version')
            .where('slug', '=', 'acme')
            .executeTakeFirstOrThrow()
        ).inventory_version;
      const before = await version();

      const rounds = await Promise.all(
        names.map((name) =>
          times(4, () =>
            api('DELETE', `/tenants/acme/nodes/${encodeURIComponent(`aws:us-east-1:aws.ec2.instance:${name}`)}`),
          ),
        ),
      );
      for (const res of rounds) {
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([204, 404, 404, 404]);
      }
      expect(await version()).toBe(before + names.length);
      expect(changes.length).toBe(names.length);
    });

    it('parallel deletes of one tagging policy: one 204, the others 404; one audit entry each', async () => {
      const { t, api } = await setup(dialect);
      const base = '/tenants/acme/tagging-policies';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await api('POST', base, finopsBody({ name: `p${i}` }))).json().data.id);
      const rounds = await Promise.all(ids.map((id) => times(4, () => api('DELETE', `${base}/${id}`))));
      for (const res of rounds) {
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([204, 404, 404, 404]);
      }
      expect((await auditActions(t, 'acme', 'tagging_policy.deleted')).length).toBe(ids.length);
    });

    it('parallel revokes of one API key: all 204, one audit entry, revoked_at kept', async () => {
      const { t, admin } = await setup(dialect);
      const keys = [];
      for (let i = 0; i < 5; i++) keys.push(await t.apiKey('acme', 'viewer'));
      const rounds = await Promise.all(
        keys.map((key) => times(4, () => admin('DELETE', `/tenants/acme/tokens/${key.id}`))),
      );
      for (const res of rounds) {
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([204, 204, 204, 204]);
      }
      const entries = await auditActions(t, 'acme', 'api_key.revoked');
      expect(entries.map((e) => e.target_id).sort()).toEqual(keys.map((k) => k.id).sort());
      for (const key of keys) {
        const got = (await admin('GET', `/tenants/acme/tokens/${key.id}`)).json().data;
        expect(got.status).toBe('revoked');
        expect(got.revoked_at).toBe(entries.find((e) => e.target_id === key.id)?.created_at);
      }

      // A later revoke stays 204 and changes nothing.
      const key = keys[0] as (typeof keys)[number];
      const revokedAt = (await admin('GET', `/tenants/acme/tokens/${key.id}`)).json().data.revoked_at;
      expect((await admin('DELETE', `/tenants/acme/tokens/${key.id}`)).statusCode).toBe(204);
      expect((await auditActions(t, 'acme', 'api_key.revoked')).length).toBe(keys.length);
      expect((await admin('GET', `/tenants/acme/tokens/${key.id}`)).json().data.revoked_at).toBe(revokedAt);
    });

    it('parallel creates of one edge: one 201, the others the same 409 as the pre-check', async () => {
      const { api } = await setup(dialect);
      const vpc = { provider: 'aws', type: 'aws.ec2.vpc', region: 'us-east-1', name: 'vpc-1' };
      const names = ['web-01', 'web-02', 'web-03', 'web-04', 'web-05'];
      for (const body of [vpc, ...names.map((name) => ({ ...NODE, name }))]) {
        expect((await api('POST', '/tenants/acme/nodes', body)).statusCode).toBe(201);
      }
      const edges = names.map((name) => ({
        source_id: 'aws:us-east-1:aws.ec2.vpc:vpc-1',
        target_id: `aws:us-east-1:aws.ec2.instance:${name}`,
        type: 'contains',
      }));
      const rounds = await Promise.all(edges.map((edge) => times(4, () => api('POST', '/tenants/acme/edges', edge))));
      for (const [i, res] of rounds.entries()) {
        const edge = edges[i] as (typeof edges)[number];
        expect(statuses(res), res.map((r) => r.body).join('\n')).toEqual([201, 409, 409, 409]);
        const id = res.find((r) => r.statusCode === 201)?.json().data.id as string;
        for (const r of res.filter((r) => r.statusCode === 409)) {
          expect(r.json().error.message).toBe(
            `A contains edge from ${edge.source_id} to ${edge.target_id} already exists (${id})`,
          );
        }
      }
    });
  });
}
