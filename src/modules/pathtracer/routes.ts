import { tenantContextOf } from '../../platform/context.ts';
import { commonErrors, conflictError, Envelope, unprocessableError } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import { ExposureBody, ExposureResultSchema, TraceBody, TraceResultSchema } from './schemas.ts';
import type { PathTracerService } from './service.ts';

const SEMANTICS =
  'Reachable means the forward packet is delivered and replies can come back (stateless network ACLs and return routes are checked; ' +
  '`check_return: false` asks about the forward path only). Security groups, network ACLs, route tables, internet and NAT gateways, ' +
  'peering, transit gateways, VPN and load balancers are evaluated with AWS semantics, IPv4 only; `assumptions` states what the ' +
  'inventory lacked. Answers come from a model of the inventory built once per inventory change.';

export async function pathTracerRoutes(app: App, { pathtracer }: { pathtracer: PathTracerService }) {
  app.post(
    '/tenants/:t/pathtracer/trace',
    {
      schema: {
        operationId: 'tracePath',
        tags: ['pathtracer'],
        summary: 'Trace a network path',
        description:
          'Can traffic get from a source (`source_node_id`, `source_ip` or `source: "internet"`) to a destination ' +
          '(`destination_node_id`, `destination_ip` or `destination_cidr`) on a port and protocol? The answer lists every hop ' +
          'with the rule that decided there, the verdict and a one-sentence explanation. ' +
          `${SEMANTICS} A node id naming something traffic does not start from or go to (a bucket, a security group, a route table, ` +
          'a VPC as the source) is a 422 whose `details` list the node types that can be used.',
        params: TenantParams,
        body: TraceBody,
        response: { 200: Envelope(TraceResultSchema), ...commonErrors, ...conflictError, ...unprocessableError },
      },
    },
    async (req) => one(await pathtracer.trace(tenantContextOf(req), req.body)),
  );

  app.post(
    '/tenants/:t/pathtracer/exposure',
    {
      schema: {
        operationId: 'findExposure',
        tags: ['pathtracer'],
        summary: 'Find what the internet can reach',
        description:
          'Every interface (instance, load balancer target, RDS instance, …) reachable from the internet, directly through its ' +
          'public address or through an internet-facing load balancer, with the ports and protocols that get through and one path ' +
          `each. An empty body checks every port of tcp, udp and icmp. ${SEMANTICS}`,
        params: TenantParams,
        body: ExposureBody,
        response: { 200: Envelope(ExposureResultSchema), ...commonErrors },
      },
    },
    async (req) => one(await pathtracer.exposure(tenantContextOf(req), req.body)),
  );
}
