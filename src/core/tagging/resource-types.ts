/**
 * Resource types: which ones can carry tags, and how Terraform types
 * (`aws_instance`) and Infracast types (`aws.ec2.instance`) map to each other.
 */
import taggableData from './data/taggable-resource-types.json' with { type: 'json' };

/** Infracast provider names: what inventory nodes and policy scopes use. */
export function normalizeProvider(provider: string): string {
  const p = provider.toLowerCase();
  if (p === 'azurerm' || p === 'azure') return 'azure';
  if (p === 'google' || p === 'google-beta' || p === 'gcp') return 'google';
  return p;
}

/** `registry.terraform.io/hashicorp/aws` → `aws`; falls back to the type's prefix. */
const providerCache = new Map<string, string>();

export function providerOfResource(providerName: unknown, terraformType: string): string {
  const cacheKey = typeof providerName === 'string' && providerName ? providerName : `type:${terraformType}`;
  let provider = providerCache.get(cacheKey);
  if (provider === undefined) {
    provider = normalizeProvider(terraformType.split('_')[0] ?? terraformType);
    if (typeof providerName === 'string' && providerName) {
      const last = providerName.split('/').pop()!;
      // Aliased configurations in very old plans: `provider.aws.west`.
      const local = last.replace(/^provider\./, '').split('.')[0]!;
      if (local) provider = normalizeProvider(local);
    }
    if (providerCache.size > 1_000) providerCache.clear();
    providerCache.set(cacheKey, provider);
  }
  return provider;
}

const TAGGABLE = {
  aws: new Set<string>(taggableData.aws),
  azure: new Set<string>(taggableData.azurerm),
  google: new Set<string>(taggableData.google),
};

/**
 * The provider names a policy scope may give: the clouds whose taggable types Infracast knows, under
 * their Infracast and Terraform names (any case). A scope naming another would apply to nothing.
 */
export const SCOPE_PROVIDERS = ['aws', 'azure', 'azurerm', 'google', 'google-beta', 'gcp'] as const;

export const isScopeProvider = (provider: string): boolean => Object.hasOwn(TAGGABLE, normalizeProvider(provider));

/**
 * Types that carry tags in a form the generated list cannot see: an
 * autoscaling group's `tag` blocks are its tags (it has no `tags` map since
 * AWS provider v5).
 */
const SPECIAL_TAGGABLE = new Set(['aws_autoscaling_group']);

export const TAGGABLE_TYPES_SOURCE: Readonly<Record<string, string>> = taggableData.generated_from;

/** From the checked-in list: whether a Terraform type has a tags/labels attribute. Unknown providers: false. */
export function isTaggableType(terraformType: string): boolean {
  if (SPECIAL_TAGGABLE.has(terraformType)) return true;
  const provider = normalizeProvider(terraformType.split('_')[0] ?? '') as keyof typeof TAGGABLE;
  return TAGGABLE[provider]?.has(terraformType) ?? false;
}

/**
 * Infracast ↔ Terraform names that the generic rule (`aws.foo.bar` ↔
 * `aws_foo_bar`) gets wrong. Covers the types the ingest parsers emit.
 */
const INFRACAST_TO_TERRAFORM: Readonly<Record<string, string>> = {
  'aws.ec2.instance': 'aws_instance',
  'aws.ec2.vpc': 'aws_vpc',
  'aws.ec2.subnet': 'aws_subnet',
  'aws.ec2.network_interface': 'aws_network_interface',
  'aws.ec2.security_group': 'aws_security_group',
  'aws.ec2.network_acl': 'aws_network_acl',
  'aws.ec2.route_table': 'aws_route_table',
  'aws.ec2.internet_gateway': 'aws_internet_gateway',
  'aws.ec2.egress_only_internet_gateway': 'aws_egress_only_internet_gateway',
  'aws.ec2.nat_gateway': 'aws_nat_gateway',
  'aws.ec2.elastic_ip': 'aws_eip',
  'aws.ec2.vpc_peering_connection': 'aws_vpc_peering_connection',
  'aws.ec2.transit_gateway_attachment': 'aws_ec2_transit_gateway_vpc_attachment',
  'aws.ec2.vpn_gateway': 'aws_vpn_gateway',
  'aws.ec2.vpn_connection': 'aws_vpn_connection',
  'aws.ec2.customer_gateway': 'aws_customer_gateway',
  'aws.ec2.vpc_endpoint': 'aws_vpc_endpoint',
  'aws.ec2.volume': 'aws_ebs_volume',
  'aws.ec2.snapshot': 'aws_ebs_snapshot',
  'aws.ec2.key_pair': 'aws_key_pair',
  'aws.ec2.launch_template': 'aws_launch_template',
  'aws.ec2.image': 'aws_ami',
  'aws.elbv2.load_balancer': 'aws_lb',
  'aws.elbv2.target_group': 'aws_lb_target_group',
  'aws.elbv2.listener': 'aws_lb_listener',
  'aws.elb.load_balancer': 'aws_elb',
  'aws.rds.db_instance': 'aws_db_instance',
  'aws.rds.db_cluster': 'aws_rds_cluster',
  'aws.rds.db_subnet_group': 'aws_db_subnet_group',
  'aws.cloudtrail.trail': 'aws_cloudtrail',
  'aws.autoscaling.auto_scaling_group': 'aws_autoscaling_group',
};

const TERRAFORM_TO_INFRACAST: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(INFRACAST_TO_TERRAFORM).map(([k, v]) => [v, k]),
);

const TERRAFORM_PREFIX: Readonly<Record<string, string>> = { aws: 'aws', azure: 'azurerm', google: 'google' };

/**
 * Terraform type for an inventory node: `attributes.terraform_type` when the
 * parser recorded it, else the mapping, else the generic rule, preferring a
 * candidate the taggable list knows (`azure.storage.account` → `azurerm_storage_account`).
 */
export function terraformTypeOf(node: { provider?: string | null; type: string; attributes?: unknown }): string {
  const attrs = node.attributes as { terraform_type?: unknown } | null | undefined;
  if (attrs && typeof attrs.terraform_type === 'string' && attrs.terraform_type) return attrs.terraform_type;
  return terraformTypeFor(node.type, node.provider ?? undefined);
}

const terraformTypeCache = new Map<string, string>();

export function terraformTypeFor(infracastType: string, provider?: string): string {
  const cacheKey = `${provider ?? ''}|${infracastType}`;
  const cached = terraformTypeCache.get(cacheKey);
  if (cached) return cached;
  let result = INFRACAST_TO_TERRAFORM[infracastType];
  if (!result) {
    if (!infracastType.includes('.'))
      result = infracastType; // already a Terraform type
    else {
      const [first, ...rest] = infracastType.split('.');
      const prov = normalizeProvider(provider ?? first!);
      const prefix = TERRAFORM_PREFIX[prov] ?? first!;
      const candidates = [`${prefix}_${rest.join('_')}`];
      if (rest.length > 1) candidates.push(`${prefix}_${rest.slice(1).join('_')}`);
      result = candidates.find(isTaggableType) ?? candidates[0]!;
    }
  }
  if (terraformTypeCache.size > 10_000) terraformTypeCache.clear();
  terraformTypeCache.set(cacheKey, result);
  return result;
}

/** `aws_instance` → `aws.ec2.instance`; generic: `aws_s3_bucket` → `aws.s3.bucket`, `azurerm_storage_account` → `azure.storage.account`. */
const infracastTypeCache = new Map<string, string>();

export function infracastTypeFor(terraformType: string): string {
  let hit = infracastTypeCache.get(terraformType);
  if (hit === undefined) {
    hit = computeInfracastType(terraformType);
    if (infracastTypeCache.size > 10_000) infracastTypeCache.clear();
    infracastTypeCache.set(terraformType, hit);
  }
  return hit;
}

function computeInfracastType(terraformType: string): string {
  const mapped = TERRAFORM_TO_INFRACAST[terraformType];
  if (mapped) return mapped;
  const parts = terraformType.split('_');
  if (parts.length < 2) return terraformType;
  const provider = normalizeProvider(parts[0]!);
  if (parts.length === 2) return `${provider}.${parts[1]}`;
  return `${provider}.${parts[1]}.${parts.slice(2).join('_')}`;
}
