/** The built-in rule catalogue, in a stable order (by id). */
import { computeStorageRules } from './aws/compute-storage.ts';
import { governanceRules } from './aws/governance.ts';
import { networkRules } from './aws/network.ts';
import type { Rule, RuleInfo } from './types.ts';

export const RULES: readonly Rule[] = [...networkRules, ...computeStorageRules, ...governanceRules].sort((a, b) =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
);

const BY_ID = new Map(RULES.map((r) => [r.id, r]));
export const ruleById = (id: string): Rule | undefined => BY_ID.get(id);

/** A rule's description without its check function. */
export function ruleInfo(r: Rule): RuleInfo {
  const { check: _check, edge_types: _edges, ...info } = r;
  return info;
}
