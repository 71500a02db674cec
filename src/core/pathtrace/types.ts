/**
 * The path tracer's public contract: what a trace asks and what it answers.
 *
 * Every result is plain JSON with snake_case fields because the API returns
 * it as is (`POST /tenants/{t}/pathtracer/trace`).
 */
import type { NetworkAclEntry, Route, SecurityGroupRule, TransitGatewayRoute } from '../network/attributes.ts';

export type TraceProtocolName = 'tcp' | 'udp' | 'icmp' | 'all';
/** A protocol name or an IP protocol number 0–255 (6 = tcp, 17 = udp, 1 = icmp). */
export type TraceProtocol = TraceProtocolName | number;

export type TraceSource = { node_id: string } | { ip: string } | { internet: true };
/** `{ cidr: '0.0.0.0/0' }` means "any internet address": the tracer picks one and says which. */
export type TraceDestination = { node_id: string } | { ip: string } | { cidr: string };

export interface PortRange {
  from: number;
  to: number;
}

export interface TraceQuery {
  source: TraceSource;
  destination: TraceDestination;
  protocol: TraceProtocol;
  /** Destination port (tcp/udp). Without port or port_range every port is asked about. */
  port?: number;
  /** Inclusive destination port range; the flow is reachable when some port in it is. */
  port_range?: PortRange;
  /** ICMP type and code; without them any ICMP type/code is asked about. */
  icmp_type?: number;
  icmp_code?: number;
  /** Return every path found (up to max_paths) rather than the best one. */
  all_paths?: boolean;
  /** Bound on paths explored and returned (default 16). */
  max_paths?: number;
  /**
   * The client's ephemeral port range, on which stateless network ACLs must
   * let replies through. Default 1024–65535 (covers Linux, Windows, NAT and ELB).
   */
  ephemeral_port_range?: PortRange;
  /** Check the return path (default true). When false, `reachable` is the forward path alone. */
  check_return?: boolean;
}

export type Disposition =
  | 'ACCEPTED'
  | 'DELIVERED_TO_SUBNET'
  | 'EXITS_NETWORK'
  | 'DENIED_OUT'
  | 'DENIED_IN'
  | 'NO_ROUTE'
  | 'NULL_ROUTED'
  | 'NO_PUBLIC_IP'
  | 'UNSUPPORTED';

export type HopKind =
  | 'internet'
  | 'eni'
  | 'security_group'
  | 'network_acl'
  | 'route_table'
  | 'subnet'
  | 'internet_gateway'
  | 'nat_gateway'
  | 'vpc_peering_connection'
  | 'transit_gateway'
  | 'transit_gateway_attachment'
  | 'transit_gateway_route_table'
  | 'vpn_gateway'
  | 'vpn_connection'
  | 'vpc_endpoint'
  | 'load_balancer'
  | 'network_appliance'
  /** An address AWS answers itself (instance metadata, Amazon DNS, time sync): see `aws-services.ts`. */
  | 'aws_service';

export type HopDirection = 'egress' | 'ingress' | 'forward';
export type HopDecision = 'allow' | 'deny' | 'forward' | 'drop';

/** A security group rule that admitted the flow. */
export interface SecurityGroupRuleRef {
  type: 'security_group_rule';
  security_group_id: string;
  direction: 'ingress' | 'egress';
  /** Index into the group's `ingress` or `egress` array. */
  rule_index: number;
  rule: SecurityGroupRule;
}

/** No rule of the interface's groups admits the flow (security groups deny by default). */
export interface SecurityGroupNoMatchRef {
  type: 'security_group_no_match';
  direction: 'ingress' | 'egress';
  security_group_ids: string[];
}

/** A network ACL entry that decided (rule_number 32767 with entry null is the implicit '*' deny). */
export interface NetworkAclRuleRef {
  type: 'network_acl_entry';
  network_acl_id: string;
  rule_number: number;
  egress: boolean;
  action: 'allow' | 'deny';
  entry: NetworkAclEntry | null;
}

export interface RouteRef {
  type: 'route';
  route_table_id: string;
  /** The matched destination: a CIDR, or a prefix list id with the CIDR of it that matched. */
  destination: string;
  target_type: Route['target_type'];
  target_id: string;
  state: Route['state'];
  origin: string | null;
  /** True when the route is implied (the VPC `local` route, or a table the inventory lacks). */
  implied?: boolean;
}

export interface NoRouteRef {
  type: 'no_route';
  route_table_id: string | null;
  destination_ip: string;
}

export interface TransitGatewayRouteRef {
  type: 'transit_gateway_route';
  transit_gateway_route_table_id: string;
  destination: string;
  route_type: TransitGatewayRoute['type'];
  state: TransitGatewayRoute['state'];
  attachment_ids: string[];
  /** True when derived from a propagation rather than listed in the snapshot. */
  derived?: boolean;
}

export interface VpnRouteRef {
  type: 'vpn_route';
  vpn_connection_id: string;
  destination: string;
  /** 'static' from the connection's routes, 'bgp' when assumed from dynamic routing. */
  source: 'static' | 'bgp';
}

export interface ListenerRef {
  type: 'listener';
  load_balancer_arn: string;
  port: number;
  protocol: string;
}

export type HopRule =
  | SecurityGroupRuleRef
  | SecurityGroupNoMatchRef
  | NetworkAclRuleRef
  | RouteRef
  | NoRouteRef
  | TransitGatewayRouteRef
  | VpnRouteRef
  | ListenerRef;

export interface Hop {
  /** Infracast node id of the component; null for the internet or components the inventory lacks. */
  node_id: string | null;
  native_id: string | null;
  kind: HopKind;
  direction: HopDirection;
  decision: HopDecision;
  /** The exact thing that decided at this hop, when something did. */
  rule: HopRule | null;
  note?: string;
}

export interface TraceEndpoint {
  /** The node the address belongs to, when known. */
  node_id: string | null;
  /** The ENI (native id) used, when the endpoint is an interface. */
  eni_id: string | null;
  /** The address used (private for interfaces, public/external otherwise). */
  ip: string | null;
  /**
   * `eni`: an interface's address (or a node reached through its interfaces, when none was chosen);
   * `subnet_address`: an address in a subnet that no known interface has; `internet`: an internet
   * address; `external`: an address outside the modelled network; `aws_service`: an address AWS
   * answers itself for the sender (instance metadata, Amazon DNS, Amazon Time Sync), where no
   * security group, network ACL or route table applies.
   */
  kind: 'eni' | 'subnet_address' | 'internet' | 'external' | 'aws_service';
}

export interface ReturnPath {
  /** False when the forward path failed and there is nothing to return. */
  evaluated: boolean;
  allowed: boolean;
  blocked_by?: Hop | null;
  hops?: Hop[];
  /** The destination ports replies use (the client's ephemeral range), for stateless ACL checks. */
  ports?: PortRange[];
}

export interface TracePath {
  /** Forward path delivered and (unless check_return is false) replies can come back. */
  reachable: boolean;
  disposition: Disposition;
  source: TraceEndpoint;
  destination: TraceEndpoint;
  hops: Hop[];
  blocked_by: Hop | null;
  return_path: ReturnPath;
  /**
   * Destination ports (tcp/udp) or ICMP type/code (as type*256+code) that get through: `[]` when
   * none does, however the trace failed; null only for protocols without ports (`all`, numbers).
   */
  reachable_ports: PortRange[] | null;
  explanation: string;
}

export interface TraceResult extends TracePath {
  /** The flow as understood: protocol name/number and the requested ports. */
  flow: { protocol: string; protocol_number: number; ports: PortRange[] | null; description: string };
  /** Incomplete or unknown data the answer relies on, stated plainly. */
  assumptions: string[];
  /** Every path explored (bounded by max_paths), when all_paths was asked. */
  paths?: TracePath[];
}

export interface ExposureOptions {
  /**
   * Destination ports to check for tcp and udp; default every port. Other protocols asked with them
   * (icmp) are checked whole; ports without tcp or udp among `protocols` are a query error.
   */
  ports?: number[];
  /** Default ['tcp', 'udp', 'icmp']. */
  protocols?: TraceProtocol[];
  /** Bound on entries returned (default 1000). */
  maxResults?: number;
  /** Include each entry's hop list (default true). */
  includePaths?: boolean;
}

export interface ExposedService {
  protocol: string;
  protocol_number: number;
  /** Ports reachable from some internet address (ICMP: type*256+code); null for protocols without ports. */
  ports: PortRange[] | null;
  /** True when every listed port is reachable from any internet address (not only from specific ranges). */
  open_to_any_address: boolean;
  /** The ports reachable from any internet address (a subset of `ports`); null for protocols without ports. */
  ports_open_to_any_address: PortRange[] | null;
  /** An internet address that gets through. */
  example_source_ip: string;
  /**
   * Targets of a load balancer (`via: 'load_balancer'`), TCP/UDP: the ports the load balancer
   * delivers to on the target, i.e. every registered port its security groups and network ACLs
   * admit (the listener ports when the inventory gives no target port). `ports` stays the
   * client-facing listener ports.
   */
  target_ports?: PortRange[];
}

export interface ExposedEndpoint {
  node_id: string;
  node_type: string;
  name: string;
  eni_id: string | null;
  /**
   * The private address the internet reaches: the one its public IP maps to, or (through a load
   * balancer) the registered address it sends to; null for a load balancer's own entry.
   */
  private_ip: string | null;
  public_ip: string | null;
  /** 'public_ip': directly through an internet gateway; 'load_balancer': as a target of an internet-facing load balancer. */
  via: 'public_ip' | 'load_balancer';
  load_balancer_node_id: string | null;
  services: ExposedService[];
  /** One reachable path, internet first. */
  hops?: Hop[];
}

export interface ExposureResult {
  exposed: ExposedEndpoint[];
  /** Interfaces examined. */
  examined: number;
  truncated: boolean;
  assumptions: string[];
}
