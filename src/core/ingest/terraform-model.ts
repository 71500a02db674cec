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
 * sensitive (and states written before Terraform 0.15 mark nothing): checked
 * at every depth of nested blocks, lists and maps, on the name folded to
 * snake_case (`DB_PASSWORD`, `masterPassword` → `db_password`, `master_password`).
 *
 * - ending in: `secret`, `secret_string`, `secret_binary`, `secret_key`,
 *   `private_key…`, `preshared_key` / `pre_shared_key` / `shared_key`,
 *   `token` (`auth_token`, `access_token`…), `access_key`, `client_key`,
 *   `api_key`, `auth_key`, `account_key`, `master_key`, `authorization_key`,
 *   `instrumentation_key`, `primary_key` / `secondary_key` (and their
 *   `_readonly` / `_master` forms), `key_material…`, `kube_config…` /
 *   `kube_admin_config…`, `customer_gateway_configuration`, `user_data…`;
 * - containing the word `password` / `passwords` / `passwd` / `passphrase`
 *   or `connection_string(s)` anywhere (`ses_smtp_password_v4`,
 *   `password_data`, `primary_blob_connection_string`).
 *
 * Booleans and numbers are never secrets (`get_password_data`,
 * `minimum_password_length`, `manage_master_user_password` stay).
 */
const SECRET_SUFFIX = new RegExp(
  `(^|_)(${[
    'secret',
    'secret_string',
    'secret_binary',
    'secret_key',
    'private_key(_[a-z0-9_]+)?',
    'pre_?shared_key',
    'shared_key',
    'token',
    'access_key',
    'client_key',
    'api_key',
    'auth_key',
    'account_key',
    'master_key',
    'authorization_key',
    'instrumentation_key',
    '(primary|secondary)(_read_?only)?(_master)?_key',
    'key_material(_base64)?',
    'kube(_admin)?_config(_raw)?',
    'customer_gateway_configuration',
    'user_data(_base64)?',
  ].join('|')})$`,
);
const SECRET_WORD = /(^|_)(password|passwords|passwd|passphrase|connection_strings?)(_|$)/;

/** `dbPassword`, `DB-Password` → `db_password`. */
const snakeCase = (key: string): string =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s.]+/g, '_')
    .toLowerCase();

/** Attribute names repeat across resources: remember the verdicts (bounded, names are few). */
const secretVerdicts = new Map<string, boolean>();

export const isSecretAttribute = (key: string): boolean => {
  const known = secretVerdicts.get(key);
  if (known !== undefined) return known;
  const name = snakeCase(key);
  const secret = SECRET_SUFFIX.test(name) || SECRET_WORD.test(name);
  if (secretVerdicts.size < 10_000) secretVerdicts.set(key, secret);
  return secret;
};

/**
 * Attributes secret only for some resource types, whatever their name:
 * an SSM parameter's `value` unless it is a plain `String` / `StringList`
 * (a `SecureString`, or a type unknown until apply), API keys' values.
 */
function typeSecrets(type: string, values: Rec): readonly string[] {
  switch (type) {
    case 'aws_ssm_parameter':
      return values.type === 'String' || values.type === 'StringList' ? [] : ['value'];
    case 'aws_api_gateway_api_key':
      return ['value'];
    case 'aws_appsync_api_key':
      return ['key'];
    default:
      return [];
  }
}

const keepsValue = (v: unknown): boolean => typeof v === 'boolean' || typeof v === 'number';

/**
 * The resource's values without secrets: what `isSecretAttribute` names, at
 * any depth, and the type's own secrets. Unchanged objects are returned as
 * they are; the input is never mutated.
 */
export function withoutSecrets(type: string, values: Rec): Rec {
  const own = typeSecrets(type, values);
  let out: Rec | null = null;
  for (const k in values) {
    const v = values[k];
    const next = own.includes(k) ? undefined : stripSecrets(k, v);
    if (next === v) continue;
    out ??= { ...values };
    if (next === undefined) delete out[k];
    else out[k] = next;
  }
  return out ?? values;
}

/** `value` under the name `key`: undefined when it is a secret, else with its nested secrets removed. */
function stripSecrets(key: string, value: unknown): unknown {
  if (keepsValue(value)) return value;
  if (isSecretAttribute(key)) return undefined;
  return stripNested(value);
}

function stripNested(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const next = stripNested(value[i]);
      if (next === value[i]) continue;
      out ??= value.slice();
      out[i] = next;
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    const rec = value as Rec;
    let out: Rec | null = null;
    for (const k in rec) {
      const next = stripSecrets(k, rec[k]);
      if (next === rec[k]) continue;
      out ??= { ...rec };
      if (next === undefined) delete out[k];
      else out[k] = next;
    }
    return out ?? value;
  }
  return value;
}

export type { Rec };
