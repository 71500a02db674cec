/**
 * Tagging engine benchmark.
 *
 * 1. A generated plan with 15,000 taggable resources, 20 policies, one key
 *    with 10,000 allowed values and 10% bad values: the core validator
 *    (JSON.parse of the plan text included) beside a baseline loop in the
 *    same run — JSON.parse plus a Set.has per resource over the same keys —
 *    target ≤ 1.5×. Measured warm (policies compiled once, as the API caches
 *    them) and cold (compiling the policies included).
 * 2. Compliance over a generated 100,000-node inventory: target < 1 s.
 */
import { compilePolicies, computeTaggingCompliance, validatePlan } from '../src/core/tagging/index.ts';
import { generateInventory, generatePlanText, generatePolicies } from './fixtures/tagging.ts';
import { fmt, report, time } from './lib.ts';

const RUNS = 7;

const middle = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

/**
 * Medians of alternating runs: the machine is shared, and interleaving makes
 * a burst of load hit both sides rather than one.
 */
async function interleaved(fns: (() => unknown)[]): Promise<number[]> {
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < fns.length; j++) samples[j]!.push((await time(fns[j]!)).ms);
  }
  return samples.map(middle);
}

export default async function main(): Promise<void> {
  const policies = generatePolicies();
  const plan = generatePlanText(15_000, 0.1);
  console.log(
    `plan: ${plan.resources.toLocaleString('en-US')} resources, ${(plan.text.length / 1024 / 1024).toFixed(1)} MiB, ${plan.badValues} bad app_id values; ${policies.length} policies`,
  );

  // The baseline reads the same keys the policies check and looks each LIST value up in its Set.
  const listSets = new Map<string, Set<string>>();
  const keys = new Set<string>();
  for (const p of policies) {
    for (const r of p.tags) {
      keys.add(r.key);
      if (r.valueType === 'LIST') listSets.set(r.key, new Set(r.allowedValues));
    }
  }
  const keyList = [...keys];
  const baseline = () => {
    const parsed = JSON.parse(plan.text) as {
      resource_changes: { change: { after: { tags_all?: Record<string, string> } } }[];
    };
    let bad = 0;
    for (const rc of parsed.resource_changes) {
      const tags = rc.change.after.tags_all ?? {};
      for (const key of keyList) {
        const value = tags[key];
        const set = listSets.get(key);
        if (value === undefined || (set && !set.has(value))) bad++;
      }
    }
    return bad;
  };

  const compiled = compilePolicies(policies);
  const result = validatePlan(plan.text, compiled);
  console.log(
    `validator: ${result.summary.taggable} taggable, ${result.summary.failed} failed, ${result.violations.length} violations, ${result.violations.filter((v) => v.key === 'app_id' && v.suggestions.length > 0).length} app_id suggestions`,
  );

  // Warm the JIT on every path before measuring.
  await interleaved([baseline, () => validatePlan(plan.text, compiled)]);
  const fresh = Array.from({ length: RUNS }, () => generatePolicies()); // new objects: no compile cache hit
  let nextFresh = 0;
  const [baselineMs, warmMs, coldMs] = (await interleaved([
    baseline,
    () => validatePlan(plan.text, compiled),
    () => validatePlan(plan.text, compilePolicies(fresh[nextFresh++]!)),
  ])) as [number, number, number];

  report([
    {
      metric: 'validate 15k-resource plan, policies compiled once (ms)',
      infracast: warmMs,
      baseline: baselineMs,
      baselineName: 'JSON.parse + Set.has loop',
      higherIsBetter: false,
      target: '≤ 1.5',
      met: warmMs / baselineMs <= 1.5,
    },
    {
      metric: 'validate 15k-resource plan, compiling 20 policies included (ms)',
      infracast: coldMs,
      baseline: baselineMs,
      baselineName: 'JSON.parse + Set.has loop',
      higherIsBetter: false,
      target: '≤ 1.5',
      met: coldMs / baselineMs <= 1.5,
    },
  ]);

  const nodes = generateInventory(100_000);
  const inventoryBaseline = () => {
    let bad = 0;
    for (const node of nodes) {
      for (const key of keyList) {
        const value = node.tags[key];
        const set = listSets.get(key);
        if (value === undefined || (set && !set.has(value))) bad++;
      }
    }
    return bad;
  };
  const compliance = computeTaggingCompliance(compiled, nodes);
  console.log(
    `compliance: ${compliance.overall.taggable.toLocaleString('en-US')} taggable, ${compliance.overall.percent}% compliant, top invalid ${compliance.top_invalid_values[0]?.value} → ${compliance.top_invalid_values[0]?.suggestions.join(', ')}`,
  );
  await interleaved([inventoryBaseline, () => computeTaggingCompliance(compiled, nodes)]);
  const [inventoryBaselineMs, complianceMs] = (await interleaved([
    inventoryBaseline,
    () => computeTaggingCompliance(compiled, nodes),
  ])) as [number, number];
  report([
    {
      metric: 'compliance over 100k inventory nodes (ms)',
      infracast: complianceMs,
      baseline: inventoryBaselineMs,
      baselineName: 'Set.has loop',
      higherIsBetter: false,
      target: '< 1000 ms absolute',
      met: complianceMs < 1000,
    },
  ]);
  console.log(`compliance: ${fmt(complianceMs)} ms for 100,000 nodes (target < 1,000 ms)`);
}
