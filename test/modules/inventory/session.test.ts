/**
 * The ingest session hands rows to the database in id order (inserts walk the B-trees), and its content
 * digest is computed in that order: it must be a string sort's order, whatever the input's.
 */
import { describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import { IngestSession, lastOfEachId } from '../../../src/modules/inventory/ingest/session.ts';

describe('ingest session order', () => {
  it('gives edges in id order (string order), and the same digest for the same resources in another order', () => {
    const state = generateTerraformState({ resources: 2000, edgesPerResource: 3 });
    const session = new IngestSession();
    session.append(JSON.stringify(state));
    const summary = session.parse({ source: 'terraform_state', jobName: 'order' });
    expect(summary.edges).toBeGreaterThan(5000);
    const ids = session.edgeKeys(0, summary.edges).ids;
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);

    const reversed = { ...state, resources: [...state.resources].reverse() };
    const again = new IngestSession();
    again.append(JSON.stringify(reversed));
    const second = again.parse({ source: 'terraform_state', jobName: 'order' });
    expect(again.edgeKeys(0, second.edges).ids).toEqual(ids);
    expect(second.content_sha256).toBe(summary.content_sha256);
  });

  it('keeps the last of edges that share an id', () => {
    const rows = [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'b', n: 3 },
      { id: 'b', n: 4 },
      { id: 'c', n: 5 },
      { id: 'c', n: 6 },
    ];
    expect(lastOfEachId(rows).map((r) => r.n)).toEqual([1, 4, 6]);
    expect(lastOfEachId([])).toEqual([]);
  });
});
