/**
 * Parsers give, beside each edge, the positions of its ends in `nodes` (ParsedInventory.edgeEnds): the
 * ingest trusts them instead of looking each end up by id, so they must name the right nodes.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformPlan, parseTerraformState } from '../../../src/core/ingest/index.ts';
import type { ParsedInventory } from '../../../src/core/inventory/types.ts';
import { readJson, snapshotFromFolder } from './helpers.ts';

const inputs: [string, () => ParsedInventory][] = [
  ['terraform state', () => parseTerraformState(readJson('terraform/two-tier.tfstate'))],
  ['terraform show -json, several regions', () => parseTerraformState(readJson('terraform/multi-region.show.json'))],
  ['terraform plan', () => parseTerraformPlan(readJson('terraform/plan.json'))],
  ['aws snapshot, several accounts', () => parseAwsSnapshot(snapshotFromFolder('aws-snapshot/multi-account'))],
];

describe('edge ends given by position', () => {
  it.each(inputs)('%s: each edge names its own source and target', (_name, parse) => {
    const inv = parse();
    expect(inv.edges.length).toBeGreaterThan(0);
    expect(inv.edgeEnds?.length).toBe(inv.edges.length * 2);
    const ends = inv.edgeEnds as Uint32Array;
    inv.edges.forEach((edge, i) => {
      expect(inv.nodes[ends[2 * i] as number]?.id).toBe(edge.source_id);
      expect(inv.nodes[ends[2 * i + 1] as number]?.id).toBe(edge.target_id);
    });
  });
});
