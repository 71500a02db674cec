import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDialects } from '../../helpers/env.ts';
import { ingest, startRunner } from '../jobs/helpers.ts';
import { type TaggingTenant, taggingTenant } from './helpers.ts';

const appPolicy = {
  name: 'Application',
  enforcement: 'block',
  message: 'Use a registered application id.',
  tags: [{ key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['app-1', 'app-2'] }],
};
const costPolicy = {
  name: 'Cost centre on instances',
  enforcement: 'warn',
  scope: { resource_types: { include: ['aws.ec2.instance'] } },
  tags: [{ key: 'CostCenter', mandatory: true, valueType: 'REGEX', allowedRegex: '^cc-[0-9]{3}$' }],
};

/** Five nodes: two compliant, two not, one not taggable (a route). */
async function smallInventory(x: TaggingTenant) {
  const nodes = [
    { type: 'aws.ec2.instance', name: 'web-1', account: '111', tags: { app_id: 'app-1', CostCenter: 'cc-100' } },
    { type: 'aws.ec2.instance', name: 'web-2', account: '111', tags: { app_id: 'App_1', CostCenter: 'cc-1' } },
    { type: 'aws.s3.bucket', name: 'logs', account: '222', tags: { app_id: 'app-2' } },
    { type: 'aws.s3.bucket', name: 'data', account: '222', tags: {} },
    { type: 'aws.ec2.route', name: 'r-1', account: '222', tags: {} },
  ];
  for (const n of nodes) {
    const res = await x.t.app.inject({
      method: 'POST',
      url: `/api/v1/tenants/${x.slug}/nodes`,
      headers: x.editor,
      payload: { provider: 'aws', region: 'us-east-1', ...n },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: tagging compliance`, () => {
    it('computes exact figures over a small inventory: overall, by policy, key, type and account, top invalid values', async () => {
      const x = await taggingTenant(dialect);
      const app = await x.create(appPolicy);
      const cost = await x.create(costPolicy);
      await x.create({
        ...appPolicy,
        name: 'Disabled',
        enabled: false,
        tags: [{ key: 'x', mandatory: true, valueType: 'ANY' }],
      });
      await smallInventory(x);
      const res = await x.t.app.inject({ url: `${x.base}/compliance`, headers: x.viewer });
      expect(res.statusCode, res.body).toBe(200);
      const c = res.json().data;
      expect(c.overall).toEqual({ resources: 5, taggable: 4, covered: 4, compliant: 2, percent: 50 });
      expect(c.by_policy).toEqual([
        { policy_id: app.id, policy_name: 'Application', enforcement: 'block', taggable: 4, compliant: 2, percent: 50 },
        {
          policy_id: cost.id,
          policy_name: 'Cost centre on instances',
          enforcement: 'warn',
          taggable: 2,
          compliant: 1,
          percent: 50,
        },
      ]);
      expect(c.by_key).toEqual([
        { key: 'app_id', taggable: 4, compliant: 2, percent: 50, missing: 1, invalid: 1 },
        { key: 'CostCenter', taggable: 2, compliant: 1, percent: 50, missing: 0, invalid: 1 },
      ]);
      const half = { taggable: 2, covered: 2, compliant: 1, percent: 50 };
      expect(c.by_resource_type).toEqual([
        { resource_type: 'aws.ec2.instance', terraform_type: 'aws_instance', ...half },
        { resource_type: 'aws.s3.bucket', terraform_type: 'aws_s3_bucket', ...half },
      ]);
      expect(c.by_account).toEqual([
        { account: '111', ...half },
        { account: '222', ...half },
      ]);
      expect(c.top_invalid_values).toEqual([
        { key: 'app_id', value: 'App_1', count: 1, suggestions: ['app-1'], policy_ids: [app.id] },
        { key: 'CostCenter', value: 'cc-1', count: 1, suggestions: [], policy_ids: [cost.id] },
      ]);
      expect(c.inventory_version).toBeGreaterThan(0);
      const top1 = await x.t.app.inject({ url: `${x.base}/compliance?top=1`, headers: x.viewer });
      expect(top1.json().data.top_invalid_values).toHaveLength(1);
    });

    it('counts only resources an enabled policy covers: uncovered ones are reported, never compliant', async () => {
      const x = await taggingTenant(dialect);
      // Covers the two instances only; the buckets have no enabled policy (the disabled one would cover them).
      const cost = await x.create(costPolicy);
      await x.create({ ...appPolicy, enabled: false });
      await smallInventory(x);
      const get = async () => {
        const res = await x.t.app.inject({ url: `${x.base}/compliance`, headers: x.viewer });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().data;
      };
      const c = await get();
      // web-1 passes, web-2 fails; logs and data are taggable but uncovered: 1 of 2, not 3 of 4.
      expect(c.overall).toEqual({ resources: 5, taggable: 4, covered: 2, compliant: 1, percent: 50 });
      expect(c.by_policy).toEqual([
        {
          policy_id: cost.id,
          policy_name: 'Cost centre on instances',
          enforcement: 'warn',
          taggable: 2,
          compliant: 1,
          percent: 50,
        },
      ]);
      expect(c.by_resource_type).toEqual([
        {
          resource_type: 'aws.ec2.instance',
          terraform_type: 'aws_instance',
          taggable: 2,
          covered: 2,
          compliant: 1,
          percent: 50,
        },
        {
          resource_type: 'aws.s3.bucket',
          terraform_type: 'aws_s3_bucket',
          taggable: 2,
          covered: 0,
          compliant: 0,
          percent: null,
        },
      ]);
      expect(c.by_account).toEqual([
        { account: '111', taggable: 2, covered: 2, compliant: 1, percent: 50 },
        { account: '222', taggable: 2, covered: 0, compliant: 0, percent: null },
      ]);

      // No taggable resource covered at all: no share to give (null), not 100%.
      await x.t.app.inject({
        method: 'PATCH',
        url: `${x.base}/${cost.id}`,
        headers: x.editor,
        payload: { scope: { providers: ['azure'] } },
      });
      expect((await get()).overall).toEqual({ resources: 5, taggable: 4, covered: 0, compliant: 0, percent: null });
    });

    it('caches per inventory and policy version: an unchanged inventory is not reloaded, a node or policy write is seen', async () => {
      const x = await taggingTenant(dialect);
      const app = await x.create(appPolicy);
      await smallInventory(x);
      const get = async () => (await x.t.app.inject({ url: `${x.base}/compliance`, headers: x.viewer })).json().data;
      expect((await get()).overall.compliant).toBe(2);
      const loads = x.t.services.tagging.stats().inventoryLoads;
      await get();
      await get();
      expect(x.t.services.tagging.stats().inventoryLoads).toBe(loads);

      const node = 'aws:us-east-1:aws.s3.bucket:data';
      const fix = await x.t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/${x.slug}/nodes/${encodeURIComponent(node)}`,
        headers: x.editor,
        payload: { tags: { app_id: 'app-2' } },
      });
      expect(fix.statusCode, fix.body).toBe(200);
      expect((await get()).overall).toMatchObject({ taggable: 4, compliant: 3, percent: 75 });

      await x.t.app.inject({
        method: 'PATCH',
        url: `${x.base}/${app.id}`,
        headers: x.editor,
        payload: {
          tags: [
            {
              key: 'app_id',
              mandatory: true,
              valueType: 'LIST',
              caseSensitive: false,
              allowedValues: ['app_1', 'app-1', 'app-2'],
            },
          ],
        },
      });
      expect((await get()).overall).toMatchObject({ compliant: 4, percent: 100 });
      expect(x.t.services.tagging.stats().inventoryLoads).toBe(loads + 2);
    });

    it("lists a policy's non-compliant resources, paginated and filtered, for disabled policies too", async () => {
      const x = await taggingTenant(dialect);
      const app = await x.create(appPolicy);
      const disabled = await x.create({ ...costPolicy, enabled: false });
      await smallInventory(x);
      const res = await x.t.app.inject({ url: `${x.base}/${app.id}/violations`, headers: x.viewer });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().meta).toEqual({ total: 2, page: 1, per_page: 50, total_pages: 1 });
      expect(res.json().data).toEqual([
        {
          node_id: 'aws:us-east-1:aws.ec2.instance:web-2',
          name: 'web-2',
          resource_type: 'aws.ec2.instance',
          terraform_type: 'aws_instance',
          provider: 'aws',
          account: '111',
          region: 'us-east-1',
          violations: [
            {
              key: 'app_id',
              kind: 'invalid',
              actual: 'App_1',
              message: 'Use a registered application id.',
              suggestions: ['app-1'],
            },
          ],
        },
        {
          node_id: 'aws:us-east-1:aws.s3.bucket:data',
          name: 'data',
          resource_type: 'aws.s3.bucket',
          terraform_type: 'aws_s3_bucket',
          provider: 'aws',
          account: '222',
          region: 'us-east-1',
          violations: [
            {
              key: 'app_id',
              kind: 'missing',
              actual: null,
              message: 'Use a registered application id.',
              suggestions: [],
            },
          ],
        },
      ]);
      const page2 = await x.t.app.inject({
        url: `${x.base}/${app.id}/violations?per_page=1&page=2`,
        headers: x.viewer,
      });
      expect(page2.json().data.map((n: { name: string }) => n.name)).toEqual(['data']);
      expect(page2.headers.link).toContain('rel="prev"');
      const missing = await x.t.app.inject({ url: `${x.base}/${app.id}/violations?kind=missing`, headers: x.viewer });
      expect(missing.json().data.map((n: { name: string }) => n.name)).toEqual(['data']);
      const byAccount = await x.t.app.inject({
        url: `${x.base}/${app.id}/violations?accounts=111&sort=-resource_type`,
        headers: x.viewer,
      });
      expect(byAccount.json().data.map((n: { name: string }) => n.name)).toEqual(['web-2']);
      const dis = await x.t.app.inject({ url: `${x.base}/${disabled.id}/violations`, headers: x.viewer });
      expect(dis.json().data.map((n: { name: string }) => n.name)).toEqual(['web-2']);
      const unknown = await x.t.app.inject({
        url: `${x.base}/e17b9d51-151d-4855-a17e-6349e485584c/violations`,
        headers: x.viewer,
      });
      expect(unknown.statusCode).toBe(404);
    });

    it('violation filters take comma lists (any of); an unknown kind is a 400 naming the allowed ones', async () => {
      const x = await taggingTenant(dialect);
      const both = await x.create({ ...appPolicy, tags: [...appPolicy.tags, ...costPolicy.tags] });
      await smallInventory(x);
      // By node id: web-2 has an invalid app_id and CostCenter, data lacks both, logs lacks CostCenter; web-1 passes.
      const list = async (q: string) => {
        const res = await x.t.app.inject({ url: `${x.base}/${both.id}/violations?${q}`, headers: x.viewer });
        expect(res.statusCode, res.body).toBe(200);
        return res
          .json()
          .data.map(
            (n: { name: string; violations: { key: string; kind: string }[] }) =>
              `${n.name}:${n.violations.map((v) => `${v.key}/${v.kind}`).join('+')}`,
          );
      };
      expect(await list('key=app_id')).toEqual(['web-2:app_id/invalid', 'data:app_id/missing']);
      expect(await list('key=CostCenter')).toEqual([
        'web-2:CostCenter/invalid',
        'data:CostCenter/missing',
        'logs:CostCenter/missing',
      ]);
      const union = [
        'web-2:app_id/invalid+CostCenter/invalid',
        'data:app_id/missing+CostCenter/missing',
        'logs:CostCenter/missing',
      ];
      expect(await list('key=app_id,CostCenter')).toEqual(union);
      expect(await list('key=app_id,nope')).toEqual(['web-2:app_id/invalid', 'data:app_id/missing']);
      expect(await list('kind=missing')).toEqual(['data:app_id/missing+CostCenter/missing', 'logs:CostCenter/missing']);
      expect(await list('kind=invalid')).toEqual(['web-2:app_id/invalid+CostCenter/invalid']);
      expect(await list('kind=missing,invalid')).toEqual(union);
      expect(await list('key=app_id,CostCenter&kind=invalid&types=aws.ec2.instance,aws.s3.bucket')).toEqual([
        'web-2:app_id/invalid+CostCenter/invalid',
      ]);

      const bad = await x.t.app.inject({
        url: `${x.base}/${both.id}/violations?kind=missing,wrong`,
        headers: x.viewer,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('BAD_REQUEST');
      expect(bad.json().error.message).toMatch(/"wrong".*missing, invalid/);
      expect(bad.json().error.details).toEqual([
        { path: 'querystring.kind', message: expect.stringContaining('missing, invalid') },
      ]);
      // A list with no item is not "no filter": a 400, as on every list.
      for (const parameter of ['key', 'types', 'accounts']) {
        const empty = await x.t.app.inject({
          url: `${x.base}/${both.id}/violations?${parameter}=,`,
          headers: x.viewer,
        });
        expect(empty.statusCode, parameter).toBe(400);
        expect(empty.json().error.details[0].path).toBe(`querystring.${parameter}`);
      }
    });

    it('records a snapshot after every discovery job, and returns the history', async () => {
      const x = await taggingTenant(dialect);
      const runner = startRunner(x.t);
      const state = JSON.parse(
        readFileSync(new URL('../../fixtures/terraform/two-tier.tfstate', import.meta.url), 'utf8'),
      );
      // No policies yet: nothing to measure, no snapshot.
      await ingest(x.t, runner, x.slug, x.editor, { name: 'before policies', source: 'terraform_state', input: state });
      await x.t.services.events.idle();
      expect((await x.t.app.inject({ url: `${x.base}/compliance/history`, headers: x.viewer })).json().meta.total).toBe(
        0,
      );

      const policy = await x.create({
        name: 'App tag',
        tags: [{ key: 'app', mandatory: true, valueType: 'LIST', allowedValues: ['shop'] }],
      });
      const job = await ingest(x.t, runner, x.slug, x.editor, {
        name: 'prod',
        source: 'terraform_state',
        input: state,
      });
      expect(job.status).toBe('succeeded');
      await x.t.services.events.idle();

      const res = await x.t.app.inject({ url: `${x.base}/compliance/history`, headers: x.viewer });
      expect(res.statusCode, res.body).toBe(200);
      const points = res.json().data;
      expect(points).toHaveLength(1);
      const now = (await x.t.app.inject({ url: `${x.base}/compliance`, headers: x.viewer })).json().data;
      expect(points[0]).toMatchObject({
        trigger: 'job',
        job_id: job.id,
        resources: now.overall.resources,
        taggable: now.overall.taggable,
        covered: now.overall.covered,
        compliant: now.overall.compliant,
        percent: now.overall.percent,
        by_policy: [{ policy_id: policy.id, policy_name: 'App tag' }],
        by_key: [{ key: 'app' }],
      });
      expect(points[0].taggable).toBeGreaterThan(points[0].compliant);
      expect(points[0].compliant).toBeGreaterThan(0);

      // The daily snapshot: at most one per tenant per day, even when instances race for it.
      const [a, b] = await Promise.all([
        x.t.services.tagging.recordSnapshot((await x.t.services.tenants.operatorScope(x.slug)).id, 'daily'),
        x.t.services.tagging.takeDailySnapshots(),
      ]);
      expect([a === null ? 0 : 1, b].reduce((s, n) => s + n, 0)).toBe(1);
      expect(await x.t.services.tagging.takeDailySnapshots()).toBe(0);
      const all = (await x.t.app.inject({ url: `${x.base}/compliance/history`, headers: x.viewer })).json();
      expect(all.data.map((p: { trigger: string }) => p.trigger)).toEqual(['job', 'daily']);
      const daily = await x.t.app.inject({ url: `${x.base}/compliance/history?trigger=daily`, headers: x.viewer });
      expect(daily.json().meta.total).toBe(1);
      const either = await x.t.app.inject({ url: `${x.base}/compliance/history?trigger=job,daily`, headers: x.viewer });
      expect(either.statusCode, either.body).toBe(200);
      expect(either.json().data.map((p: { trigger: string }) => p.trigger)).toEqual(['job', 'daily']);
      const weekly = await x.t.app.inject({
        url: `${x.base}/compliance/history?trigger=job,weekly`,
        headers: x.viewer,
      });
      expect(weekly.statusCode).toBe(400);
      expect(weekly.json().error.message).toMatch(/"weekly".*job, daily/);
      expect(weekly.json().error.details[0].path).toBe('querystring.trigger');

      const today = new Date().toISOString().slice(0, 10);
      const inRange = await x.t.app.inject({
        url: `${x.base}/compliance/history?from=${today}&to=${today}`,
        headers: x.viewer,
      });
      expect(inRange.json().meta.total).toBe(2);
      const before = await x.t.app.inject({ url: `${x.base}/compliance/history?to=2020-01-01`, headers: x.viewer });
      expect(before.json().meta.total).toBe(0);
      const bad = await x.t.app.inject({ url: `${x.base}/compliance/history?from=yesterday`, headers: x.viewer });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details[0].path).toBe('querystring.from');
    });

    it('history: an impossible date is a 400 naming the parameter, not the first days of the next month', async () => {
      const x = await taggingTenant(dialect);
      const history = (query: string) =>
        x.t.app.inject({ url: `${x.base}/compliance/history?${query}`, headers: x.viewer });
      // November 31 would be read as December 1, so this range would seem to be in order.
      for (const [query, parameter] of [
        ['from=2026-12-01&to=2026-11-31', 'to'],
        ['from=2027-02-29', 'from'],
        ['to=2026-04-31T00:00:00Z', 'to'],
        ['from=2026-11-01T10:00:00', 'from'],
      ] as const) {
        const res = await history(query);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details[0], query).toEqual({
          path: `querystring.${parameter}`,
          message: expect.stringMatching(/^must match format "date(-time)?"$/),
        });
      }
      for (const query of [
        'from=2028-02-29&to=2028-03-01',
        'from=2026-11-01T00:00:00Z&to=2026-11-30T23:59:59%2B01:00',
      ]) {
        expect((await history(query)).statusCode, query).toBe(200);
      }
      const reversed = await history('from=2026-12-01&to=2026-11-30');
      expect(reversed.statusCode).toBe(400);
      expect(reversed.json().error.details).toEqual([{ path: 'querystring.from', message: 'must not be after to' }]);
    });
  });
}
