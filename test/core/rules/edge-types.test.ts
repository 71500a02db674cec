/**
 * An evaluation loads only the edges of the types rules declare (Rule.edge_types). This checks the
 * declarations: over realistic inventories (Terraform states and plans, AWS snapshots), every rule gives the
 * same verdicts with only those edges as with all of them.
 */
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../../src/core/ingest/index.ts';
import { edgeTypesRead, evaluateRules, RULES } from '../../../src/core/rules/index.ts';
import { readJson, snapshotFromFolder } from '../ingest/helpers.ts';

const INVENTORIES = [
  ['terraform state', () => parseSource('terraform_state', readJson('terraform/two-tier.tfstate'))],
  ['terraform show -json', () => parseSource('terraform_state', readJson('terraform/multi-region.show.json'))],
  ['terraform plan', () => parseSource('terraform_plan', readJson('terraform/plan.json'))],
  ['AWS snapshot, listeners', () => parseSource('aws_snapshot', snapshotFromFolder('aws-snapshot/two-listeners'))],
  ['AWS snapshot, two tiers', () => parseSource('aws_snapshot', snapshotFromFolder('aws-snapshot/two-tier'))],
  ['AWS snapshot, accounts', () => parseSource('aws_snapshot', snapshotFromFolder('aws-snapshot/multi-account'))],
] as const;

describe('rules read only the edge types they declare', () => {
  it('declares the types as a sorted, distinct list', () => {
    const types = edgeTypesRead();
    expect([...new Set(types)].sort()).toEqual(types);
  });

  for (const [name, load] of INVENTORIES) {
    it(`gives the same verdicts with only the declared edges: ${name}`, () => {
      const inv = load();
      expect(inv.edges.length).toBeGreaterThan(0);
      const declared = new Set(edgeTypesRead());
      const all = evaluateRules(inv.nodes, inv.edges, RULES);
      const some = evaluateRules(
        inv.nodes,
        inv.edges.filter((e) => declared.has(e.type)),
        RULES,
      );
      expect(some).toEqual(all);
    });
  }
});
