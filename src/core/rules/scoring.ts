/**
 * Compliance scoring from rule results and finding statuses. Pure.
 *
 * - A control FAILS when any of its rules has an OPEN finding; ACCEPTED findings do not fail it (they are
 *   counted apart) and RESOLVED ones do not count.
 * - It is NOT_APPLICABLE when its rules judged no resource (none of their types exists, or every such
 *   resource was skipped as not judgeable), and has no open finding.
 * - Otherwise it PASSES.
 * - A framework's score is passed / (passed + failed) of its controls, as a percentage with one decimal;
 *   null when every control is not applicable. The overall score is the same over the controls of every
 *   framework together (a control counts once per framework it belongs to).
 */
import type { FrameworkInfo } from './frameworks.ts';
import type { FrameworkId, RuleInfo } from './types.ts';

export const CONTROL_STATUSES = ['PASS', 'FAIL', 'NOT_APPLICABLE'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

export interface RuleStats {
  /** Resources judged, by node type. */
  evaluated_by_type: Record<string, number>;
}

/** Finding counts of one rule. */
export interface RuleFindingCounts {
  open: number;
  accepted: number;
}

export interface ControlScore {
  framework: FrameworkId;
  control: string;
  title: string;
  status: ControlStatus;
  rule_ids: string[];
  open_findings: number;
  accepted_findings: number;
  /** Per node type, the most any of the control's rules judged; summed over types. */
  resources_evaluated: number;
}

export interface Tally {
  total: number;
  passed: number;
  failed: number;
  not_applicable: number;
  score: number | null;
}

export interface FrameworkScore extends Tally {
  id: FrameworkId;
  name: string;
  version: string;
}

export interface ComplianceScore {
  controls: ControlScore[];
  frameworks: FrameworkScore[];
  overall: Tally;
}

/** passed / (passed + failed) as a percentage with one decimal; null when nothing was applicable. */
export function scorePercent(passed: number, failed: number): number | null {
  const n = passed + failed;
  return n === 0 ? null : Math.round((passed / n) * 1000) / 10;
}

function tally(controls: ControlScore[]): Tally {
  const passed = controls.filter((c) => c.status === 'PASS').length;
  const failed = controls.filter((c) => c.status === 'FAIL').length;
  return {
    total: controls.length,
    passed,
    failed,
    not_applicable: controls.length - passed - failed,
    score: scorePercent(passed, failed),
  };
}

export function scoreCompliance(input: {
  frameworks: readonly FrameworkInfo[];
  rules: readonly RuleInfo[];
  /** Per rule id; a rule missing here judged nothing. */
  stats: Readonly<Record<string, RuleStats>>;
  /** Per rule id; a rule missing here has no open or accepted finding. */
  findings: Readonly<Record<string, RuleFindingCounts>>;
}): ComplianceScore {
  const controls: ControlScore[] = [];
  const frameworks: FrameworkScore[] = [];
  for (const fw of input.frameworks) {
    const own: ControlScore[] = [];
    for (const c of fw.controls) {
      const rules = input.rules.filter((r) => r.controls.some((x) => x.framework === fw.id && x.control === c.id));
      let open = 0;
      let accepted = 0;
      const perType = new Map<string, number>();
      for (const r of rules) {
        open += input.findings[r.id]?.open ?? 0;
        accepted += input.findings[r.id]?.accepted ?? 0;
        for (const [type, n] of Object.entries(input.stats[r.id]?.evaluated_by_type ?? {}))
          perType.set(type, Math.max(perType.get(type) ?? 0, n));
      }
      const resources = [...perType.values()].reduce((a, b) => a + b, 0);
      const status: ControlStatus = open > 0 ? 'FAIL' : resources === 0 ? 'NOT_APPLICABLE' : 'PASS';
      own.push({
        framework: fw.id,
        control: c.id,
        title: c.title,
        status,
        rule_ids: rules.map((r) => r.id),
        open_findings: open,
        accepted_findings: accepted,
        resources_evaluated: resources,
      });
    }
    controls.push(...own);
    frameworks.push({ id: fw.id, name: fw.name, version: fw.version, ...tally(own) });
  }
  return { controls, frameworks, overall: tally(controls) };
}
