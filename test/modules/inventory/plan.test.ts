/**
 * The compare step on its own, against an in-memory reader: which rows are new, changed, unchanged or
 * removed, and which edges are skipped because an end is neither in the input nor in the inventory.
 */
import { describe, expect, it } from 'vitest';
import { type PlanReader, planChanges } from '../../../src/modules/inventory/ingest/plan.ts';
import {
  type EdgeKeyBatch,
  type IngestSummary,
  type KeyBatch,
  SOURCE_IN_INPUT,
  TARGET_IN_INPUT,
} from '../../../src/modules/inventory/ingest/session.ts';

const SCOPE = 'terraform_state:lineage:l';

function summaryOf(nodes: number, edges: number, externalEnds: string[]): IngestSummary {
  return {
    nodes,
    edges,
    scopes: [SCOPE],
    content_sha256: 'x',
    skipped_documents: [],
    warnings: [],
    warnings_total: 0,
    external_ends: externalEnds,
  };
}

/** What the database holds: rows by table, each with its scope and hash. */
function readerOf(rows: { nodes: Record<string, [string, string]>; edges: Record<string, [string, string]> }) {
  const reader: PlanReader = {
    async scopeHashes(table, scope, into) {
      for (const [id, [s, hash]] of Object.entries(rows[table])) if (s === scope) into.set(id, hash);
    },
    async anyOutside(table, scopes) {
      return Object.values(rows[table]).some(([s]) => !scopes.includes(s));
    },
    async hashesOf(table, ids) {
      return new Map(ids.flatMap((id) => (rows[table][id] ? [[id, rows[table][id][1]] as [string, string]] : [])));
    },
    async existingNodeIds(ids) {
      return new Set(ids.filter((id) => rows.nodes[id] !== undefined));
    },
  };
  return reader;
}

const hooks = { checkpoint() {}, async pause() {}, progress() {} };

describe('compare (planChanges)', () => {
  const nodeKeys: KeyBatch = { ids: ['n:a', 'n:b', 'n:c'], hashes: ['ha', 'hb2', 'hc'] };
  // a → b (both in the input), a → x (x: another input's node), a → y (nowhere), b → c.
  const edgeKeys: EdgeKeyBatch = {
    ids: ['e:ab', 'e:ax', 'e:ay', 'e:bc'],
    hashes: ['h', 'h', 'h', 'h2'],
    sources: ['n:a', 'n:a', 'n:a', 'n:b'],
    targets: ['n:b', 'n:x', 'n:y', 'n:c'],
    inputEnds: Uint8Array.from([
      SOURCE_IN_INPUT | TARGET_IN_INPUT,
      SOURCE_IN_INPUT,
      SOURCE_IN_INPUT,
      SOURCE_IN_INPUT | TARGET_IN_INPUT,
    ]),
  };
  const keys = {
    nodeKeys: async (from: number, count: number) => ({
      ids: nodeKeys.ids.slice(from, from + count),
      hashes: nodeKeys.hashes.slice(from, from + count),
    }),
    edgeKeys: async (from: number, count: number) => ({
      ids: edgeKeys.ids.slice(from, from + count),
      hashes: edgeKeys.hashes.slice(from, from + count),
      sources: edgeKeys.sources.slice(from, from + count),
      targets: edgeKeys.targets.slice(from, from + count),
      inputEnds: edgeKeys.inputEnds.slice(from, from + count),
    }),
  };

  it.each([1, 2, 50_000])(
    'into an empty inventory: everything new, an edge to a missing node skipped (batch %i)',
    async (batch) => {
      const plan = await planChanges(
        summaryOf(3, 4, ['n:x', 'n:y']),
        keys,
        readerOf({ nodes: { 'n:x': ['other', 'hx'] }, edges: {} }),
        hooks,
        batch,
      );
      expect(plan.counts).toEqual({ created: 3, updated: 0, unchanged: 0, removed: 0, edges: 3 });
      expect(plan.edgeCounts).toEqual({ created: 3, updated: 0, unchanged: 0, removed: 0, skipped: 1 });
      expect(plan.writeNodes).toEqual([0, 1, 2]);
      expect(plan.writeEdges).toEqual([0, 1, 3]);
      expect(plan.warnings).toEqual(['edge n:a → n:y skipped: n:y is not in the inventory']);
    },
  );

  it('into an empty inventory, edges only between input nodes: everything new, no key read', async () => {
    let reads = 0;
    const counted = {
      nodeKeys: (f: number, n: number) => {
        reads += 1;
        return keys.nodeKeys(f, n);
      },
      edgeKeys: (f: number, n: number) => {
        reads += 1;
        return keys.edgeKeys(f, n);
      },
    };
    const plan = await planChanges(summaryOf(3, 4, []), counted, readerOf({ nodes: {}, edges: {} }), hooks, 2);
    expect(reads).toBe(0);
    expect(plan.counts).toEqual({ created: 3, updated: 0, unchanged: 0, removed: 0, edges: 4 });
    expect(plan.edgeCounts).toEqual({ created: 4, updated: 0, unchanged: 0, removed: 0, skipped: 0 });
    expect(plan.sizes).toMatchObject({ newNodes: 3, newEdges: 4 });
    expect(plan.writeNodes).toEqual([0, 1, 2]);
    expect(plan.writeEdges).toEqual([0, 1, 2, 3]);
    // A row of another scope (of this tenant) may share an id with the input's: the keys are read.
    await planChanges(
      summaryOf(3, 4, []),
      counted,
      readerOf({ nodes: { 'n:z': ['other', 'h'] }, edges: {} }),
      hooks,
      2,
    );
    expect(reads).toBeGreaterThan(0);
  });

  it('against an earlier ingest: unchanged, updated, removed, and a node of another scope found by id', async () => {
    const plan = await planChanges(
      summaryOf(3, 4, ['n:x', 'n:y']),
      keys,
      readerOf({
        nodes: { 'n:a': [SCOPE, 'ha'], 'n:b': [SCOPE, 'hb'], 'n:gone': [SCOPE, 'hg'], 'n:c': ['manual', 'hc'] },
        edges: { 'e:ab': [SCOPE, 'h'], 'e:bc': [SCOPE, 'h'], 'e:old': [SCOPE, 'h'] },
      }),
      hooks,
      2,
    );
    expect(plan.counts).toEqual({ created: 0, updated: 1, unchanged: 2, removed: 1, edges: 2 });
    expect(plan.writeNodes).toEqual([1]);
    expect(plan.removedNodes).toEqual(['n:gone']);
    // n:x is nowhere now: both edges to other inputs' nodes are skipped.
    expect(plan.edgeCounts).toEqual({ created: 0, updated: 1, unchanged: 1, removed: 1, skipped: 2 });
    expect(plan.writeEdges).toEqual([3]);
    expect(plan.removedEdges).toEqual(['e:old']);
  });
});
