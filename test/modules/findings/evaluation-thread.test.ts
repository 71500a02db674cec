/**
 * The worker-thread evaluation on its own connection, on SQLite and PostgreSQL: the graph's version and
 * nodes, the edge-type filter in either SQL (no type, one, several), null for a tenant that does not exist,
 * text outside ASCII through the byte answer; and the node-count threshold that chooses the thread.
 */
import { describe, expect, it } from 'vitest';
import { type EvaluationConnection, evaluateInThread } from '../../../src/modules/findings/evaluation-client.ts';
import { hasAtLeastNodes } from '../../../src/modules/findings/store.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { NODES, SG_WEB, WEB } from './fixture.ts';

const connectionOf = (t: TestApp): EvaluationConnection =>
  t.db.options.sqlitePath
    ? { dialect: 'sqlite', file: t.db.options.sqlitePath }
    : { dialect: 'postgres', url: t.db.options.url, schema: t.db.options.pgSchema as string };

async function createNodes(t: TestApp, headers: Record<string, string>, nodes: readonly object[]) {
  for (const n of nodes) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tenants/acme/nodes', headers, payload: n });
    expect(res.statusCode, res.body).toBe(201);
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: findings evaluation in the worker thread`, () => {
    it('evaluates the graph it reads at its version, with any edge-type filter; null for an unknown tenant', async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      const editor = await t.userWithRole('acme', 'editor');
      await createNodes(t, editor.headers, NODES);
      const edge = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/edges',
        headers: editor.headers,
        payload: { source_id: WEB, target_id: SG_WEB, type: 'member_of' },
      });
      expect(edge.statusCode, edge.body).toBe(201);
      const version = (
        await t.services.db
          .selectFrom('tenants')
          .select('inventory_version')
          .where('id', '=', tenant.id)
          .executeTakeFirstOrThrow()
      ).inventory_version;

      for (const edgeTypes of [[], ['member_of'], ['contains', 'member_of']]) {
        const answer = await evaluateInThread(connectionOf(t), tenant.id, edgeTypes);
        expect(answer?.inventory_version).toBe(Number(version));
        expect([...(answer?.result.node_ids ?? [])].sort()).toEqual(NODES.map((n) => n.id).sort());
        const failing = answer?.result.results.flatMap((r) => r.failures.map((f) => `${r.rule_id} ${f.node_id}`));
        expect(failing?.sort()).toEqual([
          `aws.ec2.imdsv2_not_required ${WEB}`,
          `aws.ec2.instance_has_public_ip ${WEB}`,
          `aws.sg.high_risk_ports_open_to_internet ${SG_WEB}`,
          `aws.sg.ssh_open_to_internet ${SG_WEB}`,
        ]);
      }
      expect(await evaluateInThread(connectionOf(t), 'ten_00000000000000000000000000', ['member_of'])).toBeNull();
    });

    it('hands back text outside ASCII intact (the answer travels as UTF-8 bytes)', async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      const editor = await t.userWithRole('acme', 'editor');
      const name = 'wéb — ünïcode ✓ 𝔘';
      const web = NODES.find((n) => n.id === WEB);
      await createNodes(t, editor.headers, [{ ...web, name }]);
      const answer = await evaluateInThread(connectionOf(t), tenant.id, []);
      const failures = answer?.result.results.flatMap((r) => r.failures) ?? [];
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) expect(f.node_name).toBe(name);
    });

    it('tells whether a tenant has at least n nodes without counting them all', async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      const editor = await t.userWithRole('acme', 'editor');
      await createNodes(t, editor.headers, NODES);
      const db = t.services.db;
      expect(await hasAtLeastNodes(db, tenant.id, 0)).toBe(true);
      expect(await hasAtLeastNodes(db, tenant.id, NODES.length)).toBe(true);
      expect(await hasAtLeastNodes(db, tenant.id, NODES.length + 1)).toBe(false);
      expect(await hasAtLeastNodes(db, tenant.id, Number.POSITIVE_INFINITY)).toBe(false);
      expect(await hasAtLeastNodes(db, 'ten_00000000000000000000000000', 1)).toBe(false);
    });
  });
}
