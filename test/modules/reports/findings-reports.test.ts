/**
 * Findings and compliance reports end to end, on SQLite and PostgreSQL, over one app per dialect: their rows
 * against GET /findings and GET /compliance/controls, evaluating first when the inventory moved on, filters,
 * and filter validation. Background evaluation is stopped, so findings follow the inventory only when a read
 * (or a report) evaluates first. Tests run in order, each building on the state the previous one left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPdf, parseCsv } from '../../core/reports/helpers.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { NODES, SG_WEB, sgRule } from '../findings/fixture.ts';
import { generateReport, makeReport } from './helpers.ts';

type H = Record<string, string>;

const FINDING_COLUMNS = [
  'id',
  'rule_id',
  'title',
  'severity',
  'status',
  'resolution',
  'node_id',
  'node_type',
  'node_name',
  'message',
  'controls',
  'first_seen_at',
  'last_seen_at',
  'resolved_at',
  'accepted_until',
  'status_reason',
];

interface Finding {
  id: string;
  rule_id: string;
  rule_title: string;
  severity: string;
  status: string;
  resolution: string | null;
  node_id: string;
  node_type: string;
  node_name: string;
  message: string;
  controls: { framework: string; control: string }[];
  first_seen_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  accepted_until: string | null;
  status_reason: string | null;
}

/** A finding of GET /findings as a findings report row (JSON: lists and nulls as they are). */
const asRow = (f: Finding) => ({
  id: f.id,
  rule_id: f.rule_id,
  title: f.rule_title,
  severity: f.severity,
  status: f.status,
  resolution: f.resolution,
  node_id: f.node_id,
  node_type: f.node_type,
  node_name: f.node_name,
  message: f.message,
  controls: f.controls.map((c) => `${c.framework} ${c.control}`),
  first_seen_at: f.first_seen_at,
  last_seen_at: f.last_seen_at,
  resolved_at: f.resolved_at,
  accepted_until: f.accepted_until,
  status_reason: f.status_reason,
});

for (const dialect of testDialects()) {
  describe(`${dialect}: findings and compliance reports`, () => {
    let t: TestApp;
    let editor: H;
    let viewer: H;
    const url = (path: string) => `/api/v1/tenants/acme${path}`;

    const generate = (payload: Record<string, unknown>) => generateReport(t, editor, payload);
    const made = (payload: Record<string, unknown>) => makeReport(t, { editor, viewer }, payload);
    const findings = async (query = '') => {
      const res = await t.app.inject({ url: url(`/findings?per_page=100${query}`), headers: viewer });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data as Finding[];
    };
    const controls = async () => {
      const res = await t.app.inject({ url: url('/compliance/controls?per_page=500'), headers: viewer });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data as Record<string, unknown>[];
    };
    const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));

    beforeAll(async () => {
      t = await createTestApp({ dialect, shared: true });
      // No evaluation after inventory changes: only reads and reports evaluating first keep findings current.
      await t.services.findings.stop();
      await t.createTenant('acme');
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/tenants/acme',
        headers: t.admin.headers,
        payload: { rate_limit: { per_minute: 100000, burst: 100000 } },
      });
      editor = (await t.userWithRole('acme', 'editor')).headers;
      viewer = (await t.userWithRole('acme', 'viewer')).headers;
      for (const n of NODES) {
        const res = await t.app.inject({ method: 'POST', url: url('/nodes'), headers: editor, payload: n });
        expect(res.statusCode, res.body).toBe(201);
      }
    });
    afterAll(async () => {
      await t?.close();
    });

    it('a findings CSV evaluates the new inventory first and has one row per finding, as GET /findings', async () => {
      // Nothing has read the findings yet: the report itself must evaluate.
      const { report, dl } = await made({ type: 'findings', format: 'csv' });
      const [header, ...rows] = parseCsv(dl.body);
      expect(header).toEqual(FINDING_COLUMNS);
      expect(report.row_count).toBe(4);
      const api = await findings();
      expect(api.length).toBe(4);
      const text = (v: unknown) => (v === null ? '' : Array.isArray(v) ? v.join('; ') : String(v));
      expect(rows).toEqual(byId(api).map((f) => Object.values(asRow(f)).map(text)));
      const ssh = rows.find((r) => r[1] === 'aws.sg.ssh_open_to_internet') as string[];
      expect(ssh.slice(2, 11)).toEqual([
        'Security group allows SSH (TCP 22) from 0.0.0.0/0',
        'HIGH',
        'OPEN',
        '',
        SG_WEB,
        'aws.ec2.security_group',
        'sg-0web',
        'security group sg-0web (web) allows tcp port 22 from 0.0.0.0/0 (ingress rule index 1: tcp port 22)',
        'cis-aws-foundations 5.2',
      ]);
    });

    it('a compliance JSON report evaluates first and has one row per control, as GET /compliance/controls', async () => {
      const pub = (await findings('&rule_id=aws.ec2.instance_has_public_ip'))[0] as Finding;
      const accepted = await t.app.inject({
        method: 'POST',
        url: url(`/findings/${pub.id}/accept`),
        headers: editor,
        payload: { reason: 'behind a WAF' },
      });
      expect(accepted.statusCode, accepted.body).toBe(200);
      // SSH no longer open to the internet: the SSH and high-risk-port findings are fixed (once evaluated).
      const patched = await t.app.inject({
        method: 'PATCH',
        url: url(`/nodes/${encodeURIComponent(SG_WEB)}`),
        headers: editor,
        payload: { attributes: { ingress: [sgRule(443, 443, ['0.0.0.0/0']), sgRule(22, 22, ['10.0.0.0/8'])] } },
      });
      expect(patched.statusCode, patched.body).toBe(200);

      const { report, dl } = await made({ type: 'compliance', format: 'json' });
      const doc = dl.json();
      expect(doc.report).toMatchObject({ id: report.id, type: 'compliance', tenant: 'acme' });
      const api = await controls();
      expect(api.length).toBeGreaterThan(30);
      expect(doc.row_count).toBe(api.length);
      const names: Record<string, string> = {
        'cis-aws-foundations': 'CIS Amazon Web Services Foundations Benchmark',
        'aws-fsbp': 'AWS Foundational Security Best Practices',
      };
      expect(doc.rows).toEqual(
        api.map((c) => ({
          framework: c.framework,
          framework_name: names[c.framework as string],
          control: c.control,
          title: c.title,
          status: c.status,
          rule_ids: c.rule_ids,
          open_findings: c.open_findings,
          accepted_findings: c.accepted_findings,
          resources_evaluated: c.resources_evaluated,
        })),
      );
      const row = (control: string) => doc.rows.find((r: { control: string }) => r.control === control);
      expect(row('5.2')).toMatchObject({ status: 'PASS', open_findings: 0 });
      expect(row('5.6')).toMatchObject({ status: 'FAIL', open_findings: 1 });
      expect(row('EC2.9')).toMatchObject({ status: 'PASS', open_findings: 0, accepted_findings: 1 });
    });

    it('findings reports filter as the findings list does, and match it (JSON, PDF)', async () => {
      const all = (await made({ type: 'findings', format: 'json' })).dl.json();
      expect(all.rows).toEqual(byId(await findings()).map(asRow));
      expect(all.rows.map((r: { status: string }) => r.status).sort()).toEqual([
        'ACCEPTED',
        'OPEN',
        'RESOLVED',
        'RESOLVED',
      ]);

      const filters = { status: ['RESOLVED', 'ACCEPTED'], types: ['aws.ec2.security_group'], control: '5.2' };
      const { report, dl } = await made({ type: 'findings', format: 'json', filters });
      expect(report.filters).toEqual(filters);
      const api = await findings('&status=RESOLVED,ACCEPTED&types=aws.ec2.security_group&control=5.2');
      expect(api.map((f) => f.rule_id)).toEqual(['aws.sg.ssh_open_to_internet']);
      expect(dl.json().rows).toEqual(api.map(asRow));
      expect(dl.json().rows[0]).toMatchObject({ resolution: 'fixed', status_reason: 'the rule passes' });

      const fails = (
        await made({ type: 'compliance', format: 'json', filters: { framework: 'aws-fsbp', status: ['FAIL'] } })
      ).dl.json();
      expect(fails.rows.map((r: { framework: string; control: string }) => `${r.framework} ${r.control}`)).toEqual([
        'aws-fsbp EC2.8',
      ]);

      const pdf = await made({ type: 'findings', format: 'pdf', filters: { severity: ['HIGH'], status: ['OPEN'] } });
      expect(pdf.report.row_count).toBe(1);
      const texts = checkPdf(pdf.dl.rawPayload.toString('latin1')).texts;
      expect(texts).toContain('i-0web');
      expect(texts).toContain('1 row.');
    });

    it('rejects unknown severities, statuses, rules, frameworks and controls with a 400 naming the filter', async () => {
      const before = (await t.app.inject({ url: url('/reports'), headers: viewer })).json().meta.total;
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ type: 'findings', filters: { severity: ['SEVERE'] } }, 'body.filters.severity[0]', /must be one of/],
        [{ type: 'findings', filters: { status: ['PASS'] } }, 'body.filters.status[0]', /"OPEN", "ACCEPTED"/],
        [{ type: 'compliance', filters: { status: ['OPEN'] } }, 'body.filters.status[0]', /"PASS", "FAIL"/],
        [{ type: 'findings', filters: { rule_id: ['aws.nope'] } }, 'body.filters.rule_id[0]', /must be one of/],
        [{ type: 'compliance', filters: { framework: 'nist-800-53' } }, 'body.filters.framework', /must be one of/],
        [{ type: 'findings', filters: { control: '9.99' } }, 'body.filters.control', /^Unknown control "9\.99"$/],
        [
          { type: 'findings', filters: { framework: 'aws-fsbp', control: '5.2' } },
          'body.filters.control',
          /^Unknown control "5\.2" in aws-fsbp$/,
        ],
        [{ type: 'compliance', filters: { severity: ['HIGH'] } }, 'body.filters.severity', /does not apply/],
      ];
      for (const [payload, path, message] of cases) {
        const res = await generate({ format: 'csv', ...payload });
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        const error = res.json().error;
        expect(error.code).toBe('BAD_REQUEST');
        expect(
          error.details.map((d: { path: string }) => d.path),
          JSON.stringify(payload),
        ).toContain(path);
        expect(error.message, JSON.stringify(payload)).toMatch(message);
      }
      expect((await t.app.inject({ url: url('/reports'), headers: viewer })).json().meta.total).toBe(before);
    });
  });
}
