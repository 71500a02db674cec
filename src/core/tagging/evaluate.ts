/**
 * Checks one resource's tags against compiled policies. Shared by the plan
 * validator and the inventory compliance scorer so both judge a tag the same
 * way (trimming, case, missing vs unknown, skip tags, exemptions).
 */
import { isUnknown } from '../inventory/types.ts';
import type { CompiledPolicy, CompiledPolicySet, CompiledRule, ScopeSubject, TagLookup } from './compile.ts';
import { type CheckStatus, SKIP_TAG } from './types.ts';

export interface RuleOutcome {
  status: CheckStatus;
  kind: 'missing' | 'invalid' | null;
  /** The raw value found (untrimmed), null when missing or unknown. */
  actual: string | null;
  reason: string | null;
}

const PASS: RuleOutcome = { status: 'pass', kind: null, actual: null, reason: null };
const NOT_PRESENT: RuleOutcome = { status: 'pass', kind: null, actual: null, reason: 'optional, not set' };
const MISSING: RuleOutcome = { status: 'fail', kind: 'missing', actual: null, reason: 'missing' };
const UNKNOWN_VALUE: RuleOutcome = { status: 'unknown', kind: null, actual: null, reason: 'known after apply' };
const UNKNOWN_KEYS: RuleOutcome = {
  status: 'unknown',
  kind: null,
  actual: null,
  reason: 'tags known only after apply',
};

export function evaluateRule(
  policy: CompiledPolicy,
  rule: CompiledRule,
  tags: TagLookup,
  keysComplete: boolean,
  includePassReason = false,
): RuleOutcome {
  const raw = tags.get(rule.key);
  if (raw === undefined) {
    if (!rule.mandatory) return includePassReason ? NOT_PRESENT : PASS;
    return keysComplete ? MISSING : UNKNOWN_KEYS;
  }
  if (isUnknown(raw)) return UNKNOWN_VALUE;
  if (rule.unusable) return { status: 'unknown', kind: null, actual: raw, reason: rule.unusable };
  if (rule.accepts(policy.trim ? raw.trim() : raw)) return PASS;
  return { status: 'fail', kind: 'invalid', actual: raw, reason: 'not allowed' };
}

/** Keys listed in the resource's `infracast:skip` tag; `*` or `all` skips every key. */
export function skipKeysOf(tags: TagLookup): Set<string> | 'all' | null {
  const raw = tags.get(SKIP_TAG);
  if (raw === undefined || isUnknown(raw)) return null;
  const keys = raw
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.includes('*') || keys.includes('all')) return 'all';
  return keys.length > 0 ? new Set(keys) : null;
}

/**
 * Which enabled policies (all of them, on request) apply to a kind of resource, by provider and type
 * (tag filters are checked per resource). Cached per set in nested maps: a
 * plan or an inventory has few distinct types and many resources, and the
 * lookup must not build a string per resource.
 */
export class ScopeIndex {
  /** The policies evaluated: the enabled ones, or all of them with `includeDisabled`. */
  private readonly active: CompiledPolicy[];
  private readonly cache = new Map<string, Map<string, Map<string, CompiledPolicy[]>>>();

  /**
   * @param opts.includeDisabled evaluate the set's disabled policies too (ones a caller named
   *   explicitly); they keep `enabled: false`, so what reports them shows them as they are
   */
  constructor(set: CompiledPolicySet, opts: { includeDisabled?: boolean } = {}) {
    this.active = opts.includeDisabled ? [...set.policies] : set.policies.filter((p) => p.enabled);
  }

  get policies(): readonly CompiledPolicy[] {
    return this.active;
  }

  forSubject(subject: ScopeSubject): CompiledPolicy[] {
    let byType = this.cache.get(subject.provider);
    if (!byType) {
      byType = new Map();
      this.cache.set(subject.provider, byType);
    }
    let byInfracast = byType.get(subject.terraformType);
    if (!byInfracast) {
      byInfracast = new Map();
      byType.set(subject.terraformType, byInfracast);
    }
    let hit = byInfracast.get(subject.infracastType);
    if (!hit) {
      // A policy without rules checks nothing, so it covers nothing: counted as covering (and passing) its
      // scope, it would inflate the share tagged correctly. The API refuses an enabled one; one stored before
      // it did is still listed, with figures of zero.
      hit = this.active.filter((p) => p.rules.length > 0 && p.typeInScope(subject));
      byInfracast.set(subject.infracastType, hit);
    }
    return hit;
  }
}

/** Receives the outcome of every rule for one resource; one object reused across resources. */
export interface EvaluationVisitor {
  /** Names an exemption may match (address, address without index keys, node id, …). Called only when needed. */
  names(): readonly string[];
  /** A policy's scope and tag filter matched. */
  applied(policy: CompiledPolicy): void;
  check(policy: CompiledPolicy, rule: CompiledRule, outcome: RuleOutcome, exemptReason: string | null): void;
}

/** Runs every rule of the given policies over one resource's tags, reporting to `visitor`. */
export function evaluateResource(
  policies: readonly CompiledPolicy[],
  tags: TagLookup,
  keysComplete: boolean,
  visitor: EvaluationVisitor,
  nowMs: number,
  includePassReason = false,
): void {
  let skip: Set<string> | 'all' | null = null;
  let first = true;
  for (const policy of policies) {
    if (policy.hasTagFilter && !policy.tagFilterMatches(tags)) continue;
    if (first) {
      skip = skipKeysOf(tags);
      first = false;
    }
    visitor.applied(policy);
    const exemption = policy.hasExemptions ? policy.exemptionFor(visitor.names(), nowMs) : null;
    for (const rule of policy.rules) {
      if (skip === 'all' || skip?.has(rule.key)) {
        visitor.check(policy, rule, exemptedOutcome(tags, rule), `skipped by the ${SKIP_TAG} tag`);
      } else if (exemption && (exemption.keys === null || exemption.keys.has(rule.key))) {
        visitor.check(policy, rule, exemptedOutcome(tags, rule), exemption.reason ?? `exempted by policy ${policy.id}`);
      } else {
        visitor.check(policy, rule, evaluateRule(policy, rule, tags, keysComplete, includePassReason), null);
      }
    }
  }
}

function exemptedOutcome(tags: TagLookup, rule: CompiledRule): RuleOutcome {
  const raw = tags.get(rule.key);
  return { status: 'exempted', kind: null, actual: typeof raw === 'string' ? raw : null, reason: null };
}
