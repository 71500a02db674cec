/**
 * Provider default tags (AWS `default_tags`) and labels (google
 * `default_labels`) of a resource, read from the `configuration` section of
 * `terraform show -json` (a plan; a state only if it has one). Shared by the
 * plan tag validator (src/core/tagging/plan.ts) and the Terraform inventory
 * (src/core/ingest/terraform-inventory.ts), so both compute the same final
 * tags for a resource whose planned values lack `tags_all` /
 * `effective_labels`.
 *
 * The provider of a resource is its `provider_config_key` in the
 * configuration (aliases included); a key without expressions (older
 * Terraform, module resources) inherits from the enclosing modules, up to
 * the root configuration. A default-tags expression is read when it is a
 * constant, or a lone root-module `var.NAME` resolved from the plan's
 * `variables`; anything else is reported (warnings) and the defaults are
 * marked incomplete: their keys are not known.
 *
 * Pure: no I/O, no imports beyond inventory types, so both sides can import it.
 */
import type { Unknown } from '../inventory/types.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A tag value as plan readers see it: a string, or UNKNOWN (known only after apply). */
export type DefaultTagValue = string | Unknown;

export type DefaultTagsKind = 'aws' | 'google';

export interface DefaultTags {
  tags: Map<string, DefaultTagValue>;
  /** False when the defaults come from an expression we could not evaluate. */
  complete: boolean;
}

/** A tag value as a string (numbers and booleans as Terraform prints them); null for anything else. */
export function toTagValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Default tags / labels per resource for one `terraform show -json`
 * document. Lookups are cached per configuration address and per provider key.
 */
export class ProviderDefaultTags {
  private readonly providerConfigs: Json;
  private readonly resourceKeys = new Map<string, string>();
  private readonly variables: Json;
  private readonly sensitiveVariables = new Set<string>();
  private readonly cache = new Map<string, DefaultTags | null>();
  private readonly byResource = new Map<string, Map<string, Map<string, DefaultTags | null>>>();

  /**
   * @param doc the whole `terraform show -json` document (`configuration`, `variables`)
   * @param warnings where to note default tags that cannot be evaluated (once per provider)
   */
  constructor(
    doc: Json,
    readonly warnings: string[] = [],
  ) {
    const configuration = isObject(doc.configuration) ? doc.configuration : {};
    this.providerConfigs = isObject(configuration.provider_config) ? configuration.provider_config : {};
    this.variables = isObject(doc.variables) ? doc.variables : {};
    if (isObject(configuration.root_module)) {
      // Variables declared `sensitive = true`: their values are never read into tags (they would be stored).
      const declared = isObject(configuration.root_module.variables) ? configuration.root_module.variables : {};
      for (const [name, decl] of Object.entries(declared)) {
        if (isObject(decl) && decl.sensitive === true) this.sensitiveVariables.add(name);
      }
      this.indexModule(configuration.root_module, '');
    }
  }

  private indexModule(module: Json, path: string): void {
    if (Array.isArray(module.resources)) {
      for (const r of module.resources) {
        if (!isObject(r) || typeof r.address !== 'string' || typeof r.provider_config_key !== 'string') continue;
        this.resourceKeys.set(path ? `${path}.${r.address}` : r.address, r.provider_config_key);
      }
    }
    if (isObject(module.module_calls)) {
      for (const [name, call] of Object.entries(module.module_calls)) {
        if (isObject(call) && isObject(call.module)) {
          this.indexModule(call.module, path ? `${path}.module.${name}` : `module.${name}`);
        }
      }
    }
  }

  /**
   * Default tags (aws) or labels (google) for a resource, or null when its
   * provider sets none. `configModule` is the module path without instance
   * keys (`module.net.module.subnets`, '' at the root).
   */
  tagsFor(kind: DefaultTagsKind, configModule: string, type: string, name: string): DefaultTags | null {
    // Nested maps: no string building per resource on the hot path.
    let byType = this.byResource.get(configModule);
    if (!byType) {
      byType = new Map();
      this.byResource.set(configModule, byType);
    }
    let byName = byType.get(type);
    if (!byName) {
      byName = new Map();
      byType.set(type, byName);
    }
    let hit = byName.get(name);
    if (hit === undefined) {
      hit = this.lookup(kind, configModule, type, name);
      byName.set(name, hit);
    }
    return hit;
  }

  private lookup(kind: DefaultTagsKind, configModule: string, type: string, name: string): DefaultTags | null {
    const configAddress = configModule ? `${configModule}.${type}.${name}` : `${type}.${name}`;
    const key = this.resourceKeys.get(configAddress) ?? (configModule ? `${configModule}:${kind}` : kind);
    const cacheKey = `${kind}|${key}`;
    if (this.cache.has(cacheKey)) return this.cache.get(cacheKey)!;
    const config = this.resolve(key);
    const result = config ? this.readDefaults(kind, config, key) : null;
    this.cache.set(cacheKey, result);
    return result;
  }

  /**
   * Finds the provider configuration block for a key. Terraform ≥ 1.1
   * normalises module resources to the configuration they really use; older
   * versions leave `module.a:aws` (or even `a:aws`) entries without
   * expressions, which inherit from the parent module, so walk up.
   */
  private resolve(key: string): Json | null {
    const candidates: string[] = [key];
    const colon = key.lastIndexOf(':');
    if (colon > 0) {
      let module = key.slice(0, colon);
      const provider = key.slice(colon + 1);
      if (!module.startsWith('module.')) module = `module.${module}`;
      const parts = module.split('.module.');
      for (let n = parts.length; n > 0; n--) candidates.push(`${parts.slice(0, n).join('.module.')}:${provider}`);
      candidates.push(provider);
    }
    let firstFound: Json | null = null;
    for (const candidate of candidates) {
      const config = this.providerConfigs[candidate];
      if (!isObject(config)) continue;
      firstFound ??= config;
      if (isObject(config.expressions)) return config;
    }
    return firstFound;
  }

  private readDefaults(kind: DefaultTagsKind, config: Json, key: string): DefaultTags | null {
    const expressions = isObject(config.expressions) ? config.expressions : null;
    if (!expressions) return null;
    let expression: unknown;
    if (kind === 'aws') {
      const blocks = Array.isArray(expressions.default_tags)
        ? expressions.default_tags
        : isObject(expressions.default_tags)
          ? [expressions.default_tags]
          : [];
      if (blocks.length === 0) return null;
      expression = isObject(blocks[0]) ? blocks[0].tags : undefined;
    } else {
      expression = expressions.default_labels;
    }
    if (!isObject(expression)) return null;
    const tags = new Map<string, DefaultTagValue>();
    const atRoot = typeof config.module_address !== 'string' || config.module_address === '';
    const value = this.evaluate(expression, atRoot);
    if (value === undefined) {
      this.warnings.push(
        `provider ${key}: default ${kind === 'aws' ? 'tags' : 'labels'} come from an expression the plan does not resolve; keys not found elsewhere are reported as unknown`,
      );
      return { tags, complete: false };
    }
    for (const [k, v] of Object.entries(value)) {
      const s = toTagValue(v);
      if (s !== null) tags.set(k, s); // a null default is no default
    }
    return { tags, complete: true };
  }

  /** A constant, or a lone root-module `var.NAME` reference resolved from the plan's variables. */
  private evaluate(expression: Json, atRoot: boolean): Json | undefined {
    if (isObject(expression.constant_value)) return expression.constant_value;
    const refs = Array.isArray(expression.references) ? expression.references : [];
    const variable = refs.find((r): r is string => typeof r === 'string' && /^var\.[A-Za-z0-9_-]+$/.test(r));
    if (atRoot && variable && refs.every((r) => r === variable || (typeof r === 'string' && variable.startsWith(r)))) {
      const name = variable.slice(4);
      if (this.sensitiveVariables.has(name)) return undefined;
      const entry = this.variables[name];
      if (isObject(entry) && isObject(entry.value)) return entry.value;
    }
    return undefined;
  }
}
