/**
 * Policy definitions without I/O: the two body forms reduced to one set of
 * fields, defaults and PATCH merging, normalisation and the engine's checks
 * as field errors, and the audit diff. The CLI loads this file too.
 */
import {
  type Enforcement,
  normalizePolicyTags,
  parseIsoInstant,
  policyProblems,
  type TaggingPolicy,
  type TagRule,
} from '../../core/tagging/index.ts';
import { badRequest, type FieldError } from '../../platform/errors.ts';
// Types only: TypeBox takes a second to import, and `infracast validate` must start fast.
import type { PolicyAttributesInputT, PolicyBodyT, PolicyMergePatchT, TaggingPolicyT } from './schemas.ts';

/** A policy's stored fields, every default filled in. */
export interface PolicyDefinition {
  name: string;
  description: string | null;
  enabled: boolean;
  enforcement: Enforcement;
  message: string | null;
  scope: {
    providers: string[];
    resource_types: { include: string[]; exclude: string[] };
    tag_filter: Record<string, string>;
  };
  exemptions: { resource: string; keys: string[]; reason: string | null; expires_at: string | null }[];
  trim_values: boolean;
  tags: StoredTagRule[];
}

export interface StoredTagRule {
  key: string;
  mandatory: boolean;
  valueType: 'ANY' | 'LIST' | 'REGEX';
  allowedValues?: string[];
  allowedRegex?: string;
  caseSensitive: boolean;
  message: string | null;
}

export type PolicyField = keyof PolicyDefinition;
export const POLICY_FIELDS: readonly PolicyField[] = [
  'name',
  'description',
  'enabled',
  'enforcement',
  'message',
  'scope',
  'exemptions',
  'trim_values',
  'tags',
];

/** The fields a request sent, and where they sat (`body` or `body.data.attributes`) for error paths. */
export interface SentFields<A = PolicyAttributesInputT> {
  attributes: A;
  base: string;
}

/**
 * Reduces either body form to its fields. `pathId` is the policy in the URL
 * (PUT, PATCH): a JSON:API `data.id` must name the same one.
 */
export function sentFields<B extends PolicyBodyT | PolicyMergePatchT>(
  body: B,
  pathId: string | null,
): SentFields<Omit<B, 'data'>> {
  const { data, ...top } = body;
  if (data === undefined) return { attributes: top, base: 'body' };
  const topLevel = Object.keys(top);
  if (topLevel.length > 0) {
    throw badRequest(
      'Send the policy fields either at the top level or under data.attributes, not both',
      topLevel.map((f) => ({ path: `body.${f}`, message: 'not allowed beside data; move it into data.attributes' })),
    );
  }
  if (data.id !== undefined) {
    if (pathId === null) {
      throw badRequest('Policy ids are assigned by the server; leave out data.id', [
        { path: 'body.data.id', message: 'not allowed when creating a policy' },
      ]);
    }
    if (data.id !== pathId) {
      throw badRequest(`data.id ${data.id} is not the policy in the path (${pathId})`, [
        { path: 'body.data.id', message: `must be ${pathId}` },
      ]);
    }
  }
  return { attributes: data.attributes as Omit<B, 'data'>, base: 'body.data.attributes' };
}

/** A PATCH must change something: `{}` is more likely a client's slip than a request for nothing. */
export function requireSomeField({ attributes, base }: SentFields<object>): void {
  if (Object.keys(attributes).length === 0) {
    throw badRequest('Nothing to change: give at least one field', [
      { path: base, message: `give at least one of ${POLICY_FIELDS.join(', ')}` },
    ]);
  }
}

const emptyScope = (): PolicyDefinition['scope'] => ({
  providers: [],
  resource_types: { include: [], exclude: [] },
  tag_filter: {},
});

function scopeOf(input: PolicyAttributesInputT['scope']): PolicyDefinition['scope'] {
  if (!input) return emptyScope();
  return {
    providers: input.providers ?? [],
    resource_types: { include: input.resource_types?.include ?? [], exclude: input.resource_types?.exclude ?? [] },
    tag_filter: { ...(input.tag_filter ?? {}) },
  };
}

function exemptionsOf(input: PolicyAttributesInputT['exemptions']): PolicyDefinition['exemptions'] {
  return (input ?? []).map((e) => {
    const parsed = e.expires_at ? parseIsoInstant(e.expires_at) : null;
    return {
      resource: e.resource,
      keys: e.keys ?? [],
      reason: e.reason ?? null,
      // Stored as a full UTC instant so every reader compares the same thing; an unreadable (or impossible)
      // date is kept as sent for policyProblems to reject.
      expires_at: e.expires_at ? (parsed === null ? e.expires_at : new Date(parsed).toISOString()) : null,
    };
  });
}

function rulesOf(input: NonNullable<PolicyAttributesInputT['tags']>): StoredTagRule[] {
  return input.map((r) => {
    const rule: StoredTagRule = {
      key: r.key,
      mandatory: r.mandatory ?? false,
      valueType: r.valueType,
      caseSensitive: r.caseSensitive ?? true,
      message: r.message ?? null,
    };
    if (r.allowedValues !== undefined) rule.allowedValues = r.allowedValues;
    if (r.allowedRegex !== undefined) rule.allowedRegex = r.allowedRegex;
    return rule;
  });
}

/** POST and PUT: a whole definition; `name` and `tags` are required, the rest defaults. */
export function definitionFrom({ attributes: a, base }: SentFields): PolicyDefinition {
  const missing: FieldError[] = [];
  if (a.name === undefined) missing.push({ path: `${base}.name`, message: 'is required' });
  if (a.tags === undefined) missing.push({ path: `${base}.tags`, message: 'is required' });
  if (missing.length > 0) {
    throw badRequest(`Invalid request: ${missing.map((m) => `${m.path} ${m.message}`).join('; ')}`, missing);
  }
  return {
    name: a.name as string,
    description: a.description ?? null,
    enabled: a.enabled ?? true,
    enforcement: a.enforcement ?? 'warn',
    message: a.message ?? null,
    scope: scopeOf(a.scope),
    exemptions: exemptionsOf(a.exemptions),
    trim_values: a.trim_values ?? false,
    tags: rulesOf(a.tags ?? []),
  };
}

/** PATCH: the named fields replace the current ones (a list or the scope as a whole). */
export function mergeDefinition(current: PolicyDefinition, sent: SentFields): PolicyDefinition {
  requireSomeField(sent);
  const a = sent.attributes;
  return {
    name: a.name ?? current.name,
    description: a.description !== undefined ? a.description : current.description,
    enabled: a.enabled ?? current.enabled,
    enforcement: a.enforcement ?? current.enforcement,
    message: a.message !== undefined ? a.message : current.message,
    scope: a.scope !== undefined ? scopeOf(a.scope) : current.scope,
    exemptions: a.exemptions !== undefined ? exemptionsOf(a.exemptions) : current.exemptions,
    trim_values: a.trim_values ?? current.trim_values,
    tags: a.tags !== undefined ? rulesOf(a.tags) : current.tags,
  };
}

/**
 * A stored definition as the body of a PUT that would recreate it: what a merge patch (RFC 7396)
 * applies to. A copy, so the patch cannot touch the definition it was read from.
 */
export function attributesOf(def: PolicyDefinition): PolicyAttributesInputT {
  return structuredClone(def) as PolicyAttributesInputT;
}

/**
 * Dedupes (and, when the policy says so, trims) allowed values, then checks
 * the definition with the engine's `policyProblems` (regexes compiled and
 * checked for catastrophic backtracking). Throws a 400 listing every problem
 * with the path it belongs to; returns the definition to store.
 */
export function normalizeDefinition(def: PolicyDefinition, base: string): PolicyDefinition {
  const problems: FieldError[] = [];
  const tags = normalizePolicyTags(def.tags as TagRule[], { trimValues: def.trim_values }) as StoredTagRule[];
  tags.forEach((rule, i) => {
    // A field that does not apply to the rule's type is a slip (a LIST turned REGEX with its values left behind).
    if (rule.valueType !== 'LIST' && rule.allowedValues !== undefined) {
      if (rule.allowedValues.length > 0) {
        problems.push({
          path: `${base}.tags[${i}].allowedValues`,
          message: `applies only to LIST rules, not ${rule.valueType}`,
        });
      }
      delete rule.allowedValues;
    }
    if (rule.valueType !== 'REGEX' && rule.allowedRegex !== undefined) {
      problems.push({
        path: `${base}.tags[${i}].allowedRegex`,
        message: `applies only to REGEX rules, not ${rule.valueType}`,
      });
    }
    if (rule.valueType === 'REGEX' && rule.allowedRegex === undefined) {
      problems.push({ path: `${base}.tags[${i}].allowedRegex`, message: 'is required for a REGEX rule' });
    }
  });
  const definition = { ...def, tags };
  for (const text of policyProblems({ id: 'policy', ...definition } as TaggingPolicy)) {
    // `tags[0].allowedRegex: …`, `exemptions[1].keys[0] zz is …`, `scope.providers[0] must …`, `tags must …`.
    const m = /^((?:tags|exemptions|scope)(?:\[\d+\]|\.\w+)*)(?::\s*|\s+)(.*)$/.exec(text);
    const problem = m ? { path: `${base}.${m[1]}`, message: m[2]! } : { path: base, message: text };
    if (!problems.some((p) => p.path === problem.path)) problems.push(problem);
  }
  if (problems.length > 0) {
    throw badRequest(`Invalid policy: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  }
  return definition;
}

/** The engine's view of a stored policy. */
export function toEnginePolicy(id: string, def: PolicyDefinition): TaggingPolicy {
  return { id, ...def };
}

// ---------------------------------------------------------------------------
// Audit diff

/**
 * How many added (and, separately, removed) values an audit entry lists per
 * key, and how many it lists in all over its keys (a policy may have 500
 * rules). Counts are always exact; the lists hold the first values in
 * string order (UTF-16 code units, no locale), so an entry stays small when a CMDB sync replaces 50,000
 * values.
 */
export const AUDIT_VALUES_CAP = 100;
export const AUDIT_VALUES_TOTAL_CAP = 1000;

export interface TagDiff {
  key: string;
  change: 'added' | 'removed' | 'changed';
  /** How many allowed values the change added and removed (LIST rules). */
  values_added: number;
  values_removed: number;
  /** The values added and removed, sorted; at most AUDIT_VALUES_CAP of each, AUDIT_VALUES_TOTAL_CAP per entry. */
  added_values: string[];
  removed_values: string[];
  /** Present (true) when `added_values` or `removed_values` lists fewer values than its count. */
  truncated?: true;
  /** Allowed values after the change (LIST rules). */
  values: number;
  /** Other parts of the rule that changed: valueType, allowedRegex, mandatory, caseSensitive, message. */
  fields?: string[];
}

export interface DefinitionDiff {
  /** Top-level fields that changed (besides tags). */
  fields: string[];
  tags: TagDiff[];
}

const RULE_FIELDS = ['valueType', 'mandatory', 'caseSensitive', 'allowedRegex', 'message'] as const;

/** The first `cap` values in string order (UTF-16 code units, no locale), without sorting them all. */
function firstSorted(values: string[], cap: number): string[] {
  if (cap <= 0) return [];
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  if (values.length <= cap) return [...values].sort(byCodePoint);
  // A bounded insertion: O(n · log cap) compares instead of sorting 50,000 values for 100.
  const kept: string[] = [];
  for (const v of values) {
    if (kept.length === cap && v >= (kept[cap - 1] as string)) continue;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((kept[mid] as string) < v) lo = mid + 1;
      else hi = mid;
    }
    kept.splice(lo, 0, v);
    if (kept.length > cap) kept.pop();
  }
  return kept;
}

/** One key's value changes: exact counts, and the values themselves up to the caps (`budget`: left for the entry). */
function valueChanges(added: string[], removed: string[], budget: { left: number }) {
  const take = (values: string[]) => {
    const list = firstSorted(values, Math.min(AUDIT_VALUES_CAP, budget.left));
    budget.left -= list.length;
    return list;
  };
  const addedList = take(added);
  const removedList = take(removed);
  const truncated = addedList.length < added.length || removedList.length < removed.length;
  return {
    values_added: added.length,
    values_removed: removed.length,
    added_values: addedList,
    removed_values: removedList,
    ...(truncated ? { truncated: true as const } : {}),
  };
}

/**
 * What changed, per key: the allowed values added and removed (counts, and
 * the values themselves up to AUDIT_VALUES_CAP each: "app_id: +app-7, app-8;
 * -app-3, app-4, app-5"), and which other rule fields changed.
 */
export function diffDefinitions(before: PolicyDefinition | null, after: PolicyDefinition | null): DefinitionDiff {
  const fields = POLICY_FIELDS.filter(
    (f) => f !== 'tags' && JSON.stringify(before?.[f] ?? null) !== JSON.stringify(after?.[f] ?? null),
  );
  const old = new Map((before?.tags ?? []).map((r) => [r.key, r]));
  const now = new Map((after?.tags ?? []).map((r) => [r.key, r]));
  const tags: TagDiff[] = [];
  const budget = { left: AUDIT_VALUES_TOTAL_CAP };
  for (const [key, rule] of now) {
    const prev = old.get(key);
    const values = rule.allowedValues ?? [];
    if (!prev) {
      tags.push({ key, change: 'added', ...valueChanges([...new Set(values)], [], budget), values: values.length });
      continue;
    }
    const prevValues = new Set(prev.allowedValues ?? []);
    const nextValues = new Set(values);
    const added: string[] = [];
    for (const v of nextValues) if (!prevValues.has(v)) added.push(v);
    const removed: string[] = [];
    for (const v of prevValues) if (!nextValues.has(v)) removed.push(v);
    const changedFields = RULE_FIELDS.filter((f) => (prev[f] ?? null) !== (rule[f] ?? null));
    if (added.length > 0 || removed.length > 0 || changedFields.length > 0) {
      tags.push({
        key,
        change: 'changed',
        ...valueChanges(added, removed, budget),
        values: values.length,
        ...(changedFields.length > 0 ? { fields: [...changedFields] } : {}),
      });
    }
  }
  for (const [key, rule] of old) {
    if (!now.has(key)) {
      tags.push({
        key,
        change: 'removed',
        ...valueChanges([], [...new Set(rule.allowedValues ?? [])], budget),
        values: 0,
      });
    }
  }
  return { fields, tags };
}

/** A stored policy as the API answers it. */
export function toApiPolicy(
  id: string,
  def: PolicyDefinition,
  meta: { version: number; created_at: string; updated_at: string },
): TaggingPolicyT {
  return { id, ...def, ...meta };
}
