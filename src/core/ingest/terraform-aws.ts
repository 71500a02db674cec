/**
 * Terraform AWS provider attributes → the normalised attributes of
 * src/core/network/attributes.ts. Terraform shapes differ from the EC2 API
 * (`ingress[].cidr_blocks` vs `IpPermissions[].IpRanges`, `rule_no` vs
 * `RuleNumber`, `""` for unset strings); values known only after apply
 * (plans) stay UNKNOWN.
 *
 * `nodeAttributes` maps resources that are nodes; `mergeResource` folds
 * rules, associations and attachments into the node they modify.
 */
import { isUnknown, type NodeInput, UNKNOWN, type Unknown } from '../inventory/types.ts';
import type { RouteTargetType } from '../network/attributes.ts';
import { gatewayTargetType, parsePolicy, sortNaclEntries, trustedPrincipals } from './aws-shapes.ts';
import { targetGroupKey } from './link.ts';
import type { TfResource } from './terraform-model.ts';
import { AWS_TYPES, type AwsType, accountScopedKey } from './type-map.ts';
import {
  bool,
  boolU,
  isRecord,
  mergeListener,
  normaliseNaclIcmp,
  normaliseNaclPortRange,
  normaliseProtocol,
  normaliseSgPorts,
  num,
  numU,
  type Rec,
  recList,
  ruleReach,
  str,
  strListU,
  strU,
} from './values.ts';

const T = AWS_TYPES;

/** What a mapper knows about the resource beyond its values. */
export interface MapInfo {
  account: string | null;
  region: string;
}

/**
 * The identity of a resource inside its type (before account scoping): the
 * native id for EC2 objects, the name for name-keyed types. UNKNOWN when the
 * plan does not know it yet, null when the input lacks it.
 */
export function awsIdentity(r: TfResource): string | Unknown | null {
  const v = r.values;
  switch (r.type) {
    case 'aws_lb':
    case 'aws_alb':
    case 'aws_lb_target_group':
    case 'aws_alb_target_group':
    case 'aws_db_subnet_group':
    case 'aws_iam_role':
    case 'aws_iam_user':
    case 'aws_iam_policy':
    case 'aws_iam_group':
    case 'aws_iam_instance_profile':
      return strU(v.name);
    case 'aws_db_instance':
      return strU(v.identifier);
    case 'aws_lambda_function':
      return strU(v.function_name);
    case 'aws_s3_bucket':
      return strU(v.bucket) ?? strU(v.id);
    case 'aws_eip':
      return strU(v.allocation_id) ?? strU(v.id);
    case 'aws_vpc_peering_connection_accepter':
      return strU(v.id) ?? strU(v.vpc_peering_connection_id);
    case 'aws_ec2_transit_gateway_vpc_attachment_accepter':
    case 'aws_ec2_transit_gateway_peering_attachment_accepter':
      return strU(v.id) ?? strU(v.transit_gateway_attachment_id);
    default:
      return strU(v.id);
  }
}

/** Fallback human name for resources without a Name tag. */
export function awsDisplayName(r: TfResource, identity: string): string {
  if (r.type === 'aws_security_group' || r.type === 'aws_default_security_group') {
    return str(r.values.name) ?? identity;
  }
  if (r.type === 'aws_eip') return str(r.values.public_ip) ?? identity;
  if (r.type === 'aws_ec2_managed_prefix_list') return str(r.values.name) ?? identity;
  return identity;
}

/** Terraform `security_groups` may hold `<account>/<sg-id>` for groups in another account. */
const groupId = (v: string | Unknown): string | Unknown => (typeof v === 'string' ? (v.split('/').at(-1) ?? v) : v);

const listOr = (v: unknown): (string | Unknown)[] | Unknown => strListU(v);

const nonEmptyList = (v: unknown): (string | Unknown)[] | null => {
  const list = strListU(v);
  return isUnknown(list) || list.length === 0 ? null : list;
};

function withSelf(groups: (string | Unknown)[] | Unknown, self: boolean, selfId: string | Unknown | null) {
  if (isUnknown(groups)) return groups;
  const out = groups.map(groupId);
  if (self && selfId !== null) out.push(selfId);
  return out;
}

/** An inline `ingress`/`egress` block of aws_security_group. */
export function sgInlineRule(block: Rec, selfId: string | Unknown | null): Rec {
  const protocol = normaliseProtocol(block.protocol);
  return {
    protocol,
    ...normaliseSgPorts(protocol, block.from_port, block.to_port),
    cidrs: listOr(block.cidr_blocks),
    ipv6_cidrs: listOr(block.ipv6_cidr_blocks),
    prefix_list_ids: listOr(block.prefix_list_ids),
    security_group_ids: withSelf(listOr(block.security_groups), bool(block.self) === true, selfId),
    description: strU(block.description),
  };
}

function sgRules(blocks: unknown, selfId: string | Unknown | null): Rec[] | Unknown {
  if (isUnknown(blocks)) return UNKNOWN;
  return recList(blocks).map((b) => sgInlineRule(b, selfId));
}

/** aws_security_group_rule → one rule of its group. */
export function sgRuleResource(v: Rec, selfId: string | Unknown | null): Rec {
  const protocol = normaliseProtocol(v.protocol);
  const source = strU(v.source_security_group_id);
  const groups: (string | Unknown)[] = source === null ? [] : [groupId(source)];
  if (bool(v.self) === true && selfId !== null) groups.push(selfId);
  return {
    protocol,
    ...normaliseSgPorts(protocol, v.from_port, v.to_port),
    cidrs: listOr(v.cidr_blocks),
    ipv6_cidrs: listOr(v.ipv6_cidr_blocks),
    prefix_list_ids: listOr(v.prefix_list_ids),
    security_group_ids: groups,
    description: strU(v.description),
  };
}

/** aws_vpc_security_group_ingress_rule / _egress_rule → one rule of its group. */
export function vpcSgRuleResource(v: Rec): Rec {
  const protocol = normaliseProtocol(v.ip_protocol);
  const one = (x: unknown): (string | Unknown)[] => {
    const s = strU(x);
    return s === null ? [] : [s];
  };
  return {
    protocol,
    ...normaliseSgPorts(protocol, v.from_port, v.to_port),
    cidrs: one(v.cidr_ipv4),
    ipv6_cidrs: one(v.cidr_ipv6),
    prefix_list_ids: one(v.prefix_list_id),
    security_group_ids: one(v.referenced_security_group_id).map(groupId),
    description: strU(v.description),
  };
}

/** An `ingress`/`egress` block of aws_network_acl, or an aws_network_acl_rule. */
export function naclEntry(block: Rec, egress: boolean | Unknown): Rec {
  const protocol = normaliseProtocol(block.protocol);
  const action = strU(block.action ?? block.rule_action);
  return {
    rule_number: numU(block.rule_no ?? block.rule_number),
    egress,
    protocol,
    action: isUnknown(action) ? action : action === 'deny' ? 'deny' : 'allow',
    cidr: strU(block.cidr_block),
    ipv6_cidr: strU(block.ipv6_cidr_block),
    port_range: normaliseNaclPortRange(protocol, block.from_port, block.to_port),
    icmp: normaliseNaclIcmp(protocol, block.icmp_type, block.icmp_code),
  };
}

/** Route target fields of aws_route_table `route` blocks and aws_route, in the EC2 API's precedence. */
const ROUTE_TARGET_ATTRIBUTES: [string, RouteTargetType | null][] = [
  ['gateway_id', null],
  ['egress_only_gateway_id', 'egress_only_internet_gateway'],
  ['nat_gateway_id', 'nat_gateway'],
  ['transit_gateway_id', 'transit_gateway'],
  ['vpc_peering_connection_id', 'vpc_peering_connection'],
  ['network_interface_id', 'network_interface'],
  ['instance_id', 'instance'],
  ['vpc_endpoint_id', 'vpc_endpoint'],
  ['carrier_gateway_id', 'carrier_gateway'],
  ['local_gateway_id', 'local_gateway'],
  ['core_network_arn', 'core_network'],
];

export function routeFromTerraform(block: Rec, destinationPrefix: '' | 'destination_'): Rec {
  let target: { target_type: RouteTargetType; target_id: string | Unknown } = { target_type: 'unknown', target_id: '' };
  for (const [attribute, type] of ROUTE_TARGET_ATTRIBUTES) {
    const id = strU(block[attribute]);
    if (id === null) continue;
    if (isUnknown(id)) target = { target_type: type ?? 'unknown', target_id: UNKNOWN };
    else target = { target_type: type ?? gatewayTargetType(id), target_id: id };
    break;
  }
  const state = strU(block.state);
  return {
    destination_cidr: strU(block[`${destinationPrefix}cidr_block`]),
    destination_ipv6_cidr: strU(block[`${destinationPrefix}ipv6_cidr_block`]),
    destination_prefix_list_id: strU(block.destination_prefix_list_id),
    ...target,
    state: state === 'blackhole' ? 'blackhole' : 'active',
    origin: strU(block.origin) ?? (destinationPrefix === '' ? 'CreateRouteTable' : 'CreateRoute'),
  };
}

const oneVpcAttachment = (vpcId: unknown, state: string): Rec[] => {
  const id = strU(vpcId);
  return id === null ? [] : [{ vpc_id: id, state }];
};

/** The first block of a nested single block (`vpc_config`, `attachment`), or {}. */
const firstBlock = (v: unknown): Rec => (Array.isArray(v) && isRecord(v[0]) ? v[0] : isRecord(v) ? v : {});

/** The normalised attributes of a Terraform AWS resource that is a node (an overlay on its raw attributes). */
export function nodeAttributes(r: TfResource, info: MapInfo): Rec {
  const v = r.values;
  const id = strU(v.id);
  switch (r.type) {
    case 'aws_vpc':
    case 'aws_default_vpc': {
      const cidr = strU(v.cidr_block);
      // Plans mark ipv6_cidr_block unknown even for VPCs that will get none.
      const getsIpv6 = v.assign_generated_ipv6_cidr_block === true || typeof v.ipv6_ipam_pool_id === 'string';
      const ipv6 = isUnknown(v.ipv6_cidr_block) && !getsIpv6 ? null : strU(v.ipv6_cidr_block);
      return {
        vpc_id: id,
        state: 'available',
        cidr_blocks: cidr === null ? [] : [cidr],
        ipv6_cidr_blocks: ipv6 === null ? [] : [ipv6],
        is_default: r.type === 'aws_default_vpc',
        owner_id: strU(v.owner_id),
      };
    }
    case 'aws_subnet':
    case 'aws_default_subnet': {
      const ipv6 = strU(v.ipv6_cidr_block);
      return {
        subnet_id: id,
        vpc_id: strU(v.vpc_id),
        cidr_block: strU(v.cidr_block),
        ipv6_cidr_blocks: ipv6 === null ? [] : [ipv6],
        availability_zone: strU(v.availability_zone),
        map_public_ip_on_launch: boolU(v.map_public_ip_on_launch) ?? false,
        state: 'available',
      };
    }
    case 'aws_instance': {
      const metadata = firstBlock(v.metadata_options);
      return {
        instance_id: id,
        state: strU(v.instance_state) ?? 'running',
        vpc_id: null,
        subnet_id: strU(v.subnet_id),
        private_ip: strU(v.private_ip),
        public_ip: strU(v.public_ip),
        security_group_ids: listOr(v.vpc_security_group_ids),
        // Filled with the ENIs that are nodes of the inventory (see the Terraform fills).
        network_interface_ids: [],
        instance_type: strU(v.instance_type),
        image_id: strU(v.ami),
        iam_instance_profile_arn: null,
        metadata_http_tokens: strU(metadata.http_tokens),
        // `enabled` or `disabled` (the tracer answers 169.254.169.254 by it); null when the block is absent.
        metadata_http_endpoint: strU(metadata.http_endpoint),
        root_volume_encrypted: boolU(firstBlock(v.root_block_device).encrypted),
      };
    }
    case 'aws_network_interface': {
      const attachment = firstBlock(v.attachment);
      const ordered = listOr(v.private_ip_list);
      const primary = strU(v.private_ip);
      const set = listOr(v.private_ips);
      let privateIps: (string | Unknown)[] | Unknown;
      if (!isUnknown(ordered) && ordered.length > 0) privateIps = ordered;
      else if (isUnknown(set)) privateIps = UNKNOWN;
      else privateIps = [...new Set([...(primary === null ? [] : [primary]), ...set])];
      const attachedTo = strU(attachment.instance);
      return {
        network_interface_id: id,
        subnet_id: strU(v.subnet_id),
        vpc_id: null,
        private_ips: privateIps,
        ipv6_addresses: nonEmptyList(v.ipv6_address_list) ?? listOr(v.ipv6_addresses),
        public_ip: null,
        security_group_ids: listOr(v.security_groups),
        interface_type: strU(v.interface_type) ?? 'interface',
        status: attachedTo === null ? 'available' : 'in-use',
        source_dest_check: boolU(v.source_dest_check) ?? true,
        attachment:
          attachedTo === null
            ? null
            : { instance_id: attachedTo, device_index: numU(attachment.device_index), status: 'attached' },
        description: strU(v.description),
      };
    }
    case 'aws_security_group':
    case 'aws_default_security_group':
      return {
        group_id: id,
        group_name: strU(v.name),
        vpc_id: strU(v.vpc_id),
        owner_id: strU(v.owner_id),
        ingress: sgRules(v.ingress, id),
        egress: sgRules(v.egress, id),
      };
    case 'aws_network_acl':
    case 'aws_default_network_acl': {
      const ingress = isUnknown(v.ingress) ? [] : recList(v.ingress).map((b) => naclEntry(b, false));
      const egress = isUnknown(v.egress) ? [] : recList(v.egress).map((b) => naclEntry(b, true));
      return {
        network_acl_id: id,
        vpc_id: strU(v.vpc_id),
        is_default: r.type === 'aws_default_network_acl',
        subnet_ids: listOr(v.subnet_ids),
        entries: isUnknown(v.ingress) || isUnknown(v.egress) ? UNKNOWN : sortNaclEntries([...ingress, ...egress]),
      };
    }
    case 'aws_route_table':
    case 'aws_default_route_table':
      return {
        route_table_id: id,
        vpc_id: strU(v.vpc_id),
        main: r.type === 'aws_default_route_table',
        subnet_ids: [],
        gateway_ids: [],
        routes: isUnknown(v.route) ? UNKNOWN : recList(v.route).map((b) => routeFromTerraform(b, '')),
        propagating_vgw_ids: listOr(v.propagating_vgws),
        route: undefined,
      };
    case 'aws_internet_gateway':
      return { internet_gateway_id: id, attachments: oneVpcAttachment(v.vpc_id, 'available') };
    case 'aws_egress_only_internet_gateway':
      return { egress_only_internet_gateway_id: id, attachments: oneVpcAttachment(v.vpc_id, 'attached') };
    case 'aws_nat_gateway':
      return {
        nat_gateway_id: id,
        vpc_id: null,
        subnet_id: strU(v.subnet_id),
        state: 'available',
        connectivity_type: strU(v.connectivity_type) === 'private' ? 'private' : 'public',
        private_ip: strU(v.private_ip),
        public_ip: strU(v.public_ip),
        network_interface_id: strU(v.network_interface_id),
      };
    case 'aws_eip':
      return {
        allocation_id: strU(v.allocation_id) ?? id,
        public_ip: strU(v.public_ip),
        association_id: strU(v.association_id),
        network_interface_id: strU(v.network_interface),
        instance_id: strU(v.instance),
        private_ip: strU(v.private_ip),
      };
    case 'aws_vpc_peering_connection':
    case 'aws_vpc_peering_connection_accepter':
      // Both resources read the connection the same way: vpc_id is the requester's VPC,
      // peer_* describe the accepter. Regions and CIDRs are completed by the Terraform fills.
      return {
        vpc_peering_connection_id: id ?? strU(v.vpc_peering_connection_id),
        status: strU(v.accept_status) ?? 'unknown',
        requester: {
          vpc_id: strU(v.vpc_id),
          owner_id: r.type === 'aws_vpc_peering_connection' ? info.account : null,
          region: info.region,
          cidr_blocks: [],
        },
        accepter: {
          vpc_id: strU(v.peer_vpc_id),
          owner_id: strU(v.peer_owner_id),
          region: strU(v.peer_region) ?? info.region,
          cidr_blocks: [],
        },
      };
    case 'aws_ec2_transit_gateway': {
      const association = strU(v.default_route_table_association) !== 'disable';
      const propagation = strU(v.default_route_table_propagation) !== 'disable';
      return {
        transit_gateway_id: id,
        state: 'available',
        owner_id: strU(v.owner_id),
        default_association_route_table_id: association ? strU(v.association_default_route_table_id) : null,
        default_propagation_route_table_id: propagation ? strU(v.propagation_default_route_table_id) : null,
      };
    }
    case 'aws_ec2_transit_gateway_vpc_attachment':
    case 'aws_ec2_transit_gateway_vpc_attachment_accepter':
      return {
        transit_gateway_attachment_id: id ?? strU(v.transit_gateway_attachment_id),
        transit_gateway_id: strU(v.transit_gateway_id),
        resource_type: 'vpc',
        resource_id: strU(v.vpc_id),
        resource_owner_id: strU(v.vpc_owner_id),
        state: 'available',
        association_route_table_id: null,
        subnet_ids: listOr(v.subnet_ids),
      };
    case 'aws_ec2_transit_gateway_peering_attachment':
      return {
        transit_gateway_attachment_id: id,
        transit_gateway_id: strU(v.transit_gateway_id),
        resource_type: 'peering',
        resource_id: strU(v.peer_transit_gateway_id),
        resource_owner_id: strU(v.peer_account_id),
        state: strU(v.state) ?? 'available',
        association_route_table_id: null,
        subnet_ids: [],
      };
    case 'aws_ec2_transit_gateway_peering_attachment_accepter':
      // The accepter's "peer" is the requester: keep the requester's orientation, as the snapshot does.
      return {
        transit_gateway_attachment_id: id ?? strU(v.transit_gateway_attachment_id),
        transit_gateway_id: strU(v.peer_transit_gateway_id),
        resource_type: 'peering',
        resource_id: strU(v.transit_gateway_id),
        resource_owner_id: info.account,
        state: 'available',
        association_route_table_id: null,
        subnet_ids: [],
      };
    case 'aws_ec2_transit_gateway_route_table':
      return {
        transit_gateway_route_table_id: id,
        transit_gateway_id: strU(v.transit_gateway_id),
        state: 'available',
        association_attachment_ids: [],
        propagation_attachment_ids: [],
        routes: [],
      };
    case 'aws_ec2_managed_prefix_list': {
      const cidrs = isUnknown(v.entry)
        ? UNKNOWN
        : recList(v.entry)
            .map((e) => strU(e.cidr))
            .filter((c) => c !== null);
      return {
        prefix_list_id: id,
        prefix_list_name: strU(v.name),
        address_family: strU(v.address_family) === 'IPv6' ? 'IPv6' : 'IPv4',
        cidrs,
        entry: undefined,
      };
    }
    case 'aws_vpn_gateway':
      return { vpn_gateway_id: id, state: 'available', attachments: oneVpcAttachment(v.vpc_id, 'attached') };
    case 'aws_vpn_connection':
      return {
        vpn_connection_id: id,
        state: 'available',
        vpn_gateway_id: strU(v.vpn_gateway_id),
        transit_gateway_id: strU(v.transit_gateway_id),
        customer_gateway_id: strU(v.customer_gateway_id),
        static_routes_only: boolU(v.static_routes_only) ?? false,
        routes: isUnknown(v.routes)
          ? UNKNOWN
          : recList(v.routes).map((route) => ({
              destination_cidr: strU(route.destination_cidr_block),
              state: strU(route.state) ?? 'available',
            })),
      };
    case 'aws_customer_gateway': {
      const asn = v.bgp_asn;
      return {
        customer_gateway_id: id,
        ip_address: strU(v.ip_address),
        bgp_asn: typeof asn === 'number' ? String(asn) : strU(asn),
        state: 'available',
      };
    }
    case 'aws_vpc_endpoint': {
      const type = strU(v.vpc_endpoint_type);
      return {
        vpc_endpoint_id: id,
        vpc_id: strU(v.vpc_id),
        vpc_endpoint_type: type === 'Interface' || type === 'GatewayLoadBalancer' ? type : 'Gateway',
        service_name: strU(v.service_name),
        state: strU(v.state) ?? 'available',
        route_table_ids: listOr(v.route_table_ids),
        subnet_ids: listOr(v.subnet_ids),
        network_interface_ids: listOr(v.network_interface_ids),
        security_group_ids: listOr(v.security_group_ids),
        policy: parsePolicy(v.policy),
      };
    }
    case 'aws_lb':
    case 'aws_alb': {
      const mappings = isUnknown(v.subnet_mapping) ? [] : recList(v.subnet_mapping).map((m) => strU(m.subnet_id));
      const subnets = listOr(v.subnets);
      const type = strU(v.load_balancer_type);
      const internal = boolU(v.internal);
      return {
        load_balancer_arn: strU(v.arn),
        load_balancer_name: strU(v.name),
        dns_name: strU(v.dns_name),
        scheme: isUnknown(internal) ? UNKNOWN : internal === true ? 'internal' : 'internet-facing',
        type: type === 'network' || type === 'gateway' ? type : 'application',
        vpc_id: strU(v.vpc_id),
        subnet_ids: isUnknown(subnets) ? subnets : [...new Set([...subnets, ...mappings.filter((m) => m !== null)])],
        security_group_ids: listOr(v.security_groups),
        state: 'active',
        listeners: [],
        target_ids: [],
      };
    }
    case 'aws_lb_target_group':
    case 'aws_alb_target_group':
      return {
        target_group_arn: strU(v.arn),
        target_group_name: strU(v.name),
        protocol: strU(v.protocol),
        port: numU(v.port),
        vpc_id: strU(v.vpc_id),
        target_type: strU(v.target_type) ?? 'instance',
        preserve_client_ip: boolU(v.preserve_client_ip),
        load_balancer_arns: listOr(v.load_balancer_arns),
        target_ids: [],
        targets: [],
      };
    case 'aws_db_instance':
      return {
        db_instance_identifier: strU(v.identifier),
        engine: strU(v.engine),
        status: strU(v.status) ?? 'available',
        endpoint_address: strU(v.address),
        endpoint_port: numU(v.port),
        publicly_accessible: boolU(v.publicly_accessible) ?? false,
        vpc_id: null,
        subnet_ids: [],
        security_group_ids: listOr(v.vpc_security_group_ids),
        storage_encrypted: boolU(v.storage_encrypted),
      };
    case 'aws_db_subnet_group':
      return { name: strU(v.name), subnet_ids: listOr(v.subnet_ids), vpc_id: strU(v.vpc_id) };
    case 'aws_lambda_function': {
      const vpc = firstBlock(v.vpc_config);
      return {
        function_name: strU(v.function_name),
        vpc_id: strU(vpc.vpc_id),
        subnet_ids: listOr(vpc.subnet_ids),
        security_group_ids: listOr(vpc.security_group_ids),
        role_arn: strU(v.role),
      };
    }
    case 'aws_s3_bucket':
      return { bucket: strU(v.bucket), region: strU(v.region) };
    case 'aws_iam_role': {
      const policy = parsePolicy(v.assume_role_policy);
      return {
        role_name: strU(v.name),
        arn: strU(v.arn),
        role_id: strU(v.unique_id),
        assume_role_policy: isUnknown(v.assume_role_policy) ? UNKNOWN : policy,
        trusted_principals: trustedPrincipals(policy),
      };
    }
    case 'aws_iam_user':
      return { user_name: strU(v.name), arn: strU(v.arn), user_id: strU(v.unique_id) };
    case 'aws_iam_group':
      return { group_name: strU(v.name), arn: strU(v.arn) };
    case 'aws_iam_policy':
      return {
        policy_name: strU(v.name),
        arn: strU(v.arn),
        policy_id: strU(v.policy_id),
        policy: isUnknown(v.policy) ? UNKNOWN : parsePolicy(v.policy),
      };
    case 'aws_iam_instance_profile': {
      const role = strU(v.role);
      return {
        instance_profile_name: strU(v.name),
        arn: strU(v.arn),
        roles: role === null ? [] : [isUnknown(role) ? role : accountScopedKey(info.account, role)],
      };
    }
    case 'aws_ebs_encryption_by_default':
      return { enabled: boolU(v.enabled) };
    case 'aws_ebs_volume':
      return {
        volume_id: id,
        availability_zone: strU(v.availability_zone),
        encrypted: boolU(v.encrypted),
        size: numU(v.size),
        volume_type: strU(v.type),
      };
    default:
      return {};
  }
}

/**
 * Which normalised reference fields come from which Terraform attribute, per
 * type: when a plan leaves the value unknown, the configuration's
 * references for that attribute say what it will point at.
 */
export const REFERENCE_FIELDS: Readonly<Record<string, readonly (readonly [field: string, attribute: string])[]>> = {
  aws_subnet: [['vpc_id', 'vpc_id']],
  aws_instance: [
    ['subnet_id', 'subnet_id'],
    ['security_group_ids', 'vpc_security_group_ids'],
  ],
  aws_network_interface: [
    ['subnet_id', 'subnet_id'],
    ['security_group_ids', 'security_groups'],
    ['attachment', 'attachment'],
  ],
  aws_security_group: [
    ['vpc_id', 'vpc_id'],
    ['ingress', 'ingress'],
  ],
  aws_network_acl: [
    ['vpc_id', 'vpc_id'],
    ['subnet_ids', 'subnet_ids'],
  ],
  aws_route_table: [
    ['vpc_id', 'vpc_id'],
    ['routes', 'route'],
  ],
  aws_default_route_table: [['routes', 'route']],
  aws_internet_gateway: [['attachments', 'vpc_id']],
  aws_egress_only_internet_gateway: [['attachments', 'vpc_id']],
  aws_vpn_gateway: [['attachments', 'vpc_id']],
  aws_nat_gateway: [['subnet_id', 'subnet_id']],
  aws_eip: [
    ['network_interface_id', 'network_interface'],
    ['instance_id', 'instance'],
  ],
  aws_vpc_peering_connection: [
    ['requester', 'vpc_id'],
    ['accepter', 'peer_vpc_id'],
  ],
  aws_ec2_transit_gateway_vpc_attachment: [
    ['transit_gateway_id', 'transit_gateway_id'],
    ['resource_id', 'vpc_id'],
  ],
  aws_ec2_transit_gateway_peering_attachment: [
    ['transit_gateway_id', 'transit_gateway_id'],
    ['resource_id', 'peer_transit_gateway_id'],
  ],
  aws_ec2_transit_gateway_route_table: [['transit_gateway_id', 'transit_gateway_id']],
  aws_vpn_connection: [
    ['vpn_gateway_id', 'vpn_gateway_id'],
    ['transit_gateway_id', 'transit_gateway_id'],
    ['customer_gateway_id', 'customer_gateway_id'],
  ],
  aws_vpc_endpoint: [
    ['vpc_id', 'vpc_id'],
    ['subnet_ids', 'subnet_ids'],
    ['security_group_ids', 'security_group_ids'],
    ['route_table_ids', 'route_table_ids'],
  ],
  aws_lb: [
    ['subnet_ids', 'subnets'],
    ['security_group_ids', 'security_groups'],
  ],
  aws_alb: [
    ['subnet_ids', 'subnets'],
    ['security_group_ids', 'security_groups'],
  ],
  aws_db_instance: [['security_group_ids', 'vpc_security_group_ids']],
  aws_lambda_function: [
    ['subnet_ids', 'vpc_config'],
    ['security_group_ids', 'vpc_config'],
    ['role_arn', 'role'],
  ],
  aws_iam_instance_profile: [['roles', 'role']],
};

/** What merging a rule/association resource needs from the inventory being built. */
export interface MergeContext {
  /** The node `attribute` of the resource points at (by value, or by configuration reference in plans). */
  parent(r: TfResource, attribute: string, type: AwsType): NodeInput | undefined;
  /** Records, for plans, what an unknown value merged into `node.field` will point at. */
  noteUnknown(node: NodeInput, field: string, r: TfResource, attribute: string): void;
  /**
   * The load balancer and port of a listener rule's listener (`listener_arn`: the ARN of a listener
   * merged already, or in plans the `aws_lb_listener` its configuration names); undefined, with a
   * warning, when the input does not have it.
   */
  listener(r: TfResource): { lb: NodeInput; port: number } | undefined;
  warn(message: string): void;
}

const attrs = (node: NodeInput): Rec => node.attributes as Rec;

function push(node: NodeInput, field: string, values: unknown[]): void {
  const a = attrs(node);
  const current = Array.isArray(a[field]) ? (a[field] as unknown[]) : [];
  const next = [...current];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'string' && next.includes(v)) continue;
    next.push(v);
  }
  a[field] = next;
}

const sameValue = (a: unknown, b: unknown): boolean => a === b || (a == null && b == null);

function subset(part: unknown, whole: unknown): boolean {
  if (!Array.isArray(part)) return false;
  if (part.length === 0) return true;
  if (!Array.isArray(whole)) return false;
  return part.every((x) => typeof x === 'string' && whole.includes(x));
}

/**
 * Terraform reads a group's `ingress`/`egress`, a NACL's rules and a route
 * table's routes back from the API, so the parent's state already lists what
 * separate rule resources created: those are added only when not already there.
 */
function sgRuleCovered(list: unknown, rule: Rec): boolean {
  if (!Array.isArray(list)) return false;
  return list.some(
    (e) =>
      isRecord(e) &&
      e.protocol === rule.protocol &&
      sameValue(e.from_port, rule.from_port) &&
      sameValue(e.to_port, rule.to_port) &&
      subset(rule.cidrs, e.cidrs) &&
      subset(rule.ipv6_cidrs, e.ipv6_cidrs) &&
      subset(rule.prefix_list_ids, e.prefix_list_ids) &&
      subset(rule.security_group_ids, e.security_group_ids),
  );
}

function hasEntry(list: unknown, match: (e: Rec) => boolean): boolean {
  return Array.isArray(list) && list.some((e) => isRecord(e) && match(e));
}

const sameDestination = (a: Rec, b: Rec): boolean =>
  typeof (a.destination_cidr ?? a.destination_ipv6_cidr ?? a.destination_prefix_list_id) === 'string' &&
  sameValue(a.destination_cidr, b.destination_cidr) &&
  sameValue(a.destination_ipv6_cidr, b.destination_ipv6_cidr) &&
  sameValue(a.destination_prefix_list_id, b.destination_prefix_list_id);

/**
 * Target groups (their ARN, else node key) that listener / listener rule `actions` of type
 * `forward` name (`target_group_arn`, `forward[].target_group[].arn`); each group learns it is
 * forwarded to by `lb`. Undefined (plans) when an ARN is unknown until apply.
 */
function forwardTargetGroups(r: TfResource, actions: unknown, lb: NodeInput, ctx: MergeContext): string[] | undefined {
  const lbArn = strU(attrs(lb).load_balancer_arn);
  let groups: string[] | undefined = isUnknown(actions) ? undefined : [];
  for (const action of recList(actions)) {
    const type = str(action.type);
    if (type !== null && type !== 'forward') continue;
    const arns = [strU(action.target_group_arn)];
    for (const forward of recList(action.forward)) {
      for (const tg of recList(forward.target_group)) arns.push(strU(tg.arn));
    }
    for (const arn of arns) {
      if (isUnknown(arn)) groups = undefined;
      if (typeof arn !== 'string' || arn === '') continue;
      const tg = ctx.parent({ ...r, values: { arn } }, 'arn', T.targetGroup);
      if (tg !== undefined && lbArn !== null) push(tg, 'load_balancer_arns', [lbArn]);
      const key = tg === undefined ? arn : targetGroupKey(tg);
      if (groups !== undefined && !groups.includes(key)) groups.push(key);
    }
  }
  return groups;
}

/** `aws_lb_listener_rule` condition blocks' fields, as describe-rules names them. */
const TF_RULE_CONDITION_FIELDS: Record<string, string> = {
  source_ip: 'source-ip',
  path_pattern: 'path-pattern',
  host_header: 'host-header',
  http_header: 'http-header',
  http_request_method: 'http-request-method',
  query_string: 'query-string',
};

/**
 * `aws_lb_listener_rule.condition` blocks as `{ field, values }` (see `ruleReach`): each block
 * sets one of `source_ip`, `path_pattern`, `host_header` (`values`), `http_header`,
 * `http_request_method` or `query_string`; values unknown until apply are null.
 */
function tfRuleConditions(conditions: unknown): { field: string; values: string[] | null }[] {
  if (isUnknown(conditions)) return [{ field: 'unknown', values: null }];
  const out: { field: string; values: string[] | null }[] = [];
  for (const condition of recList(conditions)) {
    for (const [key, field] of Object.entries(TF_RULE_CONDITION_FIELDS)) {
      const blocks = condition[key];
      if (isUnknown(blocks)) {
        out.push({ field, values: null });
        continue;
      }
      for (const block of recList(blocks)) {
        const values = strListU(block.values);
        const known = !isUnknown(values) && !values.some(isUnknown);
        out.push({ field, values: known ? (values as string[]) : null });
      }
    }
  }
  return out;
}

/**
 * Folds a rule / association / attachment resource into its parent node.
 * Returns the node it was merged into (so `depends_on` on it can point there).
 */
export function mergeResource(r: TfResource, ctx: MergeContext): NodeInput | undefined {
  const v = r.values;
  switch (r.type) {
    case 'aws_security_group_rule': {
      const sg = ctx.parent(r, 'security_group_id', T.securityGroup);
      if (sg === undefined) return undefined;
      const direction = strU(v.type) === 'egress' ? 'egress' : 'ingress';
      const rule = sgRuleResource(v, strU(attrs(sg).group_id) ?? UNKNOWN);
      if (!sgRuleCovered(attrs(sg)[direction], rule)) push(sg, direction, [rule]);
      ctx.noteUnknown(sg, direction, r, 'source_security_group_id');
      return sg;
    }
    case 'aws_vpc_security_group_ingress_rule':
    case 'aws_vpc_security_group_egress_rule': {
      const sg = ctx.parent(r, 'security_group_id', T.securityGroup);
      if (sg === undefined) return undefined;
      const direction = r.type === 'aws_vpc_security_group_egress_rule' ? 'egress' : 'ingress';
      const rule = vpcSgRuleResource(v);
      if (!sgRuleCovered(attrs(sg)[direction], rule)) push(sg, direction, [rule]);
      ctx.noteUnknown(sg, direction, r, 'referenced_security_group_id');
      return sg;
    }
    case 'aws_network_acl_rule': {
      const nacl = ctx.parent(r, 'network_acl_id', T.networkAcl);
      if (nacl === undefined) return undefined;
      const a = attrs(nacl);
      const entries = Array.isArray(a.entries) ? a.entries : [];
      const entry = naclEntry(v, boolU(v.egress) ?? false);
      if (hasEntry(entries, (e) => e.egress === entry.egress && e.rule_number === entry.rule_number)) return nacl;
      a.entries = sortNaclEntries([...entries, entry] as Rec[]);
      return nacl;
    }
    case 'aws_network_acl_association': {
      const nacl = ctx.parent(r, 'network_acl_id', T.networkAcl);
      if (nacl === undefined) return undefined;
      push(nacl, 'subnet_ids', [strU(v.subnet_id)]);
      ctx.noteUnknown(nacl, 'subnet_ids', r, 'subnet_id');
      return nacl;
    }
    case 'aws_route': {
      const rt = ctx.parent(r, 'route_table_id', T.routeTable);
      if (rt === undefined) return undefined;
      const route = routeFromTerraform(v, 'destination_');
      if (!hasEntry(attrs(rt).routes, (e) => sameDestination(e, route))) push(rt, 'routes', [route]);
      for (const [attribute] of ROUTE_TARGET_ATTRIBUTES) ctx.noteUnknown(rt, 'routes', r, attribute);
      return rt;
    }
    case 'aws_route_table_association': {
      const rt = ctx.parent(r, 'route_table_id', T.routeTable);
      if (rt === undefined) return undefined;
      const subnet = strU(v.subnet_id);
      const gateway = strU(v.gateway_id);
      if (subnet !== null) {
        push(rt, 'subnet_ids', [subnet]);
        ctx.noteUnknown(rt, 'subnet_ids', r, 'subnet_id');
      }
      if (gateway !== null) {
        push(rt, 'gateway_ids', [gateway]);
        ctx.noteUnknown(rt, 'gateway_ids', r, 'gateway_id');
      }
      return rt;
    }
    case 'aws_main_route_table_association': {
      const rt = ctx.parent(r, 'route_table_id', T.routeTable);
      if (rt === undefined) return undefined;
      attrs(rt).main = true;
      const original = str(v.original_route_table_id);
      if (original !== null) {
        const previous = ctx.parent({ ...r, values: { id: original } }, 'id', T.routeTable);
        if (previous !== undefined && previous !== rt) attrs(previous).main = false;
      }
      return rt;
    }
    case 'aws_vpn_gateway_route_propagation': {
      const rt = ctx.parent(r, 'route_table_id', T.routeTable);
      if (rt === undefined) return undefined;
      push(rt, 'propagating_vgw_ids', [strU(v.vpn_gateway_id)]);
      return rt;
    }
    case 'aws_vpc_ipv4_cidr_block_association':
    case 'aws_vpc_ipv6_cidr_block_association': {
      const vpc = ctx.parent(r, 'vpc_id', T.vpc);
      if (vpc === undefined) return undefined;
      const ipv6 = r.type === 'aws_vpc_ipv6_cidr_block_association';
      push(vpc, ipv6 ? 'ipv6_cidr_blocks' : 'cidr_blocks', [strU(ipv6 ? v.ipv6_cidr_block : v.cidr_block)]);
      return vpc;
    }
    case 'aws_internet_gateway_attachment':
    case 'aws_vpn_gateway_attachment': {
      const igw = r.type === 'aws_internet_gateway_attachment';
      const gw = ctx.parent(r, igw ? 'internet_gateway_id' : 'vpn_gateway_id', igw ? T.internetGateway : T.vpnGateway);
      if (gw === undefined) return undefined;
      push(gw, 'attachments', oneVpcAttachment(v.vpc_id, igw ? 'available' : 'attached'));
      ctx.noteUnknown(gw, 'attachments', r, 'vpc_id');
      return gw;
    }
    case 'aws_eip_association': {
      const eip = ctx.parent(r, 'allocation_id', T.elasticIp) ?? ctx.parent(r, 'public_ip', T.elasticIp);
      if (eip === undefined) return undefined;
      const a = attrs(eip);
      a.association_id = strU(v.id) ?? a.association_id;
      a.instance_id = strU(v.instance_id) ?? a.instance_id;
      a.network_interface_id = strU(v.network_interface_id) ?? a.network_interface_id;
      a.private_ip = strU(v.private_ip_address) ?? a.private_ip;
      ctx.noteUnknown(eip, 'instance_id', r, 'instance_id');
      ctx.noteUnknown(eip, 'network_interface_id', r, 'network_interface_id');
      return eip;
    }
    case 'aws_network_interface_attachment': {
      const eni = ctx.parent(r, 'network_interface_id', T.networkInterface);
      if (eni === undefined) return undefined;
      const a = attrs(eni);
      a.attachment = {
        instance_id: strU(v.instance_id),
        device_index: numU(v.device_index),
        status: strU(v.status) ?? 'attached',
      };
      a.status = 'in-use';
      ctx.noteUnknown(eni, 'attachment', r, 'instance_id');
      return eni;
    }
    case 'aws_network_interface_sg_attachment': {
      const eni = ctx.parent(r, 'network_interface_id', T.networkInterface);
      if (eni === undefined) return undefined;
      push(eni, 'security_group_ids', [strU(v.security_group_id)]);
      ctx.noteUnknown(eni, 'security_group_ids', r, 'security_group_id');
      return eni;
    }
    case 'aws_ec2_transit_gateway_route': {
      const rt = ctx.parent(r, 'transit_gateway_route_table_id', T.transitGatewayRouteTable);
      if (rt === undefined) return undefined;
      const blackhole = bool(v.blackhole) === true;
      const attachment = strU(v.transit_gateway_attachment_id);
      const destination = strU(v.destination_cidr_block);
      if (hasEntry(attrs(rt).routes, (e) => typeof destination === 'string' && e.destination_cidr === destination))
        return rt;
      push(rt, 'routes', [
        {
          destination_cidr: destination,
          prefix_list_id: null,
          type: 'static',
          state: blackhole ? 'blackhole' : 'active',
          attachment_ids: blackhole || attachment === null ? [] : [attachment],
        },
      ]);
      ctx.noteUnknown(rt, 'routes', r, 'transit_gateway_attachment_id');
      return rt;
    }
    case 'aws_ec2_transit_gateway_route_table_association':
    case 'aws_ec2_transit_gateway_route_table_propagation': {
      const rt = ctx.parent(r, 'transit_gateway_route_table_id', T.transitGatewayRouteTable);
      if (rt === undefined) return undefined;
      const association = r.type === 'aws_ec2_transit_gateway_route_table_association';
      const field = association ? 'association_attachment_ids' : 'propagation_attachment_ids';
      push(rt, field, [strU(v.transit_gateway_attachment_id)]);
      ctx.noteUnknown(rt, field, r, 'transit_gateway_attachment_id');
      if (association) {
        const attachment = ctx.parent(r, 'transit_gateway_attachment_id', T.transitGatewayAttachment);
        if (attachment !== undefined) {
          attrs(attachment).association_route_table_id = strU(attrs(rt).transit_gateway_route_table_id);
          attrs(attachment).explicit_association = true;
        }
      }
      return rt;
    }
    case 'aws_ec2_managed_prefix_list_entry': {
      const pl = ctx.parent(r, 'prefix_list_id', T.managedPrefixList);
      if (pl === undefined) return undefined;
      push(pl, 'cidrs', [strU(v.cidr)]);
      return pl;
    }
    case 'aws_vpn_connection_route': {
      const vpn = ctx.parent(r, 'vpn_connection_id', T.vpnConnection);
      if (vpn === undefined) return undefined;
      const destination = strU(v.destination_cidr_block);
      if (hasEntry(attrs(vpn).routes, (e) => typeof destination === 'string' && e.destination_cidr === destination))
        return vpn;
      push(vpn, 'routes', [{ destination_cidr: destination, state: 'available' }]);
      return vpn;
    }
    case 'aws_lb_listener':
    case 'aws_alb_listener': {
      const lb = ctx.parent(r, 'load_balancer_arn', T.loadBalancer);
      if (lb === undefined) return undefined;
      const port = num(v.port);
      // The target groups the listener forwards to; unknown (plans) when an ARN is not known yet.
      const groups = forwardTargetGroups(r, v.default_action, lb, ctx);
      if (port !== null) {
        mergeListener(attrs(lb), {
          port,
          protocol: str(v.protocol),
          listener_arn: str(v.arn),
          ...(groups === undefined ? {} : { target_group_arns: groups }),
        });
      }
      return lb;
    }
    case 'aws_lb_listener_rule':
    case 'aws_alb_listener_rule': {
      // Merged after every listener (mergeAll), so its listener's port is known.
      const listener = ctx.listener(r);
      if (listener === undefined) return undefined;
      // A group unknown until apply makes the listener's groups unknown (as for its default action).
      const groups = forwardTargetGroups(r, v.action, listener.lb, ctx);
      if (groups === undefined) {
        mergeListener(attrs(listener.lb), { port: listener.port, protocol: null, target_groups_unknown: true });
        return listener.lb;
      }
      const arn = strU(v.arn);
      const priority = numU(v.priority);
      mergeListener(attrs(listener.lb), {
        port: listener.port,
        protocol: null,
        rule: {
          ...(typeof arn === 'string' ? { rule_arn: arn } : {}),
          priority: typeof priority === 'number' ? priority : null,
          ...ruleReach(tfRuleConditions(v.condition)),
          target_group_arns: groups,
        },
      });
      return listener.lb;
    }
    case 'aws_lb_target_group_attachment':
    case 'aws_alb_target_group_attachment': {
      const tg = ctx.parent(r, 'target_group_arn', T.targetGroup);
      if (tg === undefined) return undefined;
      const target = strU(v.target_id);
      push(tg, 'target_ids', [target]);
      push(tg, 'targets', [{ id: target, port: numU(v.port), health: null }]);
      ctx.noteUnknown(tg, 'target_ids', r, 'target_id');
      return tg;
    }
    default:
      return undefined;
  }
}
