/**
 * Tagging policies as plain data, and the shapes the validator and the
 * compliance scorer return. Field names of policies and tag rules follow the
 * seed (`seeds/tagging-policies-api.txt`): `key`, `mandatory`, `valueType`,
 * `allowedValues`, `allowedRegex`, `caseSensitive`, `message`.
 */
export { checkRegexSafety, type RegexSafety } from './regex-safety.ts';

export type TagValueType = 'ANY' | 'LIST' | 'REGEX';
export type Enforcement = 'warn' | 'block';

export interface TagRule {
  key: string;
  mandatory: boolean;
  valueType: TagValueType;
  /** LIST: the allowed values (thousands are fine). */
  allowedValues?: string[];
  /** REGEX: the whole value must match (the pattern is anchored for you). */
  allowedRegex?: string;
  /** Default true. When false, LIST and REGEX compare case-insensitively. */
  caseSensitive?: boolean;
  /** Custom message shown to engineers; falls back to the policy's message. */
  message?: string | null;
}

export interface PolicyScope {
  /** 'aws' | 'azure' (or 'azurerm') | 'google' (or 'google-beta'), … */
  providers?: string[];
  /** Terraform types (`aws_instance`) and/or Infracast types (`aws.ec2.instance`); `*` and `?` globs. */
  resource_types?: { include?: string[]; exclude?: string[] };
  /** Only resources carrying every one of these tags with exactly this value. */
  tag_filter?: Record<string, string>;
}

export interface PolicyExemption {
  /** Resource address or glob (`module.legacy.*`); inventory nodes match on id, native id or name too. */
  resource: string;
  /** Keys exempted; all of the policy's keys when absent or empty. */
  keys?: string[];
  reason?: string | null;
  /** ISO timestamp; the exemption stops applying at this instant. null or absent: never expires. */
  expires_at?: string | null;
}

export interface TaggingPolicy {
  id: string;
  name: string;
  description?: string | null;
  enabled: boolean;
  enforcement: Enforcement;
  /** Default custom message for the policy's rules. */
  message?: string | null;
  scope?: PolicyScope | null;
  exemptions?: PolicyExemption[] | null;
  /** Trim surrounding whitespace from allowed values and from resources' tag values. Default false. */
  trim_values?: boolean;
  tags: TagRule[];
}

/** The resource tag that lists keys to skip: `infracast:skip = "app_id,owner"` (`*` skips all). */
export const SKIP_TAG = 'infracast:skip';

// ---------------------------------------------------------------------------
// Results

export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'exempted';
export type ResourceStatus = 'pass' | 'fail' | 'unknown' | 'exempted' | 'not_taggable';

/** What a rule allows, summarised for people (never the full 10,000 values). */
export interface RuleSummary {
  valueType: TagValueType;
  mandatory: boolean;
  caseSensitive: boolean;
  /** LIST: how many values are allowed. */
  allowed_count?: number;
  /** LIST: the first few allowed values. */
  allowed_sample?: string[];
  /** REGEX: the pattern as written. */
  pattern?: string;
  /** One line: `one of 10,000 values (e.g. app-1, app-2, app-3)`. */
  text: string;
}

export interface ViolationPolicy {
  policy_id: string;
  policy_name: string;
  enforcement: Enforcement;
  message: string;
}

export interface TagViolation {
  /** Resource address as in the plan, e.g. `module.app.aws_instance.web["a"]`. */
  address: string;
  /** Where inside the resource the tags live when it is not the resource itself: `volume_tags`, `tag_specifications[0]`. */
  sub_path: string | null;
  /** What the sub path tags: `volume`, `instance`, …; null for the resource itself. */
  tagged_kind: string | null;
  module_path: string | null;
  resource_type: string;
  provider: string;
  file: string | null;
  line: number | null;
  key: string;
  kind: 'missing' | 'invalid';
  /** The value found, or null when the key is missing. */
  actual: string | null;
  rule: RuleSummary;
  message: string;
  /** The policy whose message and enforcement are shown (a `block` one when several). */
  policy_id: string;
  policy_name: string;
  enforcement: Enforcement;
  /** Every policy that raised this violation (several for a missing key many policies require). */
  policies: ViolationPolicy[];
  /** Closest allowed values, best first, at most 3. */
  suggestions: string[];
  /** A key on the resource that looks like the missing one (`App-ID` for `app_id`). */
  similar_key: string | null;
  /** `${policy_id}/${key}`: one per policy tag rule (SARIF rule id). */
  rule_id: string;
}

export interface CheckResult {
  policy_id: string;
  key: string;
  sub_path: string | null;
  status: CheckStatus;
  actual: string | null;
  /** Why: `missing`, `not allowed`, `known after apply`, the exemption reason, … */
  reason: string | null;
}

export interface CheckCounts {
  pass: number;
  fail: number;
  unknown: number;
  exempted: number;
}

export interface ResourceResult {
  address: string;
  module_path: string | null;
  resource_type: string;
  provider: string;
  actions: string[];
  taggable: boolean;
  /** How taggability was decided: from the plan's planned values, or the checked-in list. */
  taggable_source: 'plan' | 'list' | null;
  status: ResourceStatus;
  /** Effective tags of the resource itself (provider defaults merged); values unknown until apply are omitted. */
  tags: Record<string, string>;
  /** Keys whose values are known only after apply. */
  unknown_tag_keys: string[];
  /** Ids of the policies that applied to this resource (scope matched). */
  policy_ids: string[];
  counts: CheckCounts;
  /** Non-passing checks; passing ones too with `includePassedChecks`. */
  checks: CheckResult[];
}

export interface ValidationSummary {
  /** Managed resources being created, updated or replaced. */
  resources: number;
  taggable: number;
  /** Taggable resources at least one checked policy applies to (scope and tag filter matched). */
  covered: number;
  /** Taggable resources by status; these four add up to `taggable` (one no policy covers counts as passed). */
  passed: number;
  failed: number;
  unknown: number;
  exempted: number;
  /** Violations raised by `block` policies. */
  blocking: number;
  /** Violations raised only by `warn` policies. */
  warnings: number;
  /**
   * Share of covered resources tagged correctly, in percent (2 decimals): those no policy
   * fails — passed, exempted, or known only after apply — out of `covered`, as `/compliance`
   * counts the inventory. Null when no resource is covered (nothing taggable, or no policy
   * applies to any of it).
   */
  percent: number | null;
}

export interface PolicyRuleInfo {
  rule_id: string;
  key: string;
  message: string;
  summary: RuleSummary;
}

export interface PolicyInfo {
  id: string;
  name: string;
  description: string | null;
  enforcement: Enforcement;
  enabled: boolean;
  rules: PolicyRuleInfo[];
}

export interface ValidationResult {
  summary: ValidationSummary;
  violations: TagViolation[];
  resources: ResourceResult[];
  /** The policies evaluated, with their rules (formatters list them, e.g. as SARIF rules). */
  policies: PolicyInfo[];
  /** Non-fatal observations about the input (unsupported format minor version, unresolved default tags, …). */
  warnings: string[];
}

// ---------------------------------------------------------------------------
// Normalisation

export interface NormalizeOptions {
  /** Trim surrounding whitespace from allowed values (the policy's `trim_values`). */
  trimValues?: boolean;
}

/**
 * Dedupes allowed values (case-insensitively when the rule is), trims them
 * only when asked, and keeps the order they were given in: the first
 * occurrence wins. Returns new rule objects; the input is not modified.
 */
export function normalizePolicyTags(tags: readonly TagRule[], options: NormalizeOptions = {}): TagRule[] {
  return tags.map((rule) => {
    const out: TagRule = { ...rule };
    if (Array.isArray(rule.allowedValues)) {
      const caseSensitive = rule.caseSensitive !== false;
      const seen = new Set<string>();
      const values: string[] = [];
      for (const raw of rule.allowedValues) {
        if (typeof raw !== 'string') continue;
        const value = options.trimValues ? raw.trim() : raw;
        const identity = caseSensitive ? value : value.toLowerCase();
        if (seen.has(identity)) continue;
        seen.add(identity);
        values.push(value);
      }
      out.allowedValues = values;
    }
    return out;
  });
}
