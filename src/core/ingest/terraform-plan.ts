/**
 * Terraform plan parser (`terraform show -json plan.out`).
 *
 * The inventory is what will exist after apply: every `resource_changes[]`
 * entry except those only deleted (`["delete"]`) and deposed objects being
 * destroyed. Replacements (`["delete","create"]`, `["create","delete"]`)
 * are kept as the new object. Values known only after apply
 * (`change.after_unknown`) are UNKNOWN, never strings; sensitive values
 * (`change.after_sensitive`) are dropped. Resources a plan forgets
 * (`["forget"]`: removed from the state, not destroyed) still exist after
 * apply: they are kept with their `before` values, minus what
 * `change.before_sensitive` marks. Objects of `prior_state` that no change
 * names (a `-target` or `-refresh-only` plan lists only what it changes; a
 * moved object is named by its `previous_address`) are kept as they are.
 * Resources a plan creates are identified by their address (they have no native id yet).
 *
 * The `configuration` block gives each provider's region and, for values
 * unknown until apply, the resources they refer to, so a new subnet's
 * instance is still contained in it. It also gives the providers'
 * `default_tags` / `default_labels`, merged under the tags of resources
 * whose planned values lack a known `tags_all` (older AWS providers) or
 * `effective_labels`, as the plan tag validator does.
 */
import type { ParsedInventory } from '../inventory/types.ts';
import { ingestError, parseJsonText } from './errors.ts';
import { configAddress, type IndexKey, lastIndexKey, moduleOfAddress, splitAddress } from './terraform-address.ts';
import { ProviderDefaultTags } from './terraform-default-tags.ts';
import { buildTerraformInventory } from './terraform-inventory.ts';
import type { ReferenceResolver, TfResource } from './terraform-model.ts';
import { readShowJsonModule, requireString, type TerraformDocumentOptions } from './terraform-state.ts';
import { applyUnknown, dropSensitive } from './terraform-values.ts';
import { at, isRecord, type Rec } from './values.ts';

export function parseTerraformPlan(input: unknown, options: TerraformDocumentOptions = {}): ParsedInventory {
  const documentName = options.document_name ?? 'terraform_plan';
  const doc = parseJsonText(input, documentName);
  if (!isRecord(doc)) throw ingestError(documentName, null, 'must be a JSON object (terraform show -json of a plan)');
  if (typeof doc.format_version !== 'string') throw ingestError(documentName, 'format_version', 'must be a string');
  if (doc.resource_changes === undefined && doc.planned_values === undefined) {
    throw ingestError(
      documentName,
      'resource_changes',
      'is missing: this is not a plan (terraform show -json <planfile>)',
    );
  }
  const config = new PlanConfiguration(doc, documentName);
  const resources = readResourceChanges(doc, documentName, config);
  config.index(resources);
  config.resolvePendingDependencies();
  return buildTerraformInventory(resources, options, config, new ProviderDefaultTags(doc));
}

function readResourceChanges(doc: Rec, documentName: string, config: PlanConfiguration): TfResource[] {
  const changes = doc.resource_changes ?? [];
  if (!Array.isArray(changes)) throw ingestError(documentName, 'resource_changes', 'must be an array');
  const priorResources = readPriorState(doc, documentName);
  const prior = new Map<string, string[]>();
  for (const r of priorResources) if (r.dependsOn.length > 0) prior.set(r.address, r.dependsOn);
  const out: TfResource[] = [];
  const seen = new Set<string>();
  changes.forEach((rc, i) => {
    const path = at('resource_changes', i);
    if (!isRecord(rc)) throw ingestError(documentName, path, 'must be an object');
    const address = requireString(rc, 'address', path, documentName);
    const type = requireString(rc, 'type', path, documentName);
    const name = requireString(rc, 'name', path, documentName);
    const change = rc.change;
    if (!isRecord(change)) throw ingestError(documentName, at(path, 'change'), 'must be an object');
    const actions = change.actions;
    if (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string')) {
      throw ingestError(documentName, at(at(path, 'change'), 'actions'), 'must be an array of strings');
    }
    const deposed = typeof rc.deposed === 'string' ? rc.deposed : null;
    seen.add(address);
    // A `moved` block: the prior state has the object under its old address.
    if (typeof rc.previous_address === 'string') seen.add(rc.previous_address);
    // Gone after apply: plain deletes, and deposed objects (always destroyed).
    if (!actions.includes('create') && actions.includes('delete')) return;
    if (deposed !== null) return;
    const mode = rc.mode === 'data' ? 'data' : 'managed';
    // `forget` (a `removed` block with `destroy = false`): the object stays, Terraform stops managing it;
    // only `before` describes it, so `before_sensitive` (not `after_sensitive`) says what to drop.
    const fromBefore = actions.length === 1 && actions[0] === 'forget';
    const side = fromBefore ? 'before' : 'after';
    const source = change[side];
    if (source !== null && source !== undefined && !isRecord(source)) {
      throw ingestError(documentName, at(at(path, 'change'), side), 'must be an object or null');
    }
    let values = (source ?? {}) as Rec;
    // Both masks mirror the original value: mark unknowns before dropping anything (dropping list
    // elements shifts the indexes after them).
    if (!fromBefore) values = applyUnknown(values, change.after_unknown) as Rec;
    values = (dropSensitive(values, fromBefore ? change.before_sensitive : change.after_sensitive) ?? {}) as Rec;
    const index = rc.index;
    const indexKey = typeof index === 'number' || typeof index === 'string' ? index : lastIndexKey(address);
    const resource: TfResource = {
      address,
      mode,
      type,
      name,
      module: typeof rc.module_address === 'string' ? rc.module_address : moduleOfAddress(address),
      indexKey,
      provider: typeof rc.provider_name === 'string' ? rc.provider_name : '',
      values,
      dependsOn: [],
      providerRegion: null,
      actions: actions as string[],
      deposed: null,
    };
    resource.providerRegion = config.providerRegion(resource);
    resource.dependsOn = config.dependencies(resource, prior.get(address) ?? []);
    out.push(resource);
  });
  // Plans of older Terraform versions omit unchanged resources from resource_changes.
  const planned: TfResource[] = [];
  const root = isRecord(doc.planned_values) ? doc.planned_values.root_module : undefined;
  if (root !== undefined && root !== null) {
    readShowJsonModule(root, 'planned_values.root_module', documentName, planned, null);
  }
  for (const r of planned) {
    if (seen.has(r.address)) continue;
    seen.add(r.address);
    r.actions = ['no-op'];
    r.providerRegion = config.providerRegion(r);
    r.dependsOn = [...(prior.get(r.address) ?? []), ...r.dependsOn];
    out.push(r);
  }
  // Objects of the prior state that no change names still exist after apply: a `-target` or
  // `-refresh-only` plan lists only what it changes (in resource_changes and planned_values alike).
  for (const r of priorResources) {
    if (seen.has(r.address) || r.deposed !== null) continue;
    r.actions = ['no-op'];
    r.providerRegion = config.providerRegion(r);
    out.push(r);
  }
  return out;
}

/** The prior state's resource instances (values minus what `sensitive_values` marks). */
function readPriorState(doc: Rec, documentName: string): TfResource[] {
  const prior =
    isRecord(doc.prior_state) && isRecord(doc.prior_state.values) ? doc.prior_state.values.root_module : null;
  const resources: TfResource[] = [];
  if (prior === null || prior === undefined) return resources;
  readShowJsonModule(prior, 'prior_state.values.root_module', documentName, resources, null);
  return resources;
}

interface ConfigModule {
  /** Configuration path: '' or `module.net.module.subnets`. */
  path: string;
  json: Rec;
  parent: ConfigModule | null;
  /** Name of the module call that instantiates this module in its parent. */
  callName: string | null;
}

const IGNORED_REFERENCE_ROOTS = new Set(['count', 'each', 'path', 'terraform', 'local', 'self', 'data']);
const MAX_REFERENCE_DEPTH = 12;

/**
 * The plan's `configuration`: provider regions, and what resources each
 * expression refers to (through module variables and outputs).
 */
class PlanConfiguration implements ReferenceResolver {
  private readonly modules = new Map<string, ConfigModule>();
  private readonly resources = new Map<string, { json: Rec; module: ConfigModule }>();
  private readonly providerRegions = new Map<string, string>();
  private readonly addressesByConfig = new Map<string, string[]>();
  private readonly moduleByAddress = new Map<string, string>();

  constructor(doc: Rec, documentName: string) {
    const configuration = doc.configuration;
    if (configuration === undefined || configuration === null) return;
    if (!isRecord(configuration)) throw ingestError(documentName, 'configuration', 'must be an object');
    const variables = isRecord(doc.variables) ? doc.variables : {};
    if (isRecord(configuration.provider_config)) {
      for (const [key, provider] of Object.entries(configuration.provider_config)) {
        if (!isRecord(provider) || !isRecord(provider.expressions)) continue;
        const region = constantOrVariable(provider.expressions.region, provider.module_address ? {} : variables);
        if (region !== null) this.providerRegions.set(key, region);
      }
    }
    if (isRecord(configuration.root_module)) this.walk(configuration.root_module, '', null, null);
  }

  /** Called once the instances are known: configuration address → instance addresses. */
  index(resources: TfResource[]): void {
    for (const r of resources) {
      const cfg = configAddress(r.address);
      const list = this.addressesByConfig.get(cfg);
      if (list === undefined) this.addressesByConfig.set(cfg, [r.address]);
      else list.push(r.address);
      this.moduleByAddress.set(r.address, r.module);
    }
  }

  providerRegion(r: TfResource): string | null {
    const entry = this.resources.get(configAddress(r.address));
    const key = entry === undefined ? null : entry.json.provider_config_key;
    if (typeof key === 'string') {
      const direct = this.providerRegions.get(key);
      if (direct !== undefined) return direct;
      const short = key.slice(key.lastIndexOf(':') + 1);
      const inherited = this.providerRegions.get(short);
      if (inherited !== undefined) return inherited;
    }
    const provider = r.type.split('_')[0] ?? '';
    return this.providerRegions.get(provider) ?? null;
  }

  /**
   * The prior state's dependencies, explicit `depends_on`, and (filled in by
   * `resolvePendingDependencies`) the resources the expressions refer to.
   */
  dependencies(r: TfResource, prior: string[]): string[] {
    const out: string[] = [...prior];
    const entry = this.resources.get(configAddress(r.address));
    if (entry === undefined) return out;
    if (Array.isArray(entry.json.depends_on)) {
      for (const d of entry.json.depends_on) {
        if (typeof d === 'string') out.push(entry.module.path ? `${entry.module.path}.${d}` : d);
      }
    }
    // The referenced instances are resolved later (index() runs after all resources are read).
    this.pendingDependencies.push({ r, out });
    return out;
  }

  private readonly pendingDependencies: { r: TfResource; out: string[] }[] = [];

  references(r: TfResource, attribute: string): string[] {
    const entry = this.resources.get(configAddress(r.address));
    if (entry === undefined || !isRecord(entry.json.expressions)) return [];
    const refs = withForEach(collectReferences(entry.json.expressions[attribute]), entry.json);
    return this.resolve(refs, entry.module, r.module, r.indexKey, 0);
  }

  /** Adds implicit (reference) dependencies; call after `index`. */
  resolvePendingDependencies(): void {
    for (const { r, out } of this.pendingDependencies) {
      const entry = this.resources.get(configAddress(r.address));
      if (entry === undefined || !isRecord(entry.json.expressions)) continue;
      const refs = withForEach(collectReferences(entry.json.expressions), entry.json);
      for (const address of this.resolve(refs, entry.module, r.module, r.indexKey, 0)) {
        if (address !== r.address && !out.includes(address)) out.push(address);
      }
    }
    this.pendingDependencies.length = 0;
  }

  private walk(json: Rec, path: string, parent: ConfigModule | null, callName: string | null): void {
    const module: ConfigModule = { path, json, parent, callName };
    this.modules.set(path, module);
    for (const res of Array.isArray(json.resources) ? json.resources : []) {
      if (!isRecord(res) || typeof res.address !== 'string') continue;
      this.resources.set(path ? `${path}.${res.address}` : res.address, { json: res, module });
    }
    if (isRecord(json.module_calls)) {
      for (const [name, call] of Object.entries(json.module_calls)) {
        if (isRecord(call) && isRecord(call.module)) {
          this.walk(call.module, path ? `${path}.module.${name}` : `module.${name}`, module, name);
        }
      }
    }
  }

  /**
   * Reference strings (`aws_subnet.a[0].id`, `module.vpc.subnet_ids`,
   * `var.vpc_id`) → instance addresses, following module variables to the
   * caller and module outputs into the callee.
   */
  private resolve(
    refs: string[],
    module: ConfigModule,
    instance: string,
    indexKey: IndexKey | null,
    depth: number,
  ): string[] {
    if (depth > MAX_REFERENCE_DEPTH || refs.length === 0) return [];
    const followsIndex = refs.some((r) => r === 'count.index' || r.startsWith('each.'));
    const out = new Set<string>();
    for (const ref of refs) {
      const parts = splitAddress(ref);
      const root = parts[0] ?? '';
      if (IGNORED_REFERENCE_ROOTS.has(root)) continue;
      if (root === 'var') {
        const call = module.parent === null || module.callName === null ? null : module.parent.json.module_calls;
        const callJson = isRecord(call) ? call[module.callName as string] : null;
        const expr =
          isRecord(callJson) && isRecord(callJson.expressions) ? callJson.expressions[stripKey(parts[1] ?? '')] : null;
        // The caller's expression may pick by the module instance's key (`aws_subnet.app[each.key]`).
        const callerKey = instance === '' ? null : lastIndexKey(instance);
        for (const a of this.resolve(
          withForEach(collectReferences(expr), isRecord(callJson) ? callJson : {}),
          module.parent as ConfigModule,
          parentInstance(instance),
          callerKey,
          depth + 1,
        ))
          out.add(a);
        continue;
      }
      if (root === 'module') {
        const callWithKey = parts[1] ?? '';
        const child = this.modules.get(
          module.path ? `${module.path}.module.${stripKey(callWithKey)}` : `module.${stripKey(callWithKey)}`,
        );
        const outputs = child !== undefined && isRecord(child.json.outputs) ? child.json.outputs : null;
        const output = outputs === null ? null : outputs[parts[2] ?? ''];
        const expr = isRecord(output) ? output.expression : null;
        if (child === undefined) continue;
        const childInstance = `${instance ? `${instance}.` : ''}module.${callWithKey}`;
        for (const a of this.resolve(collectReferences(expr), child, childInstance, null, depth + 1)) out.add(a);
        continue;
      }
      if (parts.length < 2) continue;
      const resourceName = parts[1] as string;
      const cfg = `${module.path ? `${module.path}.` : ''}${root}.${stripKey(resourceName)}`;
      let candidates = this.addressesByConfig.get(cfg) ?? [];
      if (instance !== '') {
        const inModule = candidates.filter((a) => (this.moduleByAddress.get(a) ?? '').startsWith(instance));
        if (inModule.length > 0) candidates = inModule;
      }
      const explicit = resourceName.includes('[') ? lastIndexKey(`${root}.${resourceName}`) : null;
      if (explicit !== null) candidates = candidates.filter((a) => lastIndexKey(a) === explicit);
      else if (followsIndex && candidates.length > 1) {
        // `aws_subnet.app[count.index]`: the instance with the same key, or nothing (a guess would be a wrong edge).
        candidates = indexKey === null ? [] : candidates.filter((a) => lastIndexKey(a) === indexKey);
      }
      for (const a of candidates) out.add(a);
    }
    return [...out];
  }
}

/**
 * `each.value` stands for an element of the `for_each` collection: when it
 * is referenced and that collection is made of resources
 * (`for_each = aws_subnet.app`), the element is the instance with the same key.
 */
function withForEach(refs: string[], block: Rec): string[] {
  if (!refs.some((r) => r === 'each.value' || r.startsWith('each.value.') || r.startsWith('each.value['))) return refs;
  const collection = collectReferences(block.for_each_expression);
  return collection.length === 0 ? refs : [...refs, ...collection, 'each.key'];
}

/** All `references` strings inside an expression (nested blocks are objects / arrays of expressions). */
function collectReferences(expr: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  if (Array.isArray(expr)) {
    for (const e of expr) collectReferences(e, out, depth + 1);
  } else if (isRecord(expr)) {
    if (Array.isArray(expr.references)) {
      for (const r of expr.references) if (typeof r === 'string') out.push(r);
    }
    for (const [k, v] of Object.entries(expr)) {
      if (k !== 'references' && k !== 'constant_value' && (isRecord(v) || Array.isArray(v)))
        collectReferences(v, out, depth + 1);
    }
  }
  return out;
}

function constantOrVariable(expr: unknown, variables: Rec): string | null {
  if (!isRecord(expr)) return null;
  if (typeof expr.constant_value === 'string') return expr.constant_value;
  const refs = Array.isArray(expr.references) ? expr.references : [];
  for (const ref of refs) {
    if (typeof ref !== 'string' || !ref.startsWith('var.')) continue;
    const variable = variables[ref.slice(4)];
    if (isRecord(variable) && typeof variable.value === 'string') return variable.value;
  }
  return null;
}

const stripKey = (part: string): string => {
  const bracket = part.indexOf('[');
  return bracket === -1 ? part : part.slice(0, bracket);
};

/** `module.a["x"].module.b[0]` → `module.a["x"]`. */
function parentInstance(instance: string): string {
  const parts = splitAddress(instance);
  return parts.slice(0, -2).join('.');
}
