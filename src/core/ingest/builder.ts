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
/** Edge types get small ordinals; (source, type) pairs pack into one small integer key. */
const TYPE_LIMIT = 64;

export class InventoryBuilder {
  readonly skippedDocuments: string[] = [];
  /**
   * For plans: node ids that an attribute whose value is unknown will refer
   * to, resolved from the configuration's references. Keyed by node id, then
   * by the normalised attribute name (`subnet_id`, `security_group_ids`, `routes`…).
   */
  readonly unknownReferences = new Map<string, Map<string, string[]>>();
  /** Nodes in insertion order; a node's position is its ordinal. */
  private readonly nodeList: NodeInput[] = [];
  private readonly ordinalById = new Map<string, number>();
  /** The same by object: identity hashing is cheaper than hashing long id strings on hot paths. */
  private readonly ordinalByNode = new Map<NodeInput, number>();
  /** type → lookup key → node ordinal (or ordinals, when a name is ambiguous across regions). */
  private readonly index = new Map<string, Map<string, number | number[]>>();
  private readonly edgeTypes = new Map<string, number>();
  private readonly edges: EdgeInput[] = [];
  /** Source and target ordinal of each edge, parallel to `edges`. */
  private readonly edgeSources: number[] = [];
  private readonly edgeTargets: number[] = [];
  /** (source ordinal, edge type) → index of the edge in `edges`, or indexes when it has several targets. */
  private readonly edgesBySourceType = new Map<number, number | number[]>();
  private readonly warnings: string[] = [];
  private readonly warningSet = new Set<string>();
  private suppressedWarnings = 0;

  addNode(draft: NodeDraft): NodeInput {
    const id = nodeId(draft.provider, draft.region, draft.type, draft.key);
    const existing = this.ordinalById.get(id);
    if (existing !== undefined) {
      const node = this.nodeList[existing] as NodeInput;
      mergeNode(node, draft);
      this.indexNode(node.type, existing, draft);
      return node;
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
    const ordinal = this.nodeList.length;
    this.nodeList.push(node);
    this.ordinalById.set(id, ordinal);
    this.ordinalByNode.set(node, ordinal);
    this.indexNode(node.type, ordinal, draft);
    return node;
  }

  /** All nodes, in insertion order (the live list: do not add nodes while iterating it). */
  allNodes(): readonly NodeInput[] {
    return this.nodeList;
  }

  get nodeCount(): number {
    return this.nodeList.length;
  }

  /** Registers another string the node can be found by (`find(node.type, alias)`). */
  alias(node: NodeInput, alias: string): void {
    const ordinal = this.ordinalById.get(node.id);
    if (ordinal !== undefined) this.addToIndex(node.type, alias, ordinal);
  }

  /**
   * A node of `type` known by `key` (native id, ARN, name or Terraform
   * address). When several regions hold one (names are per region), the one
   * in `nearRegion` wins; an ambiguous match gives undefined.
   */
  find(type: string, key: string, nearRegion?: string): NodeInput | undefined {
    const found = this.index.get(type)?.get(key);
    if (found === undefined) return undefined;
    if (typeof found === 'number') return this.nodeList[found];
    const near = found.find((o) => this.nodeList[o]?.region === nearRegion);
    return near === undefined ? undefined : this.nodeList[near];
  }

  /** A node by an EC2-style id whose prefix says its type ('sg-…', 'igw-…'). */
  findByNativeId(id: string, nearRegion?: string): NodeInput | undefined {
    const type = awsTypeForNativeId(id);
    return type === null ? undefined : this.find(type, id, nearRegion);
  }

  getNode(id: string): NodeInput | undefined {
    const ordinal = this.ordinalById.get(id);
    return ordinal === undefined ? undefined : this.nodeList[ordinal];
  }

  /** Adds an edge when both ends are nodes; returns false (and adds nothing) otherwise. */
  addEdge(sourceId: string, targetId: string, type: EdgeType, attributes?: JsonObject): boolean {
    const source = this.ordinalById.get(sourceId);
    const target = this.ordinalById.get(targetId);
    if (source === undefined || target === undefined) return false;
    return this.addEdgeByOrdinal(source, target, type, attributes);
  }

  /** `addEdge` for node objects of this builder (the hot path of the link pass). */
  addEdgeBetween(sourceNode: NodeInput, targetNode: NodeInput, type: EdgeType, attributes?: JsonObject): boolean {
    const source = this.ordinalByNode.get(sourceNode);
    const target = this.ordinalByNode.get(targetNode);
    if (source === undefined || target === undefined) return false;
    return this.addEdgeByOrdinal(source, target, type, attributes);
  }

  private addEdgeByOrdinal(source: number, target: number, type: EdgeType, attributes?: JsonObject): boolean {
    const sourceId = (this.nodeList[source] as NodeInput).id;
    const targetId = (this.nodeList[target] as NodeInput).id;
    let typeOrdinal = this.edgeTypes.get(type);
    if (typeOrdinal === undefined) {
      typeOrdinal = this.edgeTypes.size;
      this.edgeTypes.set(type, typeOrdinal);
    }
    // Past 64 edge types keys may collide; the edge's own type is compared below, so that stays correct.
    const key = source * TYPE_LIMIT + (typeOrdinal % TYPE_LIMIT);
    const present = this.edgesBySourceType.get(key);
    let existing: EdgeInput | undefined;
    if (typeof present === 'number') {
      if (this.edgeTargets[present] === target && this.edges[present]?.type === type) existing = this.edges[present];
    } else if (present !== undefined) {
      for (const i of present) {
        if (this.edgeTargets[i] === target && this.edges[i]?.type === type) {
          existing = this.edges[i];
          break;
        }
      }
    }
    if (existing !== undefined) {
      if (attributes !== undefined) existing.attributes = mergeEdgeAttributes(existing.attributes, attributes);
      return true;
    }
    const edge: EdgeInput = { source_id: sourceId, target_id: targetId, type };
    if (attributes !== undefined) edge.attributes = attributes;
    const index = this.edges.length;
    this.edges.push(edge);
    this.edgeSources.push(source);
    this.edgeTargets.push(target);
    if (present === undefined) this.edgesBySourceType.set(key, index);
    else if (typeof present === 'number') this.edgesBySourceType.set(key, [present, index]);
    else present.push(index);
    return true;
  }

  hasEdges(): boolean {
    return this.edges.length > 0;
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
    const edgeEnds = new Uint32Array(this.edges.length * 2);
    for (let i = 0; i < this.edges.length; i++) {
      edgeEnds[2 * i] = this.edgeSources[i] as number;
      edgeEnds[2 * i + 1] = this.edgeTargets[i] as number;
    }
    return {
      nodes: [...this.nodeList],
      edges: [...this.edges],
      edgeEnds,
      skipped_documents: [...this.skippedDocuments],
      warnings,
    };
  }

  private indexNode(type: string, ordinal: number, draft: NodeDraft): void {
    this.addToIndex(type, draft.key, ordinal);
    // EC2 objects are referenced by their ids, never by ARN: indexing those ARNs would only cost memory.
    const nativeId = draft.nativeId;
    if (nativeId && nativeId !== draft.key && !isEc2Arn(nativeId)) this.addToIndex(type, nativeId, ordinal);
    if (draft.aliases) {
      for (const alias of draft.aliases) {
        if (alias && alias !== draft.key && alias !== nativeId) this.addToIndex(type, alias, ordinal);
      }
    }
  }

  private addToIndex(type: string, key: string, ordinal: number): void {
    let byKey = this.index.get(type);
    if (byKey === undefined) {
      byKey = new Map();
      this.index.set(type, byKey);
    }
    const found = byKey.get(key);
    if (found === undefined) byKey.set(key, ordinal);
    else if (typeof found === 'number') {
      if (found !== ordinal) byKey.set(key, [found, ordinal]);
    } else if (!found.includes(ordinal)) found.push(ordinal);
  }
}

const isEc2Arn = (v: string): boolean => v.startsWith('arn:') && v.indexOf(':ec2:') > 0 && v.indexOf(':ec2:') < 16;

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
