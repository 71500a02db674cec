/**
 * End to end through the API, as a customer would do it: an editor key sends
 * the two-tier AWS snapshot (AWS CLI output) as a discovery job, a viewer key
 * asks the path tracer the acceptance questions; then a changed snapshot is
 * ingested and the next answer follows it.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { snapshotFromDir, startRunner, waitForJob } from '../jobs/helpers.ts';
import { TWO_TIER as N, traceOk } from './helpers.ts';

type Hop = {
  node_id: string | null;
  native_id: string | null;
  kind: string;
  decision: string;
  rule: { type: string } | null;
};

async function ingestThroughJobsApi(t: TestApp, headers: Record<string, string>, input: unknown) {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/tenants/acme/jobs',
    headers,
    payload: { name: 'two-tier snapshot', source: 'aws_snapshot', input: input as object, start: true },
  });
  expect(created.statusCode, created.body).toBe(201);
  const job = await waitForJob(t, 'acme', headers, created.json().data.id, (j) =>
    ['succeeded', 'failed', 'cancelled'].includes(j.status),
  );
  expect(job.status, JSON.stringify(job)).toBe('succeeded');
  return job;
}

for (const dialect of testDialects()) {
  describe(`${dialect}: path tracer end to end`, () => {
    it('ingest the two-tier snapshot through the jobs API, then trace it', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      startRunner(t);
      const editor = await t.apiKey('acme', 'editor');
      const viewer = await t.apiKey('acme', 'viewer');
      const snapshot = snapshotFromDir('aws-snapshot/two-tier');
      const job = await ingestThroughJobsApi(t, editor.headers, snapshot);
      expect(job.counts.created).toBe(19);
      const h = viewer.headers;

      // 1. The internet reaches web-01 on 443: web-sg's rule 0 admits it.
      const web = await traceOk(t, 'acme', h, {
        source: 'internet',
        destination_node_id: N.webByName,
        port: 443,
        protocol: 'tcp',
      });
      expect(web.reachable).toBe(true);
      expect(web.disposition).toBe('ACCEPTED');
      expect(web.destination).toMatchObject({ node_id: N.web, ip: N.webIp });
      const kinds = web.hops.map((x: Hop) => x.kind);
      expect(kinds).toEqual(['internet', 'internet_gateway', 'network_acl', 'security_group', 'eni']);
      expect(web.hops[3].rule).toMatchObject({
        type: 'security_group_rule',
        security_group_id: 'sg-0a1b2c3d4e5f60081',
        direction: 'ingress',
        rule_index: 0,
        rule: { protocol: '6', from_port: 443, to_port: 443, cidrs: ['0.0.0.0/0'], description: 'HTTPS from anywhere' },
      });
      expect(web.explanation).toBe(
        'TCP port 443 from internet address 1.0.0.1 to web-01 (3.91.20.30) is allowed: security group sg-0a1b2c3d4e5f60081 ingress rule 0 admits it and replies can come back.',
      );

      // 2. The internet does not reach db-01 on 5432: what decides is that its only interface has
      //    no public address (and no internet-facing load balancer targets it).
      const db = await traceOk(t, 'acme', h, {
        source: 'internet',
        destination_node_id: N.dbByName,
        port: 5432,
        protocol: 'tcp',
      });
      expect(db.reachable).toBe(false);
      expect(db.disposition).toBe('NO_PUBLIC_IP');
      expect(db.blocked_by).toMatchObject({
        node_id: N.dbEni,
        native_id: 'eni-0a1b2c3d4e5f60043',
        kind: 'eni',
        decision: 'drop',
      });
      expect(db.explanation).toBe(
        'TCP port 5432 from the internet to db-01 cannot use the internet gateway: eni-0a1b2c3d4e5f60043 has no public IP address, and no internet-facing load balancer targets db-01, so the internet cannot address it.',
      );
      //    Closer in, the rules that guard it are named: the private subnet's ACL for other ports…
      const ssh = await traceOk(t, 'acme', h, {
        source_node_id: N.webByName,
        destination_node_id: N.dbByName,
        port: 22,
      });
      expect(ssh.blocked_by.rule).toMatchObject({
        type: 'network_acl_entry',
        network_acl_id: 'acl-0a1b2c3d4e5f60072',
        rule_number: 32767,
        action: 'deny',
      });
      //    …and db-sg for an address of the public subnet that is not in web-sg.
      const stranger = await traceOk(t, 'acme', h, {
        source_ip: '10.0.1.99',
        destination_node_id: N.dbByName,
        port: 5432,
      });
      expect(stranger.blocked_by.rule).toEqual({
        type: 'security_group_no_match',
        direction: 'ingress',
        security_group_ids: ['sg-0a1b2c3d4e5f60082'],
      });

      // 3. web-01 reaches db-01 on 5432: db-sg's rule 0 references web-sg; the private ACL's rule 100 allows it.
      const tier = await traceOk(t, 'acme', h, {
        source_node_id: N.webByName,
        destination_node_id: N.dbByName,
        port: 5432,
        protocol: 'tcp',
      });
      expect(tier.reachable).toBe(true);
      expect(tier.disposition).toBe('ACCEPTED');
      const rules = tier.hops.filter((x: Hop) => x.rule).map((x: Hop) => x.rule);
      expect(rules).toContainEqual(
        expect.objectContaining({
          type: 'security_group_rule',
          security_group_id: 'sg-0a1b2c3d4e5f60082',
          rule_index: 0,
        }),
      );
      expect(rules).toContainEqual(
        expect.objectContaining({
          type: 'network_acl_entry',
          network_acl_id: 'acl-0a1b2c3d4e5f60072',
          rule_number: 100,
          action: 'allow',
        }),
      );
      expect(tier.return_path).toMatchObject({ evaluated: true, allowed: true });

      // Exposure agrees: web-01 on 443, nothing else.
      const exposure = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/pathtracer/exposure',
        headers: h,
        payload: {},
      });
      expect(exposure.statusCode).toBe(200);
      expect(
        exposure
          .json()
          .data.exposed.map((e: { node_id: string; services: { ports: unknown }[] }) => [
            e.node_id,
            e.services.map((s) => s.ports),
          ]),
      ).toEqual([[N.web, [[{ from: 443, to: 443 }]]]]);

      // A new snapshot in which web-sg no longer opens 443: the next trace follows the inventory.
      const changed = structuredClone(snapshot);
      for (const doc of changed.documents) {
        const groups = (doc.content as { SecurityGroups?: { GroupId: string; IpPermissions: unknown[] }[] })
          .SecurityGroups;
        for (const g of groups ?? []) if (g.GroupId === 'sg-0a1b2c3d4e5f60081') g.IpPermissions = [];
      }
      const again = await ingestThroughJobsApi(t, editor.headers, changed);
      expect(again.counts.updated).toBe(1);
      await t.services.events.idle();
      const closed = await traceOk(t, 'acme', h, {
        source: 'internet',
        destination_node_id: N.webByName,
        port: 443,
        protocol: 'tcp',
      });
      expect(closed.reachable).toBe(false);
      expect(closed.blocked_by.rule).toEqual({
        type: 'security_group_no_match',
        direction: 'ingress',
        security_group_ids: ['sg-0a1b2c3d4e5f60081'],
      });
      expect(t.services.pathtracer.stats().loads).toBe(2);
    });
  });
}
