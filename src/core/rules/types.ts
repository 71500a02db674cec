/**
 * The rule engine's data contracts: rules (built-in checks over inventory nodes and edges), what a rule
 * says about one node (a verdict), and what an evaluation returns. Plain data, no I/O.
 */
import type { EdgeInput, JsonObject, NodeInput } from '../inventory/types.ts';

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** LOW 1 … CRITICAL 4, for sorting and "at least" comparisons. */
export const SEVERITY_RANK: Record<Severity, number> = { LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

export const FRAMEWORK_IDS = ['cis-aws-foundations', 'aws-fsbp'] as const;
export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface ControlRef {
  framework: FrameworkId;
  /** The framework's own control id: `5.2`, `EC2.19`. */
  control: string;
}

/**
 * What a rule says about one node:
 * - `pass`: the node was checked and is fine;
 * - `fail`: it breaks the rule; `message` says exactly why, `evidence` holds the offending values;
 * - `skip`: the node cannot be judged (a value Terraform knows only after apply, an attribute the
 *   source does not record). Never a failure, and not counted as evaluated;
 */
export type Verdict =
  | { status: 'pass' }
  | { status: 'fail'; message: string; evidence: JsonObject }
  | { status: 'skip'; reason: string }
  /** The rule is not about this node (a security group that is not a VPC's default one). Not counted. */
  | { status: 'not_applicable' };

/** The tenant's graph, indexed once per evaluation, for rules that look beyond their node. */
export interface GraphView {
  node(id: string): NodeInput | undefined;
  /** Nodes of a type (empty array when none). */
  ofType(type: string): readonly NodeInput[];
  /** Edges leaving / entering a node. */
  out(id: string): readonly EdgeInput[];
  in(id: string): readonly EdgeInput[];
  /** A value computed once per evaluation (an index a rule builds over other nodes). */
  memo<T>(key: string, build: () => T): T;
}

export interface Rule {
  /** Stable: findings are keyed on it. `aws.<service>.<what_is_wrong>`. */
  id: string;
  title: string;
  severity: Severity;
  description: string;
  remediation: string;
  /** Node types the rule evaluates. */
  resource_types: readonly string[];
  controls: readonly ControlRef[];
  /**
   * Edge types the check reads through `graph.out` / `graph.in`. An evaluation loads only the edges of the
   * types some rule declares (none today: edges are most of a graph's rows), so a rule reading an edge type
   * it does not declare would see none.
   */
  edge_types?: readonly string[];
  check(node: NodeInput, graph: GraphView): Verdict;
}

/** A rule without its check: what the API and the scoring see. */
export type RuleInfo = Omit<Rule, 'check' | 'edge_types'>;

export interface RuleFailure {
  node_id: string;
  node_type: string;
  node_name: string;
  message: string;
  evidence: JsonObject;
}

export interface RuleResult {
  rule_id: string;
  /** Nodes judged (passed or failed), by node type. */
  evaluated_by_type: Record<string, number>;
  evaluated: number;
  /** Nodes of the rule's types that could not be judged (see Verdict `skip`). */
  skipped_node_ids: string[];
  failures: RuleFailure[];
}

export interface EvaluationResult {
  results: RuleResult[];
  /** Distinct nodes judged by at least one rule. */
  resources_evaluated: number;
  /** Every node id of the input (to tell a fixed node from a removed one). */
  node_ids: ReadonlySet<string>;
}
