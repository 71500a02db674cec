/**
 * Request and response schemas of the path tracer API. The response schemas
 * mirror `src/core/pathtrace/types.ts` field for field: Fastify serialises
 * responses through them (undeclared fields would be dropped silently), so
 * `test/modules/pathtracer/api.test.ts` checks that the API answers exactly
 * what the core computes.
 */
import { type Static, type TSchema, Type } from 'typebox';
import type {
  Hop as CoreHop,
  ExposedEndpoint as ExposedEndpointT,
  ExposureResult,
  TraceResult,
} from '../../core/pathtrace/index.ts';
import { StringEnum } from '../../platform/http/schemas.ts';

const nullable = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) =>
  Type.Union([schema, Type.Null()], options);
const closed = { additionalProperties: false } as const;

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
/** IPv4 only (the tracer models IPv4); the service says so clearly for an IPv6 value. */
const Address = Type.String({ minLength: 1, maxLength: 64 });

export const PortRange = Type.Object(
  { from: Port, to: Port },
  { ...closed, description: 'Inclusive port range.', examples: [{ from: 8000, to: 8080 }] },
);

export const TRACE_PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'] as const;
const ProtocolNumber = Type.Integer({ minimum: 0, maximum: 255, description: 'An IP protocol number.' });

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

export const TraceBody = Type.Object(
  {
    source_node_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          'Inventory node the traffic starts from: an instance, network interface, load balancer, RDS instance, Lambda function, NAT gateway, ' +
          'interface VPC endpoint, or a subnet (an unused address in it). Any other node (a VPC, a security group, a bucket) is a 422 listing these types. ' +
          '`provider:region:type:<Name tag>` also finds the one node of that type and region with that name (409 when several have it).',
        examples: ['aws:us-east-1:aws.ec2.instance:web-01'],
      }),
    ),
    source_ip: Type.Optional({
      ...Address,
      description:
        'An IPv4 address: inside a modelled subnet (the interface that has it, else an address of that subnet), an interface’s public address, or any public address (the internet).',
      examples: ['10.0.1.10'],
    }),
    source: Type.Optional(
      Type.Literal('internet', {
        description: 'Traffic from the internet: the tracer tries representative addresses.',
      }),
    ),
    destination_node_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          'Inventory node the traffic goes to: an instance, network interface, load balancer, RDS instance, NAT gateway or VPC endpoint, ' +
          'or a subnet or VPC, meaning any address in it (as `destination_cidr` with its CIDRs). Any other node (a Lambda function, ' +
          'a security group, a bucket) is a 422 listing these types. Same name forms as `source_node_id`.',
        examples: ['aws:us-east-1:aws.ec2.instance:db-01'],
      }),
    ),
    destination_ip: Type.Optional({
      ...Address,
      description:
        'An IPv4 address. Addresses AWS answers itself for the sender are answered as such, not routed: from an EC2 instance, ' +
        '169.254.169.254 (instance metadata, TCP 80; refused when the instance’s metadata options turn it off), 169.254.169.253 ' +
        '(Amazon DNS, UDP/TCP 53), 169.254.169.123 (Amazon Time Sync, UDP 123), 169.254.169.250–251 (Windows activation, TCP 1688); ' +
        'from any address of a VPC, its Amazon DNS server at the base of its first CIDR plus two. Other link-local addresses are never reached.',
      examples: ['10.0.2.20'],
    }),
    destination_cidr: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'An IPv4 CIDR: reachable when some address in it is. `0.0.0.0/0` means the internet (public addresses outside every modelled VPC).',
        examples: ['0.0.0.0/0'],
      }),
    ),
    protocol: Type.Optional(
      Type.Union([StringEnum(TRACE_PROTOCOLS), ProtocolNumber], {
        default: 'tcp',
        description: '`tcp` (default), `udp`, `icmp`, `all` (all traffic), or an IP protocol number 0–255.',
        examples: ['tcp'],
      }),
    ),
    port: Type.Optional({ ...Port, description: 'Destination port (tcp/udp).', examples: [443] }),
    port_range: Type.Optional({
      ...PortRange,
      description:
        'Destination ports (tcp/udp); reachable when some port in the range is. Without port or port_range every port is asked about.',
    }),
    icmp_type: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'ICMP type (protocol icmp).' })),
    icmp_code: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'ICMP code; needs icmp_type.' })),
    all_paths: Type.Optional(
      Type.Boolean({ default: false, description: 'Return every path explored (up to max_paths) in `paths`.' }),
    ),
    max_paths: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 256, default: 16, description: 'Bound on paths explored and returned.' }),
    ),
    check_return: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Also check that replies can come back (stateless network ACLs, return routes). False: forward path only.',
      }),
    ),
    ephemeral_port_range: Type.Optional({
      ...PortRange,
      description: 'The client’s ephemeral ports, which replies must reach through network ACLs (default 1024–65535).',
    }),
  },
  {
    ...closed,
    description:
      'Exactly one of `source_node_id`, `source_ip`, `source: "internet"`, and exactly one of `destination_node_id`, `destination_ip`, `destination_cidr`.',
    examples: [
      {
        source_node_id: 'aws:us-east-1:aws.ec2.instance:web-01',
        destination_cidr: '0.0.0.0/0',
        port: 443,
        protocol: 'tcp',
      },
    ],
  },
);
export type TraceBodyT = Static<typeof TraceBody>;

export const EXPOSURE_PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;

export const ExposureBody = Type.Object(
  {
    ports: Type.Optional(
      Type.Array(Port, {
        minItems: 1,
        maxItems: 1024,
        description:
          'Destination ports to check for tcp and udp (default: every port). ICMP asked alongside is checked for every type and code; ' +
          'a 400 when `protocols` names neither tcp nor udp, since the ports would apply to nothing.',
        examples: [[22, 3389, 5432]],
      }),
    ),
    protocols: Type.Optional(
      Type.Array(Type.Union([StringEnum(EXPOSURE_PROTOCOLS), ProtocolNumber]), {
        minItems: 1,
        maxItems: 16,
        description: 'Protocols to check. Default: tcp, udp and icmp.',
        examples: [['tcp']],
      }),
    ),
    max_results: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10000, default: 1000, description: 'Bound on exposed endpoints returned.' }),
    ),
    include_paths: Type.Optional(
      Type.Boolean({ default: true, description: 'Include one path (its hops) for each exposed endpoint.' }),
    ),
  },
  { ...closed, examples: [{ ports: [22, 3389], protocols: ['tcp'] }] },
);
export type ExposureBodyT = Static<typeof ExposureBody>;

// ---------------------------------------------------------------------------
// Responses (mirror src/core/pathtrace/types.ts)
// ---------------------------------------------------------------------------

const SecurityGroupRule = Type.Object(
  {
    protocol: Type.String({ description: "IP protocol number as a string; '-1' means all." }),
    from_port: nullable(Type.Integer()),
    to_port: nullable(Type.Integer()),
    cidrs: Type.Array(Type.String()),
    ipv6_cidrs: Type.Array(Type.String()),
    prefix_list_ids: Type.Array(Type.String()),
    security_group_ids: Type.Array(Type.String()),
    description: nullable(Type.String()),
  },
  closed,
);

const NetworkAclEntry = Type.Object(
  {
    rule_number: Type.Integer(),
    egress: Type.Boolean(),
    protocol: Type.String(),
    action: StringEnum(['allow', 'deny'] as const),
    cidr: nullable(Type.String()),
    ipv6_cidr: nullable(Type.String()),
    port_range: nullable(Type.Object({ from: Type.Integer(), to: Type.Integer() }, closed)),
    icmp: nullable(Type.Object({ type: Type.Integer(), code: Type.Integer() }, closed)),
  },
  closed,
);

const HopRule = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('security_group_rule'),
        security_group_id: Type.String(),
        direction: StringEnum(['ingress', 'egress'] as const),
        rule_index: Type.Integer({ minimum: 0, description: "Index into the group's ingress or egress rules." }),
        rule: SecurityGroupRule,
      },
      { ...closed, title: 'SecurityGroupRuleRef', description: 'A security group rule that admitted the flow.' },
    ),
    Type.Object(
      {
        type: Type.Literal('security_group_no_match'),
        direction: StringEnum(['ingress', 'egress'] as const),
        security_group_ids: Type.Array(Type.String()),
      },
      {
        ...closed,
        title: 'SecurityGroupNoMatchRef',
        description: "No rule of the interface's groups admits the flow (groups deny by default).",
      },
    ),
    Type.Object(
      {
        type: Type.Literal('network_acl_entry'),
        network_acl_id: Type.String(),
        rule_number: Type.Integer(),
        egress: Type.Boolean(),
        action: StringEnum(['allow', 'deny'] as const),
        entry: nullable(NetworkAclEntry, { description: "Null for the implicit '*' deny (rule 32767)." }),
      },
      { ...closed, title: 'NetworkAclRuleRef', description: 'The network ACL entry that decided.' },
    ),
    Type.Object(
      {
        type: Type.Literal('route'),
        route_table_id: Type.String(),
        destination: Type.String({ description: 'The matched CIDR, or a prefix list id with the CIDR that matched.' }),
        target_type: Type.String({
          description:
            'local, internet_gateway, nat_gateway, vpc_peering_connection, transit_gateway, vpn_gateway, network_interface, instance, vpc_endpoint, …',
        }),
        target_id: Type.String(),
        state: StringEnum(['active', 'blackhole'] as const),
        origin: nullable(Type.String()),
        implied: Type.Optional(
          Type.Boolean({ description: 'The VPC local route, or a table the inventory lacks (an assumption).' }),
        ),
      },
      { ...closed, title: 'RouteRef', description: 'The route that matched.' },
    ),
    Type.Object(
      {
        type: Type.Literal('no_route'),
        route_table_id: nullable(Type.String()),
        destination_ip: Type.String(),
      },
      { ...closed, title: 'NoRouteRef', description: 'No route matches the destination.' },
    ),
    Type.Object(
      {
        type: Type.Literal('transit_gateway_route'),
        transit_gateway_route_table_id: Type.String(),
        destination: Type.String(),
        route_type: StringEnum(['static', 'propagated'] as const),
        state: StringEnum(['active', 'blackhole'] as const),
        attachment_ids: Type.Array(Type.String()),
        derived: Type.Optional(
          Type.Boolean({ description: 'Derived from a propagation rather than listed in the snapshot.' }),
        ),
      },
      { ...closed, title: 'TransitGatewayRouteRef' },
    ),
    Type.Object(
      {
        type: Type.Literal('vpn_route'),
        vpn_connection_id: Type.String(),
        destination: Type.String(),
        source: StringEnum(['static', 'bgp'] as const),
      },
      { ...closed, title: 'VpnRouteRef' },
    ),
    Type.Object(
      {
        type: Type.Literal('listener'),
        load_balancer_arn: Type.String(),
        port: Type.Integer(),
        protocol: Type.String(),
      },
      { ...closed, title: 'ListenerRef', description: 'The load balancer listener that accepted the flow.' },
    ),
  ],
  { description: 'What decided at this hop; `type` says which shape.' },
);

export const HOP_KINDS = [
  'internet',
  'eni',
  'security_group',
  'network_acl',
  'route_table',
  'subnet',
  'internet_gateway',
  'nat_gateway',
  'vpc_peering_connection',
  'transit_gateway',
  'transit_gateway_attachment',
  'transit_gateway_route_table',
  'vpn_gateway',
  'vpn_connection',
  'vpc_endpoint',
  'load_balancer',
  'network_appliance',
  'aws_service',
] as const;

export const Hop = Type.Object(
  {
    node_id: nullable(Type.String(), {
      description: 'Infracast node id of the component; null for the internet or components the inventory lacks.',
    }),
    native_id: nullable(Type.String(), { description: 'The provider’s id (`sg-…`, `acl-…`, `igw-…`).' }),
    kind: StringEnum(HOP_KINDS, {
      description:
        'The component: an interface, a security group, a network ACL, a route table, a gateway, … `aws_service`: an address AWS answers itself (instance metadata, Amazon DNS, Amazon Time Sync).',
    }),
    direction: StringEnum(['egress', 'ingress', 'forward'] as const),
    decision: StringEnum(['allow', 'deny', 'forward', 'drop'] as const),
    rule: nullable(HopRule),
    note: Type.Optional(Type.String({ description: 'What happened here, for a person.' })),
  },
  {
    ...closed,
    $id: 'TraceHop',
    title: 'TraceHop',
    description: 'One component on a path and what it did with the packet.',
  },
);
/**
 * Hops appear in half a dozen places of a trace; one shared schema (registered
 * at the root in app.ts) keeps the OpenAPI document from repeating it.
 */
const HopRef = Type.Unsafe<Static<typeof Hop>>(Type.Ref('TraceHop'));

export const DISPOSITIONS = [
  'ACCEPTED',
  'DELIVERED_TO_SUBNET',
  'EXITS_NETWORK',
  'DENIED_OUT',
  'DENIED_IN',
  'NO_ROUTE',
  'NULL_ROUTED',
  'NO_PUBLIC_IP',
  'UNSUPPORTED',
] as const;

const TraceEndpoint = Type.Object(
  {
    node_id: nullable(Type.String(), { description: 'The node the address belongs to, when known.' }),
    eni_id: nullable(Type.String(), { description: 'The interface used, when the endpoint is one.' }),
    ip: nullable(Type.String(), { description: 'The address used (private for interfaces).' }),
    kind: StringEnum(['eni', 'subnet_address', 'internet', 'external', 'aws_service'] as const, {
      description:
        '`eni`: an interface’s address (or a node reached through its interfaces, when no address was used); ' +
        '`subnet_address`: an address in a subnet that no known interface has; `internet`: an internet address; ' +
        '`external`: outside the modelled network; `aws_service`: an address AWS answers itself for the sender ' +
        '(instance metadata 169.254.169.254, Amazon DNS 169.254.169.253 and the VPC’s base address + 2, Amazon Time Sync ' +
        '169.254.169.123, Windows activation 169.254.169.250–251), where no security group, network ACL or route table applies.',
    }),
  },
  closed,
);

const ReturnPath = Type.Object(
  {
    evaluated: Type.Boolean({ description: 'False when the forward path failed and there is nothing to return.' }),
    allowed: Type.Boolean(),
    blocked_by: Type.Optional(nullable(HopRef)),
    hops: Type.Optional(Type.Array(HopRef)),
    ports: Type.Optional(
      Type.Array(PortRange, { description: 'The ports replies go to (the client’s ephemeral range).' }),
    ),
  },
  closed,
);

const tracePathProperties = {
  reachable: Type.Boolean({
    description: 'The forward path is delivered and (unless check_return is false) replies can come back.',
  }),
  disposition: StringEnum(DISPOSITIONS, { description: 'What happened to the forward packet.' }),
  source: TraceEndpoint,
  destination: TraceEndpoint,
  hops: Type.Array(HopRef, { description: 'The forward path, source first.' }),
  blocked_by: nullable(HopRef, { description: 'The hop that stopped the flow (forward, or on the reply).' }),
  return_path: ReturnPath,
  reachable_ports: nullable(Type.Array(PortRange), {
    description:
      'Destination ports (tcp/udp) or ICMP type/code (as type*256+code) that get through: `[]` when none does, whatever stopped ' +
      'the trace; null only for protocols without ports (`all`, protocol numbers).',
  }),
  explanation: Type.String({ description: 'One sentence saying what decided.' }),
};

const TracePath = Type.Object(tracePathProperties, { ...closed, title: 'TracePath' });

export const TraceResultSchema = Type.Object(
  {
    ...tracePathProperties,
    flow: Type.Object(
      {
        protocol: Type.String(),
        protocol_number: Type.Integer({ description: '-1 for all traffic.' }),
        ports: nullable(Type.Array(PortRange)),
        description: Type.String({ examples: ['TCP port 443'] }),
      },
      { ...closed, description: 'The flow as understood.' },
    ),
    assumptions: Type.Array(Type.String(), {
      description: 'Incomplete or unknown data the answer relies on, stated plainly.',
    }),
    paths: Type.Optional(Type.Array(TracePath, { description: 'Every path explored, when all_paths was asked.' })),
  },
  { ...closed, title: 'TraceResult' },
);

const ExposedService = Type.Object(
  {
    protocol: Type.String(),
    protocol_number: Type.Integer(),
    ports: nullable(Type.Array(PortRange), {
      description: 'Ports reachable from some internet address (ICMP: type*256+code).',
    }),
    open_to_any_address: Type.Boolean({
      description: 'Every listed port is reachable from any internet address, not only from specific ranges.',
    }),
    ports_open_to_any_address: nullable(Type.Array(PortRange)),
    example_source_ip: Type.String({ description: 'An internet address that gets through.' }),
    target_ports: Type.Optional(
      Type.Array(PortRange, {
        description:
          'Load balancer targets (tcp/udp): the ports the load balancer delivers to on the target — every registered port its security groups and network ACLs admit (the listener ports when the inventory gives no target port). `ports` are the listener ports.',
      }),
    ),
  },
  closed,
);

const ExposedEndpoint = Type.Object(
  {
    node_id: Type.String(),
    node_type: Type.String(),
    name: Type.String(),
    eni_id: nullable(Type.String()),
    private_ip: nullable(Type.String(), {
      description:
        'The private address the internet reaches: the one its public IP maps to, or the registered address a load balancer sends to; null for a load balancer’s own entry.',
    }),
    public_ip: nullable(Type.String()),
    via: StringEnum(['public_ip', 'load_balancer'] as const, {
      description:
        '`public_ip`: directly through an internet gateway; `load_balancer`: as an internet-facing load balancer’s target.',
    }),
    load_balancer_node_id: nullable(Type.String()),
    services: Type.Array(ExposedService),
    hops: Type.Optional(Type.Array(HopRef, { description: 'One reachable path, internet first.' })),
  },
  closed,
);

export const ExposureResultSchema = Type.Object(
  {
    exposed: Type.Array(ExposedEndpoint),
    examined: Type.Integer({ minimum: 0, description: 'Interfaces examined.' }),
    truncated: Type.Boolean({ description: 'More endpoints are exposed than max_results.' }),
    assumptions: Type.Array(Type.String()),
  },
  { ...closed, title: 'ExposureResult' },
);

// Compile-time guards: whatever the core returns fits the response schemas,
// and no top-level field of the core's types is missing from them (a field
// the core adds or retypes breaks the build here, not silently in the JSON;
// nested shapes are checked at run time by api.test.ts).
type Fits<T, S> = T extends S ? true : false;
type Covers<T, S> = Exclude<keyof T, keyof S> extends never ? true : false;
const guards: [
  Fits<TraceResult, Static<typeof TraceResultSchema>>,
  Fits<ExposureResult, Static<typeof ExposureResultSchema>>,
  Covers<TraceResult, Static<typeof TraceResultSchema>>,
  Covers<CoreHop, Static<typeof Hop>>,
  Covers<ExposedEndpointT, Static<typeof ExposedEndpoint>>,
  Covers<ExposureResult, Static<typeof ExposureResultSchema>>,
] = [true, true, true, true, true, true];
void guards;
