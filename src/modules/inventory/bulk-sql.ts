/**
 * SQL text for bulk writes of nodes and edges, shared by the store (main
 * thread, through Kysely) and the SQLite writer that runs in the ingest
 * thread (better-sqlite3 directly). Raw SQL: Kysely's builder would build an
 * AST node per value for thousands of values per statement.
 */

export const NODE_COLUMNS =
  'tenant_id, id, provider, type, account, region, name, native_id, tags, attributes, source, scope_key, content_hash, first_seen_at, last_seen_at, created_at, updated_at';
// first_seen_at and created_at are kept: a re-ingested resource is the same node.
export const NODE_UPDATE_SET = ['provider', 'type', 'account', 'region', 'name', 'native_id', 'tags', 'attributes']
  .concat(['source', 'scope_key', 'content_hash', 'last_seen_at', 'updated_at'])
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');
export const EDGE_COLUMNS =
  'tenant_id, id, source_id, target_id, type, attributes, source, scope_key, content_hash, created_at, updated_at';
export const EDGE_UPDATE_SET = ['attributes', 'source', 'scope_key', 'content_hash', 'updated_at']
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/** Node rows as IngestSession.nodeBatch(…, 'rows') gives them. */
export type NodeRowValues = (string | null)[];
/** Edge rows as IngestSession.edgeBatch(…, 'rows') gives them. */
export type EdgeRowValues = (string | null)[];

const texts = new Map<string, string>();

/** `insert … values (?…),(?…) on conflict do update`, for `rows` rows; cached per size. */
export function sqliteUpsertSql(table: 'nodes' | 'edges', rows: number): string {
  const key = `${table}:${rows}`;
  let text = texts.get(key);
  if (!text) {
    const width = table === 'nodes' ? 17 : 11;
    const tuple = `(${Array.from({ length: width }, () => '?').join(',')})`;
    const columns = table === 'nodes' ? NODE_COLUMNS : EDGE_COLUMNS;
    const set = table === 'nodes' ? NODE_UPDATE_SET : EDGE_UPDATE_SET;
    text = `insert into ${table} (${columns}) values ${Array.from({ length: rows }, () => tuple).join(',')} on conflict (tenant_id, id) do update set ${set}`;
    texts.set(key, text);
  }
  return text;
}

/** A plain single-row `insert` (no conflict clause): for rows the compare found new. */
export function sqliteInsertSql(table: 'nodes' | 'edges'): string {
  const width = table === 'nodes' ? 17 : 11;
  const columns = table === 'nodes' ? NODE_COLUMNS : EDGE_COLUMNS;
  return `insert into ${table} (${columns}) values (${Array.from({ length: width }, () => '?').join(',')})`;
}

export function sqliteNodeParams(rows: NodeRowValues[], tenantId: string, source: string, now: string): unknown[] {
  const params: unknown[] = [];
  for (const r of rows) {
    // id, provider, type, account, region, name, native_id, tags, attributes | scope_key, content_hash
    params.push(tenantId, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], source, r[9], r[10]);
    params.push(now, now, now, now);
  }
  return params;
}

export function sqliteEdgeParams(rows: EdgeRowValues[], tenantId: string, source: string, now: string): unknown[] {
  const params: unknown[] = [];
  for (const r of rows) {
    // id, source_id, target_id, type, attributes, scope_key, content_hash
    params.push(tenantId, r[0], r[1], r[2], r[3], r[4], source, r[5], r[6], now, now);
  }
  return params;
}

export const TOUCH_SCOPE_SQL =
  'insert into inventory_scopes (tenant_id, scope_key, source, last_job_id, last_seen_at) values (?, ?, ?, ?, ?) ' +
  'on conflict (tenant_id, scope_key) do update set source = excluded.source, last_job_id = excluded.last_job_id, last_seen_at = excluded.last_seen_at';

export const BUMP_VERSION_SQL =
  'update tenants set inventory_version = inventory_version + 1 where id = ? returning inventory_version';

export const INVENTORY_VERSION_SQL = 'select inventory_version from tenants where id = ?';
