import { describe, expect, it } from 'vitest';
import type { FrameworkInfo, RuleInfo } from '../../../src/core/rules/index.ts';
import { scoreCompliance, scorePercent } from '../../../src/core/rules/index.ts';

const frameworks: FrameworkInfo[] = [
  {
    id: 'cis-aws-foundations',
    name: 'CIS',
    version: '3.0.0',
    controls: [
      { id: '5.2', title: 'admin ports v4' },
      { id: '5.4', title: 'default sg' },
      { id: '2.3.3', title: 'rds public' },
    ],
  },
  { id: 'aws-fsbp', name: 'FSBP', version: '1.0.0', controls: [{ id: 'EC2.13', title: 'ssh' }] },
];
const rule = (
  id: string,
  types: string[],
  controls: [RuleInfo['controls'][number]['framework'], string][],
): RuleInfo => ({
  id,
  title: id,
  severity: 'HIGH',
  description: '',
  remediation: '',
  resource_types: types,
  controls: controls.map(([framework, control]) => ({ framework, control })),
});
const rules = [
  rule(
    'ssh',
    ['sg'],
    [
      ['cis-aws-foundations', '5.2'],
      ['aws-fsbp', 'EC2.13'],
    ],
  ),
  rule('rdp', ['sg'], [['cis-aws-foundations', '5.2']]),
  rule('default', ['sg'], [['cis-aws-foundations', '5.4']]),
  rule('rds', ['db'], [['cis-aws-foundations', '2.3.3']]),
];

describe('compliance scoring', () => {
  it('open findings fail a control, accepted ones do not, no judged resource is NOT_APPLICABLE', () => {
    const s = scoreCompliance({
      frameworks,
      rules,
      stats: {
        ssh: { evaluated_by_type: { sg: 3 } },
        rdp: { evaluated_by_type: { sg: 3 } },
        default: { evaluated_by_type: { sg: 1 } },
      },
      findings: { ssh: { open: 0, accepted: 2 }, default: { open: 1, accepted: 0 } },
    });
    const c = Object.fromEntries(s.controls.map((x) => [`${x.framework}/${x.control}`, x]));
    expect(c['cis-aws-foundations/5.2']).toMatchObject({
      status: 'PASS',
      rule_ids: ['ssh', 'rdp'],
      accepted_findings: 2,
      open_findings: 0,
      resources_evaluated: 3, // the same 3 groups, judged by two rules
    });
    expect(c['cis-aws-foundations/5.4']?.status).toBe('FAIL');
    expect(c['cis-aws-foundations/2.3.3']).toMatchObject({ status: 'NOT_APPLICABLE', resources_evaluated: 0 });
    expect(c['aws-fsbp/EC2.13']?.status).toBe('PASS');
    // CIS: 1 passed, 1 failed, 1 n/a → 50.0; FSBP: 1/1 → 100; overall 2 of 3 → 66.7
    expect(s.frameworks.map((f) => [f.id, f.passed, f.failed, f.not_applicable, f.score])).toEqual([
      ['cis-aws-foundations', 1, 1, 1, 50],
      ['aws-fsbp', 1, 0, 0, 100],
    ]);
    expect(s.overall).toEqual({ total: 4, passed: 2, failed: 1, not_applicable: 1, score: 66.7 });
  });

  it('an empty inventory scores null, not 0 or 100', () => {
    const s = scoreCompliance({ frameworks, rules, stats: {}, findings: {} });
    expect(s.overall).toMatchObject({ score: null, not_applicable: 4 });
    expect(scorePercent(2, 1)).toBe(66.7);
    expect(scorePercent(1, 2)).toBe(33.3);
  });
});
