/**
 * The cross-resource pass shared by every source. It runs once all nodes
 * exist and reads only the normalised attributes (src/core/network/attributes.ts),
 * so a Terraform state and an AWS snapshot of the same VPC give the same edges.
 *
 * 1. Fills fields one resource knows about another: an instance's VPC from
 *    its subnet (Terraform has no `vpc_id` on instances, ENIs or NAT
 *    gateways), public IPs from Elastic IPs, load balancer targets from
 *    their target groups.
 * 2. Derives the edges (see docs/inventory-types.md for the full list).
 *    A reference to something not in the input adds a warning, not an edge.
 */
import { type EdgeType, isUnknown, type JsonObject, type NodeInput } from '../inventory/types.ts';
import type { InventoryBuilder } from './builder.ts';
import { AWS_TYPES, accountScopedKey } from './type-map.ts';
import { isRecord, type Rec, recList, str } from './values.ts';

const T = AWS_TYPES;

/** Route target types that are nodes, with the node type they point at. */
const ROUTE_TARGET_NODE_TYPES: Readonly<Record<string, string>> = {
  internet_gateway: T.internetGateway,
  egress_only_internet_gateway: T.egressOnlyInternetGateway,
  nat_gateway: T.natGateway,
  vpc_peering_connection: T.vpcPeeringConnection,
  transit_gateway: T.transitGateway,
  vpn_gateway: T.vpnGateway,
  network_interface: T.networkInterface,
  instance: T.instance,
  vpc_endpoint: T.vpcEndpoint,
};

const VPC_ROUTE_TARGET_TYPES = new Set(Object.values(ROUTE_TARGET_NODE_TYPES));
const TGW_ROUTE_TARGET_TYPES = new Set<string>([T.transitGatewayAttachment]);

/** Peering states in which no traffic flows, so no `peers_with` edge. */
const DEAD_PEERING_STATES = new Set(['deleted', 'deleting', 'rejected', 'failed', 'expired']);

export function linkInventory(builder: InventoryBuilder): void {
  const linker = new Linker(builder);
  linker.fill();
  linker.deriveEdges();
}

class Linker {
  constructor(private readonly b: InventoryBuilder) {}

  fill(): void {
    const nodes = this.b.allNodes();
    for (const node of nodes) {
      const a = attrs(node);
      switch (node.type) {
        case T.instance:
        case T.networkInterface:
        case T.natGateway:
          if (a.vpc_id === null || a.vpc_id === undefined) this.fillVpcFromSubnet(node, a, a.subnet_id);
          break;
        case T.lambdaFunction:
        case T.dbInstance:
        case T.loadBalancer:
          if (a.vpc_id === null || a.vpc_id === undefined) {
            const subnets = Array.isArray(a.subnet_ids) ? a.subnet_ids : [];
            this.fillVpcFromSubnet(node, a, subnets[0]);
          }
          break;
      }
    }
    for (const node of nodes) {
      const a = attrs(node);
      if (node.type === T.elasticIp) this.fillFromElasticIp(node, a);
      if (node.type === T.targetGroup) this.fillLoadBalancerTargets(node, a);
    }
  }

  deriveEdges(): void {
    for (const node of this.b.allNodes()) {
      const a = attrs(node);
      switch (node.type) {
        case T.subnet:
          this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          break;
        case T.instance:
          if (!this.contained(node, 'subnet_id', a.subnet_id, T.subnet))
            this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          this.memberOfGroups(node, a.security_group_ids);
          this.refEdges(node, 'iam_instance_profile_arn', a.iam_instance_profile_arn, [T.iamInstanceProfile], 'uses');
          break;
        case T.networkInterface:
          this.contained(node, 'subnet_id', a.subnet_id, T.subnet);
          this.memberOfGroups(node, a.security_group_ids);
          if (isRecord(a.attachment)) {
            this.refEdges(node, 'attachment', a.attachment.instance_id, [T.instance], 'attached_to');
          }
          break;
        case T.securityGroup:
          this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          this.securityGroupReferences(node, a);
          break;
        case T.networkAcl:
          this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'member_of');
          break;
        case T.routeTable:
          this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'member_of');
          this.incoming(node, 'gateway_ids', a.gateway_ids, [T.internetGateway, T.vpnGateway], 'member_of');
          this.routes(node, a.routes);
          break;
        case T.internetGateway:
        case T.egressOnlyInternetGateway:
        case T.vpnGateway:
          for (const att of recList(a.attachments)) {
            if (att.state === 'detached' || att.state === 'detaching') continue;
            this.refEdges(node, 'attachments', att.vpc_id, [T.vpc], 'attached_to');
          }
          break;
        case T.natGateway:
          this.contained(node, 'subnet_id', a.subnet_id, T.subnet);
          this.incoming(node, 'network_interface_id', a.network_interface_id, [T.networkInterface], 'attached_to');
          break;
        case T.elasticIp:
          if (
            !this.refEdges(node, 'network_interface_id', a.network_interface_id, [T.networkInterface], 'attached_to')
          ) {
            this.refEdges(node, 'instance_id', a.instance_id, [T.instance], 'attached_to');
          }
          break;
        case T.vpcPeeringConnection:
          this.peering(node, a);
          break;
        case T.transitGatewayAttachment:
          this.refEdges(node, 'transit_gateway_id', a.transit_gateway_id, [T.transitGateway], 'attached_to');
          if (a.resource_type === 'vpc') this.refEdges(node, 'resource_id', a.resource_id, [T.vpc], 'attached_to');
          else if (a.resource_type === 'vpn') {
            this.refEdges(node, 'resource_id', a.resource_id, [T.vpnConnection], 'attached_to');
          } else if (a.resource_type === 'peering') {
            this.refEdges(node, 'resource_id', a.resource_id, [T.transitGateway], 'attached_to');
          }
          this.refEdges(
            node,
            'association_route_table_id',
            a.association_route_table_id,
            [T.transitGatewayRouteTable],
            'member_of',
          );
          break;
        case T.transitGatewayRouteTable:
          this.incoming(node, 'transit_gateway_id', a.transit_gateway_id, [T.transitGateway], 'contains');
          this.incoming(
            node,
            'association_attachment_ids',
            a.association_attachment_ids,
            [T.transitGatewayAttachment],
            'member_of',
          );
          for (const route of recList(a.routes)) {
            if (route.state === 'blackhole') continue;
            const destination = str(route.destination_cidr) ?? str(route.prefix_list_id);
            this.refEdges(node, 'routes', route.attachment_ids, [T.transitGatewayAttachment], 'routes_to', destination);
          }
          this.unknownRouteTargets(node);
          break;
        case T.vpnConnection:
          this.refEdges(node, 'vpn_gateway_id', a.vpn_gateway_id, [T.vpnGateway], 'attached_to');
          this.refEdges(node, 'transit_gateway_id', a.transit_gateway_id, [T.transitGateway], 'attached_to');
          this.refEdges(node, 'customer_gateway_id', a.customer_gateway_id, [T.customerGateway], 'attached_to');
          break;
        case T.vpcEndpoint:
          this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'contains');
          this.memberOfGroups(node, a.security_group_ids);
          this.incoming(node, 'network_interface_ids', a.network_interface_ids, [T.networkInterface], 'attached_to');
          this.incoming(node, 'route_table_ids', a.route_table_ids, [T.routeTable], 'routes_to');
          break;
        case T.loadBalancer:
          if (!this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'contains')) {
            this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          }
          this.memberOfGroups(node, a.security_group_ids);
          this.targets(node, a.target_ids, a.vpc_id);
          break;
        case T.targetGroup:
          this.incoming(node, 'load_balancer_arns', a.load_balancer_arns, [T.loadBalancer], 'targets');
          this.targets(node, a.target_ids, a.vpc_id);
          break;
        case T.dbInstance:
          if (!this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'contains')) {
            this.contained(node, 'vpc_id', a.vpc_id, T.vpc);
          }
          this.memberOfGroups(node, a.security_group_ids);
          break;
        case T.lambdaFunction:
          this.incoming(node, 'subnet_ids', a.subnet_ids, [T.subnet], 'contains');
          this.memberOfGroups(node, a.security_group_ids);
          this.refEdges(node, 'role_arn', a.role_arn, [T.iamRole], 'assumes');
          break;
        case T.iamRole:
          this.incoming(node, 'trusted_principals', a.trusted_principals, [T.iamRole, T.iamUser], 'assumes', true);
          break;
        case T.iamUser:
          // Group names are unique per account only: looked up under the user's account.
          if (Array.isArray(a.group_names) && a.group_names.length > 0) {
            const keys = a.group_names
              .filter((g) => typeof g === 'string')
              .map((g) => accountScopedKey(node.account ?? null, g));
            this.refEdges(node, 'group_names', keys, [T.iamGroup], 'member_of');
          }
          break;
        case T.iamInstanceProfile:
          this.refEdges(node, 'roles', a.roles, [T.iamRole], 'uses');
          break;
      }
    }
  }

  // ---------------------------------------------------------------- fills

  private fillVpcFromSubnet(node: NodeInput, a: Rec, subnetId: unknown): void {
    if (typeof subnetId !== 'string') return;
    const subnet = this.b.find(T.subnet, subnetId, node.region);
    const vpcId = subnet === undefined ? null : str(attrs(subnet).vpc_id);
    if (vpcId !== null) a.vpc_id = vpcId;
  }

  /**
   * An Elastic IP is associated with one private address (`private_ip`; the primary one
   * when it does not say). It completes that address's entry in the interface's
   * `public_ip_associations`, and `public_ip` of the interface / instance only when that
   * address is their primary one (`public_ip` is the primary address's public IP).
   */
  private fillFromElasticIp(eip: NodeInput, a: Rec): void {
    const publicIp = str(a.public_ip);
    if (publicIp === null) return;
    const privateIp = str(a.private_ip);
    const eniId = str(a.network_interface_id);
    const eni = eniId === null ? undefined : this.b.find(T.networkInterface, eniId, eip.region);
    let onPrimaryInterface = true;
    if (eni !== undefined) {
      const ea = attrs(eni);
      const privateIps = Array.isArray(ea.private_ips) ? ea.private_ips : [];
      const primary = typeof privateIps[0] === 'string' ? privateIps[0] : null;
      const onPrimaryIp = privateIp === null || primary === null || privateIp === primary;
      const associated = privateIp ?? primary;
      if (associated !== null) {
        const list = recList(ea.public_ip_associations);
        if (!list.some((x) => x.private_ip === associated || x.public_ip === publicIp)) {
          ea.public_ip_associations = [...list, { private_ip: associated, public_ip: publicIp }];
        }
      }
      if (onPrimaryIp && (ea.public_ip === null || ea.public_ip === undefined)) ea.public_ip = publicIp;
      const attachment = isRecord(ea.attachment) ? ea.attachment : null;
      if (a.instance_id === null && attachment !== null && typeof attachment.instance_id === 'string') {
        a.instance_id = attachment.instance_id;
      }
      const deviceIndex = attachment === null ? null : attachment.device_index;
      onPrimaryInterface = onPrimaryIp && (typeof deviceIndex !== 'number' || deviceIndex === 0);
    }
    const instanceId = str(a.instance_id);
    const instance = instanceId === null ? undefined : this.b.find(T.instance, instanceId, eip.region);
    if (instance !== undefined) {
      const ia = attrs(instance);
      // An instance's public IP is its primary interface's primary address's.
      const instancePrivate = str(ia.private_ip);
      const onPrimary =
        onPrimaryInterface && (privateIp === null || instancePrivate === null || privateIp === instancePrivate);
      if (onPrimary && (ia.public_ip === null || ia.public_ip === undefined)) ia.public_ip = publicIp;
    }
  }

  /**
   * A load balancer's targets are those of its target groups: `target_ids`,
   * and `targets` with the port traffic is sent to (the target's own port,
   * else the group's), the group (`target_group_arn`: its ARN, else its node
   * id) and the target's health when known.
   */
  private fillLoadBalancerTargets(tg: NodeInput, a: Rec): void {
    const targetIds = Array.isArray(a.target_ids) ? a.target_ids.filter((t) => typeof t === 'string') : [];
    if (!Array.isArray(a.load_balancer_arns) || targetIds.length === 0) return;
    const groupPort = typeof a.port === 'number' ? a.port : null;
    const group = targetGroupKey(tg);
    const targets = recList(a.targets)
      .filter((t) => typeof t.id === 'string')
      .map((t) => ({
        id: t.id as string,
        port: typeof t.port === 'number' ? t.port : groupPort,
        target_group_arn: group,
        health: str(t.health),
        ...(typeof t.health_reason === 'string' ? { health_reason: t.health_reason } : {}),
      }));
    for (const arn of a.load_balancer_arns) {
      if (typeof arn !== 'string') continue;
      const lb = this.b.find(T.loadBalancer, arn, tg.region);
      if (lb === undefined) continue;
      const la = attrs(lb);
      const current = Array.isArray(la.target_ids) ? la.target_ids : [];
      la.target_ids = [...new Set([...current, ...targetIds])];
      const known = recList(la.targets);
      const key = (t: Rec) => `${t.id}|${t.port}|${t.target_group_arn ?? ''}`;
      const seen = new Set(known.map(key));
      la.targets = [...known, ...targets.filter((t) => !seen.has(key(t)))];
    }
  }

  // ---------------------------------------------------------------- edges

  /** `<parent> contains <node>` where the parent is referenced by `value`. Returns whether an edge was made. */
  private contained(node: NodeInput, field: string, value: unknown, parentType: string): boolean {
    return this.incoming(node, field, value, [parentType], 'contains');
  }

  private memberOfGroups(node: NodeInput, value: unknown): void {
    this.refEdges(node, 'security_group_ids', value, [T.securityGroup], 'member_of');
  }

  /** `<node> --type--> <referenced>`. */
  private refEdges(
    node: NodeInput,
    field: string,
    value: unknown,
    targetTypes: string[],
    type: EdgeType,
    destination?: string | null,
  ): boolean {
    let made = false;
    for (const target of this.resolve(node, field, value, targetTypes)) {
      const attributes: JsonObject | undefined =
        destination === undefined ? undefined : destination === null ? {} : { destinations: [destination] };
      made = this.b.addEdgeBetween(node, target, type, attributes) || made;
    }
    return made;
  }

  /** `<referenced> --type--> <node>`; with `optional`, references to things not in the input are not warned about. */
  private incoming(
    node: NodeInput,
    field: string,
    value: unknown,
    sourceTypes: string[],
    type: EdgeType,
    optional = false,
  ): boolean {
    let made = false;
    for (const source of this.resolve(node, field, value, sourceTypes, optional)) {
      made = this.b.addEdgeBetween(source, node, type) || made;
    }
    return made;
  }

  /**
   * The nodes a reference attribute points at: strings are looked up by
   * native id / ARN / name among `types`; unknown values (plans) by the
   * configuration references recorded for the field.
   */
  private resolve(node: NodeInput, field: string, value: unknown, types: string[], optional = false): NodeInput[] {
    const out: NodeInput[] = [];
    if (value === null || value === undefined) return out;
    if (typeof value === 'string') {
      this.resolveOne(node, field, value, types, optional, out);
      return out;
    }
    if (isUnknown(value) || (Array.isArray(value) && value.some(isUnknown))) {
      for (const id of this.b.unknownReferences.get(node.id)?.get(field) ?? []) {
        const target = this.b.getNode(id);
        if (target !== undefined && types.includes(target.type)) out.push(target);
      }
    }
    if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'string') this.resolveOne(node, field, v, types, optional, out);
    }
    return out;
  }

  private resolveOne(
    node: NodeInput,
    field: string,
    value: string,
    types: string[],
    optional: boolean,
    out: NodeInput[],
  ): void {
    if (value === '') return;
    for (const type of types) {
      const target = this.b.find(type, value, node.region);
      if (target !== undefined) {
        out.push(target);
        return;
      }
    }
    if (!optional) this.b.warn(`${describe(node)} references ${value} (${field}), which is not in the input`);
  }

  private securityGroupReferences(node: NodeInput, a: Rec): void {
    const ingress = Array.isArray(a.ingress) ? a.ingress : [];
    let ruleIndexes: Map<NodeInput, number[]> | null = null;
    ingress.forEach((rule, index) => {
      if (!isRecord(rule)) return;
      const groups = rule.security_group_ids;
      if (Array.isArray(groups) && groups.length === 0) return;
      for (const target of this.resolve(node, 'ingress', groups, [T.securityGroup])) {
        ruleIndexes ??= new Map();
        const list = ruleIndexes.get(target) ?? [];
        list.push(index);
        ruleIndexes.set(target, list);
      }
    });
    if (ruleIndexes === null) return;
    for (const [target, indexes] of ruleIndexes as Map<NodeInput, number[]>) {
      this.b.addEdgeBetween(node, target, 'allows_traffic_from', { ingress_rule_indexes: indexes });
    }
  }

  private routes(node: NodeInput, routes: unknown): void {
    for (const route of recList(routes)) {
      if (route.state === 'blackhole') continue;
      const nodeType = ROUTE_TARGET_NODE_TYPES[String(route.target_type)];
      if (nodeType === undefined) continue;
      const destination =
        str(route.destination_cidr) ?? str(route.destination_ipv6_cidr) ?? str(route.destination_prefix_list_id);
      this.refEdges(node, 'routes', route.target_id, [nodeType], 'routes_to', destination);
    }
    this.unknownRouteTargets(node);
  }

  /** Plans: route targets that are unknown until apply, resolved from the configuration. */
  private unknownRouteTargets(node: NodeInput): void {
    const ids = this.b.unknownReferences.get(node.id)?.get('routes');
    if (ids === undefined) return;
    const targetTypes = node.type === T.transitGatewayRouteTable ? TGW_ROUTE_TARGET_TYPES : VPC_ROUTE_TARGET_TYPES;
    for (const id of ids) {
      const target = this.b.getNode(id);
      if (target !== undefined && targetTypes.has(target.type)) this.b.addEdge(node.id, id, 'routes_to');
    }
  }

  private peering(node: NodeInput, a: Rec): void {
    const requester = isRecord(a.requester) ? a.requester : {};
    const accepter = isRecord(a.accepter) ? a.accepter : {};
    const reqVpc = this.resolve(node, 'requester', requester.vpc_id, [T.vpc])[0];
    const accVpc = this.resolve(node, 'accepter', accepter.vpc_id, [T.vpc])[0];
    if (reqVpc !== undefined) this.b.addEdgeBetween(node, reqVpc, 'attached_to');
    if (accVpc !== undefined) this.b.addEdgeBetween(node, accVpc, 'attached_to');
    if (reqVpc === undefined || accVpc === undefined) return;
    if (typeof a.status === 'string' && DEAD_PEERING_STATES.has(a.status)) return;
    const via = { vpc_peering_connection_id: str(a.vpc_peering_connection_id) ?? node.native_id };
    this.b.addEdgeBetween(reqVpc, accVpc, 'peers_with', via);
    this.b.addEdgeBetween(accVpc, reqVpc, 'peers_with', via);
  }

  /** Load balancer / target group → targets: instance ids, or IPs matched to the ENI holding them. */
  private targets(node: NodeInput, targetIds: unknown, vpcId: unknown): void {
    if (!Array.isArray(targetIds)) return;
    for (const target of targetIds) {
      if (typeof target !== 'string') continue;
      if (target.startsWith('i-')) {
        this.refEdges(node, 'target_ids', target, [T.instance], 'targets');
      } else if (target.startsWith('arn:')) {
        this.refEdges(node, 'target_ids', target, [T.lambdaFunction, T.loadBalancer], 'targets');
      } else {
        const eni = this.eniByIp(target, typeof vpcId === 'string' ? vpcId : null);
        if (eni !== undefined) this.b.addEdgeBetween(node, eni, 'targets');
      }
    }
  }

  private eniIndex: Map<string, NodeInput> | null = null;

  private eniByIp(ip: string, vpcId: string | null): NodeInput | undefined {
    if (this.eniIndex === null) {
      this.eniIndex = new Map();
      for (const n of this.b.allNodes()) {
        if (n.type !== T.networkInterface) continue;
        const a = attrs(n);
        const ips = Array.isArray(a.private_ips) ? a.private_ips : [];
        for (const p of ips) if (typeof p === 'string') this.eniIndex.set(`${str(a.vpc_id) ?? ''}|${p}`, n);
      }
    }
    return this.eniIndex.get(`${vpcId ?? ''}|${ip}`);
  }
}

function attrs(node: NodeInput): Rec {
  return node.attributes as Rec;
}

function describe(node: NodeInput): string {
  return `${node.type} ${node.native_id ?? node.name}`;
}

/** How load balancer registrations and listeners name a target group: its ARN, else its node id (plans). */
export function targetGroupKey(tg: NodeInput): string {
  return str(attrs(tg).target_group_arn) ?? tg.id;
}
