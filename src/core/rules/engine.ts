/**
 * Runs the rule catalogue over a tenant's graph: for each rule, the nodes that fail it (with why), how many
 * nodes of its types it judged, and which it could not judge. Pure: the graph is indexed once (nodes by id and
 * type, edges by end) and every rule visits only the nodes of its types, so the cost is one pass per rule over
 * its types, whatever the size of the rest of the inventory.
 */
import type { EdgeInput, NodeInput } from '../inventory/types.ts';
import { RULES } from './catalogue.ts';
import type { EvaluationResult, GraphView, Rule, RuleFailure, RuleResult } from './types.ts';

const NONE: readonly never[] = [];

export function graphView(nodes: readonly NodeInput[], edges: readonly EdgeInput[]): GraphView {
  const build = graphViewInSteps(nodes, edges, Number.POSITIVE_INFINITY);
  for (;;) {
    const step = build.next();
    if (step.done) return step.value;
  }
}

/** Builds the graph view (nodes by id and type, edges by either end), yielding after every `perStep` items. */
function* graphViewInSteps(
  nodes: readonly NodeInput[],
  edges: readonly EdgeInput[],
  perStep: number,
): Generator<void, GraphView, void> {
  const byId = new Map<string, NodeInput>();
  const byType = new Map<string, NodeInput[]>();
  let done = 0;
  for (const n of nodes) {
    if (++done % perStep === 0) yield;
    byId.set(n.id, n);
    const list = byType.get(n.type);
    if (list) list.push(n);
    else byType.set(n.type, [n]);
  }
  const outIndex = new Map<string, EdgeInput[]>();
  const inIndex = new Map<string, EdgeInput[]>();
  for (const e of edges) {
    if (++done % perStep === 0) yield;
    const out = outIndex.get(e.source_id);
    if (out) out.push(e);
    else outIndex.set(e.source_id, [e]);
    const into = inIndex.get(e.target_id);
    if (into) into.push(e);
    else inIndex.set(e.target_id, [e]);
  }
  const memo = new Map<string, unknown>();
  return {
    node: (id) => byId.get(id),
    ofType: (type) => byType.get(type) ?? NONE,
    out: (id) => outIndex.get(id) ?? NONE,
    in: (id) => inIndex.get(id) ?? NONE,
    memo<T>(key: string, build: () => T): T {
      if (!memo.has(key)) memo.set(key, build());
      return memo.get(key) as T;
    },
  };
}

/** The edge types `rules` read (see Rule.edge_types): the only edges an evaluation needs to load. */
export function edgeTypesRead(rules: readonly Rule[] = RULES): string[] {
  return [...new Set(rules.flatMap((r) => r.edge_types ?? []))].sort();
}

/**
 * Evaluates `rules` (the built-in catalogue by default). A rule that throws on a node is a bug; the node is
 * then counted as skipped for that rule rather than failing the whole evaluation.
 */
export function evaluateRules(
  nodes: readonly NodeInput[],
  edges: readonly EdgeInput[],
  rules: readonly Rule[] = RULES,
): EvaluationResult {
  const steps = evaluateRulesInSteps(nodes, edges, rules);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same evaluation, pausing (yielding) after every `checksPerStep` node checks, so that a caller on a
 * server's event loop can let other work run between steps: a 100k-node inventory is a few hundred ms of
 * checks. The generator's return value is the result.
 */
export function* evaluateRulesInSteps(
  nodes: readonly NodeInput[],
  edges: readonly EdgeInput[],
  rules: readonly Rule[] = RULES,
  checksPerStep = 1000,
): Generator<void, EvaluationResult, void> {
  const graph = yield* graphViewInSteps(nodes, edges, checksPerStep * 10);
  const judged = new Set<string>();
  const results: RuleResult[] = [];
  let checks = 0;
  for (const rule of rules) {
    const failures: RuleFailure[] = [];
    const skipped: string[] = [];
    const byType: Record<string, number> = {};
    let evaluated = 0;
    for (const type of rule.resource_types) {
      for (const node of graph.ofType(type)) {
        if (++checks % checksPerStep === 0) yield;
        let verdict: ReturnType<Rule['check']>;
        try {
          verdict = rule.check(node, graph);
        } catch (e) {
          verdict = { status: 'skip', reason: `rule error: ${(e as Error)?.message ?? String(e)}` };
        }
        if (verdict.status === 'not_applicable') continue;
        if (verdict.status === 'skip') {
          skipped.push(node.id);
          continue;
        }
        evaluated++;
        byType[type] = (byType[type] ?? 0) + 1;
        judged.add(node.id);
        if (verdict.status === 'fail')
          failures.push({
            node_id: node.id,
            node_type: node.type,
            node_name: node.name,
            message: verdict.message,
            evidence: verdict.evidence,
          });
      }
    }
    results.push({ rule_id: rule.id, evaluated, evaluated_by_type: byType, skipped_node_ids: skipped, failures });
  }
  return { results, resources_evaluated: judged.size, node_ids: new Set(nodes.map((n) => n.id)) };
}
