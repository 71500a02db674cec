/**
 * Validates a Terraform plan against tagging policies: the check that fails
 * a pull request with the FinOps team's message and "did you mean `app-1`?".
 */
import {
  type CompiledPolicy,
  type CompiledPolicySet,
  type CompiledRule,
  compilePolicies,
  stripIndexKeys,
} from './compile.ts';
import { sharePercent } from './compliance.ts';
import { type EvaluationVisitor, evaluateResource, type RuleOutcome, ScopeIndex } from './evaluate.ts';
import { knownTags, type PlanResource, type PlanTarget, parsePlan } from './plan.ts';
import { findSimilarKey } from './suggest.ts';
import type {
  CheckCounts,
  ResourceResult,
  ResourceStatus,
  TaggingPolicy,
  TagViolation,
  ValidationResult,
  ValidationSummary,
} from './types.ts';

export interface ValidateOptions {
  /** The clock for exemption expiry. Default: now. */
  now?: Date;
  /** Also list passing checks per resource (large for big plans). Default false. */
  includePassedChecks?: boolean;
  /**
   * Check the disabled policies of the set too, as if enabled (their violations and enforcement
   * count): for policies named explicitly (the API's `policy_ids`, the CLI's `--policy`). The
   * answer's `policies` still shows them with `enabled: false`. Default false: only enabled ones.
   */
  includeDisabled?: boolean;
}

/**
 * @param plan the parsed JSON of `terraform show -json`, or its text
 * @param policies policies, or a set compiled once with `compilePolicies` and reused
 * @throws InvalidPlanError when the input is not a Terraform plan (the CLI exits 2)
 */
export function validatePlan(
  plan: unknown,
  policies: readonly TaggingPolicy[] | CompiledPolicySet,
  opts: ValidateOptions = {},
): ValidationResult {
  const compiled = compilePolicies(policies);
  const parsed = parsePlan(plan);
  const nowMs = (opts.now ?? new Date()).getTime();
  const scopes = new ScopeIndex(compiled, { includeDisabled: opts.includeDisabled === true });
  const visitor = new PlanVisitor(opts.includePassedChecks === true);
  const resources: ResourceResult[] = [];
  const summary: ValidationSummary = {
    resources: parsed.resources.length,
    taggable: 0,
    covered: 0,
    passed: 0,
    failed: 0,
    unknown: 0,
    exempted: 0,
    blocking: 0,
    warnings: 0,
    percent: null,
  };

  for (const resource of parsed.resources) {
    const own = resource.targets[0]?.sub_path === null ? resource.targets[0] : undefined;
    const { known, unknownKeys } = own ? knownTags(own.tags) : { known: {}, unknownKeys: [] };
    const result: ResourceResult = {
      address: resource.address,
      module_path: resource.module_path,
      resource_type: resource.resource_type,
      provider: resource.provider,
      actions: resource.actions,
      taggable: resource.taggable,
      taggable_source: resource.taggable_source,
      status: 'not_taggable',
      tags: known,
      unknown_tag_keys: unknownKeys,
      policy_ids: [],
      counts: { pass: 0, fail: 0, unknown: 0, exempted: 0 },
      checks: [],
    };
    resources.push(result);
    if (!resource.taggable) continue;
    summary.taggable++;

    const policies = scopes.forSubject({
      provider: resource.provider,
      terraformType: resource.resource_type,
      infracastType: resource.infracast_type,
    });
    visitor.startResource(resource, result);
    for (const target of resource.targets) {
      visitor.target = target;
      evaluateResource(policies, target.tags, target.keysComplete, visitor, nowMs, visitor.includePassed);
    }
    result.status = statusOf(result.counts);
    if (result.policy_ids.length > 0) summary.covered++;
    if (result.status === 'pass') summary.passed++;
    else if (result.status === 'fail') summary.failed++;
    else if (result.status === 'unknown') summary.unknown++;
    else if (result.status === 'exempted') summary.exempted++;
  }

  for (const v of visitor.violations) {
    if (v.enforcement === 'block') summary.blocking++;
    else summary.warnings++;
  }
  // Over the covered resources, as /compliance counts the inventory: one no policy applies to is not "tagged correctly".
  summary.percent = sharePercent(summary.covered - summary.failed, summary.covered);

  return {
    summary,
    violations: visitor.violations,
    resources,
    policies: scopes.policies.map((p) => p.info()),
    warnings: [...compiled.warnings, ...parsed.warnings],
  };
}

/** Collects checks and violations; one instance per validation, reused across resources (no closures per resource). */
class PlanVisitor implements EvaluationVisitor {
  readonly violations: TagViolation[] = [];
  private readonly missingByTarget = new Map<string, TagViolation>();
  private resource!: PlanResource;
  private result!: ResourceResult;
  private nameList: string[] | null = null;
  target!: PlanTarget;

  constructor(readonly includePassed: boolean) {}

  startResource(resource: PlanResource, result: ResourceResult): void {
    this.resource = resource;
    this.result = result;
    this.nameList = null;
  }

  names(): readonly string[] {
    this.nameList ??= [this.resource.address, stripIndexKeys(this.resource.address)];
    return this.nameList;
  }

  applied(policy: CompiledPolicy): void {
    // A resource meets each policy once per target; only sub-targets (volume_tags, …) can repeat one.
    if (this.target.sub_path === null || !this.result.policy_ids.includes(policy.id))
      this.result.policy_ids.push(policy.id);
  }

  check(policy: CompiledPolicy, rule: CompiledRule, outcome: RuleOutcome, exemptReason: string | null): void {
    this.result.counts[outcome.status]++;
    if (outcome.status !== 'pass' || this.includePassed) {
      this.result.checks.push({
        policy_id: policy.id,
        key: rule.key,
        sub_path: this.target.sub_path,
        status: outcome.status,
        actual: outcome.actual,
        reason: exemptReason ?? outcome.reason,
      });
    }
    if (outcome.status === 'fail') {
      recordViolation(this.resource, this.target, policy, rule, outcome, this.violations, this.missingByTarget);
    }
  }
}

function statusOf(counts: CheckCounts): ResourceStatus {
  if (counts.fail > 0) return 'fail';
  if (counts.unknown > 0) return 'unknown';
  if (counts.exempted > 0) return 'exempted';
  return 'pass';
}

function recordViolation(
  resource: PlanResource,
  target: PlanTarget,
  policy: CompiledPolicy,
  rule: CompiledRule,
  outcome: RuleOutcome,
  violations: TagViolation[],
  missingByTarget: Map<string, TagViolation>,
): void {
  const ref = {
    policy_id: policy.id,
    policy_name: policy.name,
    enforcement: policy.enforcement,
    message: rule.message,
  };
  if (outcome.kind === 'missing') {
    // One report per resource and key, however many policies require it; a block policy's message wins.
    const dedupeKey = `${resource.address}\u0000${target.sub_path ?? ''}\u0000${rule.key}`;
    const existing = missingByTarget.get(dedupeKey);
    if (existing) {
      existing.policies.push(ref);
      if (existing.enforcement !== 'block' && policy.enforcement === 'block') {
        Object.assign(existing, {
          policy_id: policy.id,
          policy_name: policy.name,
          enforcement: policy.enforcement,
          message: rule.message,
          rule: rule.summary,
          rule_id: rule.rule_id,
        });
      }
      return;
    }
    const violation = baseViolation(resource, target, policy, rule, null, ref);
    violation.similar_key = findSimilarKey(rule.key, target.tags.keys());
    missingByTarget.set(dedupeKey, violation);
    violations.push(violation);
    return;
  }
  const violation = baseViolation(resource, target, policy, rule, outcome.actual, ref);
  if (outcome.actual !== null)
    violation.suggestions = rule.suggest(policy.trim ? outcome.actual.trim() : outcome.actual);
  violations.push(violation);
}

function baseViolation(
  resource: PlanResource,
  target: PlanTarget,
  policy: CompiledPolicy,
  rule: CompiledRule,
  actual: string | null,
  ref: TagViolation['policies'][number],
): TagViolation {
  return {
    address: resource.address,
    sub_path: target.sub_path,
    tagged_kind: target.tagged_kind,
    module_path: resource.module_path,
    resource_type: resource.resource_type,
    provider: resource.provider,
    file: resource.file,
    line: resource.line,
    key: rule.key,
    kind: actual === null ? 'missing' : 'invalid',
    actual,
    rule: rule.summary,
    message: rule.message,
    policy_id: policy.id,
    policy_name: policy.name,
    enforcement: policy.enforcement,
    policies: [ref],
    suggestions: [],
    similar_key: null,
    rule_id: rule.rule_id,
  };
}

/** 0 when clean or only `warn` policies fail; 1 when a `block` policy fails. (The CLI uses 2 for bad input.) */
export function exitCodeFor(result: Pick<ValidationResult, 'violations'>): 0 | 1 {
  return result.violations.some((v) => v.enforcement === 'block') ? 1 : 0;
}
