/**
 * SQL for the inventory graph. Every function takes the database or an open
 * transaction first and the tenant id second; nothing here knows about HTTP.
 */
import { CompiledQuery, type Expression, type SqlBool, sql } from 'kysely';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { EdgeRow, NodeRow } from '../../platform/db/schema.ts';
import { containsInsensitive, offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';
import {
  EDGE_COLUMNS,
  EDGE_UPDATE_SET,
  type EdgeRowValues,
  NODE_COLUMNS,
  NODE_UPDATE_SET,
  type NodeRowValues,
  sqliteEdgeParams,
  sqliteNodeParams,
  sqliteUpsertSql,
} from './bulk-sql.ts';

/** A node row plus when its scope was last ingested (null for manual nodes). */
export type NodeRecord = NodeRow & { scope_seen_at: string | null };

function nodesWithScope(db: Executor, tenantId: string) {
  return db
    .selectFrom('nodes as n')
    .leftJoin('inventory_scopes as s', (j) =>
      j.onRef('s.tenant_id', '=', 'n.tenant_id').onRef('s.scope_key', '=', 'n.scope_key'),
    )
    .where('n.tenant_id', '=', tenantId);
}

/**
 * `lock` (PostgreSQL only: SQLite has no FOR UPDATE, and its one connection already serialises
 * transactions) reads the node row FOR UPDATE, so a read-merge-write in the same transaction
 * waits for a concurrent one to commit and then sees its result instead of overwriting it.
 */
export async function findNode(
  db: Executor,
  tenantId: string,
  id: string,
  lock = false,
): Promise<NodeRecord | undefined> {
  return nodesWithScope(db, tenantId)
    .selectAll('n')
    .select('s.last_seen_at as scope_seen_at')
    .where('n.id', '=', id)
    .$if(lock, (q) => q.forUpdate('n'))
    .executeTakeFirst();
}

/** Nodes of one provider/region/type with this name (the Name-tag fallback of GET /nodes/{id}). */
export async function findNodesByName(
  db: Executor,
  tenantId: string,
  k: { provider: string; region: string; type: string; name: string },
  limit: number,
  lock = false,
): Promise<NodeRecord[]> {
  return nodesWithScope(db, tenantId)
    .selectAll('n')
    .select('s.last_seen_at as scope_seen_at')
    .where('n.type', '=', k.type)
    .where('n.name', '=', k.name)
    .where('n.provider', '=', k.provider)
    .where('n.region', '=', k.region)
    .orderBy('n.id')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate('n'))
    .execute();
}

export async function findNodesByIds(db: Executor, tenantId: string, ids: string[]): Promise<NodeRecord[]> {
  const out: NodeRecord[] = [];
  for (const chunk of chunks(ids, 500)) {
    out.push(
      ...(await nodesWithScope(db, tenantId)
        .selectAll('n')
        .select('s.last_seen_at as scope_seen_at')
        .where('n.id', 'in', chunk)
        .execute()),
    );
  }
  return out;
}

export async function existingNodeIds(db: Executor, tenantId: string, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks([...new Set(ids)], 1000)) {
    const rows = await db
      .selectFrom('nodes')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) found.add(r.id);
  }
  return found;
}

export async function insertNode(db: Executor, row: NodeRow): Promise<void> {
  await db.insertInto('nodes').values(row).execute();
}

export async function updateNodeRow(
  db: Executor,
  tenantId: string,
  id: string,
  patch: Partial<Pick<NodeRow, 'name' | 'tags' | 'attributes' | 'source' | 'content_hash' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('nodes').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Deletes the node; its edges go with it (foreign keys cascade). */
export async function deleteNodeRow(db: Executor, tenantId: string, id: string): Promise<number> {
  const res = await db.deleteFrom('nodes').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export interface NodeFilter {
  types?: string[];
  providers?: string[];
  regions?: string[];
  accounts?: string[];
  sources?: string[];
  /** tag key → any of these values */
  tags?: [string, string[]][];
  /** nodes lacking any of these tag keys */
  tagMissing?: string[];
  q?: string;
  updatedSince?: string;
}

export type NodeSortField = 'created_at' | 'updated_at' | 'name' | 'type';

/** Tags are JSON text; each dialect looks into them its own way, with the key always a bound parameter. */
function tagHasValue(dialect: DatabaseDialect, key: string, values: string[]): Expression<SqlBool> {
  const list = sql.join(values.map((v) => sql`${v}`));
  return dialect === 'postgres'
    ? sql<SqlBool>`(n.tags::jsonb ->> ${key}) in (${list})`
    : sql<SqlBool>`exists (select 1 from json_each(n.tags) as t where t.key = ${key} and t.type = 'text' and t.value in (${list}))`;
}

function tagPresent(dialect: DatabaseDialect, key: string): Expression<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`(n.tags::jsonb -> ${key}) is not null`
    : sql<SqlBool>`exists (select 1 from json_each(n.tags) as t where t.key = ${key})`;
}

function filteredNodes(db: Executor, dialect: DatabaseDialect, tenantId: string, f: NodeFilter) {
  let base = nodesWithScope(db, tenantId);
  if (f.types) base = base.where('n.type', 'in', f.types);
  if (f.providers) base = base.where('n.provider', 'in', f.providers);
  if (f.regions) base = base.where('n.region', 'in', f.regions);
  if (f.accounts) base = base.where('n.account', 'in', f.accounts);
  if (f.sources) base = base.where('n.source', 'in', f.sources);
  for (const [key, values] of f.tags ?? []) base = base.where(tagHasValue(dialect, key, values));
  if (f.tagMissing) {
    const missing = f.tagMissing;
    base = base.where((eb) => eb.or(missing.map((key) => eb.not(tagPresent(dialect, key)))));
  }
  if (f.q) {
    const text = f.q;
    base = base.where((eb) =>
      eb.or([containsInsensitive(eb.ref('n.name'), text), containsInsensitive(eb.ref('n.native_id'), text)]),
    );
  }
  if (f.updatedSince) base = base.where('n.updated_at', '>=', f.updatedSince);
  return base;
}

/**
 * The next `limit` nodes matching the filter after `afterId`, by id (keyset pagination along the primary
 * key): a whole inventory read page by page, each page as cheap as the first (reports read 100k nodes so).
 */
export async function listNodesAfter(
  db: Executor,
  dialect: DatabaseDialect,
  tenantId: string,
  f: NodeFilter,
  afterId: string | null,
  limit: number,
): Promise<NodeRecord[]> {
  let q = filteredNodes(db, dialect, tenantId, f).selectAll('n').select('s.last_seen_at as scope_seen_at');
  if (afterId !== null) q = q.where('n.id', '>', afterId);
  return q.orderBy('n.id').limit(limit).execute();
}

/** How many nodes match the filter (a report's progress is measured against it). */
export async function countNodes(db: Executor, dialect: DatabaseDialect, tenantId: string, f: NodeFilter) {
  const row = await filteredNodes(db, dialect, tenantId, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listNodeRows(
  db: Executor,
  dialect: DatabaseDialect,
  tenantId: string,
  f: NodeFilter,
  sort: SortField<NodeSortField>[],
  limit: number,
  offset: number,
): Promise<{ rows: NodeRecord[]; total: number }> {
  const base = filteredNodes(db, dialect, tenantId, f);
  const order = [
    ...sort.map((s) => sortTerm(db, `n.${s.field}`, s.desc, !s.field.endsWith('_at'))),
    sortTerm(db, 'n.id', false, true),
  ];
  return offsetPage(base, base.selectAll('n').select('s.last_seen_at as scope_seen_at'), order, { limit, offset });
}

/** Bumps the tenant's inventory version (path tracer caches key on it); returns the new version. */
export async function bumpInventoryVersion(db: Executor, tenantId: string): Promise<number> {
  const row = await db
    .updateTable('tenants')
    .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
    .where('id', '=', tenantId)
    .returning('inventory_version')
    .executeTakeFirst();
  return row?.inventory_version ?? 0;
}

/**
 * The tenant's inventory version: bumped in every transaction that changes its nodes or edges,
 * so that readers can tell whether what they read is still current. Null when the tenant is gone.
 */
export async function inventoryVersion(db: Executor, tenantId: string): Promise<number | null> {
  const row = await db.selectFrom('tenants').select('inventory_version').where('id', '=', tenantId).executeTakeFirst();
  return row ? Number(row.inventory_version) : null;
}

/** The latest other succeeded job of this tenant with the same source, name and input digest. */
export async function latestSameInputJob(
  db: Executor,
  job: { id: string; tenant_id: string; source: string; name: string; input_sha256: string },
): Promise<{ id: string; counts: string; result: string | null } | undefined> {
  return db
    .selectFrom('jobs')
    .select(['id', 'counts', 'result'])
    .where('tenant_id', '=', job.tenant_id)
    .where('input_sha256', '=', job.input_sha256)
    .where('source', '=', job.source)
    .where('name', '=', job.name)
    .where('status', '=', 'succeeded')
    .where('id', '!=', job.id)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The tenant's latest succeeded jobs of a kind, newest first. */
export async function recentSucceededJobs(
  db: Executor,
  tenantId: string,
  kind: string,
  exceptId: string,
  limit: number,
): Promise<{ id: string; counts: string; result: string | null }[]> {
  return db
    .selectFrom('jobs')
    .select(['id', 'counts', 'result'])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('status', '=', 'succeeded')
    .where('id', '!=', exceptId)
    .orderBy('finished_at', 'desc')
    .limit(limit)
    .execute();
}

// ---- edges ----

export async function findEdge(db: Executor, tenantId: string, id: string): Promise<EdgeRow | undefined> {
  return db.selectFrom('edges').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertEdge(db: Executor, row: EdgeRow): Promise<void> {
  await db.insertInto('edges').values(row).execute();
}

export async function deleteEdgeRow(db: Executor, tenantId: string, id: string): Promise<number> {
  const res = await db.deleteFrom('edges').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export interface EdgeFilter {
  sourceIds?: string[];
  targetIds?: string[];
  nodeIds?: string[];
  types?: string[];
}

export type EdgeSortField = 'created_at' | 'type' | 'source_id' | 'target_id';

export async function listEdgeRows(
  db: Executor,
  tenantId: string,
  f: EdgeFilter,
  sort: SortField<EdgeSortField>[],
  limit: number,
  offset: number,
): Promise<{ rows: EdgeRow[]; total: number }> {
  let base = db.selectFrom('edges').where('tenant_id', '=', tenantId);
  if (f.sourceIds) base = base.where('source_id', 'in', f.sourceIds);
  if (f.targetIds) base = base.where('target_id', 'in', f.targetIds);
  if (f.nodeIds) {
    const ids = f.nodeIds;
    base = base.where((eb) => eb.or([eb('source_id', 'in', ids), eb('target_id', 'in', ids)]));
  }
  if (f.types) base = base.where('type', 'in', f.types);
  const order = [
    ...sort.map((s) => sortTerm(db, s.field, s.desc, !s.field.endsWith('_at'))),
    sortTerm(db, 'id', false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}

/** Edges touching any of `ids` in the given direction, at most `limit`. */
export async function edgesAround(
  db: Executor,
  tenantId: string,
  ids: string[],
  direction: 'in' | 'out' | 'both',
  types: string[] | undefined,
  limit: number,
): Promise<EdgeRow[]> {
  const out: EdgeRow[] = [];
  for (const chunk of chunks(ids, 500)) {
    if (out.length >= limit) break;
    let q = db.selectFrom('edges').selectAll().where('tenant_id', '=', tenantId);
    q = q.where((eb) =>
      eb.or([
        ...(direction !== 'in' ? [eb('source_id', 'in', chunk)] : []),
        ...(direction !== 'out' ? [eb('target_id', 'in', chunk)] : []),
      ]),
    );
    if (types) q = q.where('type', 'in', types);
    out.push(
      ...(await q
        .orderBy('id')
        .limit(limit - out.length)
        .execute()),
    );
  }
  return out;
}

// ---- bulk writes for ingest ----

/** id → content_hash of those of `ids` that exist. */
export async function contentHashes(
  db: Executor,
  table: 'nodes' | 'edges',
  tenantId: string,
  ids: string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const chunk of chunks(ids, 1000)) {
    const rows = await db
      .selectFrom(table)
      .select(['id', 'content_hash'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) found.set(r.id, r.content_hash);
  }
  return found;
}

/** Whether the tenant has any row outside these scopes (manual ones, other inputs'). */
export async function anyOutsideScopes(
  db: Executor,
  table: 'nodes' | 'edges',
  tenantId: string,
  scopes: string[],
): Promise<boolean> {
  let q = db.selectFrom(table).select('id').where('tenant_id', '=', tenantId);
  if (scopes.length > 0) q = q.where((eb) => eb.or([eb('scope_key', 'is', null), eb('scope_key', 'not in', scopes)]));
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** One page (keyset on id, along nodes_scope_idx / edges_scope_idx) of the ids and content hashes a scope owns. */
export async function hashesInScope(
  db: Executor,
  table: 'nodes' | 'edges',
  tenantId: string,
  scope: string,
  afterId: string | null,
  limit: number,
): Promise<{ id: string; content_hash: string }[]> {
  let q = db
    .selectFrom(table)
    .select(['id', 'content_hash'])
    .where('tenant_id', '=', tenantId)
    .where('scope_key', '=', scope);
  if (afterId !== null) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

export async function deleteByIds(
  db: Executor,
  table: 'nodes' | 'edges',
  tenantId: string,
  ids: string[],
): Promise<number> {
  let n = 0;
  for (const chunk of chunks(ids, 500)) {
    const res = await db
      .deleteFrom(table)
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .executeTakeFirst();
    n += Number(res.numDeletedRows);
  }
  return n;
}

export interface BulkWrite {
  tenantId: string;
  /** Written to `source`: the job id. */
  source: string;
  now: string;
  /**
   * PostgreSQL: a JSON array of row objects; SQLite: rows of values in
   * IngestSession's order (see IngestSession.nodeBatch / edgeBatch).
   */
  batch: string | (string | null)[][];
}

/*
 * Bulk upserts, one statement per batch. PostgreSQL gets one JSON array and
 * unpacks it server-side (json_to_recordset): one bound parameter, and `json`
 * keeps the attribute text exactly as sent. SQLite binds values into a
 * multi-row VALUES list (faster there than json_each).
 */

export async function upsertNodeBatch(db: Executor, dialect: DatabaseDialect, w: BulkWrite): Promise<void> {
  if (dialect === 'postgres') {
    await sql`
      insert into nodes (${sql.raw(NODE_COLUMNS)})
      select ${w.tenantId}, r.id, r.provider, r.type, r.account, r.region, r.name, r.native_id, r.tags::text,
             r.attributes::text, ${w.source}, r.scope_key, r.content_hash, ${w.now}, ${w.now}, ${w.now}, ${w.now}
      from json_to_recordset(${w.batch as string}::json) as r(id text, provider text, type text, account text,
           region text, name text, native_id text, tags json, attributes json, scope_key text, content_hash text)
      on conflict (tenant_id, id) do update set ${sql.raw(NODE_UPDATE_SET)}`.execute(db);
    return;
  }
  const rows = w.batch as NodeRowValues[];
  if (rows.length === 0) return;
  const params = sqliteNodeParams(rows, w.tenantId, w.source, w.now);
  await db.executeQuery(CompiledQuery.raw(sqliteUpsertSql('nodes', rows.length), params));
}

export async function upsertEdgeBatch(db: Executor, dialect: DatabaseDialect, w: BulkWrite): Promise<void> {
  if (dialect === 'postgres') {
    await sql`
      insert into edges (${sql.raw(EDGE_COLUMNS)})
      select ${w.tenantId}, r.id, r.source_id, r.target_id, r.type, r.attributes::text, ${w.source}, r.scope_key,
             r.content_hash, ${w.now}, ${w.now}
      from json_to_recordset(${w.batch as string}::json) as r(id text, source_id text, target_id text, type text,
           attributes json, scope_key text, content_hash text)
      on conflict (tenant_id, id) do update set ${sql.raw(EDGE_UPDATE_SET)}`.execute(db);
    return;
  }
  const rows = w.batch as EdgeRowValues[];
  if (rows.length === 0) return;
  const params = sqliteEdgeParams(rows, w.tenantId, w.source, w.now);
  await db.executeQuery(CompiledQuery.raw(sqliteUpsertSql('edges', rows.length), params));
}

/** Records that these scopes were ingested now by `jobId`. */
export async function touchScopes(
  db: Executor,
  tenantId: string,
  scopes: string[],
  source: string,
  jobId: string,
  now: string,
): Promise<void> {
  for (const chunk of chunks(scopes, 200)) {
    await db
      .insertInto('inventory_scopes')
      .values(
        chunk.map((scope_key) => ({ tenant_id: tenantId, scope_key, source, last_job_id: jobId, last_seen_at: now })),
      )
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'scope_key']).doUpdateSet({ last_job_id: jobId, last_seen_at: now, source }),
      )
      .execute();
  }
}

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
