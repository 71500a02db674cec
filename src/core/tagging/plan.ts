/**
 * Reads a Terraform plan (`terraform show -json`) into the resources being
 * created or updated and the tags each will carry, computed the way the
 * provider computes them:
 * - AWS: `tags_all` when the plan has it (provider ≥ 3.38 merges
 *   `default_tags` into it); otherwise the provider's `default_tags` from
 *   `configuration.provider_config` merged under the resource's `tags`
 *   (the resource wins). Autoscaling groups use their `tag` blocks (no
 *   default tags reach them); `aws_instance.volume_tags` and launch-template
 *   `tag_specifications` are the tags of what they create, checked as
 *   written: the provider does not add default tags to them.
 * - Azure: `tags`. Google: `effective_labels`, else `terraform_labels`,
 *   else `labels` under the provider's `default_labels`.
 * Values unknown until apply (`change.after_unknown`) stay unknown; when the
 * merged map (`tags_all`, `effective_labels`) is unknown, the known tags are
 * checked but a key they lack may still arrive, so it is unknown, not missing.
 */
import { type DefaultTags, ProviderDefaultTags, toTagValue } from '../ingest/terraform-default-tags.ts';
import { isUnknown, UNKNOWN } from '../inventory/types.ts';
import { stripIndexKeys, type TagMap, type TagSource } from './compile.ts';
import { infracastTypeFor, isTaggableType, providerOfResource } from './resource-types.ts';

export class InvalidPlanError extends Error {
  readonly code = 'INVALID_PLAN';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidPlanError';
  }
}

export interface PlanTarget {
  /** null for the resource itself; `volume_tags`, `tag_specifications[0]` for what it creates. */
  sub_path: string | null;
  tagged_kind: string | null;
  /** A view over the plan's own tag object when nothing needs merging, else a Map. */
  tags: TagSource;
  /** False when keys may exist that we cannot see yet (a whole map known only after apply). */
  keysComplete: boolean;
}

export interface PlanResource {
  address: string;
  module_path: string | null;
  resource_type: string;
  infracast_type: string;
  provider: string;
  actions: string[];
  file: string | null;
  line: number | null;
  taggable: boolean;
  taggable_source: 'plan' | 'list' | null;
  /** targets[0] is the resource itself whenever it is taggable. */
  targets: PlanTarget[];
}

export interface ParsedPlan {
  format_version: string | null;
  terraform_version: string | null;
  resources: PlanResource[];
  warnings: string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function hasAnyKey(o: Json): boolean {
  for (const _ in o) return true;
  return false;
}

/** Tag attributes that prove, from the plan, that a type is taggable. */
const DEFAULT_TAG_ATTRIBUTES = ['tags'];
const TAG_ATTRIBUTES: Record<string, readonly string[]> = {
  aws: ['tags', 'tags_all'],
  azure: ['tags'],
  google: ['labels', 'terraform_labels', 'effective_labels'],
};

export function parsePlan(input: unknown): ParsedPlan {
  let plan: unknown = input;
  if (typeof input === 'string') {
    try {
      plan = JSON.parse(input);
    } catch (err) {
      throw new InvalidPlanError(`plan is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!isObject(plan)) throw new InvalidPlanError('plan must be a JSON object (the output of `terraform show -json`)');
  const formatVersion = typeof plan.format_version === 'string' ? plan.format_version : null;
  if (formatVersion !== null) {
    const major = Number(formatVersion.split('.')[0]);
    if (major !== 0 && major !== 1) {
      throw new InvalidPlanError(`unsupported plan format_version ${formatVersion} (supported: 0.x and 1.x)`);
    }
  }
  const changes = plan.resource_changes;
  if (changes !== undefined && !Array.isArray(changes)) throw new InvalidPlanError('resource_changes must be an array');
  if (changes === undefined && !isObject(plan.planned_values)) {
    throw new InvalidPlanError('not a Terraform plan: no resource_changes or planned_values (is this a state file?)');
  }

  const warnings: string[] = [];
  const defaults = new ProviderDefaultTags(plan, warnings);
  const resources: PlanResource[] = [];
  for (const rc of (changes ?? []) as unknown[]) {
    if (!isObject(rc)) continue;
    const resource = readResourceChange(rc, defaults);
    if (resource) resources.push(resource);
  }
  return {
    format_version: formatVersion,
    terraform_version: typeof plan.terraform_version === 'string' ? plan.terraform_version : null,
    resources,
    warnings,
  };
}

function readResourceChange(rc: Json, defaults: ProviderDefaultTags): PlanResource | null {
  const address = typeof rc.address === 'string' ? rc.address : null;
  const type = typeof rc.type === 'string' ? rc.type : null;
  if (!address || !type) return null;
  if (rc.mode === 'data' || (rc.mode === undefined && /(^|\.)data\./.test(address))) return null;
  const change = isObject(rc.change) ? rc.change : {};
  const actions = Array.isArray(change.actions) ? (change.actions as string[]) : [];
  if (!actions.includes('create') && !actions.includes('update')) return null;

  const provider = providerOfResource(rc.provider_name, type);
  const modulePath =
    typeof rc.module_address === 'string' && rc.module_address
      ? rc.module_address
      : modulePathOf(address, type, rc.name);
  const after = isObject(change.after) ? change.after : null;
  const afterUnknown = isObject(change.after_unknown) ? change.after_unknown : {};

  const resource: PlanResource = {
    address,
    module_path: modulePath,
    resource_type: type,
    infracast_type: infracastTypeFor(type),
    provider,
    actions,
    file: typeof rc.file === 'string' ? rc.file : null,
    line: typeof rc.line === 'number' ? rc.line : null,
    taggable: false,
    taggable_source: null,
    targets: [],
  };

  const isAsg = type === 'aws_autoscaling_group';
  const attrs = TAG_ATTRIBUTES[provider] ?? DEFAULT_TAG_ATTRIBUTES;
  let saysTaggable = isAsg && after !== null && (Object.hasOwn(after, 'tag') || Object.hasOwn(afterUnknown, 'tag'));
  for (let i = 0; i < attrs.length && !saysTaggable; i++) {
    saysTaggable = (after !== null && Object.hasOwn(after, attrs[i]!)) || Object.hasOwn(afterUnknown, attrs[i]!);
  }
  if (saysTaggable) {
    resource.taggable = true;
    resource.taggable_source = 'plan';
  } else if (after !== null && hasAnyKey(after)) {
    // Planned values list every attribute of the schema: no tag attribute means the type has none.
    resource.taggable_source = 'plan';
  } else {
    resource.taggable = isTaggableType(type);
    resource.taggable_source = 'list';
  }

  if (resource.taggable) {
    const configModule = modulePath ? stripIndexKeys(modulePath) : '';
    const name = typeof rc.name === 'string' ? rc.name : address.split('.').pop()!;
    if (isAsg) resource.targets.push(asgTags(after, afterUnknown));
    else if (provider === 'aws') {
      resource.targets.push(awsTags(after, afterUnknown, defaults.tagsFor('aws', configModule, type, name)));
    } else if (provider === 'google') {
      resource.targets.push(googleLabels(after, afterUnknown, defaults.tagsFor('google', configModule, type, name)));
    } else resource.targets.push(plainTarget(null, null, after?.tags, afterUnknown.tags, null));
    if (after === null) resource.targets[0] = { ...resource.targets[0]!, keysComplete: false };
  }

  // What the resource creates, tagged by it: checked even if the plan says nothing else about tags.
  if (type === 'aws_instance' && after !== null) {
    const volumeTags = after.volume_tags;
    if ((isObject(volumeTags) && hasAnyKey(volumeTags)) || afterUnknown.volume_tags === true) {
      resource.targets.push(plainTarget('volume_tags', 'volume', volumeTags, afterUnknown.volume_tags, null));
    }
  }
  if (type === 'aws_launch_template' && after !== null && Array.isArray(after.tag_specifications)) {
    const unknownSpecs = Array.isArray(afterUnknown.tag_specifications) ? afterUnknown.tag_specifications : [];
    after.tag_specifications.forEach((spec, i) => {
      if (!isObject(spec)) return;
      const specUnknown = isObject(unknownSpecs[i]) ? (unknownSpecs[i] as Json).tags : undefined;
      if (!(isObject(spec.tags) && hasAnyKey(spec.tags)) && specUnknown !== true) return;
      const kind = typeof spec.resource_type === 'string' ? spec.resource_type : 'resource';
      resource.targets.push(plainTarget(`tag_specifications[${i}]`, kind, spec.tags, specUnknown, null));
    });
  }
  if (resource.targets.length > 0) resource.taggable = true;
  return resource;
}

function modulePathOf(address: string, type: string, name: unknown): string | null {
  if (!address.startsWith('module.')) return null;
  const suffix = `.${type}.${typeof name === 'string' ? name : ''}`;
  const at = address.lastIndexOf(suffix);
  return at > 0 ? address.slice(0, at) : null;
}

/** Copies a tag map from planned values, marking unknown entries from after_unknown. */
function fillTags(into: TagMap, known: unknown, unknown: unknown): boolean {
  if (isObject(known)) {
    for (const key in known) {
      const value = toTagValue(known[key]);
      if (value !== null) into.set(key, value);
    }
  }
  if (isObject(unknown)) {
    for (const key in unknown) if (unknown[key] === true) into.set(key, UNKNOWN);
  }
  return unknown !== true;
}

/**
 * A zero-copy view over a tag object in the plan. Most resources need no
 * merging (tags_all is already merged), so this avoids copying 15,000 maps.
 */
export class ObjectTags implements TagSource {
  constructor(readonly object: Json) {}

  get(key: string): string | undefined {
    const value = this.object[key];
    // Object.prototype has no string properties, so a string is always an own tag.
    if (typeof value === 'string') return value;
    if (value === undefined || !Object.hasOwn(this.object, key)) return undefined;
    return toTagValue(value) ?? undefined;
  }

  keys(): string[] {
    return Object.keys(this.object);
  }
}

function hasUnknownEntry(unknown: unknown): boolean {
  if (unknown === true) return true;
  if (!isObject(unknown)) return false;
  for (const key in unknown) if (unknown[key] === true) return true;
  return false;
}

function plainTarget(
  subPath: string | null,
  kind: string | null,
  known: unknown,
  unknown: unknown,
  defaults: DefaultTags | null,
): PlanTarget {
  if (defaults === null && !hasUnknownEntry(unknown)) {
    return {
      sub_path: subPath,
      tagged_kind: kind,
      tags: new ObjectTags(isObject(known) ? known : {}),
      keysComplete: true,
    };
  }
  const tags: TagMap = defaults ? new Map(defaults.tags) : new Map();
  const complete = fillTags(tags, known, unknown);
  return { sub_path: subPath, tagged_kind: kind, tags, keysComplete: complete && (defaults?.complete ?? true) };
}

function awsTags(after: Json | null, afterUnknown: Json, defaults: DefaultTags | null): PlanTarget {
  if (after !== null && isObject(after.tags_all)) {
    return plainTarget(null, null, after.tags_all, afterUnknown.tags_all, null);
  }
  // No tags_all: a provider older than default_tags, or tags_all known only after apply.
  const target = plainTarget(null, null, after?.tags, afterUnknown.tags, defaults);
  // tags_all unknown until apply: the final set (default tags included) may hold keys the known
  // `tags` lack, so a missing key is unknown, not missing. Keys that are known are still checked.
  if (afterUnknown.tags_all === true && target.keysComplete) return { ...target, keysComplete: false };
  return target;
}

function googleLabels(after: Json | null, afterUnknown: Json, defaults: DefaultTags | null): PlanTarget {
  for (const attr of ['effective_labels', 'terraform_labels']) {
    if (after !== null && isObject(after[attr])) return plainTarget(null, null, after[attr], afterUnknown[attr], null);
  }
  const target = plainTarget(null, null, after?.labels, afterUnknown.labels, defaults);
  // The merged labels known only after apply: as for AWS tags_all, a missing key is unknown.
  const mergedUnknown = afterUnknown.effective_labels === true || afterUnknown.terraform_labels === true;
  if (mergedUnknown && target.keysComplete) return { ...target, keysComplete: false };
  return target;
}

/** `tag { key, value, propagate_at_launch }` blocks, or the pre-v5 `tags` list of maps. */
function asgTags(after: Json | null, afterUnknown: Json): PlanTarget {
  const tags: TagMap = new Map();
  let complete = afterUnknown.tag !== true && afterUnknown.tags !== true;
  const blocks = Array.isArray(after?.tag) ? after.tag : Array.isArray(after?.tags) ? after.tags : [];
  const unknownBlocks = Array.isArray(afterUnknown.tag)
    ? afterUnknown.tag
    : Array.isArray(afterUnknown.tags)
      ? afterUnknown.tags
      : [];
  blocks.forEach((block, i) => {
    if (!isObject(block)) return;
    const u = unknownBlocks[i];
    const key = toTagValue(block.key);
    if (key === null) {
      complete = false;
      return;
    }
    const value = isObject(u) && u.value === true ? UNKNOWN : toTagValue(block.value);
    tags.set(key, value ?? '');
  });
  return { sub_path: null, tagged_kind: null, tags, keysComplete: complete };
}

/** Effective tags as plain data for reports: known values only. */
export function knownTags(tags: TagSource): { known: Record<string, string>; unknownKeys: string[] } {
  if (tags instanceof ObjectTags) {
    let allStrings = true;
    for (const key in tags.object) {
      if (typeof tags.object[key] !== 'string') {
        allStrings = false;
        break;
      }
    }
    // Shared, not copied: results are plain data and nobody mutates them.
    if (allStrings) return { known: tags.object as Record<string, string>, unknownKeys: [] };
  }
  const known: Record<string, string> = {};
  const unknownKeys: string[] = [];
  for (const key of tags.keys()) {
    const v = tags.get(key);
    if (v === undefined) continue;
    if (isUnknown(v)) unknownKeys.push(key);
    else known[key] = v;
  }
  return { known, unknownKeys };
}
