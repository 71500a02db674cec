/**
 * Policies compiled once into what evaluation needs: Sets for LIST rules
 * (a lowercased Set when case-insensitive), an anchored RegExp for REGEX
 * rules, glob matchers for scope and exemptions, and a lazily built
 * suggestion index per rule. The API keeps a compiled set per tenant and
 * reuses it across validations; compiling the same policy object twice
 * returns the cached result.
 */
import { isUnknown, type Unknown } from '../inventory/types.ts';
import { parseIsoInstant } from './dates.ts';
import { globToRegExp } from './glob.ts';
import { checkRegexSafety, compileTagRegex } from './regex-safety.ts';
import { isScopeProvider, normalizeProvider, SCOPE_PROVIDERS } from './resource-types.ts';
import { SuggestionIndex } from './suggest.ts';
import {
  type Enforcement,
  normalizePolicyTags,
  type PolicyInfo,
  type RuleSummary,
  type TaggingPolicy,
  type TagRule,
  type TagValueType,
} from './types.ts';

export type TagValue = string | Unknown;
/** Effective tags of one resource; `UNKNOWN` marks values known only after apply. */
export type TagMap = Map<string, TagValue>;
/** What evaluation reads: a Map, or a light view over an inventory node's tag object. */
export interface TagLookup {
  get(key: string): TagValue | undefined;
}
/** A TagLookup that can also list its keys (for "did you mean key …?"). */
export interface TagSource extends TagLookup {
  keys(): Iterable<string>;
}

/**
 * Values longer than this are not run through a REGEX and fail it: tag values
 * are at most 256 characters on AWS and Azure (63 for GCP labels), and the cap
 * bounds the polynomial backtracking that checkRegexSafety still allows.
 */
export const MAX_REGEX_INPUT = 256;

export interface CompiledRule {
  readonly rule_id: string;
  readonly key: string;
  readonly mandatory: boolean;
  readonly valueType: TagValueType;
  readonly caseSensitive: boolean;
  readonly message: string;
  readonly summary: RuleSummary;
  /** Why the rule cannot be evaluated (an invalid or unsafe pattern); null when it can. */
  readonly unusable: string | null;
  /** True when `value` (already trimmed if the policy trims) satisfies the rule. */
  accepts(value: string): boolean;
  /** Closest allowed values for a rejected one (LIST rules only). */
  suggest(actual: string): string[];
}

export interface ScopeSubject {
  provider: string;
  terraformType: string;
  infracastType: string;
}

export interface ExemptionMatch {
  /** null: every key is exempted. */
  keys: Set<string> | null;
  reason: string | null;
}

export interface CompiledPolicy {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly enforcement: Enforcement;
  readonly trim: boolean;
  readonly rules: readonly CompiledRule[];
  readonly source: TaggingPolicy;
  /** Provider and resource-type part of the scope (cached per subject). */
  typeInScope(subject: ScopeSubject): boolean;
  readonly hasTagFilter: boolean;
  readonly hasExemptions: boolean;
  /** The `tag_filter` part of the scope. Unknown values do not match. */
  tagFilterMatches(tags: TagLookup): boolean;
  /** Non-expired exemptions matching any of the names (address, address without index keys, node id, …). */
  exemptionFor(names: readonly string[], nowMs: number): ExemptionMatch | null;
  info(): PolicyInfo;
}

export interface CompiledPolicySet {
  readonly policies: readonly CompiledPolicy[];
  /** Problems found while compiling (unsafe patterns, unparsable expiry dates). */
  readonly warnings: readonly string[];
}

const compiledCache = new WeakMap<TaggingPolicy, { compiled: CompiledPolicy; warnings: string[] }>();

export function isCompiledPolicySet(value: unknown): value is CompiledPolicySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as CompiledPolicySet).policies) &&
    Array.isArray((value as CompiledPolicySet).warnings)
  );
}

export function compilePolicies(policies: readonly TaggingPolicy[] | CompiledPolicySet): CompiledPolicySet {
  if (isCompiledPolicySet(policies)) return policies;
  const compiled: CompiledPolicy[] = [];
  const warnings: string[] = [];
  for (const policy of policies) {
    const entry = compilePolicyWithWarnings(policy);
    compiled.push(entry.compiled);
    warnings.push(...entry.warnings);
  }
  return { policies: compiled, warnings };
}

export function compilePolicy(policy: TaggingPolicy): CompiledPolicy {
  return compilePolicyWithWarnings(policy).compiled;
}

function compilePolicyWithWarnings(policy: TaggingPolicy): { compiled: CompiledPolicy; warnings: string[] } {
  const cached = compiledCache.get(policy);
  if (cached) return cached;
  const warnings: string[] = [];
  const trim = policy.trim_values === true;
  const seenKeys = new Map<string, number>();
  const rules = normalizePolicyTags(Array.isArray(policy.tags) ? policy.tags : [], { trimValues: trim }).map((rule) => {
    // Rule ids must be unique (SARIF rules); a repeated key is an authoring slip policyProblems reports.
    const n = (seenKeys.get(rule.key) ?? 0) + 1;
    seenKeys.set(rule.key, n);
    if (n === 2) warnings.push(`policy ${policy.id}: key ${rule.key} has more than one rule; all of them apply`);
    return compileRule(policy, rule, n === 1 ? `${policy.id}/${rule.key}` : `${policy.id}/${rule.key}#${n}`, warnings);
  });

  const scope = policy.scope ?? {};
  const providers =
    scope.providers && scope.providers.length > 0 ? new Set(scope.providers.map(normalizeProvider)) : null;
  const include = scope.resource_types?.include?.length ? scope.resource_types.include.map(globToRegExp) : null;
  const exclude = (scope.resource_types?.exclude ?? []).map(globToRegExp);
  const filterKeys = Object.keys(scope.tag_filter ?? {});
  const filterValues = filterKeys.map((k) => scope.tag_filter![k]!);
  const scopeCache = new Map<string, boolean>();

  const exemptions = (policy.exemptions ?? []).map((e) => {
    let expiresAt: number | null = null;
    if (e.expires_at) {
      expiresAt = parseIsoInstant(e.expires_at);
      if (expiresAt === null) {
        // An unreadable expiry must not become a permanent exemption.
        warnings.push(
          `policy ${policy.id}: exemption for ${e.resource} has an unreadable expires_at (${e.expires_at}); not applied`,
        );
        expiresAt = Number.NEGATIVE_INFINITY;
      }
    }
    return {
      matcher: globToRegExp(e.resource),
      keys: e.keys && e.keys.length > 0 ? new Set(e.keys) : null,
      reason: e.reason ?? null,
      expiresAt,
    };
  });

  let info: PolicyInfo | null = null;
  const compiled: CompiledPolicy = {
    id: policy.id,
    name: policy.name,
    description: policy.description ?? null,
    enabled: policy.enabled !== false,
    enforcement: policy.enforcement === 'block' ? 'block' : 'warn',
    trim,
    rules,
    source: policy,
    hasTagFilter: filterKeys.length > 0,
    hasExemptions: exemptions.length > 0,
    typeInScope(subject) {
      const cacheKey = `${subject.provider}|${subject.terraformType}|${subject.infracastType}`;
      let hit = scopeCache.get(cacheKey);
      if (hit === undefined) {
        hit =
          (providers === null || providers.has(normalizeProvider(subject.provider))) &&
          (include === null ||
            include.some((re) => re.test(subject.terraformType) || re.test(subject.infracastType))) &&
          !exclude.some((re) => re.test(subject.terraformType) || re.test(subject.infracastType));
        scopeCache.set(cacheKey, hit);
      }
      return hit;
    },
    tagFilterMatches(tags) {
      for (let i = 0; i < filterKeys.length; i++) {
        const actual = tags.get(filterKeys[i]!);
        if (actual === undefined || isUnknown(actual)) return false;
        if ((trim ? actual.trim() : actual) !== filterValues[i]) return false;
      }
      return true;
    },
    exemptionFor(names, nowMs) {
      let match: ExemptionMatch | null = null;
      for (const e of exemptions) {
        if (e.expiresAt !== null && e.expiresAt <= nowMs) continue;
        if (!names.some((n) => e.matcher.test(n))) continue;
        if (!match) match = { keys: e.keys ? new Set(e.keys) : null, reason: e.reason };
        else if (match.keys) {
          if (e.keys === null) match.keys = null;
          else for (const k of e.keys) match.keys.add(k);
        }
        match.reason ??= e.reason;
      }
      return match;
    },
    info() {
      info ??= {
        id: policy.id,
        name: policy.name,
        description: policy.description ?? null,
        enforcement: compiled.enforcement,
        enabled: compiled.enabled,
        rules: rules.map((r) => ({ rule_id: r.rule_id, key: r.key, message: r.message, summary: r.summary })),
      };
      return info;
    },
  };
  const entry = { compiled, warnings };
  compiledCache.set(policy, entry);
  return entry;
}

function compileRule(policy: TaggingPolicy, rule: TagRule, ruleId: string, warnings: string[]): CompiledRule {
  const caseSensitive = rule.caseSensitive !== false;
  const valueType: TagValueType = rule.valueType === 'LIST' || rule.valueType === 'REGEX' ? rule.valueType : 'ANY';
  const values = valueType === 'LIST' ? (rule.allowedValues ?? []) : [];
  let accepts: (value: string) => boolean = () => true;
  let unusable: string | null = null;

  if (valueType === 'LIST') {
    if (caseSensitive) {
      const allowed = new Set(values);
      accepts = (v) => allowed.has(v);
    } else {
      const allowed = new Set(values.map((v) => v.toLowerCase()));
      accepts = (v) => allowed.has(v.toLowerCase());
    }
  } else if (valueType === 'REGEX') {
    const pattern = rule.allowedRegex ?? '';
    const safety = checkRegexSafety(pattern);
    const compiled = safety.ok ? compileTagRegex(pattern, caseSensitive) : null;
    if (!safety.ok || !compiled?.ok) {
      unusable = `pattern rejected: ${safety.ok ? (compiled as { reason: string }).reason : safety.reason}`;
      warnings.push(`policy ${policy.id}: rule ${rule.key}: ${unusable}`);
      accepts = () => false;
    } else {
      const regex = compiled.regex;
      accepts = (v) => v.length <= MAX_REGEX_INPUT && regex.test(v);
    }
  }

  let index: SuggestionIndex | null = null;
  const summary = summarizeRule(valueType, rule.mandatory === true, caseSensitive, values, rule.allowedRegex);
  return {
    rule_id: ruleId,
    key: rule.key,
    mandatory: rule.mandatory === true,
    valueType,
    caseSensitive,
    message: rule.message || policy.message || defaultMessage(rule.key, summary),
    summary,
    unusable,
    accepts,
    suggest(actual) {
      if (valueType !== 'LIST' || values.length === 0) return [];
      index ??= new SuggestionIndex(values);
      return index.suggest(actual);
    },
  };
}

const SAMPLE_SIZE = 3;

export function summarizeRule(
  valueType: TagValueType,
  mandatory: boolean,
  caseSensitive: boolean,
  values: readonly string[],
  pattern?: string,
): RuleSummary {
  const cs = caseSensitive ? '' : ' (case-insensitive)';
  if (valueType === 'LIST') {
    const sample = values.slice(0, SAMPLE_SIZE);
    const text =
      values.length === 0
        ? 'no value (the allowed list is empty)'
        : values.length <= 5
          ? `one of ${values.map((v) => `\`${v}\``).join(', ')}${cs}`
          : `one of ${values.length.toLocaleString('en-US')} allowed values${cs} (e.g. ${sample.map((v) => `\`${v}\``).join(', ')})`;
    return { valueType, mandatory, caseSensitive, allowed_count: values.length, allowed_sample: sample, text };
  }
  if (valueType === 'REGEX') {
    return {
      valueType,
      mandatory,
      caseSensitive,
      pattern: pattern ?? '',
      text: `a value matching \`${pattern ?? ''}\`${cs}`,
    };
  }
  return { valueType, mandatory, caseSensitive, text: 'any value' };
}

function defaultMessage(key: string, summary: RuleSummary): string {
  if (summary.valueType === 'ANY') return `Tag \`${key}\` is required.`;
  return `Tag \`${key}\` must be ${summary.text}.`;
}

/** `module.a["x"].aws_instance.web[0]` → `module.a.aws_instance.web`: exemptions written without index keys match every instance. */
export function stripIndexKeys(address: string): string {
  if (!address.includes('[')) return address;
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]/g, '');
}

/**
 * What is wrong with a policy definition, in words an API error can carry.
 * Empty when the policy is fine. The API rejects policies with problems;
 * the validator still copes with them (see `CompiledPolicySet.warnings`).
 */
export function policyProblems(policy: TaggingPolicy): string[] {
  const problems: string[] = [];
  if (!policy.id) problems.push('id is required');
  if (!policy.name) problems.push('name is required');
  if (policy.enforcement !== 'warn' && policy.enforcement !== 'block')
    problems.push("enforcement must be 'warn' or 'block'");
  if (!Array.isArray(policy.tags)) return [...problems, 'tags must be an array'];
  // An enabled policy without rules would pass every resource in its scope and inflate the share tagged correctly.
  if (policy.tags.length === 0 && policy.enabled !== false) {
    problems.push('tags must hold at least one rule while the policy is enabled (or set enabled to false)');
  }
  const keys = new Set<string>();
  policy.tags.forEach((rule, i) => {
    const where = `tags[${i}]`;
    if (!rule.key || typeof rule.key !== 'string') problems.push(`${where}.key is required`);
    else if (keys.has(rule.key)) problems.push(`${where}.key ${rule.key} is repeated; give each key one rule`);
    else keys.add(rule.key);
    if (rule.valueType === 'LIST') {
      if (!Array.isArray(rule.allowedValues) || rule.allowedValues.length === 0) {
        problems.push(`${where}.allowedValues must list at least one value for a LIST rule`);
      } else if (rule.allowedValues.some((v) => typeof v !== 'string')) {
        problems.push(`${where}.allowedValues must be strings`);
      }
    } else if (rule.valueType === 'REGEX') {
      const safety = checkRegexSafety(rule.allowedRegex ?? '');
      if (!safety.ok) problems.push(`${where}.allowedRegex: ${safety.reason}`);
    } else if (rule.valueType !== 'ANY') {
      problems.push(`${where}.valueType must be ANY, LIST or REGEX`);
    }
  });
  // A typo in a provider or an exemption's key would make the policy, or the exemption, quietly apply to nothing.
  for (const [i, provider] of (policy.scope?.providers ?? []).entries()) {
    if (!isScopeProvider(provider)) {
      problems.push(`scope.providers[${i}] must be one of ${SCOPE_PROVIDERS.join(', ')}, not ${provider}`);
    }
  }
  const ruleKeys = keys.size === 0 ? 'none' : [...keys].slice(0, 10).join(', ') + (keys.size > 10 ? ', …' : '');
  for (const [i, e] of (policy.exemptions ?? []).entries()) {
    if (!e.resource) problems.push(`exemptions[${i}].resource is required`);
    for (const [j, key] of (e.keys ?? []).entries()) {
      if (!keys.has(key))
        problems.push(`exemptions[${i}].keys[${j}] ${key} is not a key of the policy's rules (${ruleKeys})`);
    }
    if (e.expires_at && parseIsoInstant(e.expires_at) === null)
      problems.push(
        `exemptions[${i}].expires_at must be an ISO date (2027-03-31) or a date-time with its zone (2027-03-31T12:00:00Z)`,
      );
  }
  return problems;
}
