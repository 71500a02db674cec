/**
 * The normalised `attributes` shape of every AWS network resource type.
 *
 * This is the contract between the ingest parsers (which write it, from AWS
 * CLI `describe-*` output or Terraform state/plan) and the path tracer (which
 * reads it). Parsers may add other attributes (the raw provider fields they
 * find useful) but must fill these fields whenever the input carries them.
 *
 * Conventions:
 * - AWS ids (`vpc-…`, `subnet-…`, `sg-…`) are native ids, not node ids.
 *   Node ids are built with `nodeId('aws', region, type, nativeId)`.
 * - Protocols are IP protocol numbers as strings, `'-1'` meaning all
 *   (`tcp`→'6', `udp`→'17', `icmp`→'1', `icmpv6`→'58'), as AWS stores them.
 * - Ports: `from_port`/`to_port` inclusive; `null` when the protocol has none
 *   or the rule covers all ports. For ICMP, `from_port` is the ICMP type and
 *   `to_port` the code (-1 = any), as in the EC2 API.
 * - `state` keeps the provider's lifecycle state verbatim (`running`,
 *   `terminated`, `available`, `active`, `deleted`, `blackhole`, …) so the
 *   tracer can ignore resources that carry no traffic.
 * - Nodes from a Terraform plan may hold `{ $unknown: true }` (UNKNOWN in
 *   src/core/inventory/types.ts) in place of any value Terraform knows only
 *   after apply (ids of resources being created, computed addresses), also
 *   inside arrays. Nodes from states and AWS snapshots never do.
 */

/** Infracast node types for AWS networking (others: aws.s3.bucket, aws.iam.role, …). */
export const AWS_NETWORK_TYPES = {
  vpc: 'aws.ec2.vpc',
  subnet: 'aws.ec2.subnet',
  instance: 'aws.ec2.instance',
  networkInterface: 'aws.ec2.network_interface',
  securityGroup: 'aws.ec2.security_group',
  networkAcl: 'aws.ec2.network_acl',
  routeTable: 'aws.ec2.route_table',
  internetGateway: 'aws.ec2.internet_gateway',
  egressOnlyInternetGateway: 'aws.ec2.egress_only_internet_gateway',
  natGateway: 'aws.ec2.nat_gateway',
  elasticIp: 'aws.ec2.elastic_ip',
  vpcPeeringConnection: 'aws.ec2.vpc_peering_connection',
  transitGateway: 'aws.ec2.transit_gateway',
  transitGatewayAttachment: 'aws.ec2.transit_gateway_attachment',
  transitGatewayRouteTable: 'aws.ec2.transit_gateway_route_table',
  managedPrefixList: 'aws.ec2.managed_prefix_list',
  vpnGateway: 'aws.ec2.vpn_gateway',
  vpnConnection: 'aws.ec2.vpn_connection',
  customerGateway: 'aws.ec2.customer_gateway',
  vpcEndpoint: 'aws.ec2.vpc_endpoint',
  loadBalancer: 'aws.elbv2.load_balancer',
  targetGroup: 'aws.elbv2.target_group',
  dbInstance: 'aws.rds.db_instance',
  lambdaFunction: 'aws.lambda.function',
} as const;

export interface VpcAttributes {
  vpc_id: string;
  state: string; // 'available' | 'pending'
  /** Only CIDR blocks whose association state is `associated`. */
  cidr_blocks: string[];
  ipv6_cidr_blocks: string[];
  is_default: boolean;
  owner_id: string | null;
}

export interface SubnetAttributes {
  subnet_id: string;
  vpc_id: string;
  cidr_block: string;
  ipv6_cidr_blocks: string[];
  availability_zone: string | null;
  map_public_ip_on_launch: boolean;
  state: string;
}

/**
 * A network interface: the unit the tracer evaluates security groups on.
 * Instances, NAT gateways, load balancers, RDS instances, Lambda functions
 * and interface endpoints all reach the network through one or more ENIs.
 */
export interface NetworkInterfaceAttributes {
  network_interface_id: string;
  subnet_id: string;
  vpc_id: string;
  /** Primary first. */
  private_ips: string[];
  ipv6_addresses: string[];
  /** Public IPv4 (auto-assigned or Elastic IP association) of the primary private IP, null when none. */
  public_ip: string | null;
  /**
   * Optional: every private→public association (primary first), secondary private IPs' Elastic IPs
   * included; the internet gateway translates each one to one. Older inventories lack it.
   */
  public_ip_associations?: { private_ip: string; public_ip: string }[];
  security_group_ids: string[];
  /** 'interface' | 'nat_gateway' | 'network_load_balancer' | 'vpc_endpoint' | 'lambda' | … (AWS InterfaceType). */
  interface_type: string;
  status: string; // 'in-use' | 'available'
  source_dest_check: boolean;
  /** What the ENI is attached to, when anything. */
  attachment: { instance_id: string | null; device_index: number | null; status: string } | null;
  /** AWS `Description`, e.g. 'ELB app/my-lb/…', used to link managed ENIs to their owner. */
  description: string | null;
  /** Optional: AWS manages the interface (NAT gateway, load balancer, endpoint ENIs). */
  requester_managed?: boolean;
}

export interface InstanceAttributes {
  instance_id: string;
  state: string; // 'running' | 'stopped' | 'terminated' | …
  vpc_id: string | null;
  subnet_id: string | null;
  private_ip: string | null;
  public_ip: string | null;
  security_group_ids: string[];
  /** All ENIs, primary (device index 0) first. Empty when the input has none (e.g. Terraform). */
  network_interface_ids: string[];
  instance_type: string | null;
  image_id: string | null;
  iam_instance_profile_arn: string | null;
  /** Optional: IMDS `HttpTokens` ('required' = IMDSv2 only, 'optional'). */
  metadata_http_tokens?: string | null;
  /**
   * Optional: IMDS `HttpEndpoint` ('enabled', 'disabled'). The path tracer answers traffic to
   * 169.254.169.254 as refused when 'disabled', and assumes AWS's default (enabled) when absent.
   */
  metadata_http_endpoint?: string | null;
}

export interface SecurityGroupRule {
  protocol: string; // '-1' | '6' | '17' | '1' | '58' | any number 0–255
  from_port: number | null;
  to_port: number | null;
  cidrs: string[];
  ipv6_cidrs: string[];
  prefix_list_ids: string[];
  /** Referenced groups (a rule may reference a group in a peered VPC or another account). */
  security_group_ids: string[];
  description: string | null;
}

export interface SecurityGroupAttributes {
  group_id: string;
  group_name: string;
  vpc_id: string | null;
  owner_id: string | null;
  /** In input order; the tracer reports a deciding rule by its index here. */
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
}

export interface NetworkAclEntry {
  rule_number: number; // 32767 is the default '*' deny rule; parsers keep it when present
  egress: boolean;
  protocol: string; // as SecurityGroupRule.protocol
  action: 'allow' | 'deny';
  cidr: string | null;
  ipv6_cidr: string | null;
  /** null = all ports. */
  port_range: { from: number; to: number } | null;
  /** null = all ICMP types/codes (or not ICMP). */
  icmp: { type: number; code: number } | null;
}

export interface NetworkAclAttributes {
  network_acl_id: string;
  vpc_id: string;
  is_default: boolean;
  subnet_ids: string[];
  entries: NetworkAclEntry[];
}

export type RouteTargetType =
  | 'local'
  | 'internet_gateway'
  | 'egress_only_internet_gateway'
  | 'nat_gateway'
  | 'vpc_peering_connection'
  | 'transit_gateway'
  | 'vpn_gateway'
  | 'network_interface'
  | 'instance'
  | 'vpc_endpoint'
  | 'carrier_gateway'
  | 'local_gateway'
  | 'core_network'
  | 'unknown';

export interface Route {
  destination_cidr: string | null;
  destination_ipv6_cidr: string | null;
  destination_prefix_list_id: string | null;
  target_type: RouteTargetType;
  /** Native id of the target: 'local', 'igw-…', 'nat-…', 'pcx-…', 'tgw-…', 'vgw-…', 'eni-…', 'i-…', 'vpce-…'. */
  target_id: string;
  state: 'active' | 'blackhole';
  origin: string | null; // 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation'
}

export interface RouteTableAttributes {
  route_table_id: string;
  vpc_id: string;
  /** True when this is the VPC's main route table (used by subnets without an explicit association). */
  main: boolean;
  /** Subnets explicitly associated. */
  subnet_ids: string[];
  /** Gateways associated for ingress routing (edge associations). */
  gateway_ids: string[];
  routes: Route[];
}

export interface InternetGatewayAttributes {
  internet_gateway_id: string;
  attachments: { vpc_id: string; state: string }[]; // state 'available' | 'attached' | 'detached'
}

/** Same shape as an internet gateway's attachments (state 'attached' | 'detached'). */
export interface EgressOnlyInternetGatewayAttributes {
  egress_only_internet_gateway_id: string;
  attachments: { vpc_id: string; state: string }[];
}

export interface NatGatewayAttributes {
  nat_gateway_id: string;
  vpc_id: string;
  subnet_id: string;
  state: string; // 'available' | 'deleted' | …
  connectivity_type: 'public' | 'private';
  private_ip: string | null;
  public_ip: string | null;
  network_interface_id: string | null;
}

export interface ElasticIpAttributes {
  allocation_id: string | null;
  public_ip: string;
  association_id: string | null;
  network_interface_id: string | null;
  instance_id: string | null;
  private_ip: string | null;
}

export interface PeeringSide {
  vpc_id: string;
  owner_id: string | null;
  region: string | null;
  cidr_blocks: string[];
}

export interface VpcPeeringConnectionAttributes {
  vpc_peering_connection_id: string;
  status: string; // 'active' | 'deleted' | 'pending-acceptance' | 'rejected' | …
  requester: PeeringSide;
  accepter: PeeringSide;
}

export interface TransitGatewayAttributes {
  transit_gateway_id: string;
  state: string;
  owner_id: string | null;
  default_association_route_table_id: string | null;
  default_propagation_route_table_id: string | null;
}

export interface TransitGatewayAttachmentAttributes {
  transit_gateway_attachment_id: string;
  transit_gateway_id: string;
  resource_type: string; // 'vpc' | 'vpn' | 'peering' | 'direct-connect-gateway' | 'connect'
  resource_id: string | null; // vpc-…, vpn-…, tgw-… (peer)
  resource_owner_id: string | null;
  state: string; // 'available' | 'deleted' | …
  /** The route table this attachment is associated with (decides how traffic from it is routed). */
  association_route_table_id: string | null;
  /** For VPC attachments: the subnets (one per AZ) the TGW has ENIs in. */
  subnet_ids: string[];
}

export interface TransitGatewayRoute {
  destination_cidr: string | null;
  prefix_list_id: string | null;
  type: 'static' | 'propagated';
  state: 'active' | 'blackhole';
  /** Attachments traffic is sent to (ECMP may list several). Empty for blackholes. */
  attachment_ids: string[];
}

export interface TransitGatewayRouteTableAttributes {
  transit_gateway_route_table_id: string;
  transit_gateway_id: string;
  state: string;
  /** Attachments associated with this table. */
  association_attachment_ids: string[];
  /** Attachments whose routes propagate into this table. */
  propagation_attachment_ids: string[];
  /**
   * Routes as the snapshot lists them (static and already-propagated). When a
   * snapshot only lists propagations, the tracer derives propagated routes
   * from the attachment's VPC CIDRs / VPN routes.
   */
  routes: TransitGatewayRoute[];
}

export interface ManagedPrefixListAttributes {
  prefix_list_id: string;
  prefix_list_name: string | null;
  address_family: 'IPv4' | 'IPv6';
  cidrs: string[];
}

export interface VpnGatewayAttributes {
  vpn_gateway_id: string;
  state: string;
  attachments: { vpc_id: string; state: string }[];
}

export interface VpnConnectionAttributes {
  vpn_connection_id: string;
  state: string;
  vpn_gateway_id: string | null;
  transit_gateway_id: string | null;
  customer_gateway_id: string | null;
  static_routes_only: boolean;
  /** Static routes to the on-premises side. */
  routes: { destination_cidr: string; state: string }[];
}

export interface CustomerGatewayAttributes {
  customer_gateway_id: string;
  ip_address: string | null;
  bgp_asn: string | null;
  state: string;
}

export interface VpcEndpointAttributes {
  vpc_endpoint_id: string;
  vpc_id: string;
  vpc_endpoint_type: 'Gateway' | 'Interface' | 'GatewayLoadBalancer';
  service_name: string;
  state: string;
  route_table_ids: string[];
  subnet_ids: string[];
  network_interface_ids: string[];
  security_group_ids: string[];
}

export interface LoadBalancerAttributes {
  load_balancer_arn: string;
  load_balancer_name: string;
  dns_name: string | null;
  scheme: 'internet-facing' | 'internal';
  type: 'application' | 'network' | 'gateway';
  vpc_id: string | null;
  subnet_ids: string[];
  security_group_ids: string[];
  state: string;
  /** Listener ports when the snapshot has them (describe-listeners). */
  listeners: LoadBalancerListener[];
  /** Target ids (instance ids or IPs) when the snapshot has them (describe-target-health). */
  target_ids: string[];
  /**
   * Optional: targets with the port the load balancer sends to (describe-target-health
   * gives `Target.Port`), one entry per (target, port, target group) registration: a target
   * registered on several ports, or in several target groups, appears once per registration.
   * When absent, the path tracer assumes targets listen on the port the load balancer
   * received and says so.
   */
  targets?: LoadBalancerTarget[];
}

/** A listener of a load balancer: one per port. */
export interface LoadBalancerListener {
  port: number;
  protocol: string;
  /** The listener's ARN when the input has it. */
  listener_arn?: string | null;
  /**
   * Target groups the listener forwards to: its default actions' `forward` target groups
   * (`TargetGroupArn` or `ForwardConfig.TargetGroups`) and those of its rules' forward actions
   * when the input has them. Empty when no action forwards (redirect, fixed response). Absent
   * when the input does not say (older inventories, partial snapshots): the path tracer then
   * tries every registration behind the listener and says so.
   */
  target_group_arns?: string[];
  /**
   * The target groups the listener's non-default rules forward to (describe-rules,
   * `aws_lb_listener_rule`), also in `target_group_arns` when that is present: reached only for
   * the requests the rules' conditions match. Absent when no rule of the listener was ingested.
   */
  rule_target_group_arns?: string[];
  /**
   * The groups of the listener's default actions alone, kept apart once it has `rules` (before
   * that, `target_group_arns` holds just these). Absent while the input does not say.
   */
  default_target_group_arns?: string[];
  /** The listener's non-default rules, as far as they decide which sources reach which groups. */
  rules?: LoadBalancerListenerRule[];
}

/**
 * A non-default listener rule (describe-rules, `aws_lb_listener_rule`). Rules are evaluated
 * in priority order (lowest first) and the first whose conditions match a request decides it;
 * the default actions answer what no rule matched.
 */
export interface LoadBalancerListenerRule {
  rule_arn?: string;
  /** Null when the input does not say (a priority Terraform assigns at apply). */
  priority: number | null;
  /** The `source-ip` condition's CIDRs (IPv4 and IPv6); null when the rule has none. */
  source_cidrs: string[] | null;
  /**
   * The rule's other conditions match every request (there are none, or a `path-pattern` or
   * `host-header` of `*` or `/*`): from its sources no later rule and no default action is reached.
   */
  any_request: boolean;
  /** Target groups its `forward` action names; `[]` for a redirect or fixed response. */
  target_group_arns: string[];
}

/** One registration of a load balancer target, copied from its target group. */
export interface LoadBalancerTarget {
  id: string;
  port: number | null;
  /** The target group of the registration (its ARN, else the group's node id) when known. */
  target_group_arn?: string | null;
  /**
   * `TargetHealth.State` from describe-target-health ('healthy', 'unhealthy', 'initial',
   * 'unused', 'draining', 'unhealthy.draining', 'unavailable'); null or absent when unknown.
   */
  health?: string | null;
  /** `TargetHealth.Reason` (e.g. 'Target.FailedHealthChecks') when known. */
  health_reason?: string | null;
}

/** An ELBv2 target group: what its load balancers send traffic to. */
export interface TargetGroupAttributes {
  target_group_arn: string;
  target_group_name: string;
  protocol: string | null;
  port: number | null;
  vpc_id: string | null;
  target_type: string | null; // 'instance' | 'ip' | 'lambda' | 'alb'
  /**
   * The `preserve_client_ip.enabled` attribute (Terraform `preserve_client_ip`) when the input has it; absent
   * or null: AWS's default for the group's target type and protocol.
   */
  preserve_client_ip?: boolean | null;
  /** Load balancers forwarding to the group (describe-target-groups, or their listeners). */
  load_balancer_arns: string[];
  target_ids: string[];
  /** Targets with their port and health when the input has them (describe-target-health). */
  targets: { id: string; port: number | null; health: string | null; health_reason?: string | null }[];
}

export interface DbInstanceAttributes {
  db_instance_identifier: string;
  engine: string | null;
  status: string;
  endpoint_address: string | null;
  endpoint_port: number | null;
  publicly_accessible: boolean;
  vpc_id: string | null;
  subnet_ids: string[];
  security_group_ids: string[];
  storage_encrypted: boolean | null;
}

export interface LambdaFunctionAttributes {
  function_name: string;
  vpc_id: string | null;
  subnet_ids: string[];
  security_group_ids: string[];
}
