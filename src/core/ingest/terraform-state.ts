/**
 * Terraform state parser. Accepts both
 * - the raw state file (`.tfstate`, format version 4): `resources[]` with
 *   `module`, `mode`, `type`, `name`, `provider` and `instances[]`
 *   (`index_key`, `attributes`, `dependencies`, `sensitive_attributes`);
 * - `terraform show -json` of a state: `values.root_module.resources[]`
 *   and nested `child_modules[]`, with `sensitive_values` masks.
 * Data sources are skipped; sensitive values are dropped. Resources without
 * `tags_all` get the provider `default_tags` merged under their `tags` only
 * when the document has a `configuration` section (`terraform show -json`
 * of a state usually does not). A plan, or an
 * object that is neither, is refused (read as an empty state, its ingest
 * would remove every node the state had); `{"format_version": "1.0"}`, what
 * `terraform show -json` prints for an empty state, is an empty state.
 */
import type { ParsedInventory } from '../inventory/types.ts';
import { ingestError, parseJsonText } from './errors.ts';
import { formatIndexKey, type IndexKey, moduleOfAddress } from './terraform-address.ts';
import { ProviderDefaultTags } from './terraform-default-tags.ts';
import { buildTerraformInventory } from './terraform-inventory.ts';
import type { TerraformParseOptions, TfResource } from './terraform-model.ts';
import { dropSensitive, dropSensitivePaths } from './terraform-values.ts';
import { at, isRecord, type Rec } from './values.ts';

export interface TerraformDocumentOptions extends TerraformParseOptions {
  /** Name used in error messages (default 'terraform_state' / 'terraform_plan'). */
  document_name?: string;
}

export function parseTerraformState(input: unknown, options: TerraformDocumentOptions = {}): ParsedInventory {
  const name = options.document_name ?? 'terraform_state';
  const doc = parseJsonText(input, name);
  const resources = readTerraformState(doc, name);
  // `terraform show -json` of a state has no configuration, but when one is given, default tags come from it.
  const defaults = isRecord(doc) && isRecord(doc.configuration) ? new ProviderDefaultTags(doc) : null;
  return buildTerraformInventory(resources, options, null, defaults);
}

/** The managed and data resource instances of a state, in either format. */
export function readTerraformState(input: unknown, documentName: string): TfResource[] {
  const doc = parseJsonText(input, documentName);
  if (!isRecord(doc)) throw ingestError(documentName, null, 'must be a JSON object (a Terraform state)');
  // A plan read as a state would give no resources, and an ingest of nothing removes everything the state had.
  const planKey = PLAN_KEYS.find((k) => doc[k] !== undefined);
  if (planKey !== undefined) {
    throw ingestError(
      documentName,
      null,
      `is a Terraform plan (terraform show -json <planfile>: it has ${planKey}), not a state; use source terraform_plan`,
    );
  }
  if (doc.values !== undefined || (doc.format_version !== undefined && doc.version === undefined)) {
    return readShowJsonState(doc, documentName);
  }
  if (doc.version === undefined && doc.resources === undefined) {
    throw ingestError(
      documentName,
      null,
      'is not a Terraform state: it has neither values (terraform show -json) nor version and resources (.tfstate)',
    );
  }
  if (doc.version !== 4) {
    const version = doc.version === undefined ? 'missing' : JSON.stringify(doc.version);
    throw ingestError(
      documentName,
      'version',
      `must be 4 (Terraform 0.12 or later state); got ${version}. Run \`terraform state pull\` with a current Terraform, or give \`terraform show -json\``,
    );
  }
  if (doc.resources === undefined || doc.resources === null) return [];
  if (!Array.isArray(doc.resources)) throw ingestError(documentName, 'resources', 'must be an array');
  const out: TfResource[] = [];
  doc.resources.forEach((res, i) => {
    const path = at('resources', i);
    if (!isRecord(res)) throw ingestError(documentName, path, 'must be an object');
    const type = requireString(res, 'type', path, documentName);
    const name = requireString(res, 'name', path, documentName);
    const mode = res.mode === 'data' ? 'data' : 'managed';
    if (res.mode !== 'managed' && res.mode !== 'data') {
      throw ingestError(documentName, at(path, 'mode'), 'must be "managed" or "data"');
    }
    const module =
      res.module === undefined || res.module === null ? '' : requireString(res, 'module', path, documentName);
    const provider = typeof res.provider === 'string' ? res.provider : '';
    const instances = res.instances ?? [];
    if (!Array.isArray(instances)) throw ingestError(documentName, at(path, 'instances'), 'must be an array');
    instances.forEach((inst, j) => {
      const ipath = at(at(path, 'instances'), j);
      if (!isRecord(inst)) throw ingestError(documentName, ipath, 'must be an object');
      const indexKey = inst.index_key;
      if (indexKey !== undefined && indexKey !== null && typeof indexKey !== 'number' && typeof indexKey !== 'string') {
        throw ingestError(documentName, at(ipath, 'index_key'), 'must be a number or a string');
      }
      const raw = inst.attributes ?? inst.attributes_flat;
      if (!isRecord(raw)) throw ingestError(documentName, at(ipath, 'attributes'), 'must be an object');
      const attributes = dropSensitivePaths(raw, inst.sensitive_attributes);
      const key = (indexKey ?? null) as IndexKey | null;
      const prefix = mode === 'data' ? `data.${type}` : type;
      out.push({
        address: `${module ? `${module}.` : ''}${prefix}.${name}${formatIndexKey(key)}`,
        mode,
        type,
        name,
        module,
        indexKey: key,
        provider,
        values: attributes,
        dependsOn: stringArray(inst.dependencies, at(ipath, 'dependencies'), documentName),
        providerRegion: null,
        actions: null,
        deposed: typeof inst.deposed === 'string' ? inst.deposed : null,
      });
    });
  });
  return out;
}

/** Top-level keys of `terraform show -json <planfile>` that a state never has. */
const PLAN_KEYS = ['resource_changes', 'planned_values', 'prior_state', 'resource_drift', 'output_changes'] as const;

/**
 * Top-level keys `terraform show -json` prints for a state. An empty state
 * (no resources, no outputs) is `{"format_version": "1.0"}`: `values` is
 * left out.
 */
const SHOW_JSON_STATE_KEYS = new Set(['format_version', 'terraform_version', 'values', 'checks']);

function readShowJsonState(doc: Rec, documentName: string): TfResource[] {
  const values = doc.values;
  if (values === undefined || values === null) {
    // Only the empty state's own keys: any other document without `values` is not a state, and reading it
    // as an empty one would remove every resource the previous ingest had.
    const other = Object.keys(doc).filter((k) => !SHOW_JSON_STATE_KEYS.has(k));
    if (other.length > 0) {
      throw ingestError(
        documentName,
        'values',
        `is missing and the document has ${other.slice(0, 5).join(', ')}: this is not a Terraform state (terraform show -json of a state has values, or only format_version when it is empty)`,
      );
    }
    return [];
  }
  if (!isRecord(values)) throw ingestError(documentName, 'values', 'must be an object');
  const out: TfResource[] = [];
  if (values.root_module !== undefined && values.root_module !== null) {
    readShowJsonModule(values.root_module, 'values.root_module', documentName, out, null);
  }
  return out;
}

/**
 * One module of `terraform show -json` values (state, `planned_values`,
 * `prior_state`), with its child modules.
 */
export function readShowJsonModule(
  module: unknown,
  path: string,
  documentName: string,
  out: TfResource[],
  providerRegion: ((resource: Rec) => string | null) | null,
): void {
  if (!isRecord(module)) throw ingestError(documentName, path, 'must be an object');
  const resources = module.resources ?? [];
  if (!Array.isArray(resources)) throw ingestError(documentName, at(path, 'resources'), 'must be an array');
  resources.forEach((res, i) => {
    const rpath = at(at(path, 'resources'), i);
    if (!isRecord(res)) throw ingestError(documentName, rpath, 'must be an object');
    const address = requireString(res, 'address', rpath, documentName);
    const type = requireString(res, 'type', rpath, documentName);
    const name = requireString(res, 'name', rpath, documentName);
    const rawValues = res.values ?? {};
    if (!isRecord(rawValues)) throw ingestError(documentName, at(rpath, 'values'), 'must be an object');
    const index = res.index;
    out.push({
      address,
      mode: res.mode === 'data' ? 'data' : 'managed',
      type,
      name,
      module: moduleOfAddress(address),
      indexKey: typeof index === 'number' || typeof index === 'string' ? index : null,
      provider: typeof res.provider_name === 'string' ? res.provider_name : '',
      // A wholly sensitive object (`"sensitive_values": true`) leaves no values.
      values: (dropSensitive(rawValues, res.sensitive_values) ?? {}) as Rec,
      dependsOn: stringArray(res.depends_on, at(rpath, 'depends_on'), documentName),
      providerRegion: providerRegion === null ? null : providerRegion(res),
      actions: null,
      deposed: typeof res.deposed_key === 'string' ? res.deposed_key : null,
    });
  });
  const children = module.child_modules ?? [];
  if (!Array.isArray(children)) throw ingestError(documentName, at(path, 'child_modules'), 'must be an array');
  children.forEach((child, i) => {
    readShowJsonModule(child, at(at(path, 'child_modules'), i), documentName, out, providerRegion);
  });
}

export function requireString(o: Rec, key: string, path: string, documentName: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw ingestError(documentName, at(path, key), 'must be a string');
  return v;
}

function stringArray(v: unknown, path: string, documentName: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw ingestError(documentName, path, 'must be an array');
  // Usually all strings: keep the array rather than copying 100k of them.
  for (const x of v) if (typeof x !== 'string') return v.filter((y): y is string => typeof y === 'string');
  return v as string[];
}
