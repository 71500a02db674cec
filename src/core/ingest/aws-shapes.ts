/**
 * AWS API shapes (as the AWS CLI prints them) → the normalised attributes of
 * src/core/network/attributes.ts, plus a few raw fields kept in snake_case.
 * One function per object shape; they validate nothing but what they need,
 * the caller (aws-snapshot.ts) checks the identifying fields.
 */
import type {
  CustomerGatewayAttributes,
  DbInstanceAttributes,
  ElasticIpAttributes,
  InstanceAttributes,
  InternetGatewayAttributes,
  LambdaFunctionAttributes,
  LoadBalancerAttributes,
  ManagedPrefixListAttributes,
  NatGatewayAttributes,
  NetworkAclAttributes,
  NetworkAclEntry,
  NetworkInterfaceAttributes,
  PeeringSide,
  Route,
  RouteTableAttributes,
  RouteTargetType,
  SecurityGroupAttributes,
  SecurityGroupRule,
  SubnetAttributes,
  TransitGatewayAttachmentAttributes,
  TransitGatewayAttributes,
  TransitGatewayRoute,
  TransitGatewayRouteTableAttributes,
  VpcAttributes,
  VpcEndpointAttributes,
  VpcPeeringConnectionAttributes,
  VpnConnectionAttributes,
  VpnGatewayAttributes,
} from '../network/attributes.ts';
import {
  bool,
  dedupe,
  isRecord,
  normaliseNaclIcmp,
  normaliseNaclPortRange,
  normaliseProtocol,
  normaliseSgPorts,
  num,
  type Rec,
  recList,
  str,
  strList,
} from './values.ts';

const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
const s = (o: Rec, k: string): string | null => str(o[k]);
const strOr = (o: Rec, k: string, fallback: string): string => str(o[k]) ?? fallback;

export function vpcAttributes(o: Rec): VpcAttributes & Rec {
  const assoc = recList(o.CidrBlockAssociationSet);
  const cidrs =
    assoc.length > 0
      ? assoc.filter((a) => rec(a.CidrBlockState).State === 'associated').map((a) => s(a, 'CidrBlock'))
      : [s(o, 'CidrBlock')];
  const ipv6 = recList(o.Ipv6CidrBlockAssociationSet)
    .filter((a) => rec(a.Ipv6CidrBlockState).State === 'associated')
    .map((a) => s(a, 'Ipv6CidrBlock'));
  return {
    vpc_id: strOr(o, 'VpcId', ''),
    state: strOr(o, 'State', 'available'),
    cidr_blocks: cidrs.filter((c): c is string => c !== null),
    ipv6_cidr_blocks: ipv6.filter((c): c is string => c !== null),
    is_default: bool(o.IsDefault) ?? false,
    owner_id: s(o, 'OwnerId'),
    instance_tenancy: s(o, 'InstanceTenancy'),
    dhcp_options_id: s(o, 'DhcpOptionsId'),
  };
}

export function subnetAttributes(o: Rec): SubnetAttributes & Rec {
  return {
    subnet_id: strOr(o, 'SubnetId', ''),
    vpc_id: strOr(o, 'VpcId', ''),
    cidr_block: strOr(o, 'CidrBlock', ''),
    ipv6_cidr_blocks: recList(o.Ipv6CidrBlockAssociationSet)
      .filter((a) => rec(a.Ipv6CidrBlockState).State === 'associated')
      .map((a) => s(a, 'Ipv6CidrBlock'))
      .filter((c): c is string => c !== null),
    availability_zone: s(o, 'AvailabilityZone'),
    map_public_ip_on_launch: bool(o.MapPublicIpOnLaunch) ?? false,
    state: strOr(o, 'State', 'available'),
    availability_zone_id: s(o, 'AvailabilityZoneId'),
    default_for_az: bool(o.DefaultForAz) ?? false,
    owner_id: s(o, 'OwnerId'),
  };
}

/** `SecurityGroups[]` / `Groups[]` entries ({GroupId, GroupName}) → ids. */
const groupIds = (v: unknown): string[] =>
  recList(v)
    .map((g) => s(g, 'GroupId'))
    .filter((g): g is string => g !== null);

export function instanceAttributes(o: Rec): InstanceAttributes & Rec {
  const enis = recList(o.NetworkInterfaces)
    .slice()
    .sort((a, b) => (num(rec(a.Attachment).DeviceIndex) ?? 0) - (num(rec(b.Attachment).DeviceIndex) ?? 0));
  const placement = rec(o.Placement);
  const metadata = rec(o.MetadataOptions);
  return {
    instance_id: strOr(o, 'InstanceId', ''),
    state: strOr(rec(o.State), 'Name', 'unknown'),
    vpc_id: s(o, 'VpcId'),
    subnet_id: s(o, 'SubnetId'),
    private_ip: s(o, 'PrivateIpAddress'),
    public_ip: s(o, 'PublicIpAddress'),
    security_group_ids: groupIds(o.SecurityGroups),
    network_interface_ids: enis.map((e) => s(e, 'NetworkInterfaceId')).filter((e): e is string => e !== null),
    instance_type: s(o, 'InstanceType'),
    image_id: s(o, 'ImageId'),
    iam_instance_profile_arn: s(rec(o.IamInstanceProfile), 'Arn'),
    availability_zone: s(placement, 'AvailabilityZone'),
    tenancy: s(placement, 'Tenancy'),
    key_name: s(o, 'KeyName'),
    platform: s(o, 'Platform') ?? s(o, 'PlatformDetails'),
    architecture: s(o, 'Architecture'),
    private_dns_name: s(o, 'PrivateDnsName'),
    public_dns_name: s(o, 'PublicDnsName'),
    launch_time: s(o, 'LaunchTime'),
    source_dest_check: bool(o.SourceDestCheck),
    monitoring_state: s(rec(o.Monitoring), 'State'),
    metadata_http_tokens: s(metadata, 'HttpTokens'),
    metadata_http_endpoint: s(metadata, 'HttpEndpoint'),
  };
}

/**
 * A network interface, either from describe-network-interfaces or embedded in
 * an instance (then `instanceId` fills the attachment, which AWS leaves
 * implicit there).
 */
export function networkInterfaceAttributes(
  o: Rec,
  embedded?: { instanceId: string; vpcId: string | null },
): NetworkInterfaceAttributes & Rec {
  const privateIps = recList(o.PrivateIpAddresses)
    .slice()
    .sort((a, b) => Number(bool(b.Primary) ?? false) - Number(bool(a.Primary) ?? false))
    .map((p) => s(p, 'PrivateIpAddress'))
    .filter((p): p is string => p !== null);
  const primaryIp = s(o, 'PrivateIpAddress');
  if (privateIps.length === 0 && primaryIp !== null) privateIps.push(primaryIp);
  const attachment = isRecord(o.Attachment) ? o.Attachment : null;
  const association = rec(o.Association);
  const associations = publicIpAssociations(o, privateIps[0] ?? primaryIp);
  return {
    network_interface_id: strOr(o, 'NetworkInterfaceId', ''),
    subnet_id: strOr(o, 'SubnetId', ''),
    vpc_id: s(o, 'VpcId') ?? embedded?.vpcId ?? '',
    private_ips: dedupe(privateIps),
    ipv6_addresses: recList(o.Ipv6Addresses)
      .map((a) => s(a, 'Ipv6Address'))
      .filter((a): a is string => a !== null),
    // The interface-level association is the primary private address's.
    public_ip:
      s(association, 'PublicIp') ?? associations.find((x) => x.private_ip === privateIps[0])?.public_ip ?? null,
    public_ip_associations: associations,
    security_group_ids: groupIds(o.Groups),
    interface_type: strOr(o, 'InterfaceType', 'interface'),
    status: strOr(o, 'Status', embedded ? 'in-use' : 'available'),
    source_dest_check: bool(o.SourceDestCheck) ?? true,
    attachment:
      attachment === null && embedded === undefined
        ? null
        : {
            instance_id: s(rec(attachment), 'InstanceId') ?? embedded?.instanceId ?? null,
            device_index: num(rec(attachment).DeviceIndex),
            status: strOr(rec(attachment), 'Status', 'attached'),
          },
    description: s(o, 'Description'),
    availability_zone: s(o, 'AvailabilityZone'),
    mac_address: s(o, 'MacAddress'),
    owner_id: s(o, 'OwnerId'),
    requester_managed: bool(o.RequesterManaged) ?? false,
    requester_id: s(o, 'RequesterId'),
    private_dns_name: s(o, 'PrivateDnsName'),
    public_ip_allocation_id: s(association, 'AllocationId'),
  };
}

/**
 * Every private → public address association of an interface: each
 * `PrivateIpAddresses[].Association.PublicIp` (an Elastic IP may sit on a
 * secondary address), and the interface-level `Association` for the primary
 * address. Primary first, one entry per private address.
 */
function publicIpAssociations(o: Rec, primaryIp: string | null): { private_ip: string; public_ip: string }[] {
  const out: { private_ip: string; public_ip: string }[] = [];
  const add = (privateIp: string | null, publicIp: string | null) => {
    if (privateIp === null || publicIp === null) return;
    if (out.some((x) => x.private_ip === privateIp || x.public_ip === publicIp)) return;
    out.push({ private_ip: privateIp, public_ip: publicIp });
  };
  add(primaryIp, s(rec(o.Association), 'PublicIp'));
  for (const p of recList(o.PrivateIpAddresses)) add(s(p, 'PrivateIpAddress'), s(rec(p.Association), 'PublicIp'));
  const primaryFirst = out.findIndex((x) => x.private_ip === primaryIp);
  if (primaryFirst > 0) out.unshift(...out.splice(primaryFirst, 1));
  return out;
}

/** One `IpPermissions[]` entry → one normalised rule. */
export function securityGroupRule(p: Rec): SecurityGroupRule {
  const protocol = normaliseProtocol(p.IpProtocol) as string;
  const ports = normaliseSgPorts(protocol, p.FromPort, p.ToPort) as {
    from_port: number | null;
    to_port: number | null;
  };
  const ipRanges = recList(p.IpRanges);
  const ipv6Ranges = recList(p.Ipv6Ranges);
  const prefixLists = recList(p.PrefixListIds);
  const pairs = recList(p.UserIdGroupPairs);
  const description =
    [...ipRanges, ...ipv6Ranges, ...prefixLists, ...pairs].map((r) => s(r, 'Description')).find((d) => d !== null) ??
    null;
  return {
    protocol,
    from_port: ports.from_port,
    to_port: ports.to_port,
    cidrs: ipRanges.map((r) => s(r, 'CidrIp')).filter((c): c is string => c !== null),
    ipv6_cidrs: ipv6Ranges.map((r) => s(r, 'CidrIpv6')).filter((c): c is string => c !== null),
    prefix_list_ids: prefixLists.map((r) => s(r, 'PrefixListId')).filter((c): c is string => c !== null),
    security_group_ids: pairs.map((r) => s(r, 'GroupId')).filter((c): c is string => c !== null),
    description,
  };
}

export function securityGroupAttributes(o: Rec): SecurityGroupAttributes & Rec {
  return {
    group_id: strOr(o, 'GroupId', ''),
    group_name: strOr(o, 'GroupName', ''),
    vpc_id: s(o, 'VpcId'),
    owner_id: s(o, 'OwnerId'),
    ingress: recList(o.IpPermissions).map(securityGroupRule),
    egress: recList(o.IpPermissionsEgress).map(securityGroupRule),
    description: s(o, 'Description'),
  };
}

/** NACL entries in a stable order: ingress then egress, each by rule number. */
export function sortNaclEntries<E extends object>(entries: E[]): E[] {
  const ruleNumber = (e: E): number => {
    const n = (e as Rec).rule_number;
    return typeof n === 'number' ? n : 0;
  };
  return entries.slice().sort((a, b) => {
    const ae = (a as Rec).egress === true;
    const be = (b as Rec).egress === true;
    if (ae !== be) return ae ? 1 : -1;
    return ruleNumber(a) - ruleNumber(b);
  });
}

export function networkAclEntry(e: Rec): NetworkAclEntry {
  const protocol = normaliseProtocol(e.Protocol) as string;
  const range = rec(e.PortRange);
  const icmp = rec(e.IcmpTypeCode);
  return {
    rule_number: num(e.RuleNumber) ?? 0,
    egress: bool(e.Egress) ?? false,
    protocol,
    action: s(e, 'RuleAction') === 'deny' ? 'deny' : 'allow',
    cidr: s(e, 'CidrBlock'),
    ipv6_cidr: s(e, 'Ipv6CidrBlock'),
    port_range: normaliseNaclPortRange(protocol, range.From, range.To) as { from: number; to: number } | null,
    icmp: normaliseNaclIcmp(protocol, icmp.Type, icmp.Code),
  };
}

export function networkAclAttributes(o: Rec): NetworkAclAttributes & Rec {
  return {
    network_acl_id: strOr(o, 'NetworkAclId', ''),
    vpc_id: strOr(o, 'VpcId', ''),
    is_default: bool(o.IsDefault) ?? false,
    subnet_ids: dedupe(
      recList(o.Associations)
        .map((a) => s(a, 'SubnetId'))
        .filter((id): id is string => id !== null),
    ),
    entries: sortNaclEntries(recList(o.Entries).map(networkAclEntry)),
    owner_id: s(o, 'OwnerId'),
  };
}

/** The target of a route, from whichever target field AWS filled. */
export function routeTarget(r: Rec): { target_type: RouteTargetType; target_id: string } {
  const gateway = s(r, 'GatewayId');
  if (gateway !== null) return { target_type: gatewayTargetType(gateway), target_id: gateway };
  const fields: [string, RouteTargetType][] = [
    ['EgressOnlyInternetGatewayId', 'egress_only_internet_gateway'],
    ['NatGatewayId', 'nat_gateway'],
    ['TransitGatewayId', 'transit_gateway'],
    ['VpcPeeringConnectionId', 'vpc_peering_connection'],
    // An instance route also names the instance's ENI; the ENI is the precise hop.
    ['NetworkInterfaceId', 'network_interface'],
    ['InstanceId', 'instance'],
    ['CarrierGatewayId', 'carrier_gateway'],
    ['LocalGatewayId', 'local_gateway'],
    ['CoreNetworkArn', 'core_network'],
  ];
  for (const [field, type] of fields) {
    const id = s(r, field);
    if (id !== null) return { target_type: type, target_id: id };
  }
  return { target_type: 'unknown', target_id: '' };
}

/** `GatewayId` holds internet gateways, virtual private gateways, gateway endpoints and 'local'. */
export function gatewayTargetType(id: string): RouteTargetType {
  if (id === 'local') return 'local';
  if (id.startsWith('igw-')) return 'internet_gateway';
  if (id.startsWith('vgw-')) return 'vpn_gateway';
  if (id.startsWith('vpce-')) return 'vpc_endpoint';
  if (id.startsWith('eigw-')) return 'egress_only_internet_gateway';
  if (id.startsWith('nat-')) return 'nat_gateway';
  if (id.startsWith('tgw-')) return 'transit_gateway';
  return 'unknown';
}

export function route(r: Rec): Route {
  return {
    destination_cidr: s(r, 'DestinationCidrBlock'),
    destination_ipv6_cidr: s(r, 'DestinationIpv6CidrBlock'),
    destination_prefix_list_id: s(r, 'DestinationPrefixListId'),
    ...routeTarget(r),
    state: s(r, 'State') === 'blackhole' ? 'blackhole' : 'active',
    origin: s(r, 'Origin'),
  };
}

export function routeTableAttributes(o: Rec): RouteTableAttributes & Rec {
  const associations = recList(o.Associations).filter((a) => {
    const state = s(rec(a.AssociationState), 'State');
    return state === null || state === 'associated' || state === 'associating';
  });
  return {
    route_table_id: strOr(o, 'RouteTableId', ''),
    vpc_id: strOr(o, 'VpcId', ''),
    main: associations.some((a) => bool(a.Main) === true),
    subnet_ids: dedupe(associations.map((a) => s(a, 'SubnetId')).filter((id): id is string => id !== null)),
    gateway_ids: dedupe(associations.map((a) => s(a, 'GatewayId')).filter((id): id is string => id !== null)),
    routes: recList(o.Routes).map(route),
    propagating_vgw_ids: recList(o.PropagatingVgws)
      .map((p) => s(p, 'GatewayId'))
      .filter((id): id is string => id !== null),
    owner_id: s(o, 'OwnerId'),
  };
}

const vpcAttachments = (v: unknown): { vpc_id: string; state: string }[] =>
  recList(v)
    .filter((a) => s(a, 'VpcId') !== null)
    .map((a) => ({ vpc_id: s(a, 'VpcId') as string, state: strOr(a, 'State', 'attached') }));

export function internetGatewayAttributes(o: Rec): InternetGatewayAttributes & Rec {
  return {
    internet_gateway_id: strOr(o, 'InternetGatewayId', ''),
    attachments: vpcAttachments(o.Attachments),
    owner_id: s(o, 'OwnerId'),
  };
}

export function egressOnlyInternetGatewayAttributes(o: Rec): Rec {
  return {
    egress_only_internet_gateway_id: strOr(o, 'EgressOnlyInternetGatewayId', ''),
    attachments: vpcAttachments(o.Attachments),
  };
}

export function natGatewayAttributes(o: Rec): NatGatewayAttributes & Rec {
  const addresses = recList(o.NatGatewayAddresses);
  const primary = addresses.find((a) => bool(a.IsPrimary) === true) ?? addresses[0] ?? {};
  return {
    nat_gateway_id: strOr(o, 'NatGatewayId', ''),
    vpc_id: strOr(o, 'VpcId', ''),
    subnet_id: strOr(o, 'SubnetId', ''),
    state: strOr(o, 'State', 'available'),
    connectivity_type: s(o, 'ConnectivityType') === 'private' ? 'private' : 'public',
    private_ip: s(primary, 'PrivateIp'),
    public_ip: s(primary, 'PublicIp'),
    network_interface_id: s(primary, 'NetworkInterfaceId'),
    allocation_id: s(primary, 'AllocationId'),
    addresses: addresses.map((a) => ({
      allocation_id: s(a, 'AllocationId'),
      network_interface_id: s(a, 'NetworkInterfaceId'),
      private_ip: s(a, 'PrivateIp'),
      public_ip: s(a, 'PublicIp'),
    })),
  };
}

export function elasticIpAttributes(o: Rec): ElasticIpAttributes & Rec {
  return {
    allocation_id: s(o, 'AllocationId'),
    public_ip: strOr(o, 'PublicIp', ''),
    association_id: s(o, 'AssociationId'),
    network_interface_id: s(o, 'NetworkInterfaceId'),
    instance_id: s(o, 'InstanceId'),
    private_ip: s(o, 'PrivateIpAddress'),
    domain: s(o, 'Domain'),
    network_interface_owner_id: s(o, 'NetworkInterfaceOwnerId'),
    public_ipv4_pool: s(o, 'PublicIpv4Pool'),
  };
}

function peeringSide(v: unknown): PeeringSide {
  const side = rec(v);
  const set = recList(side.CidrBlockSet)
    .map((c) => s(c, 'CidrBlock'))
    .filter((c): c is string => c !== null);
  const primary = s(side, 'CidrBlock');
  return {
    vpc_id: strOr(side, 'VpcId', ''),
    owner_id: s(side, 'OwnerId'),
    region: s(side, 'Region'),
    cidr_blocks: set.length > 0 ? set : primary === null ? [] : [primary],
  };
}

export function vpcPeeringConnectionAttributes(o: Rec): VpcPeeringConnectionAttributes & Rec {
  return {
    vpc_peering_connection_id: strOr(o, 'VpcPeeringConnectionId', ''),
    status: strOr(rec(o.Status), 'Code', 'unknown'),
    requester: peeringSide(o.RequesterVpcInfo),
    accepter: peeringSide(o.AccepterVpcInfo),
  };
}

export function transitGatewayAttributes(o: Rec): TransitGatewayAttributes & Rec {
  const options = rec(o.Options);
  const association = s(options, 'DefaultRouteTableAssociation') !== 'disable';
  const propagation = s(options, 'DefaultRouteTablePropagation') !== 'disable';
  return {
    transit_gateway_id: strOr(o, 'TransitGatewayId', ''),
    state: strOr(o, 'State', 'available'),
    owner_id: s(o, 'OwnerId'),
    default_association_route_table_id: association ? s(options, 'AssociationDefaultRouteTableId') : null,
    default_propagation_route_table_id: propagation ? s(options, 'PropagationDefaultRouteTableId') : null,
    amazon_side_asn: num(options.AmazonSideAsn),
    description: s(o, 'Description'),
    transit_gateway_cidr_blocks: strList(options.TransitGatewayCidrBlocks),
  };
}

/** describe-transit-gateway-attachments: every kind of attachment, with its association. */
export function transitGatewayAttachmentAttributes(o: Rec): TransitGatewayAttachmentAttributes & Rec {
  const association = rec(o.Association);
  const associationState = s(association, 'State');
  return {
    transit_gateway_attachment_id: strOr(o, 'TransitGatewayAttachmentId', ''),
    transit_gateway_id: strOr(o, 'TransitGatewayId', ''),
    resource_type: strOr(o, 'ResourceType', 'unknown'),
    resource_id: s(o, 'ResourceId'),
    resource_owner_id: s(o, 'ResourceOwnerId'),
    state: strOr(o, 'State', 'available'),
    association_route_table_id:
      associationState === 'associated' || associationState === 'associating'
        ? s(association, 'TransitGatewayRouteTableId')
        : null,
    subnet_ids: [],
    transit_gateway_owner_id: s(o, 'TransitGatewayOwnerId'),
  };
}

export function transitGatewayVpcAttachmentAttributes(o: Rec): TransitGatewayAttachmentAttributes & Rec {
  const options = rec(o.Options);
  return {
    transit_gateway_attachment_id: strOr(o, 'TransitGatewayAttachmentId', ''),
    transit_gateway_id: strOr(o, 'TransitGatewayId', ''),
    resource_type: 'vpc',
    resource_id: s(o, 'VpcId'),
    resource_owner_id: s(o, 'VpcOwnerId'),
    state: strOr(o, 'State', 'available'),
    association_route_table_id: null,
    subnet_ids: strList(o.SubnetIds),
    appliance_mode_support: s(options, 'ApplianceModeSupport'),
    dns_support: s(options, 'DnsSupport'),
  };
}

export function transitGatewayPeeringAttachmentAttributes(o: Rec): TransitGatewayAttachmentAttributes & Rec {
  const requester = rec(o.RequesterTgwInfo);
  const accepter = rec(o.AccepterTgwInfo);
  return {
    transit_gateway_attachment_id: strOr(o, 'TransitGatewayAttachmentId', ''),
    transit_gateway_id: strOr(requester, 'TransitGatewayId', ''),
    resource_type: 'peering',
    resource_id: s(accepter, 'TransitGatewayId'),
    resource_owner_id: s(accepter, 'OwnerId'),
    state: strOr(o, 'State', 'available'),
    association_route_table_id: null,
    subnet_ids: [],
    requester: {
      transit_gateway_id: s(requester, 'TransitGatewayId'),
      owner_id: s(requester, 'OwnerId'),
      region: s(requester, 'Region'),
    },
    accepter: {
      transit_gateway_id: s(accepter, 'TransitGatewayId'),
      owner_id: s(accepter, 'OwnerId'),
      region: s(accepter, 'Region'),
    },
  };
}

export function transitGatewayRouteTableAttributes(o: Rec): TransitGatewayRouteTableAttributes & Rec {
  return {
    transit_gateway_route_table_id: strOr(o, 'TransitGatewayRouteTableId', ''),
    transit_gateway_id: strOr(o, 'TransitGatewayId', ''),
    state: strOr(o, 'State', 'available'),
    association_attachment_ids: [],
    propagation_attachment_ids: [],
    routes: [],
    default_association_route_table: bool(o.DefaultAssociationRouteTable) ?? false,
    default_propagation_route_table: bool(o.DefaultPropagationRouteTable) ?? false,
  };
}

/** A search-transit-gateway-routes route; null for routes being deleted (they carry no traffic). */
export function transitGatewayRoute(r: Rec): TransitGatewayRoute | null {
  const state = s(r, 'State');
  if (state !== 'active' && state !== 'blackhole') return null;
  return {
    destination_cidr: s(r, 'DestinationCidrBlock'),
    prefix_list_id: s(r, 'PrefixListId'),
    type: s(r, 'Type') === 'propagated' ? 'propagated' : 'static',
    state,
    attachment_ids: dedupe(
      recList(r.TransitGatewayAttachments)
        .map((a) => s(a, 'TransitGatewayAttachmentId'))
        .filter((a): a is string => a !== null),
    ),
  };
}

export function prefixListAttributes(o: Rec): ManagedPrefixListAttributes & Rec {
  const cidrs = strList(o.Cidrs);
  const family = s(o, 'AddressFamily');
  return {
    prefix_list_id: strOr(o, 'PrefixListId', ''),
    prefix_list_name: s(o, 'PrefixListName'),
    address_family: family === 'IPv6' || (family === null && cidrs.some((c) => c.includes(':'))) ? 'IPv6' : 'IPv4',
    cidrs,
    state: s(o, 'State'),
    owner_id: s(o, 'OwnerId'),
    max_entries: num(o.MaxEntries),
    version: num(o.Version),
  };
}

export function vpnGatewayAttributes(o: Rec): VpnGatewayAttributes & Rec {
  return {
    vpn_gateway_id: strOr(o, 'VpnGatewayId', ''),
    state: strOr(o, 'State', 'available'),
    attachments: vpcAttachments(o.VpcAttachments),
    amazon_side_asn: num(o.AmazonSideAsn),
    availability_zone: s(o, 'AvailabilityZone'),
    type: s(o, 'Type'),
  };
}

export function vpnConnectionAttributes(o: Rec): VpnConnectionAttributes & Rec {
  // CustomerGatewayConfiguration is deliberately not kept: it holds the tunnels' pre-shared keys.
  return {
    vpn_connection_id: strOr(o, 'VpnConnectionId', ''),
    state: strOr(o, 'State', 'available'),
    vpn_gateway_id: s(o, 'VpnGatewayId'),
    transit_gateway_id: s(o, 'TransitGatewayId'),
    customer_gateway_id: s(o, 'CustomerGatewayId'),
    static_routes_only: bool(rec(o.Options).StaticRoutesOnly) ?? false,
    routes: recList(o.Routes)
      .filter((r) => s(r, 'DestinationCidrBlock') !== null)
      .map((r) => ({
        destination_cidr: s(r, 'DestinationCidrBlock') as string,
        state: strOr(r, 'State', 'available'),
      })),
    type: s(o, 'Type'),
    category: s(o, 'Category'),
    tunnels: recList(o.VgwTelemetry).map((t) => ({
      outside_ip_address: s(t, 'OutsideIpAddress'),
      status: s(t, 'Status'),
    })),
  };
}

export function customerGatewayAttributes(o: Rec): CustomerGatewayAttributes & Rec {
  const asn = o.BgpAsn;
  return {
    customer_gateway_id: strOr(o, 'CustomerGatewayId', ''),
    ip_address: s(o, 'IpAddress'),
    bgp_asn: typeof asn === 'number' ? String(asn) : str(asn),
    state: strOr(o, 'State', 'available'),
    type: s(o, 'Type'),
    device_name: s(o, 'DeviceName'),
  };
}

export function vpcEndpointAttributes(o: Rec): VpcEndpointAttributes & Rec {
  const type = s(o, 'VpcEndpointType');
  return {
    vpc_endpoint_id: strOr(o, 'VpcEndpointId', ''),
    vpc_id: strOr(o, 'VpcId', ''),
    vpc_endpoint_type: type === 'Interface' || type === 'GatewayLoadBalancer' ? type : 'Gateway',
    service_name: strOr(o, 'ServiceName', ''),
    state: strOr(o, 'State', 'available'),
    route_table_ids: strList(o.RouteTableIds),
    subnet_ids: strList(o.SubnetIds),
    network_interface_ids: strList(o.NetworkInterfaceIds),
    security_group_ids: groupIds(o.Groups),
    private_dns_enabled: bool(o.PrivateDnsEnabled),
    policy: parsePolicy(o.PolicyDocument),
    owner_id: s(o, 'OwnerId'),
  };
}

export function loadBalancerAttributes(o: Rec): LoadBalancerAttributes & Rec {
  const zones = recList(o.AvailabilityZones);
  const scheme = s(o, 'Scheme');
  const type = s(o, 'Type');
  return {
    load_balancer_arn: strOr(o, 'LoadBalancerArn', ''),
    load_balancer_name: strOr(o, 'LoadBalancerName', ''),
    dns_name: s(o, 'DNSName'),
    scheme: scheme === 'internal' ? 'internal' : 'internet-facing',
    type: type === 'network' || type === 'gateway' ? type : 'application',
    vpc_id: s(o, 'VpcId'),
    subnet_ids: zones.map((z) => s(z, 'SubnetId')).filter((z): z is string => z !== null),
    security_group_ids: strList(o.SecurityGroups),
    state: strOr(rec(o.State), 'Code', 'active'),
    listeners: [],
    target_ids: [],
    availability_zones: zones.map((z) => s(z, 'ZoneName')).filter((z): z is string => z !== null),
    ip_address_type: s(o, 'IpAddressType'),
    public_ips: zones
      .flatMap((z) => recList(z.LoadBalancerAddresses))
      .map((a) => s(a, 'IpAddress'))
      .filter((a): a is string => a !== null),
  };
}

export function targetGroupAttributes(o: Rec): Rec {
  return {
    target_group_arn: strOr(o, 'TargetGroupArn', ''),
    target_group_name: strOr(o, 'TargetGroupName', ''),
    protocol: s(o, 'Protocol'),
    port: num(o.Port),
    vpc_id: s(o, 'VpcId'),
    target_type: s(o, 'TargetType'),
    load_balancer_arns: strList(o.LoadBalancerArns),
    target_ids: [],
    targets: [],
  };
}

export function dbInstanceAttributes(o: Rec): DbInstanceAttributes & Rec {
  const endpoint = rec(o.Endpoint);
  const subnetGroup = rec(o.DBSubnetGroup);
  return {
    db_instance_identifier: strOr(o, 'DBInstanceIdentifier', ''),
    engine: s(o, 'Engine'),
    status: strOr(o, 'DBInstanceStatus', 'unknown'),
    endpoint_address: s(endpoint, 'Address'),
    endpoint_port: num(endpoint.Port),
    publicly_accessible: bool(o.PubliclyAccessible) ?? false,
    vpc_id: s(subnetGroup, 'VpcId'),
    subnet_ids: recList(subnetGroup.Subnets)
      .map((sn) => s(sn, 'SubnetIdentifier'))
      .filter((id): id is string => id !== null),
    security_group_ids: recList(o.VpcSecurityGroups)
      .map((g) => s(g, 'VpcSecurityGroupId'))
      .filter((id): id is string => id !== null),
    storage_encrypted: bool(o.StorageEncrypted),
    engine_version: s(o, 'EngineVersion'),
    db_instance_class: s(o, 'DBInstanceClass'),
    db_subnet_group_name: s(subnetGroup, 'DBSubnetGroupName'),
    availability_zone: s(o, 'AvailabilityZone'),
    multi_az: bool(o.MultiAZ),
    dbi_resource_id: s(o, 'DbiResourceId'),
    kms_key_id: s(o, 'KmsKeyId'),
    iam_database_authentication_enabled: bool(o.IAMDatabaseAuthenticationEnabled),
    backup_retention_period: num(o.BackupRetentionPeriod),
    deletion_protection: bool(o.DeletionProtection),
    auto_minor_version_upgrade: bool(o.AutoMinorVersionUpgrade),
  };
}

export function lambdaFunctionAttributes(o: Rec): LambdaFunctionAttributes & Rec {
  const vpc = rec(o.VpcConfig);
  return {
    function_name: strOr(o, 'FunctionName', ''),
    vpc_id: s(vpc, 'VpcId'),
    subnet_ids: strList(vpc.SubnetIds),
    security_group_ids: strList(vpc.SecurityGroupIds),
    role_arn: s(o, 'Role'),
    runtime: s(o, 'Runtime'),
    handler: s(o, 'Handler'),
    package_type: s(o, 'PackageType'),
    memory_size: num(o.MemorySize),
    timeout: num(o.Timeout),
    architectures: strList(o.Architectures),
  };
}

/** IAM policy documents arrive as objects (CLI) or JSON / URL-encoded JSON strings (API, Terraform). */
export function parsePolicy(v: unknown): Rec | null {
  if (isRecord(v)) return v;
  if (typeof v !== 'string' || v === '') return null;
  for (const text of [v, safeDecode(v)]) {
    if (text === null) continue;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) return parsed;
    } catch {
      // not JSON in this encoding; try the next
    }
  }
  return null;
}

function safeDecode(v: string): string | null {
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}

/**
 * Who may assume a role: the AWS principals (ARNs or account ids) and
 * service principals of the trust policy's Allow statements.
 */
export function trustedPrincipals(policy: Rec | null): string[] {
  if (policy === null) return [];
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const out: string[] = [];
  for (const st of statements) {
    if (!isRecord(st) || st.Effect !== 'Allow') continue;
    const principal = st.Principal;
    if (principal === '*') out.push('*');
    if (!isRecord(principal)) continue;
    for (const key of ['AWS', 'Service', 'Federated']) {
      const v = principal[key];
      if (typeof v === 'string') out.push(v);
      else out.push(...strList(v));
    }
  }
  return dedupe(out);
}

export function iamRoleAttributes(o: Rec): Rec {
  const policy = parsePolicy(o.AssumeRolePolicyDocument);
  return {
    role_name: strOr(o, 'RoleName', ''),
    role_id: s(o, 'RoleId'),
    arn: s(o, 'Arn'),
    path: s(o, 'Path'),
    description: s(o, 'Description'),
    max_session_duration: num(o.MaxSessionDuration),
    create_date: s(o, 'CreateDate'),
    assume_role_policy: policy,
    trusted_principals: trustedPrincipals(policy),
    attached_policy_arns: attachedPolicyArns(o),
    inline_policies: inlinePolicies(o.RolePolicyList),
  };
}

/** ARNs of the managed policies attached (get-account-authorization-details' `AttachedManagedPolicies`). */
function attachedPolicyArns(o: Rec): string[] {
  return recList(o.AttachedManagedPolicies)
    .map((p) => s(p, 'PolicyArn'))
    .filter((p): p is string => p !== null);
}

/** Inline policies (`UserPolicyList`, `RolePolicyList`, `GroupPolicyList`): name and document. */
function inlinePolicies(v: unknown): Rec[] {
  return recList(v).map((p) => ({ name: strOr(p, 'PolicyName', ''), policy: parsePolicy(p.PolicyDocument) }));
}

export function iamUserAttributes(o: Rec): Rec {
  return {
    user_name: strOr(o, 'UserName', ''),
    user_id: s(o, 'UserId'),
    arn: s(o, 'Arn'),
    path: s(o, 'Path'),
    create_date: s(o, 'CreateDate'),
    password_last_used: s(o, 'PasswordLastUsed'),
    // list-users says nothing of a user's policies or groups; get-account-authorization-details does.
    policies_listed: Array.isArray(o.AttachedManagedPolicies) || Array.isArray(o.UserPolicyList),
    attached_policy_arns: attachedPolicyArns(o),
    inline_policies: inlinePolicies(o.UserPolicyList),
    group_names: Array.isArray(o.GroupList) ? o.GroupList.filter((g): g is string => typeof g === 'string') : [],
  };
}

export function iamGroupAttributes(o: Rec): Rec {
  return {
    group_name: strOr(o, 'GroupName', ''),
    group_id: s(o, 'GroupId'),
    arn: s(o, 'Arn'),
    path: s(o, 'Path'),
    create_date: s(o, 'CreateDate'),
    attached_policy_arns: attachedPolicyArns(o),
    inline_policies: inlinePolicies(o.GroupPolicyList),
  };
}

export function iamPolicyAttributes(o: Rec): Rec {
  return {
    policy_name: strOr(o, 'PolicyName', ''),
    policy_id: s(o, 'PolicyId'),
    arn: s(o, 'Arn'),
    path: s(o, 'Path'),
    default_version_id: s(o, 'DefaultVersionId'),
    attachment_count: num(o.AttachmentCount),
    is_attachable: bool(o.IsAttachable),
    create_date: s(o, 'CreateDate'),
    update_date: s(o, 'UpdateDate'),
    // get-account-authorization-details lists each policy's versions with their documents; list-policies
    // does not. The default version is the one in force.
    policy: defaultPolicyDocument(o),
  };
}

function defaultPolicyDocument(o: Rec): Rec | null {
  const versions = recList(o.PolicyVersionList);
  const current =
    versions.find((v) => v.IsDefaultVersion === true) ??
    versions.find((v) => s(v, 'VersionId') !== null && s(v, 'VersionId') === s(o, 'DefaultVersionId'));
  return current ? parsePolicy(current.Document) : null;
}

export function iamInstanceProfileAttributes(o: Rec): Rec {
  return {
    instance_profile_name: strOr(o, 'InstanceProfileName', ''),
    instance_profile_id: s(o, 'InstanceProfileId'),
    arn: s(o, 'Arn'),
    path: s(o, 'Path'),
    roles: recList(o.Roles)
      .map((r) => s(r, 'Arn'))
      .filter((r): r is string => r !== null),
  };
}
