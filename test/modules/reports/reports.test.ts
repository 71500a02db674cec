/**
 * Reports end to end, on SQLite and PostgreSQL: generate (202, a `report` job), the job run by the
 * runner, download (content checked against the nodes, headers, ETag/304), filters, CSV injection
 * guard, PDF structure, 409 before it is ready, validation, roles, tenants, delete, tagging reports.
 * One app per dialect, shared by the tests (they use distinct data or say what they add).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import { checkPdf, parseCsv } from '../../core/reports/helpers.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { ingest, runQueuedJobs, startRunner } from '../jobs/helpers.ts';
import { generateReport, makeReport } from './helpers.ts';

type H = Record<string, string>;

const NODES = [
  {
    provider: 'aws',
    type: 'aws.ec2.instance',
    region: 'us-east-1',
    account: '111111111111',
    name: 'web-01',
    tags: { app_id: 'app1', env: 'prod' },
  },
  {
    provider: 'aws',
    type: 'aws.ec2.instance',
    region: 'us-east-1',
    account: '111111111111',
    name: '=HYPERLINK("http://evil")',
    tags: { app_id: 'app9', env: 'dev' },
  },
  {
    provider: 'aws',
    type: 'aws.ec2.vpc',
    region: 'eu-west-1',
    account: '222222222222',
    name: 'net, "main"',
    tags: { app_id: 'app2' },
  },
  { provider: 'aws', type: 'aws.s3.bucket', region: 'global', account: '111111111111', name: 'logs', tags: {} },
];

for (const dialect of testDialects()) {
  describe(`${dialect}: reports`, () => {
    let t: TestApp;
    let editor: H;
    let viewer: H;
    const ids: Record<string, string> = {};
    let webhookId: string;

    const settle = () => runQueuedJobs(t);

    const generate = (payload: Record<string, unknown>, h: H = editor, tenant = 'acme') =>
      generateReport(t, h, payload, tenant);
    const made = (payload: Record<string, unknown>) => makeReport(t, { editor, viewer }, payload);

    beforeAll(async () => {
      t = await createTestApp({ dialect, shared: true, env: { INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
      await t.createTenant('acme');
      await t.createTenant('other');
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: t.admin.headers,
        payload: { rate_limit: { per_minute: 100000, burst: 100000 } },
      });
      editor = (await t.userWithRole('acme', 'editor')).headers;
      viewer = (await t.userWithRole('acme', 'viewer')).headers;
      const hook = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/webhooks',
        headers: t.admin.headers,
        payload: { url: 'http://127.0.0.1:9/hook', events: ['report.succeeded', 'report.failed'] },
      });
      expect(hook.statusCode, hook.body).toBe(201);
      webhookId = hook.json().data.id;
      for (const n of NODES) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: editor,
          payload: n,
        });
        expect(res.statusCode, res.body).toBe(201);
        ids[n.name] = res.json().data.id;
      }
    });
    afterAll(async () => {
      await t?.close();
    });

    it('generates an inventory CSV: 202 queued, then succeeded; the download is every node, guarded against formulas', async () => {
      const res = await generate({ type: 'inventory', format: 'csv', name: 'Q4 inventory / all' });
      expect(res.statusCode, res.body).toBe(202);
      const queued = res.json().data;
      expect(queued).toMatchObject({
        type: 'inventory',
        format: 'csv',
        status: 'queued',
        download_url: null,
        filters: {},
      });
      expect(queued.id).toMatch(/^rpt_[0-9A-Z]{26}$/);
      expect(res.headers.location).toBe(`/api/v1/tenants/acme/reports/${queued.id}`);

      // Not ready: 409 CONFLICT, saying so.
      const early = await t.app.inject({ url: `/api/v1/tenants/acme/reports/${queued.id}/download`, headers: viewer });
      expect(early.statusCode).toBe(409);
      expect(early.json().error).toMatchObject({ code: 'CONFLICT', details: { status: 'queued' } });

      await settle();
      const report = (await t.app.inject({ url: `/api/v1/tenants/acme/reports/${queued.id}`, headers: viewer })).json()
        .data;
      expect(report).toMatchObject({
        status: 'succeeded',
        row_count: NODES.length,
        error: null,
        content_type: 'text/csv; charset=utf-8',
      });
      expect(report.completed_at).not.toBeNull();
      const dl = await t.app.inject({ url: report.download_url, headers: viewer });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(dl.headers['content-disposition']).toBe('attachment; filename="Q4-inventory-all.csv"');
      expect(Number(dl.headers['content-length'])).toBe(dl.rawPayload.length);
      expect(report.size_bytes).toBe(dl.rawPayload.length);
      const sha = createHash('sha256').update(dl.rawPayload).digest('hex');
      expect(report.sha256).toBe(sha);
      expect(dl.headers.etag).toBe(`"${sha}"`);

      const [header, ...rows] = parseCsv(dl.body);
      expect(header).toEqual([
        'id',
        'type',
        'provider',
        'account',
        'region',
        'name',
        'native_id',
        'tags',
        'first_seen_at',
        'last_seen_at',
      ]);
      const byId = new Map(rows.map((r) => [r[0], r]));
      expect([...byId.keys()].sort()).toEqual(Object.values(ids).sort());
      expect(byId.get(ids['web-01'])?.slice(1, 8)).toEqual([
        'aws.ec2.instance',
        'aws',
        '111111111111',
        'us-east-1',
        'web-01',
        '',
        'app_id=app1; env=prod',
      ]);
      expect(byId.get(ids['net, "main"'])?.[5]).toBe('net, "main"');
      expect(byId.get(ids['=HYPERLINK("http://evil")'])?.[5]).toBe(`'=HYPERLINK("http://evil")`);

      // The same document again: 304 with the ETag.
      const again = await t.app.inject({
        url: report.download_url,
        headers: { ...viewer, 'if-none-match': `W/"x", "${sha}"` },
      });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(`"${sha}"`);
    });

    it('filters like the nodes list (JSON), and report jobs stay out of /jobs', async () => {
      const { report, dl } = await made({
        type: 'inventory',
        format: 'json',
        filters: { types: ['aws.ec2.instance', 'aws.ec2.vpc'], tags: { app_id: ['app1', 'app2'] } },
      });
      expect(dl.headers['content-type']).toMatch(/^application\/json/);
      const doc = dl.json();
      expect(doc.report).toMatchObject({ id: report.id, type: 'inventory', tenant: 'acme' });
      expect(doc.row_count).toBe(2);
      expect(doc.rows.map((r: { name: string }) => r.name).sort()).toEqual(['net, "main"', 'web-01']);
      expect(doc.rows.find((r: { name: string }) => r.name === 'web-01').tags).toEqual({ app_id: 'app1', env: 'prod' });
      expect(report.filters).toEqual({
        types: ['aws.ec2.instance', 'aws.ec2.vpc'],
        tags: { app_id: ['app1', 'app2'] },
      });

      const region = (
        await made({ type: 'inventory', format: 'json', filters: { region: ['global'], account: ['111111111111'] } })
      ).dl.json();
      expect(region.rows.map((r: { name: string }) => r.name)).toEqual(['logs']);

      const jobs = await t.app.inject({ url: '/api/v1/tenants/acme/jobs', headers: viewer });
      expect(jobs.json().meta.total).toBe(0);
      const list = await t.app.inject({
        url: '/api/v1/tenants/acme/reports?format=json&status=succeeded&sort=created_at',
        headers: viewer,
      });
      expect(list.statusCode).toBe(200);
      expect(list.json().data.map((r: { id: string }) => r.id)).toEqual([report.id, expect.any(String)]);
      expect(
        (await t.app.inject({ url: '/api/v1/tenants/acme/reports?type=tagging', headers: viewer })).json().meta.total,
      ).toBe(0);
    });

    it('generates a PDF with an exact cross-reference table and the nodes in it', async () => {
      const { report, dl } = await made({ type: 'inventory', format: 'pdf' });
      expect(dl.headers['content-type']).toBe('application/pdf');
      expect(dl.headers['content-disposition']).toMatch(
        /^attachment; filename="Inventory-report-\d{4}-\d{2}-\d{2}\.pdf"$/,
      );
      const pdf = checkPdf(dl.rawPayload.toString('latin1'));
      expect(pdf.texts).toContain('web-01');
      expect(pdf.texts).toContain('net, "main"');
      expect(pdf.texts).toContain('app_id=app1; env=prod');
      expect(pdf.texts).toContain(`${NODES.length} rows.`);
      expect(report.row_count).toBe(NODES.length);
    });

    it('reports tagging compliance per resource against the enabled policies', async () => {
      const policy = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/tagging-policies',
        headers: editor,
        payload: {
          name: 'FinOps',
          tags: [{ key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['app1', 'app2', 'app3'] }],
          scope: { resource_types: { include: ['aws_instance', 'aws_vpc'] } },
        },
      });
      expect(policy.statusCode, policy.body).toBe(201);
      const { dl } = await made({ type: 'tagging', format: 'csv' });
      const [header, ...rows] = parseCsv(dl.body);
      expect(header).toEqual([
        'id',
        'type',
        'provider',
        'account',
        'region',
        'name',
        'status',
        'policies',
        'missing_keys',
        'invalid_tags',
        'suggestions',
      ]);
      const row = (name: string) => rows.find((r) => r[0] === ids[name]) as string[];
      expect(row('web-01').slice(6, 10)).toEqual(['compliant', 'FinOps', '', '']);
      expect(row('=HYPERLINK("http://evil")').slice(6, 10)).toEqual(['non_compliant', 'FinOps', '', 'app_id=app9']);
      expect(row('net, "main"')[6]).toBe('compliant');
      expect(row('logs')[6]).toBe('not_covered');

      const only = (await made({ type: 'tagging', format: 'json', filters: { status: ['non_compliant'] } })).dl.json();
      expect(only.rows.map((r: { id: string }) => r.id)).toEqual([ids['=HYPERLINK("http://evil")']]);
      expect(only.rows[0]).toMatchObject({
        invalid_tags: ['app_id=app9'],
        suggestions: [expect.stringMatching(/^app_id=app/)],
      });
    });

    it('rejects unknown fields, filters of another type, types without a provider and bad formats', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ type: 'inventory', format: 'csv', colour: 'red' }, 'body.colour'],
        [{ type: 'inventory', format: 'csv', filters: { nope: ['x'] } }, 'body.filters.nope'],
        [{ type: 'inventory', format: 'csv', filters: { status: ['compliant'] } }, 'body.filters.status'],
        [{ type: 'inventory', format: 'csv', filters: { types: 'aws.ec2.instance' } }, 'body.filters.types'],
        [{ type: 'costs', format: 'csv' }, 'body.type'],
        [{ type: 'inventory', format: 'xlsx' }, 'body.format'],
        [{ format: 'csv' }, 'body.type'],
      ];
      for (const [payload, path] of cases) {
        const res = await generate(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().error.code).toBe('BAD_REQUEST');
        expect(
          res.json().error.details.map((d: { path: string }) => d.path),
          JSON.stringify(payload),
        ).toContain(path);
      }
      for (const q of ['type=costs', 'status=done', 'sort=size', 'format=doc']) {
        expect((await t.app.inject({ url: `/api/v1/tenants/acme/reports?${q}`, headers: viewer })).statusCode, q).toBe(
          400,
        );
      }
    });

    it('viewers read but cannot generate or delete; other tenants see 404', async () => {
      expect((await generate({ type: 'inventory', format: 'csv' }, viewer)).statusCode).toBe(403);
      const list = (await t.app.inject({ url: '/api/v1/tenants/acme/reports?per_page=1', headers: viewer })).json();
      const id = list.data[0].id;
      expect(list.meta.total).toBeGreaterThan(1);
      expect(
        (await t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/reports/${id}`, headers: viewer }))
          .statusCode,
      ).toBe(403);
      // The admin belongs to both tenants: the report is not in the other one.
      for (const path of [`reports/${id}`, `reports/${id}/download`]) {
        const res = await t.app.inject({ url: `/api/v1/tenants/other/${path}`, headers: t.admin.headers });
        expect(res.statusCode, path).toBe(404);
      }
      expect(
        (await t.app.inject({ url: '/api/v1/tenants/other/reports', headers: t.admin.headers })).json().meta.total,
      ).toBe(0);
    });

    it('deletes a report with its document (audited); deleting a queued one cancels its job', async () => {
      const { report } = await made({ type: 'inventory', format: 'csv' });
      const row = await t.services.db
        .selectFrom('reports')
        .selectAll()
        .where('id', '=', report.id)
        .executeTakeFirstOrThrow();
      const file =
        dialect === 'sqlite'
          ? join(dirname(t.db.options.sqlitePath as string), 'reports', row.tenant_id, row.content_key as string)
          : null;
      const parts = () =>
        t.services.db.selectFrom('report_contents').select('part').where('report_id', '=', report.id).execute();
      if (file) expect(existsSync(file)).toBe(true);
      else expect((await parts()).length).toBeGreaterThan(0);

      const del = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/tenants/acme/reports/${report.id}`,
        headers: editor,
      });
      expect(del.statusCode).toBe(204);
      expect(
        (await t.app.inject({ url: `/api/v1/tenants/acme/reports/${report.id}`, headers: viewer })).statusCode,
      ).toBe(404);
      expect(
        (await t.app.inject({ url: `/api/v1/tenants/acme/reports/${report.id}/download`, headers: viewer })).statusCode,
      ).toBe(404);
      if (file) expect(existsSync(file)).toBe(false);
      else expect(await parts()).toEqual([]);
      const audit = await t.services.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', report.id)
        .orderBy('created_at')
        .execute();
      expect(audit.map((a) => a.action)).toEqual(['report.generated', 'report.deleted']);

      const queued = (await generate({ type: 'inventory', format: 'csv' })).json().data;
      expect(
        (await t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/reports/${queued.id}`, headers: editor }))
          .statusCode,
      ).toBe(204);
      const jobs = await t.services.db
        .selectFrom('jobs')
        .select('status')
        .where('kind', '=', 'report')
        .where('name', '=', queued.name)
        .execute();
      // Every report job has ended; the deleted queued one as cancelled (the runner never ran it).
      expect(jobs.map((j) => j.status)).toContain('cancelled');
      expect(jobs.filter((j) => j.status === 'queued' || j.status === 'running')).toEqual([]);
      expect(await t.services.db.selectFrom('reports').select('id').where('id', '=', queued.id).execute()).toEqual([]);
    });

    it('deletes reports past their retention with their documents and jobs; expires_at says when', async () => {
      const { report: old } = await made({ type: 'inventory', format: 'csv', name: 'old one' });
      const { report: recent } = await made({ type: 'inventory', format: 'csv', name: 'recent one' });
      // INFRACAST_REPORT_RETENTION_DAYS defaults to 30.
      expect(Date.parse(old.expires_at) - Date.parse(old.completed_at)).toBe(30 * 86_400_000);
      const row = await t.services.db
        .selectFrom('reports')
        .select(['job_id', 'tenant_id', 'content_key'])
        .where('id', '=', old.id)
        .executeTakeFirstOrThrow();
      const file =
        dialect === 'sqlite'
          ? join(dirname(t.db.options.sqlitePath as string), 'reports', row.tenant_id, row.content_key as string)
          : null;
      if (file) expect(existsSync(file)).toBe(true);
      const longAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
      await t.services.db.updateTable('jobs').set({ finished_at: longAgo }).where('id', '=', row.job_id).execute();
      // Past its expiry it is gone for readers at once, though the hourly sweep has not deleted it yet.
      for (const url of [`/api/v1/tenants/acme/reports/${old.id}`, old.download_url]) {
        expect((await t.app.inject({ url, headers: viewer })).statusCode, url).toBe(404);
      }
      const listed = (await t.app.inject({ url: '/api/v1/tenants/acme/reports', headers: viewer })).json();
      expect(listed.data.map((r: { id: string }) => r.id)).not.toContain(old.id);
      expect(listed.meta.total).toBe(listed.data.length);

      expect(await t.services.reports.deleteExpired()).toBe(1);
      expect((await t.app.inject({ url: `/api/v1/tenants/acme/reports/${old.id}`, headers: viewer })).statusCode).toBe(
        404,
      );
      if (file) expect(existsSync(file)).toBe(false);
      const leftovers = await Promise.all([
        t.services.db.selectFrom('jobs').select('id').where('id', '=', row.job_id).execute(),
        t.services.db.selectFrom('report_contents').select('report_id').where('report_id', '=', old.id).execute(),
      ]);
      expect(leftovers).toEqual([[], []]);
      // The recent one stays, and nothing else is due.
      const kept = await t.app.inject({ url: recent.download_url, headers: viewer });
      expect(kept.statusCode).toBe(200);
      expect(await t.services.reports.deleteExpired()).toBe(0);
    });

    it('says how far it is, in percent of the nodes read; 100 once succeeded', async () => {
      await t.createTenant('big');
      const percents: number[] = [];
      const runner = startRunner(t, { onProgress: (_job, p) => percents.push(p.percent) });
      const input = generateTerraformState({ resources: 2500, edgesPerResource: 1 });
      const job = await ingest(t, runner, 'big', t.admin.headers, { name: 'big', source: 'terraform_state', input });
      expect(job.status).toBe('succeeded');
      const nodes = job.counts.created as number;
      expect(nodes).toBeGreaterThan(2000);
      percents.length = 0;
      const res = await generate({ type: 'inventory', format: 'csv' }, t.admin.headers, 'big');
      expect(res.statusCode).toBe(202);
      expect(res.json().data).toMatchObject({ status: 'queued', progress: 0 });
      await runner.drain();
      // 0 while reading starts, then one report per page of 1000 nodes written: 1000, 2000, then all of them.
      const pages = Math.ceil(nodes / 1000);
      expect(percents.slice(0, pages + 1)).toEqual([
        0,
        ...Array.from({ length: pages }, (_, i) => Math.floor((99 * Math.min(nodes, (i + 1) * 1000)) / nodes)),
      ]);
      expect(percents[pages]).toBe(99);
      const done = await t.app.inject({ url: res.headers.location as string, headers: t.admin.headers });
      expect(done.json().data).toMatchObject({ status: 'succeeded', progress: 100, row_count: nodes });
    });

    it("deleting a tenant deletes its reports' documents", async () => {
      const gone = await t.createTenant('gone');
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/gone/nodes',
        headers: t.admin.headers,
        payload: NODES[0],
      });
      const res = await generate({ type: 'inventory', format: 'csv' }, t.admin.headers, 'gone');
      expect(res.statusCode).toBe(202);
      await settle();
      const dir = dialect === 'sqlite' ? join(dirname(t.db.options.sqlitePath as string), 'reports', gone.id) : null;
      if (dir) expect(existsSync(dir)).toBe(true);
      expect(
        (await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/gone', headers: t.admin.headers })).statusCode,
      ).toBe(204);
      if (dir) expect(existsSync(dir)).toBe(false);
      const parts = await t.services.db
        .selectFrom('report_contents')
        .select('report_id')
        .where('report_id', '=', res.json().data.id)
        .execute();
      expect(parts).toEqual([]);
    });

    it('tells webhooks when a report succeeds or fails, by the report’s id; a non-ASCII name downloads as itself', async () => {
      const deliveries = async (event: string) => {
        await t.services.events.idle();
        const rows = await t.services.db
          .selectFrom('webhook_deliveries')
          .select(['event', 'payload'])
          .where('webhook_id', '=', webhookId)
          .where('event', '=', event)
          .execute();
        return rows.map(
          (r) => JSON.parse(r.payload) as { type: string; tenant: string; data: Record<string, unknown> },
        );
      };
      const before = (await deliveries('report.succeeded')).length;
      const { report, dl } = await made({ type: 'inventory', format: 'json', name: 'Inventaire été / 2026' });
      // RFC 6266: an ASCII fallback, and the name itself (UTF-8, percent-encoded; the slash made a dash).
      expect(dl.headers['content-disposition']).toBe(
        `attachment; filename="Inventaire-ete-2026.json"; filename*=UTF-8''Inventaire%20%C3%A9t%C3%A9%20-%202026.json`,
      );
      const succeeded = await deliveries('report.succeeded');
      expect(succeeded).toHaveLength(before + 1);
      expect(succeeded.find((d) => d.data.report_id === report.id)).toMatchObject({
        type: 'report.succeeded',
        tenant: 'acme',
        data: {
          report_id: report.id,
          type: 'inventory',
          format: 'json',
          name: 'Inventaire été / 2026',
          row_count: NODES.length,
          size_bytes: report.size_bytes,
          sha256: report.sha256,
        },
      });

      // A report whose type this server no longer offers fails when its job runs: the report says why, and
      // so does the event.
      const res = await generate({ type: 'inventory', format: 'csv', name: 'doomed' });
      expect(res.statusCode).toBe(202);
      const id = res.json().data.id as string;
      await t.services.db.updateTable('reports').set({ type: 'retired' }).where('id', '=', id).execute();
      await settle();
      const failed = (await t.app.inject({ url: `/api/v1/tenants/acme/reports/${id}`, headers: viewer })).json().data;
      expect(failed).toMatchObject({
        status: 'failed',
        download_url: null,
        error: { code: 'REPORT_TYPE_UNAVAILABLE' },
      });
      expect((await deliveries('report.failed')).find((d) => d.data.report_id === id)).toMatchObject({
        type: 'report.failed',
        data: { report_id: id, type: 'retired', name: 'doomed', error: { code: 'REPORT_TYPE_UNAVAILABLE' } },
      });
      expect((await deliveries('report.succeeded')).some((d) => d.data.report_id === id)).toBe(false);
    });
  });
}
