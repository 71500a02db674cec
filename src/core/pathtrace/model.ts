/**
 * buildNetworkModel: indexes the inventory's AWS network nodes once into a
 * structure the tracer can walk without searching: subnets know their route
 * table and network ACL, interfaces know their subnet and security groups,
 * CIDRs are uint32 ranges, routes are pre-sorted for longest-prefix match,
 * security group references are resolved to member address sets.
 *
 * Resources that carry no traffic (terminated/stopped instances, deleted NAT
 * gateways, peerings that are not active, deleted TGW attachments) are kept
 * only so a query naming them can say why nothing flows.
 */
import type { EdgeInput, JsonObject, NodeInput } from '../inventory/types.ts';
import type { NetworkAclEntry, Route, SecurityGroupRule, TransitGatewayRoute } from '../network/attributes.ts';
import { AWS_NETWORK_TYPES as T } from '../network/attributes.ts';
import { formatIPv4, type Ipv4Cidr, parseIPv4, parseIPv4Cidr } from '../network/ip.ts';
import { bool, num, obj, objs, str, strs } from './attrs.ts';

// ---------------------------------------------------------------------------
// Model types (internal; callers treat NetworkModel as opaque)
// ---------------------------------------------------------------------------

export interface VpcM {
  id: string;
  nodeId: string | null;
  region: string;
  cidrs: Ipv4Cidr[];
  /** Sorted by first address. */
  subnets: SubnetM[];
  mainRouteTable: RouteTableM | null;
  defaultNacl: NaclM | null;
  igw: IgwM | null;
  vgws: VgwM[];
  tgwAttachments: TgwAttachmentM[];
  /** Route tables associated with a gateway (ingress routing), by gateway id. */
  edgeRouteTables: Map<string, RouteTableM>;
  /** Set when the VPC node is missing and was inferred from its subnets. */
  assumption: string | null;
  /** Local-only table used when a subnet has no known route table. */
  impliedRouteTable: RouteTableM | null;
}

export interface SubnetM {
  id: string;
  nodeId: string | null;
  vpc: VpcM;
  cidr: Ipv4Cidr;
  az: string | null;
  nacl: NaclM | null;
  routeTable: RouteTableM;
  /** Interfaces by private address. */
  eniByIp: Map<number, EniM>;
  assumptions: string[];
}

export type EniRole =
  | 'instance'
  | 'nat_gateway'
  | 'load_balancer'
  | 'vpc_endpoint'
  | 'rds'
  | 'lambda'
  | 'transit_gateway'
  | 'interface';

export interface EniM {
  id: string;
  /** Node id shown in hops: the ENI node, or the owner when the interface is synthesised. */
  nodeId: string;
  ownerNodeId: string | null;
  ownerName: string | null;
  role: EniRole;
  subnet: SubnetM;
  vpc: VpcM;
  /** Private addresses, primary first. */
  ips: number[];
  /**
   * A public address of the interface: the primary private address's, else the first one
   * another private address has. Use `publicAddressFor` / `privateAddressFor` to translate.
   */
  publicIp: number | null;
  /**
   * Every private → public association (auto-assigned public IP or Elastic IP). The internet
   * gateway translates each private address to its own public address, one to one; a private
   * address absent here has none.
   */
  publicByPrivate: Map<number, number>;
  /** The interface has a public address whose value the inventory lacks (e.g. a public RDS instance). */
  publicIpUnknown: boolean;
  sgs: SgM[];
  /** Attached groups the inventory lacks. */
  missingSgIds: string[];
  /** NAT gateway and transit gateway interfaces have no security groups. */
  noSecurityGroups: boolean;
  synthesized: boolean;
  assumptions: string[];
  nat: NatM | null;
  lb: LbM | null;
}

export interface SgRuleM {
  index: number;
  raw: SecurityGroupRule;
  proto: number;
  portFrom: number;
  portTo: number;
  /** Flat [first, last, …] address ranges from CIDRs and resolved prefix lists. */
  ranges: number[];
  refs: SgM[];
  /** Referenced groups / prefix lists the inventory lacks. */
  unresolved: string[];
}

export interface SgM {
  id: string;
  nodeId: string | null;
  name: string | null;
  ingress: SgRuleM[];
  egress: SgRuleM[];
  /** Private addresses of the active interfaces carrying this group. */
  memberIps: Set<number>;
}

export interface NaclEntryM {
  ruleNumber: number;
  proto: number;
  allow: boolean;
  first: number;
  last: number;
  portFrom: number;
  portTo: number;
  raw: NetworkAclEntry | null;
}

export interface NaclM {
  id: string;
  nodeId: string | null;
  ingress: NaclEntryM[];
  egress: NaclEntryM[];
}

export interface RouteM {
  first: number;
  last: number;
  prefix: number;
  /** 0 local, 1 static, 2 prefix list, 3 propagated (AWS route priority for equal prefixes). */
  priority: number;
  destination: string;
  raw: Route;
  implied: boolean;
}

export interface RouteTableM {
  id: string;
  nodeId: string | null;
  vpc: VpcM;
  /** Longest prefix first, then priority. */
  routes: RouteM[];
  assumptions: string[];
  implied: boolean;
}

export interface IgwM {
  id: string;
  nodeId: string | null;
  vpcIds: Set<string>;
}

export interface NatM {
  id: string;
  nodeId: string;
  vpc: VpcM;
  subnet: SubnetM;
  eni: EniM | null;
  active: boolean;
  state: string | null;
  connectivity: 'public' | 'private';
}

export interface PeeringM {
  id: string;
  nodeId: string;
  status: string | null;
  active: boolean;
  requesterVpcId: string | null;
  accepterVpcId: string | null;
}

export interface TgwM {
  id: string;
  nodeId: string | null;
  active: boolean;
  attachments: TgwAttachmentM[];
  defaultAssociationRtbId: string | null;
}

export interface TgwAttachmentM {
  id: string;
  nodeId: string | null;
  tgwId: string;
  type: string;
  resourceId: string | null;
  vpc: VpcM | null;
  subnets: SubnetM[];
  active: boolean;
  state: string | null;
  rtb: TgwRouteTableM | null;
  assumptions: string[];
}

export interface TgwRouteM {
  first: number;
  last: number;
  prefix: number;
  priority: number;
  destination: string;
  raw: TransitGatewayRoute;
  derived: boolean;
}

export interface TgwRouteTableM {
  id: string;
  nodeId: string | null;
  tgwId: string;
  routes: TgwRouteM[];
  assumptions: string[];
}

export interface VpnM {
  id: string;
  nodeId: string | null;
  active: boolean;
  staticOnly: boolean;
  vgwId: string | null;
  tgwId: string | null;
  routes: { cidr: Ipv4Cidr; text: string }[];
}

export interface VgwM {
  id: string;
  nodeId: string | null;
  active: boolean;
  vpcIds: Set<string>;
  vpns: VpnM[];
}

export interface EndpointM {
  id: string;
  nodeId: string;
  type: string;
  serviceName: string | null;
  vpcId: string | null;
  active: boolean;
  enis: EniM[];
}

export interface LbM {
  arn: string;
  nodeId: string;
  name: string;
  scheme: string;
  type: string;
  active: boolean;
  enis: EniM[];
  listeners: LbListenerM[];
  /** Target ids as the inventory gives them (instance ids, IPs, ARNs). */
  targetIds: string[];
  /**
   * Every registration as the inventory gives it, in target id order: one per (target id, port,
   * target group), so a target registered on several ports (ECS dynamic ports) or in several
   * target groups counts once per registration; port null when the inventory does not say (only
   * when no port is known for the id).
   */
  registrations: LbRegistrationM[];
  /**
   * Target groups with at least one registration that receives traffic by its health (healthy,
   * or health unknown); a group with registrations none of which does, but some `unhealthy`,
   * fails open (see `LbTargetM.failOpen`).
   */
  groupsWithHealthy: Set<string>;
  /**
   * The registrations resolved to interfaces (see `resolveLbTarget`): one per (interface, port),
   * grouped by interface (in the order they are first registered), each group in registration order.
   */
  targets: LbTargetM[];
  vpc: VpcM | null;
}

export interface LbListenerM {
  port: number;
  protocol: string;
  /** Target groups the listener forwards to (default actions and rules); null when the inventory does not say. */
  targetGroups: string[] | null;
  /**
   * The default actions' groups and the non-default rules, when the inventory has both: then which
   * groups a client reaches depends on its address (`source-ip` conditions, catch-all rules).
   */
  routing: { defaultGroups: string[]; rules: LbRuleM[] } | null;
}

/** A non-default listener rule (see `LoadBalancerListenerRule`). */
export interface LbRuleM {
  /** Null: the inventory does not say; such a rule is never assumed to hide another. */
  priority: number | null;
  /** The `source-ip` condition's IPv4 ranges (IPv6 ones match no IPv4 client); null: no such condition. */
  sources: Ipv4Cidr[] | null;
  /** The condition's CIDRs as the inventory gives them, for explanations. */
  sourceText: string[];
  anyRequest: boolean;
  groups: string[];
}

export interface LbRegistrationM {
  id: string;
  port: number | null;
  /** The registration's target group (ARN, else node id), when the inventory says. */
  targetGroup: string | null;
  /** describe-target-health `TargetHealth.State`; null when unknown. */
  health: string | null;
  healthReason: string | null;
}

/** One registration of a load balancer target, resolved to the interface that receives its traffic. */
export interface LbTargetM {
  lb: LbM;
  /** The target id as the inventory gives it. */
  id: string;
  eni: EniM;
  /** The address the load balancer sends to: an IP target's own (a secondary address too), else the primary. */
  ip: number;
  /** Port the load balancer sends to for this registration, when the inventory says. */
  port: number | null;
  /** The registration's target group, when the inventory says. */
  targetGroup: string | null;
  /** Target health state, when known. */
  health: string | null;
  healthReason: string | null;
  /**
   * False when the load balancer sends this registration no traffic because of its health
   * (`initial`, `unused`, `draining`, or `unhealthy` while its group has a healthy target).
   */
  routed: boolean;
  /** Unhealthy but routed: no target of its group is healthy, so the load balancer fails open. */
  failOpen: boolean;
  /**
   * The target sees the client's address, not the load balancer's (a Network Load Balancer's client IP
   * preservation; see `clientIpPreserved`).
   */
  clientIpPreserved: boolean;
}

/** Health states whose targets receive traffic; unknown (null) and `unavailable` (health checks disabled) count as healthy. */
function healthRoutes(state: string | null): boolean {
  return state === null || state === 'healthy' || state === 'unavailable';
}

/** What a node id resolves to for a query. */
export interface NodeEntry {
  node: NodeInput;
  enis: EniM[];
  /** Why the node carries no traffic, when it does not. */
  inactiveReason: string | null;
  lb: LbM | null;
  endpoint: EndpointM | null;
  subnet: SubnetM | null;
  vpc: VpcM | null;
}

export interface NetworkModel {
  readonly nodes: Map<string, NodeInput>;
  readonly entries: Map<string, NodeEntry>;
  readonly vpcs: Map<string, VpcM>;
  readonly subnets: Map<string, SubnetM>;
  /** All subnets, sorted by first address (CIDRs may overlap across VPCs). */
  readonly subnetsSorted: SubnetM[];
  readonly enis: EniM[];
  readonly eniById: Map<string, EniM>;
  readonly sgs: Map<string, SgM>;
  readonly nacls: Map<string, NaclM>;
  readonly routeTables: Map<string, RouteTableM>;
  readonly igws: Map<string, IgwM>;
  readonly nats: Map<string, NatM>;
  readonly peerings: Map<string, PeeringM>;
  readonly tgws: Map<string, TgwM>;
  readonly tgwAttachments: Map<string, TgwAttachmentM>;
  readonly tgwRouteTables: Map<string, TgwRouteTableM>;
  readonly vgws: Map<string, VgwM>;
  readonly vpns: Map<string, VpnM>;
  readonly endpoints: Map<string, EndpointM>;
  readonly loadBalancers: Map<string, LbM>;
  readonly prefixLists: Map<string, Ipv4Cidr[]>;
  /** Public address → interface. */
  readonly publicIpIndex: Map<number, EniM>;
  /** Load balancers by target id as the inventory gives it (instance id, IP text, ARN). */
  readonly lbsByTarget: Map<string, LbM[]>;
  /**
   * Resolved load balancer targets by the node id of the interface's owner (and of the
   * interface node): what trace and exposure both use, so they cannot disagree.
   */
  readonly lbTargetsByNode: Map<string, LbTargetM[]>;
  /** Model-wide observations (inferred VPCs, unparseable CIDRs…). */
  readonly assumptions: string[];
}

// ---------------------------------------------------------------------------
// Protocol and port normalisation
// ---------------------------------------------------------------------------

const PROTOCOL_NAMES: Record<string, number> = { all: -1, tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** AWS protocol strings ('-1', '6', 'tcp') to numbers; -1 means all; null when unreadable. */
export function protocolNumber(p: string | number | null | undefined): number | null {
  if (p === null || p === undefined) return null;
  if (typeof p === 'number') return Number.isInteger(p) && p >= -1 && p <= 255 ? p : null;
  const t = p.trim().toLowerCase();
  if (t in PROTOCOL_NAMES) return PROTOCOL_NAMES[t]!;
  const n = Number(t);
  return Number.isInteger(n) && n >= -1 && n <= 255 ? n : null;
}

/** Port dimension for a tcp/udp range (null or -1 means all ports). */
function portSpan(from: number | null, to: number | null): [number, number] {
  if (from === null || from < 0) return [0, 65535];
  const hi = to === null || to < 0 ? 65535 : Math.min(to, 65535);
  return [Math.max(0, from), hi];
}

/** ICMP type/code in the port dimension as type*256+code (-1 or null = any). */
export function icmpSpan(type: number | null, code: number | null): [number, number] {
  if (type === null || type < 0 || type > 255) return [0, 65535];
  if (code === null || code < 0 || code > 255) return [type * 256, type * 256 + 255];
  return [type * 256 + code, type * 256 + code];
}

function rulePortSpan(proto: number, from: number | null, to: number | null): [number, number] {
  if (proto === 6 || proto === 17) return portSpan(from, to);
  // EC2 stores ICMP type in from_port and code in to_port.
  if (proto === 1) return icmpSpan(from, to);
  // All protocols, or a protocol without ports: AWS ignores any port range.
  return [0, 65535];
}

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

const INACTIVE_INSTANCE_STATES = new Set(['stopped', 'stopping', 'terminated', 'shutting-down']);
const INACTIVE_NAT_STATES = new Set(['deleted', 'deleting', 'failed']);
const INACTIVE_ATTACHMENT_STATES = new Set([
  'deleted',
  'deleting',
  'failed',
  'failing',
  'rejected',
  'rejecting',
  'pending-acceptance',
]);
const INACTIVE_GENERIC_STATES = new Set(['deleted', 'deleting', 'failed', 'rejected', 'expired']);
const INACTIVE_DB_STATES = new Set(['stopped', 'stopping', 'deleting', 'deleted', 'failed']);

class Builder {
  readonly nodes = new Map<string, NodeInput>();
  readonly entries = new Map<string, NodeEntry>();
  readonly vpcs = new Map<string, VpcM>();
  readonly subnets = new Map<string, SubnetM>();
  readonly enis: EniM[] = [];
  readonly eniById = new Map<string, EniM>();
  readonly sgs = new Map<string, SgM>();
  readonly nacls = new Map<string, NaclM>();
  readonly routeTables = new Map<string, RouteTableM>();
  readonly igws = new Map<string, IgwM>();
  readonly nats = new Map<string, NatM>();
  readonly peerings = new Map<string, PeeringM>();
  readonly tgws = new Map<string, TgwM>();
  readonly tgwAttachments = new Map<string, TgwAttachmentM>();
  readonly tgwRouteTables = new Map<string, TgwRouteTableM>();
  readonly vgws = new Map<string, VgwM>();
  readonly vpns = new Map<string, VpnM>();
  readonly endpoints = new Map<string, EndpointM>();
  readonly loadBalancers = new Map<string, LbM>();
  readonly prefixLists = new Map<string, Ipv4Cidr[]>();
  readonly publicIpIndex = new Map<number, EniM>();
  readonly lbsByTarget = new Map<string, LbM[]>();
  readonly lbTargetsByNode = new Map<string, LbTargetM[]>();
  readonly assumptions: string[] = [];

  private readonly byType = new Map<string, NodeInput[]>();
  /** ENI nodes not yet claimed by an owner, by ENI id. */
  private readonly eniNodes = new Map<string, NodeInput>();
  private readonly claimedEnis = new Set<string>();
  /** Elastic IP associations: applied to an interface named by id as it is built, and to all once every interface exists. */
  private readonly eips: EipAssociation[] = [];
  private readonly eipsByEni = new Map<string, EipAssociation[]>();
  /** Interfaces of each active instance, by instance id. */
  private readonly instanceEnis = new Map<string, EniM[]>();
  /** Raw security group rule lists, compiled once every group and interface is known. */
  private readonly sgRaw = new Map<string, { ingress: JsonObject[]; egress: JsonObject[] }>();
  private readonly rtRaw = new Map<string, JsonObject>();
  private readonly edges: readonly EdgeInput[];

  constructor(nodes: readonly NodeInput[], edges: readonly EdgeInput[]) {
    this.edges = edges;
    for (const n of nodes) {
      this.nodes.set(n.id, n);
      const list = this.byType.get(n.type);
      if (list) list.push(n);
      else this.byType.set(n.type, [n]);
    }
  }

  private of(type: string): NodeInput[] {
    return this.byType.get(type) ?? [];
  }

  private entry(node: NodeInput, patch: Partial<NodeEntry> = {}): NodeEntry {
    let e = this.entries.get(node.id);
    if (!e) {
      e = { node, enis: [], inactiveReason: null, lb: null, endpoint: null, subnet: null, vpc: null };
      this.entries.set(node.id, e);
    }
    Object.assign(e, patch);
    return e;
  }

  build(): NetworkModel {
    this.buildPrefixLists();
    this.buildVpcs();
    this.buildSubnets();
    this.buildSecurityGroups();
    this.buildNacls();
    this.buildRouteTables();
    this.buildInternetGateways();
    this.buildElasticIps();
    this.indexEniNodes();
    this.buildInstances();
    this.buildNatGateways();
    this.buildLoadBalancers();
    this.buildEndpoints();
    this.buildDbInstances();
    this.buildLambdas();
    this.buildStandaloneEnis();
    this.applyElasticIps();
    this.resolveLoadBalancerTargets();
    this.buildPeerings();
    this.buildVpnGateways();
    this.buildTransitGateways();
    this.compileSecurityGroups();
    this.compileRouteTables();
    for (const vpc of this.vpcs.values()) vpc.subnets.sort((a, b) => a.cidr.first - b.cidr.first);
    const subnetsSorted = [...this.subnets.values()].sort((a, b) => a.cidr.first - b.cidr.first);
    return {
      nodes: this.nodes,
      entries: this.entries,
      vpcs: this.vpcs,
      subnets: this.subnets,
      subnetsSorted,
      enis: this.enis,
      eniById: this.eniById,
      sgs: this.sgs,
      nacls: this.nacls,
      routeTables: this.routeTables,
      igws: this.igws,
      nats: this.nats,
      peerings: this.peerings,
      tgws: this.tgws,
      tgwAttachments: this.tgwAttachments,
      tgwRouteTables: this.tgwRouteTables,
      vgws: this.vgws,
      vpns: this.vpns,
      endpoints: this.endpoints,
      loadBalancers: this.loadBalancers,
      prefixLists: this.prefixLists,
      publicIpIndex: this.publicIpIndex,
      lbsByTarget: this.lbsByTarget,
      lbTargetsByNode: this.lbTargetsByNode,
      assumptions: this.assumptions,
    };
  }

  // --- addressing ------------------------------------------------------------

  private buildPrefixLists(): void {
    for (const n of this.of(T.managedPrefixList)) {
      const a = n.attributes;
      const id = str(a, 'prefix_list_id') ?? n.native_id ?? n.name;
      const cidrs: Ipv4Cidr[] = [];
      for (const c of strs(a, 'cidrs')) {
        const parsed = parseIPv4Cidr(c);
        if (parsed) cidrs.push(parsed);
      }
      this.prefixLists.set(id, cidrs);
    }
  }

  private newVpc(id: string, nodeId: string | null, region: string, cidrs: Ipv4Cidr[]): VpcM {
    const vpc: VpcM = {
      id,
      nodeId,
      region,
      cidrs,
      subnets: [],
      mainRouteTable: null,
      defaultNacl: null,
      igw: null,
      vgws: [],
      tgwAttachments: [],
      edgeRouteTables: new Map(),
      assumption: null,
      impliedRouteTable: null,
    };
    this.vpcs.set(id, vpc);
    return vpc;
  }

  private buildVpcs(): void {
    for (const n of this.of(T.vpc)) {
      const a = n.attributes;
      const id = str(a, 'vpc_id') ?? n.native_id ?? n.name;
      const cidrs: Ipv4Cidr[] = [];
      for (const c of strs(a, 'cidr_blocks')) {
        const parsed = parseIPv4Cidr(c);
        if (parsed) cidrs.push(parsed);
      }
      const vpc = this.newVpc(id, n.id, n.region, cidrs);
      this.entry(n, { vpc });
    }
  }

  private buildSubnets(): void {
    for (const n of this.of(T.subnet)) {
      const a = n.attributes;
      const id = str(a, 'subnet_id') ?? n.native_id ?? n.name;
      const cidr = parseIPv4Cidr(str(a, 'cidr_block') ?? '');
      const vpcId = str(a, 'vpc_id');
      if (!cidr || !vpcId) {
        this.assumptions.push(`subnet ${id} has no IPv4 CIDR or VPC in the inventory; it is left out of the model`);
        continue;
      }
      let vpc = this.vpcs.get(vpcId);
      if (!vpc) {
        vpc = this.newVpc(vpcId, null, n.region, []);
        vpc.assumption = `VPC ${vpcId} is not in the inventory; its CIDRs are taken to be its subnets' CIDRs`;
        this.assumptions.push(vpc.assumption);
      }
      if (vpc.assumption && !vpc.cidrs.some((c) => c.first <= cidr.first && c.last >= cidr.last)) {
        vpc.cidrs.push(cidr);
      }
      const subnet: SubnetM = {
        id,
        nodeId: n.id,
        vpc,
        cidr,
        az: str(a, 'availability_zone'),
        nacl: null,
        routeTable: null as unknown as RouteTableM, // set in buildRouteTables
        eniByIp: new Map(),
        assumptions: [],
      };
      vpc.subnets.push(subnet);
      this.subnets.set(id, subnet);
      this.entry(n, { subnet, vpc });
    }
  }

  private buildSecurityGroups(): void {
    for (const n of this.of(T.securityGroup)) {
      const a = n.attributes;
      const id = str(a, 'group_id') ?? n.native_id ?? n.name;
      this.sgs.set(id, {
        id,
        nodeId: n.id,
        name: str(a, 'group_name'),
        ingress: [],
        egress: [],
        memberIps: new Set(),
      });
      this.sgRaw.set(id, { ingress: objs(a, 'ingress'), egress: objs(a, 'egress') });
    }
  }

  private buildNacls(): void {
    for (const n of this.of(T.networkAcl)) {
      const a = n.attributes;
      const id = str(a, 'network_acl_id') ?? n.native_id ?? n.name;
      const ingress: NaclEntryM[] = [];
      const egress: NaclEntryM[] = [];
      for (const e of objs(a, 'entries')) {
        const compiled = compileNaclEntry(e);
        if (!compiled) continue;
        (compiled.raw?.egress ? egress : ingress).push(compiled);
      }
      for (const list of [ingress, egress]) {
        list.sort((x, y) => x.ruleNumber - y.ruleNumber);
        // The '*' rule: every ACL ends in an implicit deny, whether or not the snapshot lists it.
        if (!list.some((e) => e.ruleNumber >= 32767 && !e.allow && e.first === 0 && e.last === 0xffffffff)) {
          list.push({
            ruleNumber: 32767,
            proto: -1,
            allow: false,
            first: 0,
            last: 0xffffffff,
            portFrom: 0,
            portTo: 65535,
            raw: null,
          });
        }
      }
      const nacl: NaclM = { id, nodeId: n.id, ingress, egress };
      this.nacls.set(id, nacl);
      const vpc = this.vpcs.get(str(a, 'vpc_id') ?? '');
      if (vpc && bool(a, 'is_default')) vpc.defaultNacl = nacl;
      for (const subnetId of strs(a, 'subnet_ids')) {
        const s = this.subnets.get(subnetId);
        if (s) s.nacl = nacl;
      }
    }
    // Edges as a fallback for associations the attributes do not carry.
    for (const e of this.edges) {
      if (e.type !== 'member_of') continue;
      const target = this.nodes.get(e.target_id);
      const source = this.nodes.get(e.source_id);
      if (target?.type !== T.networkAcl || source?.type !== T.subnet) continue;
      const s = this.entries.get(source.id)?.subnet;
      const nacl = this.nacls.get(str(target.attributes, 'network_acl_id') ?? target.native_id ?? target.name);
      if (s && nacl && !s.nacl) s.nacl = nacl;
    }
    for (const s of this.subnets.values()) {
      if (!s.nacl) {
        s.nacl = s.vpc.defaultNacl;
        if (!s.nacl) {
          s.assumptions.push(
            `no network ACL is known for subnet ${s.id}; assuming the VPC default ACL, which allows all traffic`,
          );
        }
      }
    }
  }

  private buildRouteTables(): void {
    for (const n of this.of(T.routeTable)) {
      const a = n.attributes;
      const id = str(a, 'route_table_id') ?? n.native_id ?? n.name;
      const vpc = this.vpcs.get(str(a, 'vpc_id') ?? '');
      if (!vpc) {
        this.assumptions.push(`route table ${id} belongs to a VPC the inventory lacks; it is ignored`);
        continue;
      }
      const rt: RouteTableM = { id, nodeId: n.id, vpc, routes: [], assumptions: [], implied: false };
      this.routeTables.set(id, rt);
      this.rtRaw.set(id, a);
      if (bool(a, 'main')) vpc.mainRouteTable = rt;
      for (const subnetId of strs(a, 'subnet_ids')) {
        const s = this.subnets.get(subnetId);
        if (s) s.routeTable = rt;
      }
      for (const gw of strs(a, 'gateway_ids')) vpc.edgeRouteTables.set(gw, rt);
    }
    for (const e of this.edges) {
      if (e.type !== 'member_of') continue;
      const target = this.nodes.get(e.target_id);
      const source = this.nodes.get(e.source_id);
      if (target?.type !== T.routeTable || source?.type !== T.subnet) continue;
      const s = this.entries.get(source.id)?.subnet;
      const rt = this.routeTables.get(str(target.attributes, 'route_table_id') ?? target.native_id ?? target.name);
      if (s && rt && !s.routeTable) s.routeTable = rt;
    }
    for (const s of this.subnets.values()) {
      if (s.routeTable) continue;
      if (s.vpc.mainRouteTable) {
        s.routeTable = s.vpc.mainRouteTable;
        continue;
      }
      if (!s.vpc.impliedRouteTable) {
        const rt: RouteTableM = {
          id: `${s.vpc.id}:implied-main`,
          nodeId: null,
          vpc: s.vpc,
          routes: [],
          assumptions: [
            `no route table is known for some subnets of ${s.vpc.id}; assuming a main table with only the local route`,
          ],
          implied: true,
        };
        s.vpc.impliedRouteTable = rt;
        this.rtRaw.set(rt.id, {});
      }
      s.routeTable = s.vpc.impliedRouteTable;
    }
  }

  private buildInternetGateways(): void {
    for (const n of this.of(T.internetGateway)) {
      const a = n.attributes;
      const id = str(a, 'internet_gateway_id') ?? n.native_id ?? n.name;
      const igw: IgwM = { id, nodeId: n.id, vpcIds: new Set() };
      for (const att of objs(a, 'attachments')) {
        const state = str(att, 'state');
        const vpcId = str(att, 'vpc_id');
        if (vpcId && (state === null || state === 'available' || state === 'attached')) igw.vpcIds.add(vpcId);
      }
      this.igws.set(id, igw);
      for (const vpcId of igw.vpcIds) {
        const vpc = this.vpcs.get(vpcId);
        if (vpc) vpc.igw = igw;
      }
    }
    for (const e of this.edges) {
      if (e.type !== 'attached_to') continue;
      const source = this.nodes.get(e.source_id);
      const target = this.nodes.get(e.target_id);
      if (source?.type !== T.internetGateway || target?.type !== T.vpc) continue;
      const igw = this.igws.get(str(source.attributes, 'internet_gateway_id') ?? source.native_id ?? source.name);
      const vpc = this.entries.get(target.id)?.vpc;
      if (igw && vpc && !vpc.igw) {
        igw.vpcIds.add(vpc.id);
        vpc.igw = igw;
      }
    }
  }

  private buildElasticIps(): void {
    for (const n of this.of(T.elasticIp)) {
      const a = n.attributes;
      const publicIp = parseIPv4(str(a, 'public_ip') ?? '');
      if (publicIp === null) continue;
      const eniId = str(a, 'network_interface_id');
      const instanceId = str(a, 'instance_id');
      if (!eniId && !instanceId) continue;
      const eip: EipAssociation = { eniId, instanceId, privateIp: parseIPv4(str(a, 'private_ip') ?? ''), publicIp };
      this.eips.push(eip);
      if (eniId) {
        const list = this.eipsByEni.get(eniId);
        if (list) list.push(eip);
        else this.eipsByEni.set(eniId, [eip]);
      }
    }
  }

  /**
   * Elastic IPs are associated with one private address of an interface (the primary one when
   * the association does not say). They complete what the interfaces' own attributes say, and
   * an association naming its private address is authoritative for that public address.
   */
  private applyElasticIps(): void {
    for (const eip of this.eips) {
      const byEni = eip.eniId ? this.eniById.get(eip.eniId) : undefined;
      const candidates = byEni ? [byEni] : (this.instanceEnis.get(eip.instanceId ?? '') ?? []);
      if (candidates.length === 0) continue;
      if (eip.privateIp === null) {
        this.applyElasticIp(candidates[0]!, eip);
        continue;
      }
      let eni = candidates.find((e) => e.ips.includes(eip.privateIp!));
      if (!eni) {
        // A synthesised interface (Terraform) knows only its primary address: add the associated one.
        const first = candidates[0]!;
        if (!first.synthesized || eip.privateIp < first.subnet.cidr.first || eip.privateIp > first.subnet.cidr.last) {
          continue;
        }
        first.ips.push(eip.privateIp);
        if (!first.subnet.eniByIp.has(eip.privateIp)) first.subnet.eniByIp.set(eip.privateIp, first);
        first.assumptions.push(
          `${formatIPv4(eip.privateIp)} is taken to be a secondary address of ${first.id}, as Elastic IP ${formatIPv4(eip.publicIp)} is associated with it`,
        );
        eni = first;
      }
      this.mapPublic(eni, eip.privateIp, eip.publicIp, true);
    }
  }

  /** An Elastic IP on an interface holding its private address (the primary one when it does not say). */
  private applyElasticIp(eni: EniM, eip: EipAssociation): void {
    if (eip.privateIp === null) {
      if (!eni.publicByPrivate.has(eni.ips[0]!) && !this.hasPublic(eni, eip.publicIp)) {
        this.mapPublic(eni, eni.ips[0]!, eip.publicIp);
      }
    } else if (eni.ips.includes(eip.privateIp)) {
      this.mapPublic(eni, eip.privateIp, eip.publicIp, true);
    }
  }

  private hasPublic(eni: EniM, publicIp: number): boolean {
    for (const pub of eni.publicByPrivate.values()) if (pub === publicIp) return true;
    return false;
  }

  /**
   * Records that the internet gateway translates `privateIp` of the interface to `publicIp`.
   * Without `replace`, an address that already has a public address keeps it. A public
   * address belongs to one private address: a replacing association moves it.
   */
  private mapPublic(eni: EniM, privateIp: number, publicIp: number, replace = false): void {
    const current = eni.publicByPrivate.get(privateIp);
    if (current === publicIp || (current !== undefined && !replace)) return;
    for (const [priv, pub] of eni.publicByPrivate) {
      if (pub === publicIp && priv !== privateIp) {
        if (!replace) return;
        eni.publicByPrivate.delete(priv);
      }
    }
    // An Elastic IP replaces the address's previous public IP (AWS releases an auto-assigned one).
    if (current !== undefined && this.publicIpIndex.get(current) === eni) this.publicIpIndex.delete(current);
    eni.publicByPrivate.set(privateIp, publicIp);
    eni.publicIp = mainPublicAddress(eni);
    if (!this.publicIpIndex.has(publicIp)) this.publicIpIndex.set(publicIp, eni);
  }

  // --- interfaces --------------------------------------------------------------

  private indexEniNodes(): void {
    for (const n of this.of(T.networkInterface)) {
      const id = str(n.attributes, 'network_interface_id') ?? n.native_id ?? n.name;
      this.eniNodes.set(id, n);
    }
  }

  private resolveSgs(ids: string[]): { sgs: SgM[]; missing: string[] } {
    const sgs: SgM[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const sg = this.sgs.get(id);
      if (sg) sgs.push(sg);
      else missing.push(id);
    }
    return { sgs, missing };
  }

  /** Picks a free address for an interface whose address the inventory lacks (top of the subnet first). */
  private pickAddress(subnet: SubnetM): number {
    // AWS reserves the network address, the next three and the broadcast address.
    for (let ip = subnet.cidr.last - 1; ip >= subnet.cidr.first + 4; ip--) {
      if (!subnet.eniByIp.has(ip)) return ip;
    }
    return subnet.cidr.first + 4;
  }

  private addEni(e: EniM): EniM {
    e.publicIp = mainPublicAddress(e);
    this.enis.push(e);
    this.eniById.set(e.id, e);
    for (const ip of e.ips) {
      if (!e.subnet.eniByIp.has(ip)) e.subnet.eniByIp.set(ip, e);
    }
    for (const pub of e.publicByPrivate.values()) {
      if (!this.publicIpIndex.has(pub)) this.publicIpIndex.set(pub, e);
    }
    for (const eip of this.eipsByEni.get(e.id) ?? []) this.applyElasticIp(e, eip);
    return e;
  }

  /** Builds an interface from an ENI node; null when it cannot be placed in a known subnet. */
  private eniFromNode(n: NodeInput, role: EniRole, owner: NodeInput | null, fallbackSgIds: string[] = []): EniM | null {
    const a = n.attributes;
    const id = str(a, 'network_interface_id') ?? n.native_id ?? n.name;
    this.claimedEnis.add(id);
    const subnet = this.subnets.get(str(a, 'subnet_id') ?? '');
    if (!subnet) {
      this.assumptions.push(`network interface ${id} is in a subnet the inventory lacks; it is left out`);
      this.entry(n, { inactiveReason: `network interface ${id} is in a subnet the inventory lacks` });
      return null;
    }
    const assumptions: string[] = [];
    const ips: number[] = [];
    for (const t of strs(a, 'private_ips')) {
      const ip = parseIPv4(t);
      if (ip !== null) ips.push(ip);
    }
    if (ips.length === 0) {
      const ip = this.pickAddress(subnet);
      ips.push(ip);
      assumptions.push(`${id} has no known private address; assumed ${formatIPv4(ip)} in ${subnet.id}`);
    }
    // Each private address's own public address; `public_ip` is the primary address's.
    const publicByPrivate = new Map<number, number>();
    const taken = new Set<number>();
    for (const assoc of objs(a, 'public_ip_associations')) {
      const priv = parseIPv4(str(assoc, 'private_ip') ?? '');
      const pub = parseIPv4(str(assoc, 'public_ip') ?? '');
      if (priv === null || pub === null || !ips.includes(priv) || publicByPrivate.has(priv) || taken.has(pub)) continue;
      publicByPrivate.set(priv, pub);
      taken.add(pub);
    }
    const primaryPublic = parseIPv4(str(a, 'public_ip') ?? '');
    if (primaryPublic !== null && !taken.has(primaryPublic) && !publicByPrivate.has(ips[0]!)) {
      publicByPrivate.set(ips[0]!, primaryPublic);
    }
    let sgIds = strs(a, 'security_group_ids');
    if (sgIds.length === 0) sgIds = fallbackSgIds;
    const { sgs, missing } = this.resolveSgs(sgIds);
    const noSecurityGroups = role === 'nat_gateway' || role === 'transit_gateway';
    const eni = this.addEni({
      id,
      nodeId: n.id,
      ownerNodeId: owner?.id ?? null,
      ownerName: owner?.name ?? null,
      role,
      subnet,
      vpc: subnet.vpc,
      ips,
      publicIp: null,
      publicByPrivate,
      publicIpUnknown: false,
      sgs,
      missingSgIds: missing,
      noSecurityGroups,
      synthesized: false,
      assumptions,
      nat: null,
      lb: null,
    });
    // The interface's own node id names it in a query as well as its owner's does.
    if (owner) this.entry(n).enis.push(eni);
    return eni;
  }

  /** Builds the interface an owner must have when the inventory lists none (Terraform state). */
  private synthesizeEni(
    owner: NodeInput,
    suffix: string,
    role: EniRole,
    subnet: SubnetM,
    privateIp: number | null,
    publicIp: number | null,
    sgIds: string[],
    why: string,
  ): EniM {
    const assumptions: string[] = [];
    let ip = privateIp;
    if (ip === null || ip < subnet.cidr.first || ip > subnet.cidr.last) {
      ip = this.pickAddress(subnet);
      assumptions.push(
        `${owner.native_id ?? owner.name} has no known private address; assumed ${formatIPv4(ip)} in ${subnet.id}`,
      );
    }
    const { sgs, missing } = this.resolveSgs(sgIds);
    const ownerNative = owner.native_id ?? owner.name;
    return this.addEni({
      id: suffix ? `${ownerNative}#${suffix}` : `${ownerNative}#eni`,
      nodeId: owner.id,
      ownerNodeId: owner.id,
      ownerName: owner.name,
      role,
      subnet,
      vpc: subnet.vpc,
      ips: [ip],
      publicIp: null,
      publicByPrivate: publicIp === null ? new Map() : new Map([[ip, publicIp]]),
      publicIpUnknown: false,
      sgs,
      missingSgIds: missing,
      noSecurityGroups: role === 'nat_gateway',
      synthesized: true,
      assumptions: [`${why}`, ...assumptions],
      nat: null,
      lb: null,
    });
  }

  private buildInstances(): void {
    // ENI nodes that name their instance.
    const enisByInstance = new Map<string, NodeInput[]>();
    for (const [, n] of this.eniNodes) {
      const att = obj(n.attributes.attachment);
      const instanceId = str(att, 'instance_id');
      if (!instanceId) continue;
      const list = enisByInstance.get(instanceId);
      if (list) list.push(n);
      else enisByInstance.set(instanceId, [n]);
    }
    for (const n of this.of(T.instance)) {
      const a = n.attributes;
      const instanceId = str(a, 'instance_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state');
      const e = this.entry(n);
      const eniNodeList: NodeInput[] = [];
      for (const eniId of strs(a, 'network_interface_ids')) {
        const en = this.eniNodes.get(eniId);
        if (en) eniNodeList.push(en);
      }
      for (const en of enisByInstance.get(instanceId) ?? []) if (!eniNodeList.includes(en)) eniNodeList.push(en);
      if (state && INACTIVE_INSTANCE_STATES.has(state)) {
        e.inactiveReason = `instance ${instanceId} is ${state} and carries no traffic`;
        for (const en of eniNodeList) {
          const eniId = str(en.attributes, 'network_interface_id') ?? en.native_id ?? en.name;
          this.claimedEnis.add(eniId);
          this.entry(en, {
            inactiveReason: `network interface ${eniId} belongs to instance ${instanceId}, which is ${state} and carries no traffic`,
          });
        }
        continue;
      }
      const sgIds = strs(a, 'security_group_ids');
      // Primary interface (device index 0) first.
      eniNodeList.sort((x, y) => deviceIndex(x) - deviceIndex(y));
      for (const en of eniNodeList) {
        const eni = this.eniFromNode(en, 'instance', n, sgIds);
        if (!eni) continue;
        if (e.enis.length === 0) {
          // The instance's public IP is its primary interface's primary address's.
          const instancePublic = parseIPv4(str(a, 'public_ip') ?? '');
          if (instancePublic !== null) this.mapPublic(eni, eni.ips[0]!, instancePublic);
        }
        if (!state) eni.assumptions.push(`state of ${instanceId} is unknown; assumed running`);
        e.enis.push(eni);
      }
      if (e.enis.length > 0) continue;
      const subnet = this.subnets.get(str(a, 'subnet_id') ?? '');
      if (!subnet) {
        e.inactiveReason = `instance ${instanceId} has no subnet in the inventory, so it cannot be placed on the network`;
        continue;
      }
      const publicIp = parseIPv4(str(a, 'public_ip') ?? '');
      const eni = this.synthesizeEni(
        n,
        'eni0',
        'instance',
        subnet,
        parseIPv4(str(a, 'private_ip') ?? ''),
        publicIp,
        sgIds,
        `${instanceId} has no network interface in the inventory; its primary interface is built from the instance's subnet, addresses and security groups`,
      );
      if (!state) eni.assumptions.push(`state of ${instanceId} is unknown; assumed running`);
      e.enis.push(eni);
    }
    for (const n of this.of(T.instance)) {
      const e = this.entries.get(n.id);
      if (e && e.enis.length > 0)
        this.instanceEnis.set(str(n.attributes, 'instance_id') ?? n.native_id ?? n.name, e.enis);
    }
  }

  private buildNatGateways(): void {
    const natEniByDescription = new Map<string, NodeInput>();
    for (const [, n] of this.eniNodes) {
      const d = str(n.attributes, 'description');
      const m = d ? /nat-[0-9a-z]+/.exec(d) : null;
      if (m && str(n.attributes, 'interface_type') === 'nat_gateway') natEniByDescription.set(m[0], n);
    }
    for (const n of this.of(T.natGateway)) {
      const a = n.attributes;
      const id = str(a, 'nat_gateway_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state');
      const subnet = this.subnets.get(str(a, 'subnet_id') ?? '');
      const e = this.entry(n);
      if (!subnet) {
        e.inactiveReason = `NAT gateway ${id} is in a subnet the inventory lacks`;
        continue;
      }
      const active = !(state && INACTIVE_NAT_STATES.has(state));
      const nat: NatM = {
        id,
        nodeId: n.id,
        vpc: subnet.vpc,
        subnet,
        eni: null,
        active,
        state,
        connectivity: str(a, 'connectivity_type') === 'private' ? 'private' : 'public',
      };
      this.nats.set(id, nat);
      if (!active) {
        e.inactiveReason = `NAT gateway ${id} is ${state} and carries no traffic`;
        continue;
      }
      const eniNode = this.eniNodes.get(str(a, 'network_interface_id') ?? '') ?? natEniByDescription.get(id);
      let eni = eniNode ? this.eniFromNode(eniNode, 'nat_gateway', n) : null;
      const publicIp = nat.connectivity === 'public' ? parseIPv4(str(a, 'public_ip') ?? '') : null;
      if (!eni) {
        eni = this.synthesizeEni(
          n,
          'eni',
          'nat_gateway',
          subnet,
          parseIPv4(str(a, 'private_ip') ?? ''),
          publicIp,
          [],
          `NAT gateway ${id} has no network interface in the inventory; it is built from the gateway's subnet and addresses`,
        );
      } else if (eni.publicIp === null && publicIp !== null) {
        this.mapPublic(eni, eni.ips[0]!, publicIp);
      }
      if (nat.connectivity === 'public' && eni.publicIp === null) {
        eni.publicIpUnknown = true;
        eni.assumptions.push(`public NAT gateway ${id} has an Elastic IP the inventory does not show`);
      }
      eni.noSecurityGroups = true;
      eni.nat = nat;
      nat.eni = eni;
      e.enis.push(eni);
    }
  }

  private buildLoadBalancers(): void {
    const lbEnis = new Map<string, NodeInput[]>();
    for (const [, n] of this.eniNodes) {
      const d = str(n.attributes, 'description');
      if (!d?.startsWith('ELB ')) continue;
      const key = d.slice(4);
      const list = lbEnis.get(key);
      if (list) list.push(n);
      else lbEnis.set(key, [n]);
    }
    for (const n of this.of(T.loadBalancer)) {
      const a = n.attributes;
      const arn = str(a, 'load_balancer_arn') ?? n.native_id ?? n.name;
      const name = str(a, 'load_balancer_name') ?? n.name;
      const state = str(a, 'state');
      const type = str(a, 'type') ?? 'application';
      const scheme = str(a, 'scheme') ?? 'internet-facing';
      const vpc = this.vpcs.get(str(a, 'vpc_id') ?? '') ?? null;
      const lb: LbM = {
        arn,
        nodeId: n.id,
        name,
        scheme,
        type,
        active: !(state && (state === 'failed' || INACTIVE_GENERIC_STATES.has(state))),
        enis: [],
        listeners: [],
        targetIds: [...new Set(strs(a, 'target_ids'))],
        registrations: [],
        groupsWithHealthy: new Set(),
        targets: [],
        vpc,
      };
      // Every (target, port, target group) registration counts: the same target may be registered
      // on several ports, in one target group or in several groups of this load balancer.
      const known = new Set(lb.targetIds);
      const regsById = new Map<string, LbRegistrationM[]>();
      for (const t of objs(a, 'targets')) {
        const targetId = str(t, 'id');
        if (!targetId) continue;
        if (!known.has(targetId)) {
          known.add(targetId);
          lb.targetIds.push(targetId);
        }
        const reg: LbRegistrationM = {
          id: targetId,
          port: num(t, 'port'),
          targetGroup: str(t, 'target_group_arn'),
          health: str(t, 'health'),
          healthReason: str(t, 'health_reason'),
        };
        const list = regsById.get(targetId);
        const same = list?.find((r) => r.port === reg.port && r.targetGroup === reg.targetGroup);
        if (same) {
          same.health ??= reg.health;
          same.healthReason ??= reg.healthReason;
        } else if (list) list.push(reg);
        else regsById.set(targetId, [reg]);
      }
      for (const targetId of lb.targetIds) {
        const regs = regsById.get(targetId) ?? [];
        // A port-less entry only stands for the target when no entry names a port.
        const withPort = regs.filter((r) => r.port !== null);
        const chosen = withPort.length > 0 ? withPort : regs;
        if (chosen.length === 0)
          lb.registrations.push({ id: targetId, port: null, targetGroup: null, health: null, healthReason: null });
        else lb.registrations.push(...chosen);
      }
      for (const reg of lb.registrations) {
        if (healthRoutes(reg.health)) lb.groupsWithHealthy.add(reg.targetGroup ?? '');
      }
      for (const l of objs(a, 'listeners')) {
        const port = num(l, 'port');
        if (port === null) continue;
        const groups = Array.isArray(l.target_group_arns) ? strs(l, 'target_group_arns') : null;
        lb.listeners.push({ port, protocol: str(l, 'protocol') ?? 'TCP', targetGroups: groups, routing: routingOf(l) });
      }
      this.loadBalancers.set(arn, lb);
      const e = this.entry(n, { lb });
      if (!lb.active) {
        e.inactiveReason = `load balancer ${name} is ${state}`;
        continue;
      }
      for (const t of lb.targetIds) {
        const list = this.lbsByTarget.get(t);
        if (list) list.push(lb);
        else this.lbsByTarget.set(t, [lb]);
      }
      const sgIds = strs(a, 'security_group_ids');
      const key = arn.includes('loadbalancer/') ? arn.slice(arn.indexOf('loadbalancer/') + 'loadbalancer/'.length) : '';
      const prefix = `${type === 'network' ? 'net' : type === 'gateway' ? 'gwy' : 'app'}/${name}/`;
      const eniNodes = lbEnis.get(key) ?? [...lbEnis.entries()].find(([k]) => k.startsWith(prefix))?.[1] ?? [];
      for (const en of eniNodes) {
        const eni = this.eniFromNode(en, 'load_balancer', n, sgIds);
        if (!eni) continue;
        eni.lb = lb;
        if (scheme === 'internet-facing' && eni.publicIp === null) eni.publicIpUnknown = true;
        lb.enis.push(eni);
      }
      if (lb.enis.length === 0) {
        for (const subnetId of strs(a, 'subnet_ids')) {
          const subnet = this.subnets.get(subnetId);
          if (!subnet) continue;
          const eni = this.synthesizeEni(
            n,
            subnetId,
            'load_balancer',
            subnet,
            null,
            null,
            sgIds,
            `load balancer ${name} has no network interfaces in the inventory; one is assumed in each of its subnets`,
          );
          eni.lb = lb;
          if (scheme === 'internet-facing') {
            eni.publicIpUnknown = true;
            eni.assumptions.push(
              `internet-facing load balancer ${name} has public addresses the inventory does not show`,
            );
          }
          lb.enis.push(eni);
        }
      }
      if (type === 'network' && sgIds.length === 0) {
        // NLBs without security groups do not filter; do not report missing groups for them.
        for (const eni of lb.enis) eni.noSecurityGroups = true;
      }
      e.enis.push(...lb.enis);
    }
  }

  private buildEndpoints(): void {
    for (const n of this.of(T.vpcEndpoint)) {
      const a = n.attributes;
      const id = str(a, 'vpc_endpoint_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state')?.toLowerCase() ?? null;
      const type = str(a, 'vpc_endpoint_type') ?? 'Gateway';
      const ep: EndpointM = {
        id,
        nodeId: n.id,
        type,
        serviceName: str(a, 'service_name'),
        vpcId: str(a, 'vpc_id'),
        active: !(state && INACTIVE_GENERIC_STATES.has(state)),
        enis: [],
      };
      this.endpoints.set(id, ep);
      const e = this.entry(n, { endpoint: ep });
      if (!ep.active) {
        e.inactiveReason = `VPC endpoint ${id} is ${state}`;
        continue;
      }
      if (type === 'Gateway') continue;
      const sgIds = strs(a, 'security_group_ids');
      for (const eniId of strs(a, 'network_interface_ids')) {
        const en = this.eniNodes.get(eniId);
        const eni = en ? this.eniFromNode(en, 'vpc_endpoint', n, sgIds) : null;
        if (eni) ep.enis.push(eni);
      }
      if (ep.enis.length === 0) {
        for (const subnetId of strs(a, 'subnet_ids')) {
          const subnet = this.subnets.get(subnetId);
          if (!subnet) continue;
          ep.enis.push(
            this.synthesizeEni(
              n,
              subnetId,
              'vpc_endpoint',
              subnet,
              null,
              null,
              sgIds,
              `interface endpoint ${id} has no network interfaces in the inventory; one is assumed in each of its subnets`,
            ),
          );
        }
      }
      e.enis.push(...ep.enis);
    }
  }

  private buildDbInstances(): void {
    for (const n of this.of(T.dbInstance)) {
      const a = n.attributes;
      const id = str(a, 'db_instance_identifier') ?? n.name;
      const status = str(a, 'status');
      const e = this.entry(n);
      if (status && INACTIVE_DB_STATES.has(status)) {
        e.inactiveReason = `database ${id} is ${status} and carries no traffic`;
        continue;
      }
      const subnet = strs(a, 'subnet_ids')
        .map((s) => this.subnets.get(s))
        .find((s) => s !== undefined);
      if (!subnet) {
        e.inactiveReason = `database ${id} has no subnet in the inventory, so it cannot be placed on the network`;
        continue;
      }
      const eni = this.synthesizeEni(
        n,
        'eni',
        'rds',
        subnet,
        null,
        null,
        strs(a, 'security_group_ids'),
        `database ${id} is placed in the first known subnet of its subnet group (${subnet.id})`,
      );
      if (bool(a, 'publicly_accessible')) {
        eni.publicIpUnknown = true;
        eni.assumptions.push(`publicly accessible database ${id} has a public address the inventory does not show`);
      }
      e.enis.push(eni);
    }
  }

  private buildLambdas(): void {
    const lambdaEnis = new Map<string, NodeInput[]>();
    for (const [, n] of this.eniNodes) {
      const d = str(n.attributes, 'description');
      if (!d?.startsWith('AWS Lambda VPC ENI-')) continue;
      const rest = d.slice('AWS Lambda VPC ENI-'.length);
      const list = lambdaEnis.get(rest);
      if (list) list.push(n);
      else lambdaEnis.set(rest, [n]);
    }
    for (const n of this.of(T.lambdaFunction)) {
      const a = n.attributes;
      const name = str(a, 'function_name') ?? n.name;
      const e = this.entry(n);
      const sgIds = strs(a, 'security_group_ids');
      for (const [rest, list] of lambdaEnis) {
        if (!rest.startsWith(`${name}-`)) continue;
        for (const en of list) {
          const eni = this.eniFromNode(en, 'lambda', n, sgIds);
          if (eni) e.enis.push(eni);
        }
      }
      if (e.enis.length > 0) continue;
      const subnet = strs(a, 'subnet_ids')
        .map((s) => this.subnets.get(s))
        .find((s) => s !== undefined);
      if (!subnet) {
        e.inactiveReason = `Lambda function ${name} is not attached to a VPC subnet in the inventory`;
        continue;
      }
      e.enis.push(
        this.synthesizeEni(
          n,
          'eni',
          'lambda',
          subnet,
          null,
          null,
          sgIds,
          `Lambda function ${name} is placed on an interface in the first known subnet of its VPC configuration (${subnet.id})`,
        ),
      );
    }
  }

  /** ENI nodes no owner claimed: standalone interfaces, TGW interfaces, RDS interfaces... */
  private buildStandaloneEnis(): void {
    for (const [id, n] of this.eniNodes) {
      if (this.claimedEnis.has(id)) continue;
      const a = n.attributes;
      const status = str(a, 'status');
      const e = this.entry(n);
      if (status === 'available') {
        e.inactiveReason = `network interface ${id} is not attached to anything`;
        continue;
      }
      // Interfaces of instances in the inventory were claimed above; what remains is
      // attached to something the inventory lacks, and still carries its traffic.
      const type = str(a, 'interface_type') ?? 'interface';
      const role: EniRole = type === 'transit_gateway' ? 'transit_gateway' : 'interface';
      const eni = this.eniFromNode(n, role, null);
      if (eni) e.enis.push(eni);
    }
  }

  /**
   * Resolves every active load balancer's registrations to interfaces, once every interface
   * exists (targets may be instances, IPs of any interface, other load balancers…). Each
   * (interface, port) registration is kept: trace and exposure try every port a target is
   * registered on.
   */
  private resolveLoadBalancerTargets(): void {
    const byIdentity = new Map<string, NodeEntry>();
    for (const entry of this.entries.values()) {
      if (entry.enis.length === 0 && !entry.inactiveReason) continue;
      for (const key of nodeIdentities(entry.node)) if (!byIdentity.has(key)) byIdentity.set(key, entry);
    }
    // Target groups by the key registrations name them with (their ARN, else their node id).
    const groups = new Map<string, JsonObject>();
    for (const n of this.of(T.targetGroup)) groups.set(str(n.attributes, 'target_group_arn') ?? n.id, n.attributes);
    for (const lb of this.loadBalancers.values()) {
      if (!lb.active) continue;
      const resolved = new Map<string, EniM | null>();
      // Registrations by interface, once per port (two ids may name the same interface).
      const byEni = new Map<EniM, LbTargetM[]>();
      for (const reg of lb.registrations) {
        let eni = resolved.get(reg.id);
        if (eni === undefined) {
          eni = resolveLbTarget(this, byIdentity, lb, reg.id);
          resolved.set(reg.id, eni);
        }
        if (!eni) continue;
        const list = byEni.get(eni);
        const healthy = healthRoutes(reg.health);
        // AWS: when no target of a group is healthy, the load balancer fails open and routes to
        // its unhealthy targets too; initial, unused and draining targets get no new connections.
        const failOpen = !healthy && reg.health === 'unhealthy' && !lb.groupsWithHealthy.has(reg.targetGroup ?? '');
        const registered = parseIPv4(reg.id);
        const ip = registered !== null && eni.ips.includes(registered) ? registered : (eni.ips[0] as number);
        const target: LbTargetM = {
          lb,
          id: reg.id,
          eni,
          ip,
          port: reg.port,
          targetGroup: reg.targetGroup,
          health: reg.health,
          healthReason: reg.healthReason,
          routed: healthy || failOpen,
          failOpen,
          clientIpPreserved: clientIpPreserved(lb, groups.get(reg.targetGroup ?? ''), reg.id),
        };
        if (!list) byEni.set(eni, [target]);
        else if (!list.some((t) => t.port === reg.port && t.targetGroup === reg.targetGroup && t.ip === ip))
          list.push(target);
      }
      for (const list of byEni.values()) {
        // A port-less registration only stands for the interface when no registration names a port.
        const withPort = list.filter((t) => t.port !== null);
        lb.targets.push(...(withPort.length > 0 ? withPort : list));
      }
      for (const target of lb.targets) {
        const eni = target.eni;
        for (const key of new Set([eni.ownerNodeId ?? eni.nodeId, eni.nodeId])) {
          const list = this.lbTargetsByNode.get(key);
          if (list) list.push(target);
          else this.lbTargetsByNode.set(key, [target]);
        }
      }
    }
  }

  // --- gateways and routing ----------------------------------------------------

  private buildPeerings(): void {
    for (const n of this.of(T.vpcPeeringConnection)) {
      const a = n.attributes;
      const id = str(a, 'vpc_peering_connection_id') ?? n.native_id ?? n.name;
      const status = str(a, 'status');
      const p: PeeringM = {
        id,
        nodeId: n.id,
        status,
        active: status === 'active',
        requesterVpcId: str(obj(a.requester), 'vpc_id'),
        accepterVpcId: str(obj(a.accepter), 'vpc_id'),
      };
      this.peerings.set(id, p);
      this.entry(n, p.active ? {} : { inactiveReason: `peering connection ${id} is ${status ?? 'not active'}` });
    }
  }

  private buildVpnGateways(): void {
    for (const n of this.of(T.vpnConnection)) {
      const a = n.attributes;
      const id = str(a, 'vpn_connection_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state');
      const vpn: VpnM = {
        id,
        nodeId: n.id,
        active: state === null || state === 'available',
        staticOnly: bool(a, 'static_routes_only') ?? false,
        vgwId: str(a, 'vpn_gateway_id'),
        tgwId: str(a, 'transit_gateway_id'),
        routes: [],
      };
      for (const r of objs(a, 'routes')) {
        const rs = str(r, 'state');
        const cidr = parseIPv4Cidr(str(r, 'destination_cidr') ?? '');
        if (cidr && (rs === null || rs === 'available')) vpn.routes.push({ cidr, text: cidr.text });
      }
      this.vpns.set(id, vpn);
    }
    for (const n of this.of(T.vpnGateway)) {
      const a = n.attributes;
      const id = str(a, 'vpn_gateway_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state');
      const vgw: VgwM = {
        id,
        nodeId: n.id,
        active: state === null || state === 'available',
        vpcIds: new Set(),
        vpns: [...this.vpns.values()].filter((v) => v.vgwId === id),
      };
      for (const att of objs(a, 'attachments')) {
        const s = str(att, 'state');
        const vpcId = str(att, 'vpc_id');
        if (vpcId && (s === null || s === 'attached')) vgw.vpcIds.add(vpcId);
      }
      this.vgws.set(id, vgw);
      for (const vpcId of vgw.vpcIds) this.vpcs.get(vpcId)?.vgws.push(vgw);
    }
  }

  private buildTransitGateways(): void {
    for (const n of this.of(T.transitGateway)) {
      const a = n.attributes;
      const id = str(a, 'transit_gateway_id') ?? n.native_id ?? n.name;
      const state = str(a, 'state');
      this.tgws.set(id, {
        id,
        nodeId: n.id,
        active: !(state && INACTIVE_GENERIC_STATES.has(state)),
        attachments: [],
        defaultAssociationRtbId: str(a, 'default_association_route_table_id'),
      });
    }
    for (const n of this.of(T.transitGatewayAttachment)) {
      const a = n.attributes;
      const id = str(a, 'transit_gateway_attachment_id') ?? n.native_id ?? n.name;
      const tgwId = str(a, 'transit_gateway_id') ?? '';
      const state = str(a, 'state');
      const type = str(a, 'resource_type') ?? 'vpc';
      const resourceId = str(a, 'resource_id');
      const vpc = type === 'vpc' ? (this.vpcs.get(resourceId ?? '') ?? null) : null;
      const att: TgwAttachmentM = {
        id,
        nodeId: n.id,
        tgwId,
        type,
        resourceId,
        vpc,
        subnets: strs(a, 'subnet_ids')
          .map((s) => this.subnets.get(s))
          .filter((s): s is SubnetM => s !== undefined),
        active: !(state && INACTIVE_ATTACHMENT_STATES.has(state)),
        state,
        rtb: null,
        assumptions: [],
      };
      this.tgwAttachments.set(id, att);
      this.entry(n, att.active ? {} : { inactiveReason: `transit gateway attachment ${id} is ${state}` });
      if (!att.active) continue;
      this.tgws.get(tgwId)?.attachments.push(att);
      if (vpc) vpc.tgwAttachments.push(att);
      if (vpc && att.subnets.length === 0) {
        att.assumptions.push(
          `the subnets of transit gateway attachment ${id} are unknown; assuming it has an interface in every Availability Zone`,
        );
      }
      if (!state) att.assumptions.push(`state of transit gateway attachment ${id} is unknown; assumed available`);
    }
    const rawRtbs: { rtb: TgwRouteTableM; a: JsonObject }[] = [];
    for (const n of this.of(T.transitGatewayRouteTable)) {
      const a = n.attributes;
      const id = str(a, 'transit_gateway_route_table_id') ?? n.native_id ?? n.name;
      const rtb: TgwRouteTableM = {
        id,
        nodeId: n.id,
        tgwId: str(a, 'transit_gateway_id') ?? '',
        routes: [],
        assumptions: [],
      };
      this.tgwRouteTables.set(id, rtb);
      rawRtbs.push({ rtb, a });
    }
    // Association: the attachment's own field, else the table that lists it, else the TGW default.
    for (const { rtb, a } of rawRtbs) {
      for (const attId of strs(a, 'association_attachment_ids')) {
        const att = this.tgwAttachments.get(attId);
        if (att && !att.rtb) att.rtb = rtb;
      }
    }
    for (const n of this.of(T.transitGatewayAttachment)) {
      const att = this.tgwAttachments.get(str(n.attributes, 'transit_gateway_attachment_id') ?? n.native_id ?? n.name);
      if (!att) continue;
      const assoc = str(n.attributes, 'association_route_table_id');
      if (assoc && this.tgwRouteTables.has(assoc)) att.rtb = this.tgwRouteTables.get(assoc)!;
      if (!att.rtb) {
        const def = this.tgws.get(att.tgwId)?.defaultAssociationRtbId;
        if (def && this.tgwRouteTables.has(def)) {
          att.rtb = this.tgwRouteTables.get(def)!;
          att.assumptions.push(
            `transit gateway attachment ${att.id} lists no route table association; assumed the default association table ${def}`,
          );
        }
      }
    }
    for (const { rtb, a } of rawRtbs) this.compileTgwRouteTable(rtb, a);
  }

  private compileTgwRouteTable(rtb: TgwRouteTableM, a: JsonObject): void {
    const routes: TgwRouteM[] = [];
    const propagatedTo = new Set<string>();
    for (const r of objs(a, 'routes')) {
      const raw: TransitGatewayRoute = {
        destination_cidr: str(r, 'destination_cidr'),
        prefix_list_id: str(r, 'prefix_list_id'),
        type: str(r, 'type') === 'propagated' ? 'propagated' : 'static',
        state: str(r, 'state') === 'blackhole' ? 'blackhole' : 'active',
        attachment_ids: strs(r, 'attachment_ids'),
      };
      if (raw.type === 'propagated') for (const id of raw.attachment_ids) propagatedTo.add(id);
      const priority = raw.type === 'static' ? (raw.prefix_list_id ? 2 : 1) : 3;
      if (raw.destination_cidr) {
        const c = parseIPv4Cidr(raw.destination_cidr);
        if (c) {
          routes.push({
            first: c.first,
            last: c.last,
            prefix: c.prefix,
            priority,
            destination: c.text,
            raw,
            derived: false,
          });
        }
      } else if (raw.prefix_list_id) {
        const cidrs = this.prefixLists.get(raw.prefix_list_id);
        if (!cidrs) {
          rtb.assumptions.push(
            `transit gateway route table ${rtb.id} has a route to prefix list ${raw.prefix_list_id}, which is not in the inventory; that route is ignored`,
          );
          continue;
        }
        for (const c of cidrs) {
          routes.push({
            first: c.first,
            last: c.last,
            prefix: c.prefix,
            priority,
            destination: `${raw.prefix_list_id} (${c.text})`,
            raw,
            derived: false,
          });
        }
      }
    }
    // Snapshots may list propagations but not the routes they produce: derive them.
    for (const attId of strs(a, 'propagation_attachment_ids')) {
      if (propagatedTo.has(attId)) continue;
      const att = this.tgwAttachments.get(attId);
      if (!att?.active) continue;
      let cidrs: Ipv4Cidr[] = [];
      if (att.vpc) cidrs = att.vpc.cidrs;
      else if (att.type === 'vpn' && att.resourceId)
        cidrs = (this.vpns.get(att.resourceId)?.routes ?? []).map((r) => r.cidr);
      for (const c of cidrs) {
        routes.push({
          first: c.first,
          last: c.last,
          prefix: c.prefix,
          priority: 3,
          destination: c.text,
          raw: {
            destination_cidr: c.text,
            prefix_list_id: null,
            type: 'propagated',
            state: 'active',
            attachment_ids: [attId],
          },
          derived: true,
        });
      }
    }
    routes.sort((x, y) => y.prefix - x.prefix || x.priority - y.priority);
    rtb.routes = routes;
  }

  // --- compilation once everything is known ------------------------------------

  private compileSecurityGroups(): void {
    for (const eni of this.enis) {
      for (const sg of eni.sgs) for (const ip of eni.ips) sg.memberIps.add(ip);
    }
    for (const [id, raw] of this.sgRaw) {
      const sg = this.sgs.get(id)!;
      sg.ingress = raw.ingress.map((r, i) => this.compileSgRule(r, i));
      sg.egress = raw.egress.map((r, i) => this.compileSgRule(r, i));
    }
  }

  private compileSgRule(r: JsonObject, index: number): SgRuleM {
    const raw: SecurityGroupRule = {
      protocol: typeof r.protocol === 'number' ? String(r.protocol) : (str(r, 'protocol') ?? '-1'),
      from_port: num(r, 'from_port'),
      to_port: num(r, 'to_port'),
      cidrs: strs(r, 'cidrs'),
      ipv6_cidrs: strs(r, 'ipv6_cidrs'),
      prefix_list_ids: strs(r, 'prefix_list_ids'),
      security_group_ids: strs(r, 'security_group_ids'),
      description: str(r, 'description'),
    };
    const proto = protocolNumber(raw.protocol) ?? -2; // -2 never matches: an unreadable protocol admits nothing
    const [portFrom, portTo] = rulePortSpan(proto, raw.from_port, raw.to_port);
    const ranges: number[] = [];
    const unresolved: string[] = [];
    for (const c of raw.cidrs) {
      const parsed = parseIPv4Cidr(c);
      if (parsed) ranges.push(parsed.first, parsed.last);
    }
    for (const pl of raw.prefix_list_ids) {
      const cidrs = this.prefixLists.get(pl);
      if (!cidrs) {
        unresolved.push(pl);
        continue;
      }
      for (const c of cidrs) ranges.push(c.first, c.last);
    }
    const refs: SgM[] = [];
    for (const ref of raw.security_group_ids) {
      // Cross-account references may be written 'account/sg-…'.
      const id = ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
      const sg = this.sgs.get(id);
      if (sg) refs.push(sg);
      else unresolved.push(id);
    }
    return { index, raw, proto, portFrom, portTo, ranges, refs, unresolved };
  }

  private compileRouteTables(): void {
    for (const rt of this.routeTables.values()) this.compileRouteTable(rt, this.rtRaw.get(rt.id) ?? {});
    for (const vpc of this.vpcs.values()) {
      if (vpc.impliedRouteTable) this.compileRouteTable(vpc.impliedRouteTable, {});
    }
  }

  private compileRouteTable(rt: RouteTableM, a: JsonObject): void {
    const vpc = rt.vpc;
    const routes: RouteM[] = [];
    const subnetCidrs = new Set(vpc.subnets.map((s) => s.cidr.text));
    const inVpc = (first: number, last: number) => vpc.cidrs.some((c) => first >= c.first && last <= c.last);
    for (const r of objs(a, 'routes')) {
      const raw: Route = {
        destination_cidr: str(r, 'destination_cidr'),
        destination_ipv6_cidr: str(r, 'destination_ipv6_cidr'),
        destination_prefix_list_id: str(r, 'destination_prefix_list_id'),
        target_type: (str(r, 'target_type') ?? 'unknown') as Route['target_type'],
        target_id: str(r, 'target_id') ?? '',
        state: str(r, 'state') === 'blackhole' ? 'blackhole' : 'active',
        origin: str(r, 'origin'),
      };
      if (raw.target_type === 'local') continue; // re-added below for every VPC CIDR
      const propagated = raw.origin === 'EnableVgwRoutePropagation';
      if (raw.destination_cidr) {
        const c = parseIPv4Cidr(raw.destination_cidr);
        if (!c) continue;
        // Inside the VPC's CIDRs the local route wins, except for a static route to an
        // exact subnet CIDR (AWS "more specific routing" for middlebox inspection).
        if (inVpc(c.first, c.last) && (propagated || !subnetCidrs.has(c.text))) continue;
        routes.push({
          first: c.first,
          last: c.last,
          prefix: c.prefix,
          priority: propagated ? 3 : 1,
          destination: c.text,
          raw,
          implied: false,
        });
      } else if (raw.destination_prefix_list_id) {
        const cidrs = this.prefixLists.get(raw.destination_prefix_list_id);
        if (!cidrs) {
          rt.assumptions.push(
            `route table ${rt.id} has a route to prefix list ${raw.destination_prefix_list_id} (${raw.target_id}), which is not in the inventory; that route is ignored`,
          );
          continue;
        }
        for (const c of cidrs) {
          if (inVpc(c.first, c.last)) continue;
          routes.push({
            first: c.first,
            last: c.last,
            prefix: c.prefix,
            priority: 2,
            destination: `${raw.destination_prefix_list_id} (${c.text})`,
            raw,
            implied: false,
          });
        }
      }
    }
    for (const c of vpc.cidrs) {
      routes.push({
        first: c.first,
        last: c.last,
        prefix: c.prefix,
        priority: 0,
        destination: c.text,
        raw: {
          destination_cidr: c.text,
          destination_ipv6_cidr: null,
          destination_prefix_list_id: null,
          target_type: 'local',
          target_id: 'local',
          state: 'active',
          origin: 'CreateRouteTable',
        },
        implied: true,
      });
    }
    routes.sort((x, y) => y.prefix - x.prefix || x.priority - y.priority);
    rt.routes = routes;
  }
}

interface EipAssociation {
  eniId: string | null;
  instanceId: string | null;
  privateIp: number | null;
  publicIp: number;
}

/** The public address an interface is known by: its primary address's, else the first other one. */
function mainPublicAddress(eni: EniM): number | null {
  const primary = eni.publicByPrivate.get(eni.ips[0]!);
  if (primary !== undefined) return primary;
  for (const pub of eni.publicByPrivate.values()) return pub;
  return null;
}

/** The public address the internet gateway translates this private address of the interface to (null: none). */
export function publicAddressFor(eni: EniM, privateIp: number): number | null {
  return eni.publicByPrivate.get(privateIp) ?? null;
}

/** The private address the internet gateway translates this public address of the interface to. */
export function privateAddressFor(eni: EniM, publicIp: number | null): number {
  if (publicIp !== null) {
    for (const [priv, pub] of eni.publicByPrivate) if (pub === publicIp) return priv;
  }
  return eni.ips[0]!;
}

/** An EC2 ARN's resource id: `arn:aws:ec2:…:instance/i-0abc` → `i-0abc`. */
function ec2ArnResourceId(arn: string): string | null {
  if (!arn.startsWith('arn:aws') || !arn.includes(':ec2:')) return null;
  const slash = arn.lastIndexOf('/');
  return slash >= 0 && slash < arn.length - 1 ? arn.slice(slash + 1) : null;
}

const IDENTITY_ATTRIBUTES = [
  'instance_id',
  'network_interface_id',
  'load_balancer_arn',
  'function_arn',
  'arn',
] as const;

/**
 * Every id a load balancer (describe-target-health `Target.Id`, Terraform
 * `aws_lb_target_group_attachment.target_id`) may use to name this node: its native id
 * (an ARN for snapshot ingests), its resource id however the ingest records it (the
 * `instance_id` attribute, the EC2 ARN's last segment, the key of the node id) and ARNs.
 * The interfaces' ids and private addresses are added by `resolveLbTarget`.
 */
export function nodeIdentities(node: NodeInput): string[] {
  const out = new Set<string>();
  if (node.native_id) {
    out.add(node.native_id);
    const resourceId = ec2ArnResourceId(node.native_id);
    if (resourceId) out.add(resourceId);
  }
  for (const key of IDENTITY_ATTRIBUTES) {
    const v = str(node.attributes, key);
    if (v) out.add(v);
  }
  // Node ids are provider:region:type:key; the key is the resource id for EC2 objects.
  const prefix = `${node.provider}:${node.region}:${node.type}:`;
  if (node.type.startsWith('aws.ec2.') && node.id.startsWith(prefix)) out.add(node.id.slice(prefix.length));
  return [...out];
}

/**
 * The interface a load balancer target id designates: an interface id, an IP address (in the
 * load balancer's VPC first, else the only interface holding it elsewhere) or any identity of
 * a node with interfaces (its primary interface receives the traffic). Null when the target is
 * not in the model or carries no traffic (a stopped instance).
 */
function resolveLbTarget(
  model: { eniById: Map<string, EniM>; vpcs: Map<string, VpcM> },
  byIdentity: Map<string, NodeEntry>,
  lb: LbM,
  targetId: string,
): EniM | null {
  const eni = model.eniById.get(targetId);
  if (eni) return eni;
  const ip = parseIPv4(targetId);
  if (ip !== null) {
    if (lb.vpc) {
      const own = findSubnetIn(lb.vpc, ip)?.eniByIp.get(ip);
      if (own) return own;
    }
    const found: EniM[] = [];
    for (const vpc of model.vpcs.values()) {
      if (vpc === lb.vpc) continue;
      const other = findSubnetIn(vpc, ip)?.eniByIp.get(ip);
      if (other) found.push(other);
    }
    return found.length === 1 ? found[0]! : null;
  }
  const entry = byIdentity.get(targetId);
  if (!entry || entry.inactiveReason) return null;
  return entry.enis[0] ?? null;
}

function findSubnetIn(vpc: VpcM, ip: number): SubnetM | null {
  for (const s of vpc.subnets) if (ip >= s.cidr.first && ip <= s.cidr.last) return s;
  return null;
}

function deviceIndex(n: NodeInput): number {
  const att = obj(n.attributes.attachment);
  return num(att, 'device_index') ?? 99;
}

function compileNaclEntry(e: JsonObject): NaclEntryM | null {
  const ruleNumber = num(e, 'rule_number');
  if (ruleNumber === null) return null;
  const cidrText = str(e, 'cidr');
  if (!cidrText) return null; // IPv6-only entries do not apply to IPv4 traffic
  const cidr = parseIPv4Cidr(cidrText);
  if (!cidr) return null;
  const protocol = typeof e.protocol === 'number' ? String(e.protocol) : (str(e, 'protocol') ?? '-1');
  const proto = protocolNumber(protocol) ?? -2;
  const pr = obj(e.port_range);
  const icmp = obj(e.icmp);
  const raw: NetworkAclEntry = {
    rule_number: ruleNumber,
    egress: bool(e, 'egress') ?? false,
    protocol,
    action: str(e, 'action') === 'allow' ? 'allow' : 'deny',
    cidr: cidr.text,
    ipv6_cidr: null,
    port_range: pr ? { from: num(pr, 'from') ?? 0, to: num(pr, 'to') ?? 65535 } : null,
    icmp: icmp ? { type: num(icmp, 'type') ?? -1, code: num(icmp, 'code') ?? -1 } : null,
  };
  let span: [number, number] = [0, 65535];
  if (proto === 6 || proto === 17) span = raw.port_range ? portSpan(raw.port_range.from, raw.port_range.to) : span;
  else if (proto === 1) span = raw.icmp ? icmpSpan(raw.icmp.type, raw.icmp.code) : span;
  return {
    ruleNumber,
    proto,
    allow: raw.action === 'allow',
    first: cidr.first,
    last: cidr.last,
    portFrom: span[0],
    portTo: span[1],
    raw,
  };
}

/** Indexes the inventory's AWS network once; the result is reused across traces. */
export function buildNetworkModel(nodes: readonly NodeInput[], edges: readonly EdgeInput[] = []): NetworkModel {
  return new Builder(nodes, edges).build();
}

/**
 * A listener's default groups and rules (see `LbListenerM.routing`); null unless the inventory
 * says both where the default actions forward and where every rule does.
 */
function routingOf(listener: JsonObject): LbListenerM['routing'] {
  if (!Array.isArray(listener.target_group_arns) || !Array.isArray(listener.default_target_group_arns)) return null;
  if (!Array.isArray(listener.rules)) return null;
  const rules: LbRuleM[] = [];
  for (const r of objs(listener, 'rules')) {
    const sourceText = Array.isArray(r.source_cidrs) ? strs(r, 'source_cidrs') : null;
    const sources: Ipv4Cidr[] = [];
    for (const c of sourceText ?? []) {
      const parsed = parseIPv4Cidr(c);
      if (parsed !== null) sources.push(parsed);
    }
    rules.push({
      priority: num(r, 'priority'),
      sources: sourceText === null ? null : sources,
      sourceText: sourceText ?? [],
      anyRequest: bool(r, 'any_request') === true,
      groups: strs(r, 'target_group_arns'),
    });
  }
  // Lowest priority first; rules of unknown priority last (they are never assumed to hide another).
  rules.sort(
    (a, b) => (a.priority === null ? 1 : 0) - (b.priority === null ? 1 : 0) || (a.priority ?? 0) - (b.priority ?? 0),
  );
  return { defaultGroups: strs(listener, 'default_target_group_arns'), rules };
}

/** Target group protocols whose targets always see the client's address behind a Network Load Balancer. */
const ALWAYS_PRESERVED_PROTOCOLS = new Set(['UDP', 'TCP_UDP', 'QUIC', 'TCP_QUIC']);

/**
 * Whether a registration sees the client's address (AWS's client IP preservation): never behind an
 * Application Load Balancer (it proxies); behind a Network Load Balancer always for UDP, TCP_UDP, QUIC and
 * TCP_QUIC groups, else as the group's `preserve_client_ip.enabled` says, by default for instance targets
 * and not for IP targets. A group the inventory lacks is judged by the registration (an IP, else an
 * instance).
 */
function clientIpPreserved(lb: LbM, group: JsonObject | undefined, registrationId: string): boolean {
  if (lb.type !== 'network') return false;
  const protocol = str(group, 'protocol')?.toUpperCase() ?? null;
  if (protocol !== null && ALWAYS_PRESERVED_PROTOCOLS.has(protocol)) return true;
  const setting = bool(group, 'preserve_client_ip');
  if (setting !== null) return setting;
  const targetType = str(group, 'target_type') ?? (parseIPv4(registrationId) !== null ? 'ip' : 'instance');
  return targetType === 'instance';
}
