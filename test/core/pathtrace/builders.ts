/**
 * Hand-built AWS network topologies for path tracer tests, in exactly the
 * node shape the ingest parsers produce (src/core/network/attributes.ts).
 */
import type { JsonObject, NodeInput } from '../../../src/core/inventory/types.ts';
import { nodeId } from '../../../src/core/inventory/types.ts';
import type {
  NetworkAclEntry,
  Route,
  RouteTargetType,
  SecurityGroupRule,
  TransitGatewayRoute,
} from '../../../src/core/network/attributes.ts';
import { AWS_NETWORK_TYPES as T } from '../../../src/core/network/attributes.ts';
import { buildNetworkModel, type NetworkModel } from '../../../src/core/pathtrace/index.ts';

export const REGION = 'us-east-1';

export function id(type: string, native: string, region = REGION): string {
  return nodeId('aws', region, type, native);
}

// --- rule helpers ---------------------------------------------------------------

type PortSpec = number | [number, number] | null;

function ports(p: PortSpec): [number | null, number | null] {
  if (p === null) return [null, null];
  return typeof p === 'number' ? [p, p] : p;
}

export interface Peer {
  cidrs?: string[];
  sgs?: string[];
  pls?: string[];
}

function peer(from: string | string[] | Peer): Required<Peer> {
  if (typeof from === 'string' || Array.isArray(from)) {
    const list = typeof from === 'string' ? [from] : from;
    return {
      cidrs: list.filter((x) => !x.startsWith('sg-') && !x.startsWith('pl-')),
      sgs: list.filter((x) => x.startsWith('sg-')),
      pls: list.filter((x) => x.startsWith('pl-')),
    };
  }
  return { cidrs: from.cidrs ?? [], sgs: from.sgs ?? [], pls: from.pls ?? [] };
}

/** A security group rule; `from` mixes CIDRs, 'sg-…' references and 'pl-…' prefix lists. */
export function sgRule(protocol: string, p: PortSpec, from: string | string[] | Peer): SecurityGroupRule {
  const [fromPort, toPort] = ports(p);
  const x = peer(from);
  return {
    protocol,
    from_port: fromPort,
    to_port: toPort,
    cidrs: x.cidrs,
    ipv6_cidrs: [],
    prefix_list_ids: x.pls,
    security_group_ids: x.sgs,
    description: null,
  };
}

export const tcp = (p: PortSpec, from: string | string[] | Peer) => sgRule('6', p, from);
export const udp = (p: PortSpec, from: string | string[] | Peer) => sgRule('17', p, from);
/** ICMP: type and code (-1 = any), as EC2 stores them in from_port/to_port. */
export const icmp = (type: number, code: number, from: string | string[] | Peer) => sgRule('1', [type, code], from);
export const allTraffic = (from: string | string[] | Peer) => sgRule('-1', null, from);

export function aclEntry(
  ruleNumber: number,
  action: 'allow' | 'deny',
  opts: {
    egress?: boolean;
    protocol?: string;
    cidr?: string;
    ports?: [number, number];
    icmp?: { type: number; code: number };
  } = {},
): NetworkAclEntry {
  return {
    rule_number: ruleNumber,
    egress: opts.egress ?? false,
    protocol: opts.protocol ?? '-1',
    action,
    cidr: opts.cidr ?? '0.0.0.0/0',
    ipv6_cidr: null,
    port_range: opts.ports ? { from: opts.ports[0], to: opts.ports[1] } : null,
    icmp: opts.icmp ?? null,
  };
}

/** Allow-all in both directions, as the default ACL has. */
export const openAcl = (): NetworkAclEntry[] => [aclEntry(100, 'allow'), aclEntry(100, 'allow', { egress: true })];

const TARGET_TYPES: Record<string, RouteTargetType> = {
  local: 'local',
  'igw-': 'internet_gateway',
  'nat-': 'nat_gateway',
  'pcx-': 'vpc_peering_connection',
  'tgw-': 'transit_gateway',
  'vgw-': 'vpn_gateway',
  'eni-': 'network_interface',
  'i-': 'instance',
  'vpce-': 'vpc_endpoint',
};

/** A route; the target type is inferred from the target id prefix. `dest` may be a 'pl-…' id. */
export function route(dest: string, target: string, state: 'active' | 'blackhole' = 'active'): Route {
  const type = Object.entries(TARGET_TYPES).find(([p]) => target.startsWith(p))?.[1] ?? 'unknown';
  return {
    destination_cidr: dest.startsWith('pl-') ? null : dest,
    destination_ipv6_cidr: null,
    destination_prefix_list_id: dest.startsWith('pl-') ? dest : null,
    target_type: type,
    target_id: target,
    state,
    origin: 'CreateRoute',
  };
}

export function tgwRoute(
  dest: string,
  attachments: string[],
  opts: Partial<TransitGatewayRoute> = {},
): TransitGatewayRoute {
  return {
    destination_cidr: dest.startsWith('pl-') ? null : dest,
    prefix_list_id: dest.startsWith('pl-') ? dest : null,
    type: 'static',
    state: 'active',
    attachment_ids: attachments,
    ...opts,
  };
}

// --- the network builder ---------------------------------------------------------------

export class Net {
  readonly nodes: NodeInput[] = [];

  add(type: string, native: string, attributes: object, opts: { name?: string; region?: string } = {}): string {
    const region = opts.region ?? REGION;
    const nid = id(type, native, region);
    this.nodes.push({
      id: nid,
      provider: 'aws',
      type,
      account: '111122223333',
      region,
      name: opts.name ?? native,
      native_id: native,
      tags: {},
      attributes: attributes as JsonObject,
    });
    return nid;
  }

  remove(nativeId: string): this {
    const i = this.nodes.findIndex((n) => n.native_id === nativeId);
    if (i >= 0) this.nodes.splice(i, 1);
    return this;
  }

  attrs(nativeId: string): JsonObject {
    const n = this.nodes.find((x) => x.native_id === nativeId);
    if (!n) throw new Error(`no node ${nativeId}`);
    return n.attributes;
  }

  vpc(vpcId: string, cidrs: string | string[]): string {
    return this.add(T.vpc, vpcId, {
      vpc_id: vpcId,
      state: 'available',
      cidr_blocks: typeof cidrs === 'string' ? [cidrs] : cidrs,
      ipv6_cidr_blocks: [],
      is_default: false,
      owner_id: '111122223333',
    });
  }

  subnet(subnetId: string, vpcId: string, cidr: string, az = 'us-east-1a'): string {
    return this.add(T.subnet, subnetId, {
      subnet_id: subnetId,
      vpc_id: vpcId,
      cidr_block: cidr,
      ipv6_cidr_blocks: [],
      availability_zone: az,
      map_public_ip_on_launch: false,
      state: 'available',
    });
  }

  sg(
    groupId: string,
    vpcId: string,
    rules: { ingress?: SecurityGroupRule[]; egress?: SecurityGroupRule[] } = {},
  ): string {
    return this.add(T.securityGroup, groupId, {
      group_id: groupId,
      group_name: groupId,
      vpc_id: vpcId,
      owner_id: '111122223333',
      ingress: rules.ingress ?? [],
      egress: rules.egress ?? [allTraffic('0.0.0.0/0')],
    });
  }

  nacl(aclId: string, vpcId: string, subnetIds: string[], entries: NetworkAclEntry[], isDefault = false): string {
    return this.add(T.networkAcl, aclId, {
      network_acl_id: aclId,
      vpc_id: vpcId,
      is_default: isDefault,
      subnet_ids: subnetIds,
      entries,
    });
  }

  routeTable(
    rtId: string,
    vpcId: string,
    opts: { main?: boolean; subnets?: string[]; routes?: Route[]; gateways?: string[] },
  ): string {
    return this.add(T.routeTable, rtId, {
      route_table_id: rtId,
      vpc_id: vpcId,
      main: opts.main ?? false,
      subnet_ids: opts.subnets ?? [],
      gateway_ids: opts.gateways ?? [],
      routes: opts.routes ?? [],
    });
  }

  igw(igwId: string, vpcId: string | null): string {
    return this.add(T.internetGateway, igwId, {
      internet_gateway_id: igwId,
      attachments: vpcId ? [{ vpc_id: vpcId, state: 'available' }] : [],
    });
  }

  nat(
    natId: string,
    vpcId: string,
    subnetId: string,
    privateIp: string,
    publicIp: string | null,
    state = 'available',
  ): string {
    return this.add(T.natGateway, natId, {
      nat_gateway_id: natId,
      vpc_id: vpcId,
      subnet_id: subnetId,
      state,
      connectivity_type: 'public',
      private_ip: privateIp,
      public_ip: publicIp,
      network_interface_id: null,
    });
  }

  /** An instance as Terraform state gives it: no ENI nodes, just subnet, addresses and groups. */
  instance(
    instanceId: string,
    subnetId: string,
    privateIp: string,
    opts: { publicIp?: string; sgs?: string[]; state?: string; vpcId?: string; name?: string } = {},
  ): string {
    return this.add(
      T.instance,
      instanceId,
      {
        instance_id: instanceId,
        state: opts.state ?? 'running',
        vpc_id: opts.vpcId ?? null,
        subnet_id: subnetId,
        private_ip: privateIp,
        public_ip: opts.publicIp ?? null,
        security_group_ids: opts.sgs ?? [],
        network_interface_ids: [],
        instance_type: 't3.micro',
        image_id: null,
        iam_instance_profile_arn: null,
      },
      { name: opts.name ?? instanceId },
    );
  }

  eni(
    eniId: string,
    subnetId: string,
    vpcId: string,
    ips: string[],
    opts: {
      publicIp?: string;
      sgs?: string[];
      instanceId?: string;
      deviceIndex?: number;
      type?: string;
      description?: string;
    } = {},
  ): string {
    return this.add(T.networkInterface, eniId, {
      network_interface_id: eniId,
      subnet_id: subnetId,
      vpc_id: vpcId,
      private_ips: ips,
      ipv6_addresses: [],
      public_ip: opts.publicIp ?? null,
      security_group_ids: opts.sgs ?? [],
      interface_type: opts.type ?? 'interface',
      status: 'in-use',
      source_dest_check: true,
      attachment: opts.instanceId
        ? { instance_id: opts.instanceId, device_index: opts.deviceIndex ?? 0, status: 'attached' }
        : null,
      description: opts.description ?? null,
    });
  }

  prefixList(plId: string, cidrs: string[]): string {
    return this.add(T.managedPrefixList, plId, {
      prefix_list_id: plId,
      prefix_list_name: plId,
      address_family: 'IPv4',
      cidrs,
    });
  }

  peering(pcxId: string, requesterVpc: string, accepterVpc: string, status = 'active'): string {
    return this.add(T.vpcPeeringConnection, pcxId, {
      vpc_peering_connection_id: pcxId,
      status,
      requester: { vpc_id: requesterVpc, owner_id: null, region: REGION, cidr_blocks: [] },
      accepter: { vpc_id: accepterVpc, owner_id: null, region: REGION, cidr_blocks: [] },
    });
  }

  tgw(tgwId: string): string {
    return this.add(T.transitGateway, tgwId, {
      transit_gateway_id: tgwId,
      state: 'available',
      owner_id: null,
      default_association_route_table_id: null,
      default_propagation_route_table_id: null,
    });
  }

  tgwAttachment(
    attId: string,
    tgwId: string,
    resource: { vpc?: string; vpn?: string },
    subnetIds: string[],
    opts: { rtb?: string; state?: string } = {},
  ): string {
    return this.add(T.transitGatewayAttachment, attId, {
      transit_gateway_attachment_id: attId,
      transit_gateway_id: tgwId,
      resource_type: resource.vpc ? 'vpc' : 'vpn',
      resource_id: resource.vpc ?? resource.vpn ?? null,
      resource_owner_id: null,
      state: opts.state ?? 'available',
      association_route_table_id: opts.rtb ?? null,
      subnet_ids: subnetIds,
    });
  }

  tgwRouteTable(
    rtbId: string,
    tgwId: string,
    opts: { associations?: string[]; propagations?: string[]; routes?: TransitGatewayRoute[] },
  ): string {
    return this.add(T.transitGatewayRouteTable, rtbId, {
      transit_gateway_route_table_id: rtbId,
      transit_gateway_id: tgwId,
      state: 'available',
      association_attachment_ids: opts.associations ?? [],
      propagation_attachment_ids: opts.propagations ?? [],
      routes: opts.routes ?? [],
    });
  }

  vgw(vgwId: string, vpcId: string): string {
    return this.add(T.vpnGateway, vgwId, {
      vpn_gateway_id: vgwId,
      state: 'available',
      attachments: [{ vpc_id: vpcId, state: 'attached' }],
    });
  }

  vpn(
    vpnId: string,
    vgwId: string | null,
    routes: string[],
    opts: { tgwId?: string; staticOnly?: boolean } = {},
  ): string {
    return this.add(T.vpnConnection, vpnId, {
      vpn_connection_id: vpnId,
      state: 'available',
      vpn_gateway_id: vgwId,
      transit_gateway_id: opts.tgwId ?? null,
      customer_gateway_id: 'cgw-1',
      static_routes_only: opts.staticOnly ?? true,
      routes: routes.map((r) => ({ destination_cidr: r, state: 'available' })),
    });
  }

  gatewayEndpoint(vpceId: string, vpcId: string, service: string, routeTableIds: string[]): string {
    return this.add(T.vpcEndpoint, vpceId, {
      vpc_endpoint_id: vpceId,
      vpc_id: vpcId,
      vpc_endpoint_type: 'Gateway',
      service_name: service,
      state: 'available',
      route_table_ids: routeTableIds,
      subnet_ids: [],
      network_interface_ids: [],
      security_group_ids: [],
    });
  }

  loadBalancer(
    name: string,
    vpcId: string,
    subnetIds: string[],
    opts: { sgs?: string[]; scheme?: 'internet-facing' | 'internal'; listeners?: number[]; targets?: string[] } = {},
  ): string {
    const arn = `arn:aws:elasticloadbalancing:${REGION}:111122223333:loadbalancer/app/${name}/0123456789abcdef`;
    return this.add(
      T.loadBalancer,
      arn,
      {
        load_balancer_arn: arn,
        load_balancer_name: name,
        dns_name: null,
        scheme: opts.scheme ?? 'internet-facing',
        type: 'application',
        vpc_id: vpcId,
        subnet_ids: subnetIds,
        security_group_ids: opts.sgs ?? [],
        state: 'active',
        listeners: (opts.listeners ?? []).map((port) => ({ port, protocol: 'HTTPS' })),
        target_ids: opts.targets ?? [],
      },
      { name },
    );
  }

  model(): NetworkModel {
    return buildNetworkModel(this.nodes);
  }
}

/**
 * The common fixture: VPC vpc-a (10.0.0.0/16) with a public subnet (web,
 * NAT) and a private subnet (app, db), an internet gateway, a NAT gateway,
 * open default ACL, and layered security groups:
 *   web-sg: 443 from anywhere, 22 from 203.0.113.0/24
 *   app-sg: 8080 from web-sg
 *   db-sg:  5432 from app-sg
 */
export function twoTier(): Net {
  const net = new Net();
  net.vpc('vpc-a', '10.0.0.0/16');
  net.subnet('subnet-pub', 'vpc-a', '10.0.1.0/24');
  net.subnet('subnet-priv', 'vpc-a', '10.0.2.0/24');
  net.igw('igw-a', 'vpc-a');
  net.nat('nat-a', 'vpc-a', 'subnet-pub', '10.0.1.100', '54.0.0.100');
  net.nacl('acl-default', 'vpc-a', [], openAcl(), true);
  net.routeTable('rtb-main', 'vpc-a', { main: true, routes: [route('0.0.0.0/0', 'nat-a')] });
  net.routeTable('rtb-pub', 'vpc-a', { subnets: ['subnet-pub'], routes: [route('0.0.0.0/0', 'igw-a')] });
  net.sg('sg-web', 'vpc-a', { ingress: [tcp(443, '0.0.0.0/0'), tcp(22, '203.0.113.0/24')] });
  net.sg('sg-app', 'vpc-a', { ingress: [tcp(8080, 'sg-web')] });
  net.sg('sg-db', 'vpc-a', { ingress: [tcp(5432, 'sg-app')] });
  net.instance('i-web', 'subnet-pub', '10.0.1.10', { publicIp: '54.0.0.10', sgs: ['sg-web'], name: 'web' });
  net.instance('i-app', 'subnet-priv', '10.0.2.20', { sgs: ['sg-app'], name: 'app' });
  net.instance('i-db', 'subnet-priv', '10.0.2.30', { sgs: ['sg-db'], name: 'db' });
  return net;
}

export const node = (nativeId: string, type: string = T.instance) => ({ node_id: id(type, nativeId) });

/** Compact, exact view of a hop list: 'kind native_id direction decision'. */
export function hopList(
  hops: readonly { kind: string; native_id: string | null; direction: string; decision: string }[] | undefined,
): string[] {
  return (hops ?? []).map((h) => `${h.kind} ${h.native_id ?? '-'} ${h.direction} ${h.decision}`);
}
