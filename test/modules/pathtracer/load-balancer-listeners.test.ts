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
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/edge-alb/5d1b2c3d4e5f6001';
const TG_HTTPS = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/db-https/7a1b2c3d4e5f6002';

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

    it("a listener rule's source-ip condition opens listener 80 to db-https from its CIDR only", async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      const listener80 = `${LB_ARN.replace(':loadbalancer/', ':listener/')}/1f2f7dc8efc522a1`;
      const rules = {
        name: '111111111111/us-east-1/elbv2-describe-rules.json',
        account_id: '111111111111',
        region: 'us-east-1',
        content: {
          Rules: [
            {
              RuleArn: `${listener80.replace(':listener/', ':listener-rule/')}/0d1e2f3a4b5c6d7e`,
              Priority: '10',
              Conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['198.51.100.0/24'] } }],
              Actions: [{ Type: 'forward', TargetGroupArn: TG_HTTPS, Order: 1 }],
              IsDefault: false,
            },
          ],
        },
      };
      await ingestSnapshot(t, 'acme', t.admin.headers, 'aws-snapshot/two-listeners', [rules]);
      const h = (await t.userWithRole('acme', 'viewer')).headers;
      const on80 = (source: string) => ({
        ...(source === 'internet' ? { source } : { source_ip: source }),
        destination_node_id: N.db,
        protocol: 'tcp',
        port: 80,
      });

      // From the internet: reachable, from an address the rule admits.
      const fromInternet = await traceOk(t, 'acme', h, on80('internet'));
      expect(fromInternet.reachable, fromInternet.explanation).toBe(true);
      expect(fromInternet.source.ip).toMatch(/^198\.51\.100\./);
      expect((await traceOk(t, 'acme', h, on80('198.51.100.77'))).reachable).toBe(true);

      // Elsewhere listener 80 sends to db-http (whose port 8080 db-sg refuses), never to db-https.
      const other = await traceOk(t, 'acme', h, { ...on80('203.0.113.5'), all_paths: true });
      expect(other.reachable).toBe(false);
      const notes = (other.paths as { blocked_by: { note?: string } | null }[]).map((p) => p.blocked_by?.note);
      expect(notes).toContain(
        'edge-alb does not forward this traffic to db-01 (target group db-https): listener HTTP:80 forwards traffic from 203.0.113.5 to target group db-http; its rule of priority 10 forwards to it only from 198.51.100.0/24',
      );

      // Exposure: port 80 reaches db-01 from some addresses only; 443 from any.
      const res = await findExposure(t, 'acme', h, { protocols: ['tcp'] });
      const db = res
        .json()
        .data.exposed.find((e: { node_id: string; via: string }) => e.node_id === N.db && e.via === 'load_balancer');
      expect(db.services).toEqual([
        expect.objectContaining({
          ports: [
            { from: 80, to: 80 },
            { from: 443, to: 443 },
          ],
          open_to_any_address: false,
          ports_open_to_any_address: [{ from: 443, to: 443 }],
        }),
      ]);
    });
  });
}
