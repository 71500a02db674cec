/**
 * The common shape both Terraform readers (state, plan) reduce their input to
 * before it becomes inventory.
 */
import type { IndexKey } from './terraform-address.ts';
import type { Rec } from './values.ts';

export interface TfResource {
  /** Full instance address: `module.net["eu"].aws_subnet.private[0]`. */
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  /** Module instance path ('' at the root): `module.net["eu"]`. */
  module: string;
  indexKey: IndexKey | null;
  /** Provider configuration address, e.g. `provider["registry.terraform.io/hashicorp/aws"].west`. */
  provider: string;
  /** Attribute values; plans mark values known only after apply with UNKNOWN. */
  values: Rec;
  /** Addresses this resource depends on (`depends_on` and implicit references, as Terraform records them). */
  dependsOn: string[];
  /** Region of the provider configuration, when the input says (plans' configuration, or the caller). */
  providerRegion: string | null;
  /** Plan actions (`["create"]`, `["delete","create"]`…); null for states. */
  actions: string[] | null;
  /** Set for deposed objects (kept until a create-before-destroy finishes). */
  deposed: string | null;
}

export interface TerraformParseOptions {
  /** Region for resources whose region nothing else says (no provider config, ARN or zone). */
  region?: string;
  /** Account for resources whose ARN / owner_id do not say. */
  account_id?: string;
  /**
   * Regions of provider configurations, keyed by the configuration's address
   * (`provider["registry.terraform.io/hashicorp/aws"].west`) or its short
   * form (`aws.west`, `aws`). States do not record provider settings.
   */
  provider_regions?: Record<string, string>;
}

/** Resolves, for plans, the resources an attribute refers to in the configuration. */
export interface ReferenceResolver {
  /** Instance addresses referenced by `attribute` of the resource (recursively into nested blocks). */
  references(resource: TfResource, attribute: string): string[];
}

/** Keys of `values` that are never copied into node attributes. */
export const NON_ATTRIBUTE_KEYS = new Set(['tags', 'tags_all', 'labels', 'effective_labels', 'terraform_labels']);

/**
 * Attribute names holding secrets that some provider versions do not mark
 * sensitive in older states (database passwords, access key secrets, VPN
 * pre-shared keys, customer gateway configuration): never copied.
 */
const SECRET_ATTRIBUTE =
  /(^|_)(password|secret|secret_string|secret_binary|private_key|preshared_key|auth_token|access_key)$/;
export const isSecretAttribute = (key: string): boolean =>
  SECRET_ATTRIBUTE.test(key) ||
  key === 'customer_gateway_configuration' ||
  key === 'user_data' ||
  key === 'user_data_base64';

export type { Rec };
