/**
 * Accumulates the nodes and edges of one parse. Nodes are merged by id (the
 * same VPC seen from two accounts, an ENI seen inside describe-instances and
 * in describe-network-interfaces), looked up by native id, ARN or name, and
 * edges are kept only when both ends exist, deduplicated on
 * (source, target, type).
 */
import {
  type EdgeInput,
  type EdgeType,
  isUnknown,
  type JsonObject,
  type NodeInput,
  nodeId,
  type ParsedInventory,
} from '../inventory/types.ts';
import { awsTypeForNativeId } from './type-map.ts';

export interface NodeDraft {
  provider: string;
  type: string;
  region: string;
  /** The identity inside the type: native id, account-scoped name, or Terraform address. */
  key: string;
  name: string;
  account: string | null;
  nativeId: string | null;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  /** Other strings the node can be referenced by (resource id, ARN, name). */
  aliases?: (string | null | undefined)[];
}

/** Above this many, warnings are counted and summarised rather than listed. */
const MAX_WARNINGS = 200;

export class InventoryBuilder {
  readonly nodes = new Map<string, NodeInput>();
  readonly skippedDocuments: string[] = [];
  /**
   * For plans: node ids that an attribute whose value is unknown will refer
   * to, resolved from the configuration's references. Keyed by node id, then
   * by the normalised attribute name (`subnet_id`, `security_group_ids`, `routes`…).
   */
  readonly unknownReferences = new Map<string, Map<string, string[]>>();
  private readonly index = new Map<string, string[]>();
  private readonly edges = new Map<string, EdgeInput>();
  private readonly warnings: string[] = [];
  private readonly warningSet = new Set<string>();
  private suppressedWarnings = 0;

  addNode(draft: NodeDraft): NodeInput {
    const id = nodeId(draft.provider, draft.region, draft.type, draft.key);
    const existing = this.nodes.get(id);
    if (existing !== undefined) {
      mergeNode(existing, draft);
      this.indexNode(existing, draft);
      return existing;
    }
    const node: NodeInput = {
      id,
      provider: draft.provider,
      type: draft.type,
      account: draft.account,
      region: draft.region || 'global',
      name: draft.name,
      native_id: draft.nativeId,
      tags: draft.tags,
      attributes: draft.attributes as JsonObject,
    };
    this.nodes.set(id, node);
    this.indexNode(node, draft);
    return node;
  }

  /** Registers another string the node can be found by (`find(node.type, alias)`). */
  alias(node: NodeInput, alias: string): void {
    this.addToIndex(`${node.type}\u0000${alias}`, node.id);
  }

  /**
   * A node of `type` known by `key` (native id, ARN, name or Terraform
   * address). When several regions hold one (names are per region), the one
   * in `nearRegion` wins; an ambiguous match gives undefined.
   */
  find(type: string, key: string, nearRegion?: string): NodeInput | undefined {
    const ids = this.index.get(`${type}\u0000${key}`);
    if (ids === undefined) return undefined;
    if (ids.length === 1) return this.nodes.get(ids[0] as string);
    const near = ids.find((id) => this.nodes.get(id)?.region === nearRegion);
    return near === undefined ? undefined : this.nodes.get(near);
  }

  /** A node by an EC2-style id whose prefix says its type ('sg-…', 'igw-…'). */
  findByNativeId(id: string, nearRegion?: string): NodeInput | undefined {
    const type = awsTypeForNativeId(id);
    return type === null ? undefined : this.find(type, id, nearRegion);
  }

  getNode(id: string): NodeInput | undefined {
    return this.nodes.get(id);
  }

  /** Adds an edge when both ends are nodes; returns false (and adds nothing) otherwise. */
  addEdge(sourceId: string, targetId: string, type: EdgeType, attributes?: JsonObject): boolean {
    if (!this.nodes.has(sourceId) || !this.nodes.has(targetId)) return false;
    const key = `${sourceId}\u0000${targetId}\u0000${type}`;
    const existing = this.edges.get(key);
    if (existing === undefined) {
      const edge: EdgeInput = { source_id: sourceId, target_id: targetId, type };
      if (attributes !== undefined) edge.attributes = attributes;
      this.edges.set(key, edge);
    } else if (attributes !== undefined) {
      existing.attributes = mergeEdgeAttributes(existing.attributes, attributes);
    }
    return true;
  }

  hasEdges(): boolean {
    return this.edges.size > 0;
  }

  warn(message: string): void {
    if (this.warningSet.has(message)) return;
    if (this.warnings.length >= MAX_WARNINGS) {
      this.suppressedWarnings += 1;
      return;
    }
    this.warningSet.add(message);
    this.warnings.push(message);
  }

  skipDocument(name: string): void {
    this.skippedDocuments.push(name);
  }

  /** Records the targets of an unknown reference (plans). */
  addUnknownReference(nodeId: string, field: string, targetIds: string[]): void {
    if (targetIds.length === 0) return;
    let byField = this.unknownReferences.get(nodeId);
    if (byField === undefined) {
      byField = new Map();
      this.unknownReferences.set(nodeId, byField);
    }
    const existing = byField.get(field);
    byField.set(field, existing === undefined ? targetIds : [...new Set([...existing, ...targetIds])]);
  }

  result(): ParsedInventory {
    const warnings = [...this.warnings];
    if (this.suppressedWarnings > 0) warnings.push(`${this.suppressedWarnings} more warnings not listed`);
    return {
      nodes: [...this.nodes.values()],
      edges: [...this.edges.values()],
      skipped_documents: [...this.skippedDocuments],
      warnings,
    };
  }

  private indexNode(node: NodeInput, draft: NodeDraft): void {
    this.addToIndex(`${node.type}\u0000${draft.key}`, node.id);
    if (draft.nativeId) this.addToIndex(`${node.type}\u0000${draft.nativeId}`, node.id);
    if (draft.aliases) {
      for (const alias of draft.aliases) if (alias) this.addToIndex(`${node.type}\u0000${alias}`, node.id);
    }
  }

  private addToIndex(key: string, id: string): void {
    const ids = this.index.get(key);
    if (ids === undefined) this.index.set(key, [id]);
    else if (!ids.includes(id)) ids.push(id);
  }
}

/** True when an attribute value carries no information (so another view of the node may fill it). */
function isBlank(v: unknown): boolean {
  return v === undefined || v === null || isUnknown(v) || (Array.isArray(v) && v.length === 0);
}

/**
 * Folds a second view of the same resource into the first: fields the first
 * view lacks are taken from the second, tags are united, a Name tag wins the
 * display name. The first non-blank value of a field is kept.
 */
function mergeNode(node: NodeInput, draft: NodeDraft): void {
  if (node.account === null && draft.account !== null) node.account = draft.account;
  if (node.native_id === null && draft.nativeId !== null) node.native_id = draft.nativeId;
  if (node.tags.Name === undefined && draft.tags.Name !== undefined) node.name = draft.name;
  for (const [k, v] of Object.entries(draft.tags)) if (node.tags[k] === undefined) node.tags[k] = v;
  const attributes = node.attributes as Record<string, unknown>;
  for (const [k, v] of Object.entries(draft.attributes)) {
    if (isBlank(attributes[k]) && !isBlank(v)) attributes[k] = v;
    else if (!(k in attributes)) attributes[k] = v;
  }
}

function mergeEdgeAttributes(a: JsonObject | undefined, b: JsonObject): JsonObject {
  if (a === undefined) return b;
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (Array.isArray(cur) && Array.isArray(v)) {
      const seen = new Set(cur.map((x) => JSON.stringify(x)));
      out[k] = [...cur, ...v.filter((x) => !seen.has(JSON.stringify(x)))];
    } else if (cur === undefined) {
      out[k] = v;
    }
  }
  return out;
}
