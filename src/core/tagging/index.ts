/**
 * The tagging policy engine: pure functions over plain data. Validate a
 * Terraform plan against policies, score inventory compliance, and render
 * results for terminals, pull requests and CI.
 */
export {
  type CompiledPolicy,
  type CompiledPolicySet,
  type CompiledRule,
  compilePolicies,
  compilePolicy,
  policyProblems,
  stripIndexKeys,
  type TagLookup,
  type TagMap,
} from './compile.ts';
export {
  type ComplianceFigure,
  type ComplianceNode,
  type ComplianceOptions,
  type CoverageFigure,
  computeTaggingCompliance,
  listNonCompliant,
  type NonCompliantNode,
  type ResourceCompliance,
  type ResourceTaggingStatus,
  resourceComplianceEvaluator,
  sharePercent,
  type TaggingCompliance,
} from './compliance.ts';
export { parseIsoInstant } from './dates.ts';
export {
  type FormatOptions,
  formatValidation,
  isOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './format/index.ts';
export { globToRegExp, matchesGlob } from './glob.ts';
export { InvalidPlanError, type ParsedPlan, type PlanResource, type PlanTarget, parsePlan } from './plan.ts';
export { checkRegexSafety, compileTagRegex, MAX_PATTERN_LENGTH, type RegexSafety } from './regex-safety.ts';
export {
  infracastTypeFor,
  isScopeProvider,
  isTaggableType,
  normalizeProvider,
  SCOPE_PROVIDERS,
  TAGGABLE_TYPES_SOURCE,
  terraformTypeFor,
  terraformTypeOf,
} from './resource-types.ts';
export { findSimilarKey, foldValue, SuggestionIndex, squashValue } from './suggest.ts';
export * from './types.ts';
export { exitCodeFor, type ValidateOptions, validatePlan } from './validate.ts';
