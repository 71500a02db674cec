/**
 * An AWS snapshot with an internet-facing ALB and two listeners, each forwarding to its own
 * target group (test/fixtures/aws-snapshot/two-listeners), ingested through the jobs API:
 *   listener HTTP:80   → db-http  (db-01 on 8080, unhealthy: db-sg does not admit 8080)
 *   listener HTTPS:443 → db-https (db-01 on 8443, healthy: db-sg admits 8443 from alb-sg)
 * A trace on 443 reaches db-01; a trace on 80 does not (only db-http is behind listener 80).
 */
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { findExposure, ingestSnapshot, TWO_TIER as N, traceOk } from './helpers.ts';

const LB_NODE = 'aws:us-east-1:aws.elbv2.load_balancer:111111111111/edge-alb';

for (const dialect of testDialects()) {
  describe(`${dialect}: path tracer API, load balancer listeners → target groups`, () => {
    it('traces each listener port to the registrations of the target groups it forwards to', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers, 'aws-snapshot/two-listeners');
      const h = (await t.userWithRole('acme', 'viewer')).headers;
      const body = (port: number) => ({ source: 'internet', destination_node_id: N.db, protocol: 'tcp', port });

      const on443 = await traceOk(t, 'acme', h, body(443));
      expect(on443.reachable, on443.explanation).toBe(true);
      expect(on443.reachable_ports).toEqual([{ from: 443, to: 443 }]);
      const forward = (hops: { kind: string; direction: string; note?: string }[]) =>
        hops.find((x) => x.kind === 'load_balancer' && x.direction === 'forward');
      expect(forward(on443.hops)?.note).toBe('edge-alb forwards to target db-01 (10.0.2.20 port 8443)');

      const on80 = await traceOk(t, 'acme', h, body(80));
      expect(on80.reachable, on80.explanation).toBe(false);
      const all80 = await traceOk(t, 'acme', h, { ...body(80), all_paths: true });
      const notes = (all80.paths as { reachable: boolean; blocked_by: { note?: string } | null }[]).map((p) => [
        p.reachable,
        p.blocked_by?.note ?? null,
      ]);
      expect(notes.every(([reachable]) => reachable === false)).toBe(true);
      expect(notes.map(([, note]) => note)).toContain(
        'edge-alb does not forward this traffic to db-01 (target group db-https): listener HTTP:80 forwards to target group db-http',
      );

      // Exposure: db-01 is exposed through the load balancer on 443 only, on target port 8443.
      const res = await findExposure(t, 'acme', h, { protocols: ['tcp'] });
      expect(res.statusCode, res.body).toBe(200);
      const db = res
        .json()
        .data.exposed.find((e: { node_id: string; via: string }) => e.node_id === N.db && e.via === 'load_balancer');
      expect(db).toMatchObject({
        load_balancer_node_id: LB_NODE,
        services: [{ protocol: 'tcp', ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8443, to: 8443 }] }],
      });
    });
  });
}
