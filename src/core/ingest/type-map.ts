/**
 * Infracast node types and how each input format names them. The table in
 * docs/inventory-types.md is the human-readable form of this file; keep both
 * in step.
 */
import { AWS_NETWORK_TYPES } from '../network/attributes.ts';

/** Every Infracast type the parsers map explicitly (unmapped Terraform types get a generic one). */
export const AWS_TYPES = {
  ...AWS_NETWORK_TYPES,
  s3Bucket: 'aws.s3.bucket',
  /** As Terraform's aws_s3_bucket_public_access_block, aws_s3_account_public_access_block, aws_s3_bucket_policy. */
  s3BucketPublicAccessBlock: 'aws.s3.bucket_public_access_block',
  s3AccountPublicAccessBlock: 'aws.s3.account_public_access_block',
  s3BucketPolicy: 'aws.s3.bucket_policy',
  iamRole: 'aws.iam.role',
  iamUser: 'aws.iam.user',
  iamPolicy: 'aws.iam.policy',
  iamGroup: 'aws.iam.group',
  iamInstanceProfile: 'aws.iam.instance_profile',
  dbSubnetGroup: 'aws.rds.db_subnet_group',
  ebsVolume: 'aws.ec2.volume',
  flowLog: 'aws.ec2.flow_log',
  cloudTrail: 'aws.cloudtrail.trail',
  kmsKey: 'aws.kms.key',
  /** A region's EBS encryption-by-default setting (one per account and region). */
  ebsEncryptionByDefault: 'aws.ebs.encryption_by_default',
} as const;

export type AwsType = (typeof AWS_TYPES)[keyof typeof AWS_TYPES];

/** Terraform resource types that become nodes of an explicitly mapped type. */
export const TERRAFORM_NODE_TYPES: Readonly<Record<string, AwsType>> = {
  aws_vpc: AWS_TYPES.vpc,
  aws_default_vpc: AWS_TYPES.vpc,
  aws_subnet: AWS_TYPES.subnet,
  aws_default_subnet: AWS_TYPES.subnet,
  aws_instance: AWS_TYPES.instance,
  aws_network_interface: AWS_TYPES.networkInterface,
  aws_security_group: AWS_TYPES.securityGroup,
  aws_default_security_group: AWS_TYPES.securityGroup,
  aws_network_acl: AWS_TYPES.networkAcl,
  aws_default_network_acl: AWS_TYPES.networkAcl,
  aws_route_table: AWS_TYPES.routeTable,
  aws_default_route_table: AWS_TYPES.routeTable,
  aws_internet_gateway: AWS_TYPES.internetGateway,
  aws_egress_only_internet_gateway: AWS_TYPES.egressOnlyInternetGateway,
  aws_nat_gateway: AWS_TYPES.natGateway,
  aws_eip: AWS_TYPES.elasticIp,
  aws_vpc_peering_connection: AWS_TYPES.vpcPeeringConnection,
  aws_vpc_peering_connection_accepter: AWS_TYPES.vpcPeeringConnection,
  aws_ec2_transit_gateway: AWS_TYPES.transitGateway,
  aws_ec2_transit_gateway_vpc_attachment: AWS_TYPES.transitGatewayAttachment,
  aws_ec2_transit_gateway_vpc_attachment_accepter: AWS_TYPES.transitGatewayAttachment,
  aws_ec2_transit_gateway_peering_attachment: AWS_TYPES.transitGatewayAttachment,
  aws_ec2_transit_gateway_peering_attachment_accepter: AWS_TYPES.transitGatewayAttachment,
  aws_ec2_transit_gateway_route_table: AWS_TYPES.transitGatewayRouteTable,
  aws_ec2_managed_prefix_list: AWS_TYPES.managedPrefixList,
  aws_vpn_gateway: AWS_TYPES.vpnGateway,
  aws_vpn_connection: AWS_TYPES.vpnConnection,
  aws_customer_gateway: AWS_TYPES.customerGateway,
  aws_vpc_endpoint: AWS_TYPES.vpcEndpoint,
  aws_lb: AWS_TYPES.loadBalancer,
  aws_alb: AWS_TYPES.loadBalancer,
  aws_lb_target_group: AWS_TYPES.targetGroup,
  aws_alb_target_group: AWS_TYPES.targetGroup,
  aws_db_instance: AWS_TYPES.dbInstance,
  aws_db_subnet_group: AWS_TYPES.dbSubnetGroup,
  aws_lambda_function: AWS_TYPES.lambdaFunction,
  aws_ebs_encryption_by_default: AWS_TYPES.ebsEncryptionByDefault,
  aws_s3_bucket: AWS_TYPES.s3Bucket,
  aws_iam_role: AWS_TYPES.iamRole,
  aws_iam_user: AWS_TYPES.iamUser,
  aws_iam_policy: AWS_TYPES.iamPolicy,
  aws_iam_group: AWS_TYPES.iamGroup,
  aws_iam_instance_profile: AWS_TYPES.iamInstanceProfile,
  aws_ebs_volume: AWS_TYPES.ebsVolume,
};

/**
 * Terraform resource types that are not resources of their own in AWS (rules,
 * associations, attachments, entries): they are merged into the attributes of
 * the node they modify and never become nodes. A `depends_on` pointing at one
 * of them points at that parent node instead.
 */
export const TERRAFORM_MERGED_TYPES: Readonly<Record<string, AwsType>> = {
  aws_security_group_rule: AWS_TYPES.securityGroup,
  aws_vpc_security_group_ingress_rule: AWS_TYPES.securityGroup,
  aws_vpc_security_group_egress_rule: AWS_TYPES.securityGroup,
  aws_network_acl_rule: AWS_TYPES.networkAcl,
  aws_network_acl_association: AWS_TYPES.networkAcl,
  aws_route: AWS_TYPES.routeTable,
  aws_route_table_association: AWS_TYPES.routeTable,
  aws_main_route_table_association: AWS_TYPES.routeTable,
  aws_vpn_gateway_route_propagation: AWS_TYPES.routeTable,
  aws_vpc_ipv4_cidr_block_association: AWS_TYPES.vpc,
  aws_vpc_ipv6_cidr_block_association: AWS_TYPES.vpc,
  aws_internet_gateway_attachment: AWS_TYPES.internetGateway,
  aws_vpn_gateway_attachment: AWS_TYPES.vpnGateway,
  aws_eip_association: AWS_TYPES.elasticIp,
  aws_network_interface_attachment: AWS_TYPES.networkInterface,
  aws_network_interface_sg_attachment: AWS_TYPES.networkInterface,
  aws_ec2_transit_gateway_route: AWS_TYPES.transitGatewayRouteTable,
  aws_ec2_transit_gateway_route_table_association: AWS_TYPES.transitGatewayRouteTable,
  aws_ec2_transit_gateway_route_table_propagation: AWS_TYPES.transitGatewayRouteTable,
  aws_ec2_managed_prefix_list_entry: AWS_TYPES.managedPrefixList,
  aws_vpn_connection_route: AWS_TYPES.vpnConnection,
  aws_lb_listener: AWS_TYPES.loadBalancer,
  aws_alb_listener: AWS_TYPES.loadBalancer,
  aws_lb_listener_rule: AWS_TYPES.loadBalancer,
  aws_alb_listener_rule: AWS_TYPES.loadBalancer,
  aws_lb_target_group_attachment: AWS_TYPES.targetGroup,
  aws_alb_target_group_attachment: AWS_TYPES.targetGroup,
};

/** Unmapped Terraform types whose generic name would be misleading. */
const TERRAFORM_GENERIC_OVERRIDES: Readonly<Record<string, string>> = {
  aws_ami: 'aws.ec2.ami',
  aws_key_pair: 'aws.ec2.key_pair',
  aws_launch_template: 'aws.ec2.launch_template',
  aws_volume_attachment: 'aws.ec2.volume_attachment',
  aws_flow_log: 'aws.ec2.flow_log',
  aws_placement_group: 'aws.ec2.placement_group',
  aws_vpc_dhcp_options: 'aws.ec2.dhcp_options',
  aws_vpc_dhcp_options_association: 'aws.ec2.dhcp_options_association',
  aws_elb: 'aws.elb.load_balancer',
  aws_lb_listener_certificate: 'aws.elbv2.listener_certificate',
  aws_cloudtrail: 'aws.cloudtrail.trail',
  aws_db_parameter_group: 'aws.rds.db_parameter_group',
  aws_db_option_group: 'aws.rds.db_option_group',
  aws_db_snapshot: 'aws.rds.db_snapshot',
  aws_rds_cluster: 'aws.rds.cluster',
  aws_rds_cluster_instance: 'aws.rds.cluster_instance',
  aws_autoscaling_group: 'aws.autoscaling.group',
};

/**
 * Infracast type for any Terraform resource type. Mapped types first, then
 * the generic rule:
 * - `aws_<service>_<thing>` → `aws.<service>.<thing>` (`aws_kms_key` → `aws.kms.key`),
 *   a single word → `aws.<word>`;
 * - `azurerm_<thing>` → `azure.<thing>` (`azurerm_virtual_network` → `azure.virtual_network`);
 * - `google_<service>_<thing>` → `google.<service>.<thing>` (`google_compute_instance` → `google.compute.instance`).
 * Returns null for providers that are not clouds (random, null, tls, …).
 */
export function infracastTypeForTerraform(tfType: string): string | null {
  const mapped = TERRAFORM_NODE_TYPES[tfType] ?? TERRAFORM_GENERIC_OVERRIDES[tfType];
  if (mapped !== undefined) return mapped;
  const provider = cloudOfTerraformType(tfType);
  if (provider === null) return null;
  const rest = tfType.slice(tfType.indexOf('_') + 1);
  if (provider === 'azure') return `azure.${rest}`;
  const sep = rest.indexOf('_');
  return sep === -1 ? `${provider}.${rest}` : `${provider}.${rest.slice(0, sep)}.${rest.slice(sep + 1)}`;
}

export type Cloud = 'aws' | 'azure' | 'google';

/** The cloud a Terraform resource type belongs to, from its prefix; null for non-cloud providers. */
export function cloudOfTerraformType(tfType: string): Cloud | null {
  if (tfType.startsWith('aws_')) return 'aws';
  if (tfType.startsWith('azurerm_') || tfType.startsWith('azuread_')) return 'azure';
  if (tfType.startsWith('google_')) return 'google';
  return null;
}

/** Terraform AWS types whose resources have no region (their node region is 'global'). */
export function isGlobalTerraformType(tfType: string): boolean {
  return (
    tfType === 'aws_s3_bucket' ||
    tfType.startsWith('aws_s3_bucket_') ||
    tfType.startsWith('aws_iam_') ||
    tfType.startsWith('aws_cloudfront_') ||
    tfType.startsWith('aws_organizations_') ||
    tfType.startsWith('aws_route53_') ||
    tfType === 'aws_budgets_budget'
  );
}

/**
 * AWS CLI document keys the snapshot parser recognises, with the Infracast
 * type they produce (or the type they add data to).
 */
export const AWS_DOCUMENT_KEYS: Readonly<Record<string, { type: AwsType; cli: string }>> = {
  Reservations: { type: AWS_TYPES.instance, cli: 'ec2 describe-instances' },
  Vpcs: { type: AWS_TYPES.vpc, cli: 'ec2 describe-vpcs' },
  Subnets: { type: AWS_TYPES.subnet, cli: 'ec2 describe-subnets' },
  SecurityGroups: { type: AWS_TYPES.securityGroup, cli: 'ec2 describe-security-groups' },
  NetworkAcls: { type: AWS_TYPES.networkAcl, cli: 'ec2 describe-network-acls' },
  RouteTables: { type: AWS_TYPES.routeTable, cli: 'ec2 describe-route-tables' },
  InternetGateways: { type: AWS_TYPES.internetGateway, cli: 'ec2 describe-internet-gateways' },
  EgressOnlyInternetGateways: {
    type: AWS_TYPES.egressOnlyInternetGateway,
    cli: 'ec2 describe-egress-only-internet-gateways',
  },
  NatGateways: { type: AWS_TYPES.natGateway, cli: 'ec2 describe-nat-gateways' },
  NetworkInterfaces: { type: AWS_TYPES.networkInterface, cli: 'ec2 describe-network-interfaces' },
  Addresses: { type: AWS_TYPES.elasticIp, cli: 'ec2 describe-addresses' },
  VpcPeeringConnections: { type: AWS_TYPES.vpcPeeringConnection, cli: 'ec2 describe-vpc-peering-connections' },
  TransitGateways: { type: AWS_TYPES.transitGateway, cli: 'ec2 describe-transit-gateways' },
  TransitGatewayAttachments: {
    type: AWS_TYPES.transitGatewayAttachment,
    cli: 'ec2 describe-transit-gateway-attachments',
  },
  TransitGatewayVpcAttachments: {
    type: AWS_TYPES.transitGatewayAttachment,
    cli: 'ec2 describe-transit-gateway-vpc-attachments',
  },
  TransitGatewayPeeringAttachments: {
    type: AWS_TYPES.transitGatewayAttachment,
    cli: 'ec2 describe-transit-gateway-peering-attachments',
  },
  TransitGatewayRouteTables: {
    type: AWS_TYPES.transitGatewayRouteTable,
    cli: 'ec2 describe-transit-gateway-route-tables',
  },
  TransitGatewayRouteTablePropagations: {
    type: AWS_TYPES.transitGatewayRouteTable,
    cli: 'ec2 get-transit-gateway-route-table-propagations',
  },
  TransitGatewayPropagations: {
    type: AWS_TYPES.transitGatewayRouteTable,
    cli: 'per-route-table list of get-transit-gateway-route-table-propagations',
  },
  Routes: { type: AWS_TYPES.transitGatewayRouteTable, cli: 'ec2 search-transit-gateway-routes' },
  TransitGatewayStaticRoutes: {
    type: AWS_TYPES.transitGatewayRouteTable,
    cli: 'per-route-table list of search-transit-gateway-routes',
  },
  Associations: {
    type: AWS_TYPES.transitGatewayRouteTable,
    cli: 'ec2 get-transit-gateway-route-table-associations',
  },
  PrefixLists: { type: AWS_TYPES.managedPrefixList, cli: 'ec2 describe-managed-prefix-lists / describe-prefix-lists' },
  ManagedPrefixLists: { type: AWS_TYPES.managedPrefixList, cli: 'ec2 describe-managed-prefix-lists' },
  Entries: { type: AWS_TYPES.managedPrefixList, cli: 'ec2 get-managed-prefix-list-entries' },
  VpnGateways: { type: AWS_TYPES.vpnGateway, cli: 'ec2 describe-vpn-gateways' },
  VpnConnections: { type: AWS_TYPES.vpnConnection, cli: 'ec2 describe-vpn-connections' },
  CustomerGateways: { type: AWS_TYPES.customerGateway, cli: 'ec2 describe-customer-gateways' },
  VpcEndpoints: { type: AWS_TYPES.vpcEndpoint, cli: 'ec2 describe-vpc-endpoints' },
  LoadBalancers: { type: AWS_TYPES.loadBalancer, cli: 'elbv2 describe-load-balancers' },
  TargetGroups: { type: AWS_TYPES.targetGroup, cli: 'elbv2 describe-target-groups' },
  TargetHealthDescriptions: { type: AWS_TYPES.targetGroup, cli: 'elbv2 describe-target-health' },
  LoadBalancerTargetHealth: { type: AWS_TYPES.targetGroup, cli: 'per-target-group list of describe-target-health' },
  Listeners: { type: AWS_TYPES.loadBalancer, cli: 'elbv2 describe-listeners' },
  LoadBalancerListeners: { type: AWS_TYPES.loadBalancer, cli: 'per-load-balancer list of describe-listeners' },
  Rules: { type: AWS_TYPES.loadBalancer, cli: 'elbv2 describe-rules' },
  LoadBalancerAttributes: {
    type: AWS_TYPES.loadBalancer,
    cli: 'per-load-balancer list of describe-load-balancer-attributes',
  },
  TargetGroupAttributes: {
    type: AWS_TYPES.targetGroup,
    cli: 'per-target-group list of describe-target-group-attributes',
  },
  DBInstances: { type: AWS_TYPES.dbInstance, cli: 'rds describe-db-instances' },
  Buckets: { type: AWS_TYPES.s3Bucket, cli: 's3api list-buckets' },
  PublicAccessBlockConfiguration: {
    type: AWS_TYPES.s3BucketPublicAccessBlock,
    cli: 's3api get-public-access-block (a bucket), s3control get-public-access-block (the account)',
  },
  BucketPublicAccessBlocks: {
    type: AWS_TYPES.s3BucketPublicAccessBlock,
    cli: 'per-bucket list of s3api get-public-access-block',
  },
  Policy: { type: AWS_TYPES.s3BucketPolicy, cli: 's3api get-bucket-policy' },
  BucketPolicies: { type: AWS_TYPES.s3BucketPolicy, cli: 'per-bucket list of s3api get-bucket-policy' },
  Roles: { type: AWS_TYPES.iamRole, cli: 'iam list-roles' },
  RoleDetailList: { type: AWS_TYPES.iamRole, cli: 'iam get-account-authorization-details' },
  Users: { type: AWS_TYPES.iamUser, cli: 'iam list-users' },
  UserDetailList: { type: AWS_TYPES.iamUser, cli: 'iam get-account-authorization-details' },
  GroupDetailList: { type: AWS_TYPES.iamGroup, cli: 'iam get-account-authorization-details' },
  Policies: { type: AWS_TYPES.iamPolicy, cli: 'iam list-policies, get-account-authorization-details' },
  InstanceProfiles: { type: AWS_TYPES.iamInstanceProfile, cli: 'iam list-instance-profiles' },
  Functions: { type: AWS_TYPES.lambdaFunction, cli: 'lambda list-functions' },
  EbsEncryptionByDefault: { type: AWS_TYPES.ebsEncryptionByDefault, cli: 'ec2 get-ebs-encryption-by-default' },
  FlowLogs: { type: AWS_TYPES.flowLog, cli: 'ec2 describe-flow-logs' },
  Volumes: { type: AWS_TYPES.ebsVolume, cli: 'ec2 describe-volumes' },
  trailList: { type: AWS_TYPES.cloudTrail, cli: 'cloudtrail describe-trails' },
  KeyMetadata: { type: AWS_TYPES.kmsKey, cli: 'kms describe-key' },
  KeyRotationEnabled: { type: AWS_TYPES.kmsKey, cli: 'kms get-key-rotation-status' },
};

/** The Infracast type of an EC2-style native id, from its prefix ('sg-…' → security group). */
export function awsTypeForNativeId(id: string): AwsType | null {
  const dash = id.indexOf('-');
  if (dash === -1) return null;
  if (id.startsWith('tgw-attach-')) return AWS_TYPES.transitGatewayAttachment;
  if (id.startsWith('tgw-rtb-')) return AWS_TYPES.transitGatewayRouteTable;
  return ID_PREFIXES[id.slice(0, dash)] ?? null;
}

const ID_PREFIXES: Readonly<Record<string, AwsType>> = {
  vpc: AWS_TYPES.vpc,
  subnet: AWS_TYPES.subnet,
  i: AWS_TYPES.instance,
  eni: AWS_TYPES.networkInterface,
  sg: AWS_TYPES.securityGroup,
  acl: AWS_TYPES.networkAcl,
  rtb: AWS_TYPES.routeTable,
  igw: AWS_TYPES.internetGateway,
  eigw: AWS_TYPES.egressOnlyInternetGateway,
  nat: AWS_TYPES.natGateway,
  eipalloc: AWS_TYPES.elasticIp,
  pcx: AWS_TYPES.vpcPeeringConnection,
  tgw: AWS_TYPES.transitGateway,
  pl: AWS_TYPES.managedPrefixList,
  vgw: AWS_TYPES.vpnGateway,
  vpn: AWS_TYPES.vpnConnection,
  cgw: AWS_TYPES.customerGateway,
  vpce: AWS_TYPES.vpcEndpoint,
  vol: AWS_TYPES.ebsVolume,
};

/** EC2 ARN resource-type segment per Infracast type, for building ARNs the input does not carry. */
export const EC2_ARN_RESOURCE_TYPES: Readonly<Partial<Record<AwsType, string>>> = {
  [AWS_TYPES.vpc]: 'vpc',
  [AWS_TYPES.subnet]: 'subnet',
  [AWS_TYPES.instance]: 'instance',
  [AWS_TYPES.networkInterface]: 'network-interface',
  [AWS_TYPES.securityGroup]: 'security-group',
  [AWS_TYPES.networkAcl]: 'network-acl',
  [AWS_TYPES.routeTable]: 'route-table',
  [AWS_TYPES.internetGateway]: 'internet-gateway',
  [AWS_TYPES.egressOnlyInternetGateway]: 'egress-only-internet-gateway',
  [AWS_TYPES.natGateway]: 'natgateway',
  [AWS_TYPES.elasticIp]: 'elastic-ip',
  [AWS_TYPES.vpcPeeringConnection]: 'vpc-peering-connection',
  [AWS_TYPES.transitGateway]: 'transit-gateway',
  [AWS_TYPES.transitGatewayAttachment]: 'transit-gateway-attachment',
  [AWS_TYPES.transitGatewayRouteTable]: 'transit-gateway-route-table',
  [AWS_TYPES.managedPrefixList]: 'prefix-list',
  [AWS_TYPES.vpnGateway]: 'vpn-gateway',
  [AWS_TYPES.vpnConnection]: 'vpn-connection',
  [AWS_TYPES.customerGateway]: 'customer-gateway',
  [AWS_TYPES.vpcEndpoint]: 'vpc-endpoint',
  [AWS_TYPES.ebsVolume]: 'volume',
};

/**
 * Types keyed by a name that is unique only inside an account (IAM names,
 * load balancer, target group, DB and function names): their node name key
 * is `<account>/<name>` when the account is known, so two accounts' `admin`
 * roles stay two nodes. AWS-managed IAM policies use the account 'aws'.
 */
export const ACCOUNT_SCOPED_NAME_TYPES: ReadonlySet<string> = new Set([
  AWS_TYPES.iamRole,
  AWS_TYPES.iamUser,
  AWS_TYPES.iamPolicy,
  AWS_TYPES.iamGroup,
  AWS_TYPES.iamInstanceProfile,
  AWS_TYPES.loadBalancer,
  AWS_TYPES.targetGroup,
  AWS_TYPES.dbInstance,
  AWS_TYPES.dbSubnetGroup,
  AWS_TYPES.lambdaFunction,
  AWS_TYPES.ebsEncryptionByDefault,
  AWS_TYPES.cloudTrail,
]);

/** The node name key of an account-scoped name: `<account>/<name>` (or the bare name when the account is unknown). */
export function accountScopedKey(account: string | null, name: string): string {
  return account ? `${account}/${name}` : name;
}
