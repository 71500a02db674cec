/**
 * Findings and compliance end to end, on SQLite and PostgreSQL, over one app per dialect: an inventory
 * written through the API, the findings it produces, fixing a node, accepting (and expiry), resolving by hand
 * (and reopening on a newer inventory), node removal, validation, roles, tenants, audit, compliance numbers
 * computed by hand, and `finding.created` reaching a webhook subscription. Tests run in order, each building on
 * the state the previous one left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES_VERSION } from '../../../src/core/rules/index.ts';
import { evaluationThreadStats } from '../../../src/modules/findings/evaluation-client.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { DB, NODES, SG_WEB, sgRule, WEB } from './fixture.ts';

interface Finding {
  id: string;
  rule_id: string;
  severity: string;
  status: string;
  node_id: string;
  message: string;
  evidence: Record<string, unknown>;
  resolution: string | null;
  status_reason: string | null;
  accepted_by: string | null;
  accepted_until: string | null;
  resolved_by: string | null;
  controls: { framework: string; control: string }[];
}

// Each dialect twice: evaluated on the main thread (small tenants) and in the worker thread (large ones).
const MODES = [
  { name: 'inline', threadMinNodes: Number.POSITIVE_INFINITY },
  { name: 'in the worker thread', threadMinNodes: 0 },
];

for (const dialect of testDialects())
  for (const mode of MODES) {
    describe(`${dialect}: findings and compliance (evaluated ${mode.name})`, () => {
      let t: TestApp;
      let editor: { headers: { authorization: string }; userId?: string };
      let viewer: { headers: { authorization: string } };
      let webhookId: string;
      let acmeId: string;
      let threadedBefore: number;
      const url = (path: string) => `/api/v1/tenants/acme${path}`;
      const get = (path: string, headers = viewer.headers) => t.app.inject({ url: url(path), headers });
      const post = (path: string, payload: unknown, headers = editor.headers) =>
        t.app.inject({ method: 'POST', url: url(path), headers, payload: payload as object });
      const findings = async (query = '') => {
        const res = await get(`/findings${query}`);
        expect(res.statusCode, res.body).toBe(200);
        return res.json().data as Finding[];
      };
      const byRule = async (ruleId: string, nodeId: string) =>
        (await findings(`?rule_id=${ruleId}`)).find((f) => f.node_id === nodeId) as Finding;
      const patchNode = async (id: string, attributes: Record<string, unknown>) => {
        const res = await t.app.inject({
          method: 'PATCH',
          url: url(`/nodes/${encodeURIComponent(id)}`),
          headers: editor.headers,
          payload: { attributes },
        });
        expect(res.statusCode, res.body).toBe(200);
      };
      const control = async (framework: string, id: string) => {
        const res = await get(`/compliance/controls?framework=${framework}&per_page=500`);
        return (
          res.json().data as { control: string; status: string; open_findings: number; accepted_findings: number }[]
        ).find((c) => c.control === id);
      };

      beforeAll(async () => {
        t = await createTestApp({
          dialect,
          shared: true,
          env: { INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
          findings: { threadMinNodes: mode.threadMinNodes },
        });
        acmeId = (await t.createTenant('acme')).id;
        await t.createTenant('other');
        editor = await t.userWithRole('acme', 'editor');
        viewer = await t.userWithRole('acme', 'viewer');
        const admin = await t.userWithRole('acme', 'admin');
        const hook = await t.app.inject({
          method: 'POST',
          url: url('/webhooks'),
          headers: admin.headers,
          payload: { url: 'http://127.0.0.1:9/hook', events: ['finding.created', 'finding.resolved'] },
        });
        expect(hook.statusCode, hook.body).toBe(201);
        webhookId = hook.json().data.id;
        threadedBefore = evaluationThreadStats.evaluations;
        for (const n of NODES) {
          const res = await t.app.inject({ method: 'POST', url: url('/nodes'), headers: editor.headers, payload: n });
          expect(res.statusCode, res.body).toBe(201);
        }
      });
      afterAll(async () => {
        await t?.close();
      });

      it('the inventory’s problems become OPEN findings with severity, rule and exact evidence', async () => {
        const all = await findings();
        // The evaluation ran where this block says it does.
        expect(evaluationThreadStats.evaluations > threadedBefore).toBe(mode.threadMinNodes === 0);
        // Default sort: -severity (then created_at; these were created together, so their order is by id).
        expect(all[0]).toMatchObject({
          rule_id: 'aws.sg.high_risk_ports_open_to_internet',
          node_id: SG_WEB,
          severity: 'CRITICAL',
        });
        expect(
          all
            .slice(1)
            .map((f) => [f.rule_id, f.node_id, f.severity, f.status])
            .sort(),
        ).toEqual([
          ['aws.ec2.imdsv2_not_required', WEB, 'HIGH', 'OPEN'],
          ['aws.ec2.instance_has_public_ip', WEB, 'HIGH', 'OPEN'],
          ['aws.sg.ssh_open_to_internet', SG_WEB, 'HIGH', 'OPEN'],
        ]);
        const ssh = all.find((f) => f.rule_id === 'aws.sg.ssh_open_to_internet') as Finding;
        expect(ssh.id).toMatch(/^fnd_[0-9A-Z]{26}$/);
        expect(ssh.message).toBe(
          'security group sg-0web (web) allows tcp port 22 from 0.0.0.0/0 (ingress rule index 1: tcp port 22)',
        );
        expect(ssh.evidence).toMatchObject({ exposures: [{ rule_index: 1, port: 22, source: '0.0.0.0/0' }] });
        // FSBP has no SSH-only control: its EC2.19 (high-risk ports) rule covers port 22.
        expect(ssh.controls).toEqual([{ framework: 'cis-aws-foundations', control: '5.2' }]);
        const one = await get(`/findings/${ssh.id}`);
        expect(one.statusCode).toBe(200);
        expect(one.json().data).toMatchObject({
          id: ssh.id,
          rule_title: 'Security group allows SSH (TCP 22) from 0.0.0.0/0',
        });

        // Filters (comma = any of), sorting, pagination with Link headers.
        expect((await findings('?severity=CRITICAL')).map((f) => f.rule_id)).toEqual([
          'aws.sg.high_risk_ports_open_to_internet',
        ]);
        expect((await findings('?severity=HIGH,CRITICAL')).length).toBe(4);
        expect((await findings('?types=aws.ec2.instance')).map((f) => f.node_id)).toEqual([WEB, WEB]);
        expect((await findings(`?node_id=${encodeURIComponent(SG_WEB)}`)).length).toBe(2);
        expect((await findings('?framework=cis-aws-foundations&control=5.2')).map((f) => f.rule_id)).toEqual([
          'aws.sg.ssh_open_to_internet',
        ]);
        // The SSH finding backs CIS 5.2 only: FSBP has no SSH-only control.
        expect((await findings('?framework=aws-fsbp')).length).toBe(3);
        expect((await findings('?control=5.6')).map((f) => f.rule_id)).toEqual(['aws.ec2.imdsv2_not_required']);
        expect((await findings('?sort=severity,rule_id')).map((f) => f.rule_id)).toEqual([
          'aws.ec2.imdsv2_not_required',
          'aws.ec2.instance_has_public_ip',
          'aws.sg.ssh_open_to_internet',
          'aws.sg.high_risk_ports_open_to_internet',
        ]);
        const page = await get('/findings?per_page=1&page=2&sort=rule_id');
        expect(page.json().meta).toEqual({ total: 4, page: 2, per_page: 1, total_pages: 4 });
        expect(page.json().data[0].rule_id).toBe('aws.ec2.instance_has_public_ip');
        expect(page.headers.link).toContain('rel="next"');
        expect(page.headers.link).toContain('rel="prev"');

        // The evaluation published finding.created once per finding: one delivery each for the webhook.
        await t.services.events.idle();
        const deliveries = await t.services.db
          .selectFrom('webhook_deliveries')
          .selectAll()
          .where('webhook_id', '=', webhookId)
          .execute();
        expect(deliveries.filter((d) => d.event === 'finding.created')).toHaveLength(4);
        const payload = JSON.parse(deliveries.find((d) => d.payload.includes(ssh.id))?.payload ?? '{}');
        expect(payload).toMatchObject({
          type: 'finding.created',
          tenant: 'acme',
          data: {
            finding_id: ssh.id,
            rule_id: 'aws.sg.ssh_open_to_internet',
            severity: 'HIGH',
            node_id: SG_WEB,
            reopened: false,
          },
        });
      });

      it('compliance numbers match the inventory (computed by hand)', async () => {
        // CIS (16 controls): PASS 2.3.1, 2.3.2, 2.3.3 (the database), 5.3 (no ::/0), 5.4 (default group empty);
        // FAIL 5.2 (ssh), 5.6 (IMDSv1); the other 9 have no resource → 5 / 7 = 71.4.
        // FSBP (21): PASS EC2.2, RDS.2, RDS.3, RDS.8, RDS.11, RDS.13; FAIL EC2.8, EC2.9, EC2.19;
        // 12 not applicable → 6 / 9 = 66.7. Overall 11 / 16 = 68.75.
        const res = await get('/compliance/summary');
        expect(res.statusCode, res.body).toBe(200);
        const s = res.json().data;
        expect(s).toMatchObject({
          score: 68.8,
          controls: { total: 37, passed: 11, failed: 5, not_applicable: 21 },
          open_findings: { total: 4, by_severity: { LOW: 0, MEDIUM: 0, HIGH: 3, CRITICAL: 1 } },
          accepted_findings: 0,
          resources_evaluated: 4,
        });
        expect(s.inventory_version).toBe(4);
        expect(s.evaluated_at).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(s.frameworks.map((f: { id: string; score: number }) => [f.id, f.score])).toEqual([
          ['cis-aws-foundations', 71.4],
          ['aws-fsbp', 66.7],
        ]);
        const fws = (await get('/compliance/frameworks')).json().data;
        expect(fws[0]).toEqual({
          id: 'cis-aws-foundations',
          name: 'CIS Amazon Web Services Foundations Benchmark',
          version: '3.0.0',
          controls: { total: 16, passed: 5, failed: 2, not_applicable: 9 },
          score: 71.4,
        });
        const failing = await get('/compliance/controls?status=FAIL&framework=cis-aws-foundations');
        expect(failing.json().data.map((c: { control: string }) => c.control)).toEqual(['5.2', '5.6']);
        expect(failing.json().data[0]).toMatchObject({
          title: 'Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports',
          rule_ids: ['aws.sg.rdp_open_to_internet', 'aws.sg.ssh_open_to_internet'],
          open_findings: 1,
          resources_evaluated: 2,
        });
        expect((await get('/compliance/controls?per_page=5')).json().meta).toEqual({
          total: 37,
          page: 1,
          per_page: 5,
          total_pages: 8,
        });
        const rules = await get('/rules?severity=CRITICAL');
        expect(rules.json().data.map((r: { id: string }) => r.id)).toEqual([
          'aws.rds.publicly_accessible',
          'aws.sg.high_risk_ports_open_to_internet',
        ]);
      });

      it('fixing the node resolves its findings (fixed) and the control passes', async () => {
        await patchNode(SG_WEB, { ingress: [sgRule(443, 443, ['0.0.0.0/0']), sgRule(22, 22, ['10.0.0.0/8'])] });
        const ssh = await byRule('aws.sg.ssh_open_to_internet', SG_WEB);
        expect(ssh).toMatchObject({ status: 'RESOLVED', resolution: 'fixed', resolved_by: null });
        expect((await byRule('aws.sg.high_risk_ports_open_to_internet', SG_WEB)).status).toBe('RESOLVED');
        expect((await findings('?status=OPEN')).length).toBe(2);
        expect(await control('cis-aws-foundations', '5.2')).toMatchObject({ status: 'PASS', open_findings: 0 });
        await t.services.events.idle();
        const resolved = await t.services.db
          .selectFrom('webhook_deliveries')
          .select('payload')
          .where('webhook_id', '=', webhookId)
          .where('event', '=', 'finding.resolved')
          .execute();
        expect(resolved.map((r) => JSON.parse(r.payload).data.resolution).sort()).toEqual(['fixed', 'fixed']);
        // Resolved findings cannot be accepted or resolved again.
        const acc = await post(`/findings/${ssh.id}/accept`, { reason: 'later' });
        expect(acc.statusCode).toBe(409);
        expect(acc.json().error.code).toBe('CONFLICT');
        expect((await post(`/findings/${ssh.id}/resolve`, {})).statusCode).toBe(409);
      });

      it('accepting the risk: reason, caller, expiry, audit; it does not fail the control; expiry reopens', async () => {
        const imds = await byRule('aws.ec2.imdsv2_not_required', WEB);
        const until = new Date(Date.now() + 3_600_000).toISOString();
        const res = await post(`/findings/${imds.id}/accept`, {
          reason: 'legacy agent needs IMDSv1',
          expires_at: until,
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().data).toMatchObject({
          status: 'ACCEPTED',
          status_reason: 'legacy agent needs IMDSv1',
          accepted_by: editor.userId,
          accepted_until: until,
        });
        expect(await control('cis-aws-foundations', '5.6')).toMatchObject({
          status: 'PASS',
          open_findings: 0,
          accepted_findings: 1,
        });
        expect((await get('/compliance/summary')).json().data.accepted_findings).toBe(1);
        const audit = await t.services.db
          .selectFrom('audit_log')
          .selectAll()
          .where('action', '=', 'finding.accepted')
          .executeTakeFirstOrThrow();
        expect(audit).toMatchObject({ target_type: 'finding', target_id: imds.id, actor_id: editor.userId });
        expect(JSON.parse(audit.summary ?? '{}')).toMatchObject({
          reason: 'legacy agent needs IMDSv1',
          expires_at: until,
        });

        // Time passes (the acceptance ran out): the next read finds it OPEN again.
        await t.services.db
          .updateTable('findings')
          .set({ accepted_until: new Date(Date.now() - 1000).toISOString() })
          .where('id', '=', imds.id)
          .execute();
        const again = (await get(`/findings/${imds.id}`)).json().data;
        expect(again.status).toBe('OPEN');
        expect(again.status_reason).toMatch(/^risk acceptance expired at /);
        expect(await control('cis-aws-foundations', '5.6')).toMatchObject({ status: 'FAIL', open_findings: 1 });
      });

      it('resolving by hand holds for this inventory version and reopens on a newer one that still fails', async () => {
        const pub = await byRule('aws.ec2.instance_has_public_ip', WEB);
        const res = await post(`/findings/${pub.id}/resolve`, { reason: 'EIP released by hand' });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().data).toMatchObject({ status: 'RESOLVED', resolution: 'manual', resolved_by: editor.userId });
        // A read at the same version keeps it resolved.
        expect((await get(`/findings/${pub.id}`)).json().data.status).toBe('RESOLVED');
        // The inventory moves on (an unrelated change) and the instance still has its public address.
        await patchNode(DB, { engine_version: '16.4' });
        const reopened = (await get(`/findings/${pub.id}`)).json().data;
        expect(reopened).toMatchObject({ status: 'OPEN', resolution: null, resolved_by: null });
        expect(reopened.status_reason).toMatch(/^failing again at inventory version \d+$/);
        await t.services.events.idle();
        const deliveries = await t.services.db
          .selectFrom('webhook_deliveries')
          .select('payload')
          .where('webhook_id', '=', webhookId)
          .where('event', '=', 'finding.created')
          .execute();
        expect(deliveries.filter((d) => JSON.parse(d.payload).data.reopened === true)).toHaveLength(1);
      });

      it('a removed node’s findings are resolved as node_removed; concurrent evaluations create no duplicates', async () => {
        await patchNode(SG_WEB, { ingress: [sgRule(3389, 3389, ['0.0.0.0/0'])] });
        // Two evaluations (two instances' reads) at once, and a read: one RDP finding, created once.
        await Promise.all([t.services.findings.evaluate(acmeId), t.services.findings.evaluate(acmeId), findings()]);
        expect((await findings('?rule_id=aws.sg.rdp_open_to_internet')).length).toBe(1);
        const del = await t.app.inject({
          method: 'DELETE',
          url: url(`/nodes/${encodeURIComponent(WEB)}`),
          headers: editor.headers,
        });
        expect(del.statusCode).toBe(204);
        const gone = await findings(`?node_id=${encodeURIComponent(WEB)}`);
        expect(gone.map((f) => [f.rule_id, f.status, f.resolution]).sort()).toEqual([
          ['aws.ec2.imdsv2_not_required', 'RESOLVED', 'node_removed'],
          ['aws.ec2.instance_has_public_ip', 'RESOLVED', 'node_removed'],
        ]);
        const rows = await t.services.db.selectFrom('findings').select(['rule_id', 'node_id']).execute();
        expect(new Set(rows.map((r) => `${r.rule_id} ${r.node_id}`)).size).toBe(rows.length);
      });

      it('validation: unknown fields and filters, bad severities, sorts and expiries are 400s', async () => {
        const bad = async (res: Awaited<ReturnType<typeof get>>, path: string) => {
          expect(res.statusCode, res.body).toBe(400);
          expect(res.json().error.code).toBe('BAD_REQUEST');
          expect(JSON.stringify(res.json().error.details)).toContain(path);
        };
        await bad(await get('/findings?severity=SEVERE'), 'querystring.severity');
        await bad(await get('/findings?sort=-bogus'), 'querystring.sort');
        await bad(await get('/findings?colour=red'), 'colour');
        await bad(await get('/findings?status=CLOSED'), 'querystring.status');
        await bad(await get('/findings?control=9.99'), 'querystring.control');
        await bad(await get('/compliance/controls?status=BROKEN'), 'querystring.status');
        const any = (await findings())[0] as Finding;
        await bad(await post(`/findings/${any.id}/accept`, { reason: 'ok', because: 'x' }), 'because');
        await bad(await post(`/findings/${any.id}/accept`, {}), 'reason');
        await bad(await post(`/findings/${any.id}/accept`, { reason: '   ' }), 'reason');
        await bad(
          await post(`/findings/${any.id}/accept`, { reason: 'ok', expires_at: '2020-01-01T00:00:00Z' }),
          'body.expires_at',
        );
      });

      it('roles and tenants: viewers read but cannot accept or resolve; another tenant’s finding is a 404', async () => {
        const open = (await findings('?status=OPEN'))[0] as Finding;
        expect((await post(`/findings/${open.id}/accept`, { reason: 'no' }, viewer.headers)).statusCode).toBe(403);
        expect((await post(`/findings/${open.id}/resolve`, {}, viewer.headers)).statusCode).toBe(403);
        expect((await get(`/findings/${open.id}`, viewer.headers)).statusCode).toBe(200);
        const stranger = await t.userWithRole('other', 'owner');
        const foreign = await t.app.inject({
          url: `/api/v1/tenants/other/findings/${open.id}`,
          headers: stranger.headers,
        });
        expect(foreign.statusCode).toBe(404);
        expect(foreign.json().error.code).toBe('NOT_FOUND');
        const foreignAccept = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/other/findings/${open.id}/accept`,
          headers: stranger.headers,
          payload: { reason: 'mine now' },
        });
        expect(foreignAccept.statusCode).toBe(404);
        expect((await get('/findings/fnd_00000000000000000000000000')).statusCode).toBe(404);
        // The other tenant's inventory is empty: nothing applicable, no score.
        const summary = await t.app.inject({
          url: '/api/v1/tenants/other/compliance/summary',
          headers: stranger.headers,
        });
        expect(summary.json().data).toMatchObject({ score: null, resources_evaluated: 0, open_findings: { total: 0 } });
      });

      it('an open finding’s evidence follows the inventory when its message stays the same', async () => {
        await patchNode(DB, { publicly_accessible: true, endpoint_address: 'orders.c0a.rds.amazonaws.com' });
        const first = await byRule('aws.rds.publicly_accessible', DB);
        expect(first).toMatchObject({ status: 'OPEN', message: 'RDS instance orders is publicly accessible' });
        expect(first.evidence).toEqual({ publicly_accessible: true, endpoint_address: 'orders.c0a.rds.amazonaws.com' });
        await patchNode(DB, { endpoint_address: 'orders.c0b.rds.amazonaws.com' });
        const again = await byRule('aws.rds.publicly_accessible', DB);
        expect(again).toMatchObject({ id: first.id, status: 'OPEN', message: first.message });
        expect(again.evidence).toEqual({ publicly_accessible: true, endpoint_address: 'orders.c0b.rds.amazonaws.com' });
      });

      it('an upgrade that changes the rules evaluates again at the next read; newer rules are left alone', async () => {
        const db = t.services.db;
        const evaluation = () =>
          db
            .selectFrom('finding_evaluations')
            .select(['inventory_version', 'rules_version'])
            .where('tenant_id', '=', acmeId)
            .executeTakeFirstOrThrow();
        const before = await evaluation();
        expect(before.rules_version).toBe(RULES_VERSION);
        const finding = await byRule('aws.rds.publicly_accessible', DB);
        // As if older rules had run the last evaluation (they did not find this) and the server was upgraded.
        const forget = () => db.deleteFrom('findings').where('id', '=', finding.id).execute();
        await forget();
        await db
          .updateTable('finding_evaluations')
          .set({ rules_version: RULES_VERSION - 1 })
          .where('tenant_id', '=', acmeId)
          .execute();
        const found = await byRule('aws.rds.publicly_accessible', DB);
        expect(found).toMatchObject({ status: 'OPEN', message: finding.message });
        expect(await evaluation()).toEqual({
          inventory_version: before.inventory_version,
          rules_version: RULES_VERSION,
        });

        // Newer rules ran it (a newer instance, mid rolling upgrade): this one does not evaluate again.
        await db.deleteFrom('findings').where('id', '=', found.id).execute();
        await db
          .updateTable('finding_evaluations')
          .set({ rules_version: RULES_VERSION + 1 })
          .where('tenant_id', '=', acmeId)
          .execute();
        expect(await byRule('aws.rds.publicly_accessible', DB)).toBeUndefined();
        expect((await evaluation()).rules_version).toBe(RULES_VERSION + 1);
      });
    });
  }
