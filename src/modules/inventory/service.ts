/**
 * The inventory graph: what the API can do with nodes and edges, in domain
 * words. Every write runs in a transaction that also bumps the tenant's
 * inventory version; `inventory.changed` is published after it commits.
 */

import type { DatabaseDialect } from '../../platform/config.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { EdgeRow, NodeRow } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/sql.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import type { EventBus } from '../../platform/events.ts';
import { applyMergePatch } from '../../platform/http/merge-patch.ts';
import { csv, idList, type PageRequest, parseSort, tagValueList } from '../../platform/http/pagination.ts';
import { recordEvents } from '../../platform/outbox.ts';
import { type Clock, iso, isoAtOrAfter } from '../../platform/time.ts';
import { canonicalTagsJson, edgeContentHash, edgeIdFor, nodeContentHash, splitNodeId } from './identity.ts';
import {
  type CreateEdgeBodyT,
  type CreateNodeBodyT,
  EDGE_SORT_FIELDS,
  type EdgeT,
  type ListEdgesQueryT,
  type ListNodesQueryT,
  type NeighborsQueryT,
  NODE_SORT_FIELDS,
  type NodeT,
  type ReplaceNodeBodyT,
  type UpdateNodeBodyT,
} from './schemas.ts';
import type { NodeRecord } from './store.ts';
import * as store from './store.ts';

export interface InventoryServiceDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
}

/** Neighbour walks stop after this many edges (the answer says `truncated`). */
export const NEIGHBOR_EDGE_CAP = 2000;
/** The name fallback lists at most this many candidates in its 409. */
const MAX_CANDIDATES = 20;

type Json = Record<string, unknown>;

export function toNode(row: NodeRecord): NodeT {
  const scopeSeen = row.scope_key !== null ? row.scope_seen_at : null;
  return {
    id: row.id,
    provider: row.provider,
    type: row.type,
    account: row.account,
    region: row.region,
    name: row.name,
    native_id: row.native_id,
    tags: JSON.parse(row.tags) as Record<string, string>,
    attributes: JSON.parse(row.attributes) as Json,
    source: row.source,
    first_seen_at: row.first_seen_at,
    // Unchanged nodes are not rewritten by a re-ingest: their scope's last ingest says when they were last seen.
    last_seen_at: scopeSeen && scopeSeen > row.last_seen_at ? scopeSeen : row.last_seen_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toEdge(row: EdgeRow): EdgeT {
  return {
    id: row.id,
    source_id: row.source_id,
    target_id: row.target_id,
    type: row.type,
    attributes: JSON.parse(row.attributes) as Json,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function nodeHash(
  row: Pick<NodeRow, 'scope_key' | 'provider' | 'type' | 'account' | 'region' | 'name' | 'native_id'>,
  tags: string,
  attributes: string,
) {
  return nodeContentHash(row.scope_key, row, tags, attributes);
}

/** What a write answers when it changed nothing (see `write`). */
class Unchanged<T> {
  constructor(readonly value: T) {}
}

export function createInventoryService(deps: InventoryServiceDeps) {
  const { db, dialect, clock, events } = deps;

  /**
   * Runs a write, the version bump and its inventory.changed (outbox) in one transaction; publishes the event
   * after commit. A write
   * that finds nothing to change answers `Unchanged`: no bump, no event.
   */
  async function write<T>(tenantId: string, fn: (tx: Executor) => Promise<T | Unchanged<T>>): Promise<T> {
    const { value, version } = await db.transaction().execute(async (tx) => {
      const value = await fn(tx);
      if (value instanceof Unchanged) return { value: value.value, version: null };
      const version = await store.bumpInventoryVersion(tx, tenantId);
      await recordEvents(tx, [{ event: 'inventory.changed', payload: { tenantId, version } }], iso(clock()));
      return { value, version };
    });
    if (version !== null) events.publish('inventory.changed', { tenantId, version });
    return value;
  }

  /**
   * Finds a node by id; failing that, `provider:region:type:<name>` finds the
   * one node of that provider/region/type whose name (Name tag) is <name>, so
   * `aws:us-east-1:aws.ec2.instance:web-01` reaches the instance named web-01.
   */
  async function resolveNode(ex: Executor, tenantId: string, id: string, forWrite = false): Promise<NodeRecord> {
    // A write locks the row it read (PostgreSQL; SQLite's transactions are serialised anyway).
    const lock = forWrite && dialect === 'postgres';
    const exact = await store.findNode(ex, tenantId, id, lock);
    if (exact) return exact;
    const parts = splitNodeId(id);
    if (parts) {
      const named = await store.findNodesByName(ex, tenantId, parts, MAX_CANDIDATES + 1, lock);
      if (named.length === 1) return named[0] as NodeRecord;
      if (named.length > 1) {
        throw conflict(
          `node id ${id} is ambiguous: ${named.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES}` : named.length} ${parts.type} nodes in ${parts.region} are named "${parts.name}"; use one of their ids`,
          { candidates: named.slice(0, MAX_CANDIDATES).map((n) => n.id) },
        );
      }
    }
    throw notFound('node', id);
  }

  return {
    async listNodes(ctx: TenantContext, query: ListNodesQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, NODE_SORT_FIELDS, 'created_at');
      const tags: [string, string[]][] = [];
      for (const [k, v] of Object.entries(query)) {
        if (!k.startsWith('tag.') || typeof v !== 'string') continue;
        const key = k.slice(4);
        if (key === '')
          throw badRequest('Tag filter needs a key: tag.<key>=v1,v2', [
            { path: `querystring.${k}`, message: 'needs a tag key' },
          ]);
        const values = tagValueList(v);
        if (!values) {
          throw badRequest(`Tag filter ${k} lists no value`, [
            { path: `querystring.${k}`, message: 'must list at least one value' },
          ]);
        }
        tags.push([key, values]);
      }
      const { rows, total } = await store.listNodeRows(
        db,
        dialect,
        ctx.tenant.id,
        {
          types: csv(query.types),
          providers: csv(query.provider),
          regions: csv(query.region),
          accounts: csv(query.account),
          sources: csv(query.source),
          tags,
          tagMissing: csv(query.tag_missing),
          q: query.q,
          updatedSince: query.updated_since ? isoAtOrAfter(query.updated_since) : undefined,
        },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toNode), total };
    },

    async getNode(ctx: TenantContext, id: string): Promise<NodeT> {
      return toNode(await resolveNode(db, ctx.tenant.id, id));
    },

    async createNode(ctx: TenantContext, body: CreateNodeBodyT): Promise<NodeT> {
      const region = body.region ?? 'global';
      const prefix = `${body.provider}:${region}:${body.type}:`;
      const id = body.id ?? `${prefix}${body.name}`;
      if (!id.startsWith(prefix) || id.length === prefix.length) {
        throw badRequest(`Node id must be ${prefix}<name>`, [
          { path: 'body.id', message: `must start with "${prefix}" (provider:region:type:) and name the node` },
        ]);
      }
      const now = iso(clock());
      const tags = canonicalTagsJson(body.tags ?? {});
      const attributes = JSON.stringify(body.attributes ?? {});
      const row: NodeRow = {
        tenant_id: ctx.tenant.id,
        id,
        provider: body.provider,
        type: body.type,
        account: body.account ?? null,
        region,
        name: body.name,
        native_id: body.native_id ?? null,
        tags,
        attributes,
        source: 'manual',
        scope_key: null,
        content_hash: '',
        first_seen_at: now,
        last_seen_at: now,
        created_at: now,
        updated_at: now,
      };
      row.content_hash = nodeHash(row, tags, attributes);
      await write(ctx.tenant.id, async (tx) => {
        if (await store.findNode(tx, ctx.tenant.id, id)) throw nodeExists(id);
        await store.insertNode(tx, row).catch((e) => {
          throw isUniqueViolation(e) ? nodeExists(id) : e;
        });
      });
      return toNode({ ...row, scope_seen_at: null });
    },

    async replaceNode(ctx: TenantContext, id: string, body: ReplaceNodeBodyT): Promise<NodeT> {
      return this.changeNode(ctx, id, () => ({ name: body.name, tags: body.tags, attributes: body.attributes }));
    },

    async updateNode(ctx: TenantContext, id: string, body: UpdateNodeBodyT): Promise<NodeT> {
      return this.changeNode(ctx, id, (current) => ({
        name: body.name ?? current.name,
        // RFC 7396: a member merges into the node's, null removes it (no tags, no attributes).
        tags:
          body.tags === undefined
            ? current.tags
            : ((applyMergePatch(current.tags, body.tags) ?? {}) as Record<string, string>),
        attributes:
          body.attributes === undefined
            ? current.attributes
            : ((applyMergePatch(current.attributes, body.attributes) ?? {}) as Json),
      }));
    },

    /**
     * Applies a change to name/tags/attributes; the node keeps its scope (a later ingest of it overwrites the edit).
     * The row is read locked, so concurrent changes apply one after the other, each on top of the last.
     */
    async changeNode(
      ctx: TenantContext,
      id: string,
      change: (current: NodeT) => { name: string; tags: Record<string, string>; attributes: Json },
    ): Promise<NodeT> {
      return write(ctx.tenant.id, async (tx) => {
        const row = await resolveNode(tx, ctx.tenant.id, id, true);
        const next = change(toNode(row));
        const tags = canonicalTagsJson(next.tags);
        const attributes = JSON.stringify(next.attributes);
        const contentHash = nodeHash({ ...row, name: next.name }, tags, attributes);
        // The same name, tags and attributes: nothing is written, the node keeps its source and updated_at.
        if (contentHash === row.content_hash) return new Unchanged(toNode(row));
        const patch = {
          name: next.name,
          tags,
          attributes,
          source: 'manual',
          content_hash: contentHash,
          updated_at: iso(clock()),
        };
        await store.updateNodeRow(tx, ctx.tenant.id, row.id, patch);
        return toNode({ ...row, ...patch });
      });
    },

    async deleteNode(ctx: TenantContext, id: string): Promise<void> {
      await write(ctx.tenant.id, async (tx) => {
        const row = await resolveNode(tx, ctx.tenant.id, id, true);
        // Deleted meanwhile: a 404, as if this request had come second (no version bump, no event).
        if ((await store.deleteNodeRow(tx, ctx.tenant.id, row.id)) === 0) throw notFound('node', id);
      });
    },

    /** Nodes and edges within `depth` hops of a node, following edges in `direction`. */
    async neighbors(ctx: TenantContext, id: string, query: NeighborsQueryT) {
      const tenantId = ctx.tenant.id;
      const start = await resolveNode(db, tenantId, id);
      const direction = query.direction ?? 'both';
      const types = csv(query.types);
      const depth = query.depth ?? 1;
      const visited = new Set([start.id]);
      const edges = new Map<string, EdgeRow>();
      let frontier = [start.id];
      let truncated = false;
      for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
        const room = NEIGHBOR_EDGE_CAP - edges.size;
        const around = await store.edgesAround(db, tenantId, frontier, direction, types, room + 1);
        if (around.length > room) truncated = true;
        const next: string[] = [];
        for (const e of around.slice(0, room)) {
          edges.set(e.id, e);
          for (const end of [e.source_id, e.target_id]) {
            if (!visited.has(end)) {
              visited.add(end);
              next.push(end);
            }
          }
        }
        if (truncated) break;
        frontier = next;
      }
      visited.delete(start.id);
      const nodes = await store.findNodesByIds(db, tenantId, [...visited]);
      return {
        node: toNode(start),
        nodes: nodes.map(toNode).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
        edges: [...edges.values()].map(toEdge).sort((a, b) => (a.id < b.id ? -1 : 1)),
        truncated,
      };
    },

    async listEdges(ctx: TenantContext, query: ListEdgesQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, EDGE_SORT_FIELDS, 'created_at');
      const { rows, total } = await store.listEdgeRows(
        db,
        ctx.tenant.id,
        {
          sourceIds: idList(query.source_id),
          targetIds: idList(query.target_id),
          nodeIds: idList(query.node_id),
          types: csv(query.types),
        },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toEdge), total };
    },

    async getEdge(ctx: TenantContext, id: string): Promise<EdgeT> {
      const row = await store.findEdge(db, ctx.tenant.id, id);
      if (!row) throw notFound('edge', id);
      return toEdge(row);
    },

    async createEdge(ctx: TenantContext, body: CreateEdgeBodyT): Promise<EdgeT> {
      const now = iso(clock());
      const attributes = JSON.stringify(body.attributes ?? {});
      const row: EdgeRow = {
        tenant_id: ctx.tenant.id,
        id: edgeIdFor(body.source_id, body.type, body.target_id),
        source_id: body.source_id,
        target_id: body.target_id,
        type: body.type,
        attributes,
        source: 'manual',
        scope_key: null,
        content_hash: edgeContentHash(null, attributes),
        created_at: now,
        updated_at: now,
      };
      await write(ctx.tenant.id, async (tx) => {
        const found = await store.existingNodeIds(tx, ctx.tenant.id, [body.source_id, body.target_id]);
        const missing = (['source_id', 'target_id'] as const).filter((k) => !found.has(body[k]));
        if (missing.length > 0) {
          throw badRequest(
            `Node ${body[missing[0] as 'source_id']} does not exist in this tenant`,
            missing.map((k) => ({ path: `body.${k}`, message: `node ${body[k]} does not exist in this tenant` })),
          );
        }
        if (await store.findEdge(tx, ctx.tenant.id, row.id)) throw edgeExists(row);
        // Inserted meanwhile by a concurrent request: the same answer as the check above.
        await store.insertEdge(tx, row).catch((e) => {
          throw isUniqueViolation(e) ? edgeExists(row) : e;
        });
      });
      return toEdge(row);
    },

    async deleteEdge(ctx: TenantContext, id: string): Promise<void> {
      await write(ctx.tenant.id, async (tx) => {
        if ((await store.deleteEdgeRow(tx, ctx.tenant.id, id)) === 0) throw notFound('edge', id);
      });
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;

const nodeExists = (id: string) =>
  conflict(`A node with id ${id} already exists`, [{ path: 'body.id', message: 'is already taken' }]);

const edgeExists = (row: EdgeRow) =>
  conflict(`A ${row.type} edge from ${row.source_id} to ${row.target_id} already exists (${row.id})`, { id: row.id });
