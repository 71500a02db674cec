/**
 * The CPU-heavy half of an ingest, with no database: JSON-parse the stored
 * input, run the pure parser, assign each node and edge its scope and
 * content hash, and hand out batches ready for the database. It runs in a
 * worker thread for large inputs (see session-client.ts) and inline for small
 * ones; either way the main thread only sees small batches.
 */
import { createHash } from 'node:crypto';
import { AWS_TYPES, type IngestSource, parseSource, readableDocumentKeys } from '../../../core/ingest/index.ts';
import type { EdgeInput, NodeInput } from '../../../core/inventory/types.ts';
import { copyValue } from '../../../platform/db/copy-text.ts';
import {
  canonicalTagsJson,
  edgeContentHash,
  edgeIdFor,
  edgeIdPrefix,
  edgeIdWithPrefix,
  type NodeContent,
  nodeContentHash,
} from '../identity.ts';
import { terraformStateDigest } from './state-digest.ts';

export interface IngestParams {
  source: IngestSource;
  /** Used as the scope of Terraform inputs that carry no state lineage. */
  jobName: string;
}

/** Rows hashed per update of the content digest. */
const DIGEST_CHUNK = 5_000;

/** At most this many warnings are kept in a job's result; the total is reported beside them. */
export const MAX_WARNINGS = 500;

export interface IngestSummary {
  nodes: number;
  edges: number;
  /** Scopes this input covers: nodes of these scopes that it no longer contains are removed. */
  scopes: string[];
  /** Digest of the rows this input makes (see IngestSession.contentDigest). */
  content_sha256: string;
  skipped_documents: string[];
  warnings: string[];
  warnings_total: number;
  /** Edge endpoints that are not nodes of this input (they must already be in the inventory). */
  external_ends: string[];
}

export interface KeyBatch {
  ids: string[];
  hashes: string[];
}

export interface EdgeKeyBatch extends KeyBatch {
  sources: string[];
  targets: string[];
  /** Per edge: bit 1 set when its source is a node of this input, bit 2 when its target is. */
  inputEnds: Uint8Array;
}

/** Bits of EdgeKeyBatch.inputEnds. */
export const SOURCE_IN_INPUT = 1;
export const TARGET_IN_INPUT = 2;

/**
 * A batch for the database: PostgreSQL gets one JSON array text (unpacked
 * server-side by json_to_recordset) for upserts, or COPY text for rows known
 * to be new; SQLite gets rows of values to bind (better-sqlite3 binds faster
 * than SQLite's json_each unpacks).
 */
export type BatchFormat = 'json' | 'rows' | 'copy';
export type Batch = string | (string | null)[][];

/** The values every row of a COPY batch shares (COPY has no expressions). */
export interface CopyFixed {
  tenantId: string;
  source: string;
  now: string;
}

/** A prepared statement taking one row's values as arguments (better-sqlite3's). */
export interface RowStatement {
  run(...values: unknown[]): unknown;
}

/**
 * A node's fields, its tags and attributes as JSON text (the parsed document can go), and what the ingest
 * adds. One flat object per node: at 100k nodes each extra object is garbage-collector work.
 */
interface PreparedNode extends NodeContent {
  id: string;
  /** Position in the session's nodes (their id order). */
  index: number;
  /** The first part of the ids of edges from this node (see edgeIdFor), once one is made. */
  edgePrefix: string | null;
  scope: string;
  tags: string;
  attributes: string;
  hash: string;
}

interface PreparedEdge {
  id: string;
  source_id: string;
  target_id: string;
  type: string;
  /** The ends, when they are nodes of this input (else the inventory must have them). */
  sourceNode: PreparedNode | null;
  targetNode: PreparedNode | null;
  scope: string;
  attributes: string;
  hash: string;
}

export class IngestSession {
  private parts: string[] = [];
  private nodes: PreparedNode[] = [];
  private edges: PreparedEdge[] = [];

  /** Drops everything, so the thread can serve the next job. */
  reset(): void {
    this.parts = [];
    this.nodes = [];
    this.edges = [];
  }

  append(part: string): void {
    this.parts.push(part);
  }

  /** The appended Terraform state's digest, all but its serial (see state-digest.ts). */
  stateDigest(jobName: string, parserVersion: string): string | null {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    const text = this.parts[0];
    return text === undefined ? null : terraformStateDigest(text, jobName, parserVersion);
  }

  /** Throws IngestError (malformed document) or SyntaxError (not JSON). */
  parse(p: IngestParams): IngestSummary {
    const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    this.parts = [];
    const input: unknown = JSON.parse(text);
    const parsed = parseSource(p.source, input);
    // PostgreSQL text cannot hold U+0000 (and its jsonb refuses the escape), and a lone surrogate echoed back
    // breaks strict JSON clients: both are replaced by U+FFFD in what is stored. JSON text must escape
    // them, so inputs without such an escape skip this entirely.
    if (UNSTORABLE_ESCAPE.test(text)) makeStorable(parsed);
    // The scopes this input covers: what it may remove from. A Terraform input covers its own scope; an AWS
    // snapshot only the account/region pairs its documents were taken in (see declaredAwsScopes).
    const scopes = new Set<string>();
    const fixedScope = p.source === 'aws_snapshot' ? null : terraformScope(p.source, input, p.jobName);
    if (fixedScope) scopes.add(fixedScope);
    const extraWarnings: string[] = [];
    if (!fixedScope) {
      const declared = declaredAwsScopes(input, new Set(parsed.skipped_documents));
      for (const s of declared.scopes) scopes.add(s);
      extraWarnings.push(...declared.warnings);
    }
    const covered = new Set(scopes);

    const byId = new Map<string, PreparedNode>();
    for (const node of parsed.nodes) {
      // An object of another account or region (a shared VPC, a peer, a spoke of a shared transit gateway) is
      // written under its own scope but not covered: only its own account's snapshots may remove it.
      const scope = fixedScope ?? awsNodeScope(node);
      const tags = flat(canonicalTagsJson(node.tags ?? {}));
      const attributes = flat(JSON.stringify(node.attributes ?? {}));
      const prepared: PreparedNode = {
        id: node.id,
        provider: node.provider,
        type: node.type,
        account: node.account ?? null,
        region: node.region,
        name: node.name,
        native_id: node.native_id ?? null,
        index: -1,
        edgePrefix: null,
        scope,
        tags,
        attributes,
        hash: '',
      };
      prepared.hash = nodeContentHash(scope, prepared, tags, attributes);
      if (byId.has(node.id)) extraWarnings.push(`node ${node.id} appears more than once; the last one is kept`);
      byId.set(node.id, prepared);
    }
    // In key order, so inserts walk the B-trees (primary key, scope index) instead of hopping about in them.
    this.nodes = [...byId.values()].sort((a, b) => compare(a.id, b.id));
    for (let i = 0; i < this.nodes.length; i++) (this.nodes[i] as PreparedNode).index = i;

    const edges: PreparedEdge[] = [];
    const external = new Set<string>();
    // Most edges carry no attributes: their hash depends on the scope only.
    const bareEdgeHash = new Map<string, string>();
    const sourcePrefixes = new Map<string, string>();
    // The parser's positions of each edge's ends, when it gives them: no lookup by id per end.
    const ends = parsed.edgeEnds?.length === 2 * parsed.edges.length ? parsed.edgeEnds : null;
    const atPosition = ends ? parsed.nodes.map((n) => byId.get(n.id) ?? null) : null;
    const nodeAt = (position: number | undefined, id: string): PreparedNode | null => {
      const found = atPosition && position !== undefined ? atPosition[position] : undefined;
      // The same string as a rule (a pointer comparison); looked up by id if not.
      return found !== undefined && found !== null && found.id === id ? found : (byId.get(id) ?? null);
    };
    for (let e = 0; e < parsed.edges.length; e++) {
      const edge = parsed.edges[e] as EdgeInput;
      const sourceNode = nodeAt(ends?.[2 * e], edge.source_id);
      const targetNode = nodeAt(ends?.[2 * e + 1], edge.target_id);
      let id: string;
      if (sourceNode) {
        sourceNode.edgePrefix ??= edgeIdPrefix(sourceNode.id);
        id = edgeIdWithPrefix(sourceNode.edgePrefix, edge.source_id, edge.type, edge.target_id);
      } else id = edgeIdFor(edge.source_id, edge.type, edge.target_id, sourcePrefixes);
      const scope = fixedScope ?? edgeScope(sourceNode?.scope, targetNode?.scope, covered);
      const bare = edge.attributes === undefined || Object.keys(edge.attributes).length === 0;
      const attributes = bare ? '{}' : JSON.stringify(edge.attributes);
      let hash = bare ? bareEdgeHash.get(scope) : undefined;
      if (hash === undefined) {
        hash = edgeContentHash(scope, attributes);
        if (bare) bareEdgeHash.set(scope, hash);
      }
      edges.push({
        id,
        source_id: edge.source_id,
        target_id: edge.target_id,
        type: edge.type,
        sourceNode,
        targetNode,
        scope,
        attributes,
        hash,
      });
      if (sourceNode === null) external.add(edge.source_id);
      if (targetNode === null) external.add(edge.target_id);
    }
    // The parsers merge edges on (source, type, target), which is what the id hashes: a repeat is not expected,
    // and sorting brings any together, where the last one is kept.
    this.edges = lastOfEachId(sortEdgesById(edges));

    const sortedScopes = [...scopes].sort();
    return {
      nodes: this.nodes.length,
      edges: this.edges.length,
      scopes: sortedScopes,
      content_sha256: this.contentDigest(sortedScopes),
      skipped_documents: parsed.skipped_documents,
      warnings: [...parsed.warnings.slice(0, MAX_WARNINGS), ...extraWarnings].slice(0, MAX_WARNINGS),
      warnings_total: parsed.warnings.length + extraWarnings.length,
      external_ends: [...external],
    };
  }

  /**
   * SHA-256 of what this input would make the inventory hold: its scopes, then every node's and edge's id and
   * content hash (which covers its scope and content) in id order. Two inputs with the same digest write the
   * same rows, whatever their bytes (a new serial of an unchanged state, documents in another order).
   */
  private contentDigest(scopes: string[]): string {
    const digest = createHash('sha256');
    digest.update(`${scopes.join('\n')}\0`);
    // A few hundred kB of text per update: one string per row would cost more than the hashing.
    const lines = (count: number, line: (i: number) => string) => {
      for (let i = 0; i < count; i += DIGEST_CHUNK) {
        let text = '';
        for (let k = i; k < Math.min(count, i + DIGEST_CHUNK); k++) text += line(k);
        digest.update(text);
      }
      digest.update('\0');
    };
    lines(this.nodes.length, (i) => {
      const p = this.nodes[i] as PreparedNode;
      return `${p.id}\t${p.hash}\n`;
    });
    lines(this.edges.length, (i) => {
      const p = this.edges[i] as PreparedEdge;
      return `${p.id}\t${p.hash}\n`;
    });
    return digest.digest('hex');
  }

  nodeKeys(from: number, count: number): KeyBatch {
    const n = Math.max(0, Math.min(count, this.nodes.length - from));
    // Filled by push: packed arrays (a holey one would cross to another thread element by element).
    const ids: string[] = [];
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.nodes[from + i] as PreparedNode;
      ids.push(p.id);
      hashes.push(p.hash);
    }
    return { ids, hashes };
  }

  edgeKeys(from: number, count: number): EdgeKeyBatch {
    const n = Math.max(0, Math.min(count, this.edges.length - from));
    const ids: string[] = [];
    const hashes: string[] = [];
    const sources: string[] = [];
    const targets: string[] = [];
    const inputEnds = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = this.edges[from + i] as PreparedEdge;
      ids.push(p.id);
      hashes.push(p.hash);
      sources.push(p.source_id);
      targets.push(p.target_id);
      inputEnds[i] = (p.sourceNode ? SOURCE_IN_INPUT : 0) | (p.targetNode ? TARGET_IN_INPUT : 0);
    }
    return { ids, hashes, sources, targets, inputEnds };
  }

  /**
   * Runs a prepared single-row statement over NODE_COLUMNS (bulk-sql.ts) with node i's values, bound one by
   * one: the SQLite writer's hot loop builds no row arrays.
   */
  runNodeRow(i: number, stmt: RowStatement, tenantId: string, source: string, now: string): void {
    const p = this.nodes[i] as PreparedNode;
    stmt.run(
      tenantId,
      p.id,
      p.provider,
      p.type,
      p.account,
      p.region,
      p.name,
      p.native_id,
      p.tags,
      p.attributes,
      source,
      p.scope,
      p.hash,
      now,
      now,
      now,
      now,
    );
  }

  /** As runNodeRow, over EDGE_COLUMNS. */
  runEdgeRow(i: number, stmt: RowStatement, tenantId: string, source: string, now: string): void {
    const p = this.edges[i] as PreparedEdge;
    stmt.run(tenantId, p.id, p.source_id, p.target_id, p.type, p.attributes, source, p.scope, p.hash, now, now);
  }

  /**
   * The distinct ends of these edges that are not among these nodes: the nodes those edges need to find in
   * the database (all indices are the session's).
   */
  endsOutside(edgeIndices: number[], nodeIndices: number[]): string[] {
    const written = new Uint8Array(this.nodes.length);
    for (const i of nodeIndices) if (i >= 0 && i < written.length) written[i] = 1;
    const ends = new Set<string>();
    for (const i of edgeIndices) {
      const p = this.edges[i];
      if (!p) continue;
      if (p.sourceNode === null || written[p.sourceNode.index] === 0) ends.add(p.source_id);
      if (p.targetNode === null || written[p.targetNode.index] === 0) ends.add(p.target_id);
    }
    return [...ends];
  }

  /**
   * json: `[{id, provider, type, account, region, name, native_id, tags, attributes, scope_key, content_hash}, …]`;
   * rows: the same fields as arrays, in that order.
   */
  nodeBatch(indices: number[], format: BatchFormat, fixed?: CopyFixed): Batch {
    if (format === 'copy') {
      // Columns as NODE_COLUMNS (bulk-sql.ts).
      const f = copyFixed(fixed);
      let out = '';
      for (const i of indices) {
        const p = this.nodes[i];
        if (!p) continue;
        out +=
          `${f.tenant}\t${copyValue(p.id)}\t${copyValue(p.provider)}\t${copyValue(p.type)}\t${copyValue(p.account)}\t` +
          `${copyValue(p.region)}\t${copyValue(p.name)}\t${copyValue(p.native_id)}\t${copyValue(p.tags)}\t` +
          `${copyValue(p.attributes)}\t${f.source}\t${copyValue(p.scope)}\t${p.hash}\t${f.now}\t${f.now}\t${f.now}\t${f.now}\n`;
      }
      return out;
    }
    if (format === 'rows') {
      const rows: (string | null)[][] = [];
      for (const i of indices) {
        const p = this.nodes[i];
        if (!p) continue;
        rows.push([
          p.id,
          p.provider,
          p.type,
          p.account,
          p.region,
          p.name,
          p.native_id,
          p.tags,
          p.attributes,
          p.scope,
          p.hash,
        ]);
      }
      return rows;
    }
    const out: string[] = [];
    for (const i of indices) {
      const p = this.nodes[i];
      if (!p) continue;
      out.push(
        `{"id":${JSON.stringify(p.id)},"provider":${JSON.stringify(p.provider)},"type":${JSON.stringify(p.type)},` +
          `"account":${JSON.stringify(p.account)},"region":${JSON.stringify(p.region)},` +
          `"name":${JSON.stringify(p.name)},"native_id":${JSON.stringify(p.native_id)},` +
          `"tags":${p.tags},"attributes":${p.attributes},"scope_key":${JSON.stringify(p.scope)},` +
          `"content_hash":${JSON.stringify(p.hash)}}`,
      );
    }
    return `[${out.join(',')}]`;
  }

  /** json: `[{id, source_id, target_id, type, attributes, scope_key, content_hash}, …]`; rows: the same as arrays. */
  edgeBatch(indices: number[], format: BatchFormat, fixed?: CopyFixed): Batch {
    if (format === 'copy') {
      // Columns as EDGE_COLUMNS (bulk-sql.ts).
      const f = copyFixed(fixed);
      let out = '';
      for (const i of indices) {
        const p = this.edges[i];
        if (!p) continue;
        out +=
          `${f.tenant}\t${p.id}\t${copyValue(p.source_id)}\t${copyValue(p.target_id)}\t${copyValue(p.type)}\t` +
          `${copyValue(p.attributes)}\t${f.source}\t${copyValue(p.scope)}\t${p.hash}\t${f.now}\t${f.now}\n`;
      }
      return out;
    }
    if (format === 'rows') {
      const rows: (string | null)[][] = [];
      for (const i of indices) {
        const p = this.edges[i];
        if (!p) continue;
        rows.push([p.id, p.source_id, p.target_id, p.type, p.attributes, p.scope, p.hash]);
      }
      return rows;
    }
    const out: string[] = [];
    for (const i of indices) {
      const p = this.edges[i];
      if (!p) continue;
      out.push(
        `{"id":${JSON.stringify(p.id)},"source_id":${JSON.stringify(p.source_id)},` +
          `"target_id":${JSON.stringify(p.target_id)},"type":${JSON.stringify(p.type)},` +
          `"attributes":${p.attributes},"scope_key":${JSON.stringify(p.scope)},"content_hash":${JSON.stringify(p.hash)}}`,
      );
    }
    return `[${out.join(',')}]`;
  }
}

/**
 * A Terraform state's scope is its lineage (stable across serials, unique per
 * state); inputs without one (plans, `terraform show -json`) are scoped by
 * the job's name, so re-ingesting under the same name replaces the previous.
 */
function terraformScope(source: string, input: unknown, jobName: string): string {
  const doc = isObject(input) && isObject(input.document) ? input.document : input;
  const lineage = isObject(doc) && typeof doc.lineage === 'string' && doc.lineage !== '' ? doc.lineage : null;
  return lineage ? `${source}:lineage:${lineage}` : `${source}:name:${jobName}`;
}

/**
 * An edge belongs to the scope of the end this input covers (source first): the participant's subnet →
 * instance edge in a shared VPC is its own account's, so the VPC owner's next snapshot, which cannot see
 * that instance, does not remove it. Between two objects of other scopes, the source's.
 */
function edgeScope(source: string | undefined, target: string | undefined, covered: Set<string>): string {
  if (source !== undefined && covered.has(source)) return source;
  if (target !== undefined && covered.has(target)) return target;
  return source ?? target ?? 'aws_snapshot:-:global';
}

const GLOBAL_NODE_TYPES = new Set<string>([
  AWS_TYPES.s3Bucket,
  AWS_TYPES.iamRole,
  AWS_TYPES.iamUser,
  AWS_TYPES.iamPolicy,
  AWS_TYPES.iamInstanceProfile,
]);

/**
 * A node's scope is its account and region; a regional resource whose region no document gave (placed in
 * 'global', with a warning) gets a scope of its own, so that the account's IAM and S3 documents, which
 * cover its `global` scope, never remove it.
 */
const awsNodeScope = (node: { account?: string | null; region: string; type: string }): string =>
  node.region === 'global' && !GLOBAL_NODE_TYPES.has(node.type)
    ? awsScope(node.account ?? null, 'unknown-region')
    : awsScope(node.account ?? null, node.region);
/** Document keys of global services (IAM, S3's list-buckets): they cover the account's `global` scope. */
const GLOBAL_DOCUMENT_KEYS = new Set([
  'Buckets',
  'Roles',
  'RoleDetailList',
  'Users',
  'UserDetailList',
  'Policies',
  'InstanceProfiles',
]);

export const awsScope = (account: string | null, region: string): string =>
  `aws_snapshot:${account ?? '-'}:${region || 'global'}`;

/**
 * The account/region pairs a snapshot covers: those its recognised documents were taken in (the document's
 * or the input's `account_id` and `region`), even when a document is empty now (everything there was
 * deleted); a global service's document covers the account's `global` scope. Only these scopes lose what
 * the input no longer has: a snapshot of account B lists account A's shared VPC or peer VPC, but is no
 * complete account A, nor any other region. A document without an account or (for a regional service) a
 * region covers nothing; skipped (unknown) documents cover nothing.
 *
 * A page of a longer listing (`--max-items`: the AWS CLI prints `NextToken`; IAM `IsTruncated: true`…)
 * is no complete list: a scope where some listing has only such pages (its last page, without a token,
 * is not in the input) is not covered, with a warning, rather than losing what the missing pages list.
 */
function declaredAwsScopes(input: unknown, skipped: Set<string>): { scopes: string[]; warnings: string[] } {
  if (!isObject(input) || !Array.isArray(input.documents)) return { scopes: [], warnings: [] };
  const defaultAccount = typeof input.account_id === 'string' ? input.account_id : null;
  const defaultRegion = typeof input.region === 'string' ? input.region : null;
  const out: string[] = [];
  /** Scope → key → the truncated pages of that listing, or null once a complete one (or the last page) is seen. */
  const pages = new Map<string, Map<string, string[] | null>>();
  for (const doc of input.documents) {
    if (!isObject(doc) || (typeof doc.name === 'string' && skipped.has(doc.name))) continue;
    const account = typeof doc.account_id === 'string' ? doc.account_id : defaultAccount;
    if (!account) continue;
    const region = typeof doc.region === 'string' ? doc.region : defaultRegion;
    const content = documentContent(doc.content);
    if (content === null) continue;
    const truncated = isTruncatedPage(content);
    // `{}` or pagination leftovers say nothing about any resource: they cover no scope.
    for (const key of readableDocumentKeys(content)) {
      const scope = GLOBAL_DOCUMENT_KEYS.has(key)
        ? awsScope(account, 'global')
        : region
          ? awsScope(account, region)
          : null;
      if (scope === null) continue;
      out.push(scope);
      const keys = pages.get(scope) ?? new Map<string, string[] | null>();
      pages.set(scope, keys);
      const seen = keys.get(key);
      if (!truncated) keys.set(key, null);
      else if (seen === undefined) keys.set(key, [String(doc.name)]);
      else seen?.push(String(doc.name));
    }
  }
  const warnings: string[] = [];
  const partial = new Set<string>();
  for (const [scope, keys] of pages) {
    for (const [key, truncatedPages] of keys) {
      if (truncatedPages === null) continue;
      partial.add(scope);
      const names = truncatedPages.map((n) => `"${n}"`).join(', ');
      warnings.push(
        `document ${names}: ${key} is one page of a longer listing (it has a pagination token) and the last page is not in the input: nothing of ${scope} is removed`,
      );
    }
  }
  return { scopes: out.filter((s) => !partial.has(s)), warnings };
}

/** A document's content, given as an object or as the JSON text the AWS CLI printed; null when neither. */
function documentContent(content: unknown): Record<string, unknown> | null {
  if (typeof content === 'string') {
    try {
      return documentContent(JSON.parse(content));
    } catch {
      return null; // the parser has already failed the job on it
    }
  }
  return isObject(content) ? content : null;
}

/**
 * Whether a document is one page of a longer listing: the AWS CLI prints the token of the next page
 * (`NextToken`; `NextMarker` for ELBv2; `Marker` for RDS; `Marker` with `IsTruncated: true` for IAM;
 * `ContinuationToken` for S3) when `--max-items` or a single API call stopped short.
 */
function isTruncatedPage(content: Record<string, unknown>): boolean {
  if (content.IsTruncated === false) return false;
  if (content.IsTruncated === true) return true;
  return ['NextToken', 'NextMarker', 'Marker', 'ContinuationToken'].some(
    (k) => typeof content[k] === 'string' && content[k] !== '',
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function copyFixed(fixed: CopyFixed | undefined) {
  if (!fixed) throw new Error('a COPY batch needs its fixed values');
  return { tenant: copyValue(fixed.tenantId), source: copyValue(fixed.source), now: copyValue(fixed.now) };
}

const CROCKFORD_VALUE = new Uint8Array(128);
for (const [i, c] of [...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'].entries()) CROCKFORD_VALUE[c.charCodeAt(0)] = i;

/**
 * Edges in id order (as a string sort would put them). Ids are `edg_` + Crockford base32, whose alphabet is in
 * ASCII order: the ten characters after the prefix read as a 50-bit number sort the same way, and a typed
 * array of indices sorts by those numbers (ties by the whole id) in a third of the time a sort of 400k id
 * strings takes.
 */
function sortEdgesById(edges: PreparedEdge[]): PreparedEdge[] {
  const n = edges.length;
  const keys = new Float64Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = (edges[i] as PreparedEdge).id;
    let key = 0;
    for (let k = 4; k < 14 && k < id.length; k++) key = key * 32 + (CROCKFORD_VALUE[id.charCodeAt(k) & 127] as number);
    keys[i] = key;
    order[i] = i;
  }
  order.sort((a, b) => {
    const d = (keys[a] as number) - (keys[b] as number);
    if (d !== 0) return d;
    const x = (edges[a] as PreparedEdge).id;
    const y = (edges[b] as PreparedEdge).id;
    // Equal ids keep their input order (lastOfEachId keeps the last).
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  return Array.from(order, (i) => edges[i] as PreparedEdge);
}

/** Of edges sorted by id, the last of each run of equal ids (in place). */
export function lastOfEachId<T extends { id: string }>(sorted: T[]): T[] {
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as T;
    if (i + 1 < sorted.length && (sorted[i + 1] as T).id === p.id) continue;
    sorted[kept++] = p;
  }
  sorted.length = kept;
  return sorted;
}

const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
const NUL = /\0/g;
const clean = (s: string): string => (s.includes('\0') ? s.replace(NUL, '\uFFFD') : s).toWellFormed();
const cleanMap = (m: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [clean(k), clean(v)]));
const cleanValue = (v: unknown): unknown =>
  typeof v === 'string'
    ? clean(v)
    : Array.isArray(v)
      ? v.map(cleanValue)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), cleanValue(x)]))
        : v;

/** Replaces U+0000 and lone surrogates with U+FFFD in every string of the parsed nodes and edges, in place. */
function makeStorable(parsed: { nodes: NodeInput[]; edges: EdgeInput[] }): void {
  for (const n of parsed.nodes) {
    n.id = clean(n.id);
    n.provider = clean(n.provider);
    n.type = clean(n.type);
    n.region = clean(n.region);
    n.name = clean(n.name);
    if (n.account) n.account = clean(n.account);
    if (n.native_id) n.native_id = clean(n.native_id);
    if (n.tags) n.tags = cleanMap(n.tags);
    if (n.attributes) n.attributes = cleanValue(n.attributes) as NodeInput['attributes'];
  }
  for (const e of parsed.edges) {
    e.source_id = clean(e.source_id);
    e.target_id = clean(e.target_id);
    e.type = clean(e.type);
    if (e.attributes) e.attributes = cleanValue(e.attributes) as EdgeInput['attributes'];
  }
}

/**
 * V8 builds a long JSON.stringify result as a rope of pieces. Reading one character makes it one flat string
 * now, while the pieces are fresh in the cache: left to SQLite's binding, the same flattening costs several
 * times as much (100k node attributes: ≈ 50 ms here against ≈ 400 ms in the write).
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
