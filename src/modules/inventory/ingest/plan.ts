/**
 * The compare step of an ingest, with reads only: which of the input's nodes
 * and edges are new, changed (content hash differs) or unchanged, and what the
 * scopes it covers own that it no longer has (removed). The same logic runs
 * on the main connection (PostgreSQL, small inputs) and inside the ingest
 * thread on a connection of its own (large SQLite inputs), through `PlanReader`.
 */
import type { EdgeKeyBatch, IngestSummary, KeyBatch } from './session.ts';
import { MAX_WARNINGS, SOURCE_IN_INPUT, TARGET_IN_INPUT } from './session.ts';

export interface DiscoveryCounts {
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  edges: number;
  [key: string]: number;
}

export interface Plan {
  scopes: string[];
  /** Session indices of the nodes/edges to write: the new ones first (`sizes.newNodes` of them), then the changed. */
  writeNodes: number[];
  writeEdges: number[];
  removedNodes: string[];
  removedEdges: string[];
  /** How many of each; the lists themselves are empty when the plan stays in the ingest thread (`held`). */
  sizes: {
    writeNodes: number;
    writeEdges: number;
    newNodes: number;
    newEdges: number;
    removedNodes: number;
    removedEdges: number;
  };
  held?: boolean;
  counts: DiscoveryCounts;
  edgeCounts: { created: number; updated: number; unchanged: number; removed: number; skipped: number };
  warnings: string[];
}

/** Where the input's keys come from (the session, in this thread or another). */
export interface PlanKeys {
  nodeKeys(from: number, count: number): Promise<KeyBatch>;
  edgeKeys(from: number, count: number): Promise<EdgeKeyBatch>;
}

/** What the database holds now. */
export interface PlanReader {
  /** Adds id → content hash of every row a scope owns to `into` (page by page where that matters). */
  scopeHashes(table: 'nodes' | 'edges', scope: string, into: Map<string, string>): Promise<void>;
  /** Whether any row lies outside these scopes (if none, ids outside them need no lookup). */
  anyOutside(table: 'nodes' | 'edges', scopes: string[]): Promise<boolean>;
  /** id → content hash of those of `ids` that exist (in any scope). */
  hashesOf(table: 'nodes' | 'edges', ids: string[]): Promise<Map<string, string>>;
  existingNodeIds(ids: string[]): Promise<Set<string>>;
}

export interface PlanHooks {
  /** Throws when the job must stop. */
  checkpoint(): void;
  /** Between batches (the main thread yields to its event loop here). */
  pause(): Promise<unknown>;
  /** Share of the compare step done, 0–1. */
  progress(share: number): void;
}

export async function planChanges(
  summary: IngestSummary,
  keysOf: PlanKeys,
  reader: PlanReader,
  hooks: PlanHooks,
  keyBatch: number,
): Promise<Plan> {
  const counts: DiscoveryCounts = { created: 0, updated: 0, unchanged: 0, removed: 0, edges: 0 };
  const edgeCounts = { created: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0 };
  const warnings: string[] = [];
  const scopeRows = async (table: 'nodes' | 'edges') => {
    const out = new Map<string, string>();
    for (const scope of summary.scopes) {
      await reader.scopeHashes(table, scope, out);
      hooks.checkpoint();
    }
    return out;
  };

  // What the covered scopes hold now; whatever the input does not claim is left over at the end: removed.
  const scopeNodes = await scopeRows('nodes');
  const newNodes: number[] = [];
  const changedNodes: number[] = [];
  const nothing = new Map<string, string>();
  // A first ingest into a tenant with nothing else in it has no other rows to look up, id by id.
  const nodesOutside = await reader.anyOutside('nodes', summary.scopes);
  // Nor, if the scopes hold nothing either, are the input's keys needed: every node is new.
  const allNewNodes = scopeNodes.size === 0 && !nodesOutside;
  if (allNewNodes) {
    for (let i = 0; i < summary.nodes; i++) newNodes.push(i);
    counts.created = summary.nodes;
  }
  const nodeKeys = allNewNodes ? 0 : summary.nodes;
  for await (const [from, keys] of prefetched(nodeKeys, (f, n) => keysOf.nodeKeys(f, n), keyBatch)) {
    // Ids the scopes do not own may still exist elsewhere (another scope, or made by hand).
    const elsewhere = nodesOutside
      ? await reader.hashesOf(
          'nodes',
          keys.ids.filter((id) => !scopeNodes.has(id)),
        )
      : nothing;
    for (let i = 0; i < keys.ids.length; i++) {
      const id = keys.ids[i] as string;
      const before = scopeNodes.get(id) ?? elsewhere.get(id);
      if (before === undefined) {
        counts.created += 1;
        newNodes.push(from + i);
        continue;
      }
      scopeNodes.delete(id);
      if (before !== keys.hashes[i]) {
        counts.updated += 1;
        changedNodes.push(from + i);
      } else counts.unchanged += 1;
    }
    hooks.progress((from + keys.ids.length) / Math.max(1, summary.nodes) / 2);
    hooks.checkpoint();
    await hooks.pause();
  }
  const removedNodes = [...scopeNodes.keys()];
  counts.removed = removedNodes.length;
  const removedSet = new Set(removedNodes);

  // Edges may point at nodes of other inputs; those must be in the inventory (and stay there).
  const externalKnown = await reader.existingNodeIds(summary.external_ends.filter((id) => !removedSet.has(id)));
  /** An end that is not a node of the input (those are fine: every one is written or kept). */
  const endOk = (id: string) => externalKnown.has(id) && !removedSet.has(id);

  const scopeEdges = await scopeRows('edges');
  const edgesOutside = await reader.anyOutside('edges', summary.scopes);
  // As for nodes, and when every edge joins two nodes of the input, every edge is new.
  const allNewEdges = scopeEdges.size === 0 && !edgesOutside && summary.external_ends.length === 0;
  const newEdges: number[] = [];
  const changedEdges: number[] = [];
  if (allNewEdges) {
    for (let i = 0; i < summary.edges; i++) newEdges.push(i);
    counts.edges = summary.edges;
    edgeCounts.created = summary.edges;
  }
  const edgeKeys = allNewEdges ? 0 : summary.edges;
  for await (const [from, keys] of prefetched(edgeKeys, (f, n) => keysOf.edgeKeys(f, n), keyBatch)) {
    const kept: number[] = [];
    for (let i = 0; i < keys.ids.length; i++) {
      const inInput = keys.inputEnds[i] as number;
      const source = keys.sources[i] as string;
      const target = keys.targets[i] as string;
      const sourceOk = (inInput & SOURCE_IN_INPUT) !== 0 || endOk(source);
      if (sourceOk && ((inInput & TARGET_IN_INPUT) !== 0 || endOk(target))) kept.push(i);
      else {
        edgeCounts.skipped += 1;
        if (warnings.length < MAX_WARNINGS) {
          const missing = sourceOk ? target : source;
          warnings.push(`edge ${source} → ${target} skipped: ${missing} is not in the inventory`);
        }
      }
    }
    const elsewhere = edgesOutside
      ? await reader.hashesOf(
          'edges',
          kept.map((i) => keys.ids[i] as string).filter((id) => !scopeEdges.has(id)),
        )
      : nothing;
    for (const i of kept) {
      const id = keys.ids[i] as string;
      counts.edges += 1;
      const before = scopeEdges.get(id) ?? elsewhere.get(id);
      if (before === undefined) {
        edgeCounts.created += 1;
        newEdges.push(from + i);
        continue;
      }
      scopeEdges.delete(id);
      if (before !== keys.hashes[i]) {
        edgeCounts.updated += 1;
        changedEdges.push(from + i);
      } else edgeCounts.unchanged += 1;
    }
    hooks.progress(0.5 + (from + keys.ids.length) / Math.max(1, summary.edges) / 2);
    hooks.checkpoint();
    await hooks.pause();
  }
  const removedEdges = [...scopeEdges.keys()];
  edgeCounts.removed = removedEdges.length;
  const writeNodes = newNodes.concat(changedNodes);
  const writeEdges = newEdges.concat(changedEdges);

  return {
    scopes: summary.scopes,
    writeNodes,
    writeEdges,
    removedNodes,
    removedEdges,
    sizes: {
      writeNodes: writeNodes.length,
      writeEdges: writeEdges.length,
      newNodes: newNodes.length,
      newEdges: newEdges.length,
      removedNodes: removedNodes.length,
      removedEdges: removedEdges.length,
    },
    counts,
    edgeCounts,
    warnings,
  };
}

/** Any node or edge to write or remove: the inventory changes (and its version is bumped). */
export const planChangesInventory = ({ sizes }: Plan): boolean =>
  sizes.writeNodes + sizes.writeEdges + sizes.removedNodes + sizes.removedEdges > 0;

/** The plan without its lists, for the main thread when the lists stay in the ingest thread. */
export const heldPlan = (plan: Plan): Plan => ({
  ...plan,
  writeNodes: [],
  writeEdges: [],
  removedNodes: [],
  removedEdges: [],
  held: true,
});

/**
 * Batches from the session, the next one requested while the caller works on
 * the current one, so the thread and the database work at the same time.
 */
export async function* prefetched<T>(
  total: number,
  fetch: (from: number, count: number) => Promise<T>,
  size: number,
): AsyncGenerator<[number, T]> {
  let next: Promise<T> | null = total > 0 ? fetch(0, size) : null;
  for (let from = 0; from < total; from += size) {
    const current = await (next as Promise<T>);
    next = from + size < total ? fetch(from + size, size) : null;
    // If the caller stops early, the prefetched batch is dropped without an unhandled rejection.
    next?.catch(() => {});
    yield [from, current];
  }
}
