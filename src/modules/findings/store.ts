/**
 * SQL for findings and rule evaluations. Every function takes the database or an open transaction first and
 * the tenant id second; nothing here knows about HTTP.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type RawBuilder, sql } from 'kysely';
import type { EdgeInput, NodeInput } from '../../core/inventory/types.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { EdgeRow, FindingEvaluationRow, FindingRow, NodeRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';
import type { FindingSortField } from './schemas.ts';

const PAGE = 1000;

/** The tenant's inventory version, and the version and time of its last evaluation (null: never). */
export async function evaluationState(
  db: Executor,
  tenantId: string,
  now: string,
): Promise<
  | {
      inventory_version: number;
      evaluated_version: number | null;
      evaluated_rules_version: number | null;
      expired_acceptance: boolean;
    }
  | undefined
> {
  const row = await db
    .selectFrom('tenants as t')
    .leftJoin('finding_evaluations as e', 'e.tenant_id', 't.id')
    .select([
      't.inventory_version',
      'e.inventory_version as evaluated_version',
      'e.rules_version as evaluated_rules_version',
      (eb) =>
        eb
          .exists(
            eb
              .selectFrom('findings as f')
              .select('f.id')
              .where('f.status', '=', 'ACCEPTED')
              .where('f.accepted_until', '<=', now)
              .whereRef('f.tenant_id', '=', 't.id'),
          )
          .as('expired'),
    ])
    .where('t.id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    inventory_version: Number(row.inventory_version),
    evaluated_version: row.evaluated_version === null ? null : Number(row.evaluated_version),
    evaluated_rules_version: row.evaluated_rules_version === null ? null : Number(row.evaluated_rules_version),
    expired_acceptance: Number(row.expired) === 1 || row.expired === true,
  };
}

export async function findEvaluation(db: Executor, tenantId: string): Promise<FindingEvaluationRow | undefined> {
  return db.selectFrom('finding_evaluations').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

/**
 * The evaluation row, locked for the rest of the transaction (PostgreSQL: FOR UPDATE after making sure it
 * exists; SQLite serialises transactions anyway). Two evaluations of one tenant thus reconcile one at a time.
 */
export async function lockEvaluation(
  db: Executor,
  tenantId: string,
  postgres: boolean,
): Promise<FindingEvaluationRow | undefined> {
  if (!postgres) return findEvaluation(db, tenantId);
  await db
    .insertInto('finding_evaluations')
    .values({
      tenant_id: tenantId,
      inventory_version: -1,
      evaluated_at: '',
      resources_evaluated: 0,
      rule_stats: '{}',
      duration_ms: 0,
      rules_version: 0,
    })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const row = await db
    .selectFrom('finding_evaluations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .forUpdate()
    .executeTakeFirst();
  return row && row.inventory_version >= 0 ? row : undefined;
}

export async function saveEvaluation(db: Executor, row: FindingEvaluationRow): Promise<void> {
  await db
    .insertInto('finding_evaluations')
    .values(row)
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({
        inventory_version: row.inventory_version,
        evaluated_at: row.evaluated_at,
        resources_evaluated: row.resources_evaluated,
        rule_stats: row.rule_stats,
        duration_ms: row.duration_ms,
        rules_version: row.rules_version,
      }),
    )
    .execute();
}

/**
 * How the graph is read. SQLite (`paged`): in keyset pages with a yield between them, because better-sqlite3
 * answers synchronously and one query for 100k rows would hold the event loop. PostgreSQL: in one query,
 * whose rows arrive over many event-loop turns; keyset pages right after a large ingest, before the table's
 * statistics catch up, can be planned as a sort of the whole rest of the table each time (quadratic).
 * Rows are turned into the engine's shape a page at a time either way.
 */
async function readGraphRows<R extends { id: string }, T>(
  query: (after: string | null, limit: number | null) => Promise<R[]>,
  paged: boolean,
  shape: (row: R) => T,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (;;) {
    const rows = await query(after, paged ? PAGE : null);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % PAGE === 0) await yieldToEventLoop();
      out.push(shape(rows[i] as R));
    }
    if (!paged || rows.length < PAGE) return out;
    after = rows[rows.length - 1]?.id ?? null;
    await yieldToEventLoop();
  }
}

/** A node row as the graph reads select it (tags and attributes as JSON text). */
export type GraphNodeRow = Pick<
  NodeRow,
  'id' | 'provider' | 'type' | 'account' | 'region' | 'name' | 'native_id' | 'tags' | 'attributes'
>;

/** An edge row as the graph reads select it. */
export type GraphEdgeRow = Pick<EdgeRow, 'source_id' | 'target_id' | 'type' | 'attributes'>;

export const nodeFromRow = (r: GraphNodeRow): NodeInput => ({
  id: r.id,
  provider: r.provider,
  type: r.type,
  account: r.account,
  region: r.region,
  name: r.name,
  native_id: r.native_id,
  tags: JSON.parse(r.tags) as Record<string, string>,
  attributes: JSON.parse(r.attributes) as NodeInput['attributes'],
});

export const edgeFromRow = (r: GraphEdgeRow): EdgeInput => ({
  source_id: r.source_id,
  target_id: r.target_id,
  type: r.type,
  attributes: JSON.parse(r.attributes) as NonNullable<EdgeInput['attributes']>,
});

/** How many nodes the tenant has (to choose where its evaluation runs). */
/**
 * Whether the tenant has at least `n` nodes. Reads at most `n` index entries: a count of 100k nodes held
 * SQLite's (synchronous) connection for tens of milliseconds.
 */
export async function hasAtLeastNodes(db: Executor, tenantId: string, n: number): Promise<boolean> {
  if (n <= 0) return true;
  if (!Number.isSafeInteger(n)) return false; // Infinity: never
  const row = await db
    .selectFrom('nodes')
    .select(sql<number>`1`.as('one'))
    .where('tenant_id', '=', tenantId)
    .limit(1)
    .offset(n - 1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every node of the tenant, as the rule engine reads them. */
export function loadNodes(db: Executor, tenantId: string, paged: boolean): Promise<NodeInput[]> {
  return readGraphRows(
    (after, limit) => {
      let q = db
        .selectFrom('nodes')
        .select(['id', 'provider', 'type', 'account', 'region', 'name', 'native_id', 'tags', 'attributes'])
        .where('tenant_id', '=', tenantId);
      if (after !== null) q = q.where('id', '>', after);
      return limit === null ? q.execute() : q.orderBy('id').limit(limit).execute();
    },
    paged,
    nodeFromRow,
  );
}

/** The tenant's edges of these types (none: no query), as the rule engine reads them. */
export async function loadEdges(
  db: Executor,
  tenantId: string,
  paged: boolean,
  types: readonly string[],
): Promise<EdgeInput[]> {
  if (types.length === 0) return [];
  return readGraphRows<GraphEdgeRow & { id: string }, EdgeInput>(
    (after, limit) => {
      let q = db
        .selectFrom('edges')
        .select(['id', 'source_id', 'target_id', 'type', 'attributes'])
        .where('tenant_id', '=', tenantId)
        .where('type', 'in', types);
      if (after !== null) q = q.where('id', '>', after);
      return limit === null ? q.execute() : q.orderBy('id').limit(limit).execute();
    },
    paged,
    edgeFromRow,
  );
}

/** What reconciliation compares against: every finding of the tenant. */
export type FindingKeyRow = Pick<
  FindingRow,
  | 'id'
  | 'rule_id'
  | 'node_id'
  | 'node_name'
  | 'severity'
  | 'status'
  | 'message'
  | 'evidence'
  | 'resolution'
  | 'accepted_until'
  | 'resolved_version'
>;

export async function findingKeys(db: Executor, tenantId: string): Promise<FindingKeyRow[]> {
  const out: FindingKeyRow[] = [];
  let after: string | null = null;
  for (;;) {
    let q = db
      .selectFrom('findings')
      .select([
        'id',
        'rule_id',
        'node_id',
        'node_name',
        'severity',
        'status',
        'message',
        'evidence',
        'resolution',
        'accepted_until',
        'resolved_version',
      ])
      .where('tenant_id', '=', tenantId);
    if (after !== null) q = q.where('id', '>', after);
    const rows = await q.orderBy('id').limit(PAGE).execute();
    out.push(...rows);
    if (rows.length < PAGE) return out;
    after = rows[rows.length - 1]?.id ?? null;
    await yieldToEventLoop();
  }
}

/** Inserts findings; a row whose (tenant, rule, node) exists already is left alone. */
export async function insertFindings(db: Executor, rows: FindingRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('findings')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['tenant_id', 'rule_id', 'node_id']).doNothing())
      .execute();
    await yieldToEventLoop();
  }
}

/** The same change to many findings, in batches. */
export async function updateFindings(
  db: Executor,
  tenantId: string,
  ids: string[],
  set: Partial<Omit<FindingRow, 'id' | 'tenant_id'>>,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .updateTable('findings')
      .set(set)
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    await yieldToEventLoop();
  }
}

export async function updateFinding(
  db: Executor,
  tenantId: string,
  id: string,
  set: Partial<Omit<FindingRow, 'id' | 'tenant_id'>>,
): Promise<void> {
  await db.updateTable('findings').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Accepted findings whose acceptance has run out become OPEN again; returns how many. */
export async function reopenExpired(db: Executor, tenantId: string, now: string): Promise<number> {
  const res = await db
    .updateTable('findings')
    .set((eb) => ({
      status: 'OPEN',
      status_reason: sql<string>`${'risk acceptance expired at '} || ${eb.ref('accepted_until')}`,
      updated_at: now,
    }))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'ACCEPTED')
    .where('accepted_until', '<=', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function findFinding(
  db: Executor,
  tenantId: string,
  id: string,
  lock = false,
): Promise<FindingRow | undefined> {
  return db
    .selectFrom('findings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
}

export interface FindingFilter {
  severities?: string[];
  statuses?: string[];
  ruleIds?: string[];
  nodeIds?: string[];
  types?: string[];
}

/** Severity as its rank, so it sorts LOW < MEDIUM < HIGH < CRITICAL. */
const severityRank: RawBuilder<number> = sql<number>`case severity when 'LOW' then 1 when 'MEDIUM' then 2 when 'HIGH' then 3 when 'CRITICAL' then 4 else 0 end`;
const STATUS_RANK: RawBuilder<number> = sql<number>`case status when 'OPEN' then 1 when 'ACCEPTED' then 2 else 3 end`;

function filteredFindings(db: Executor, tenantId: string, f: FindingFilter) {
  let base = db.selectFrom('findings').where('tenant_id', '=', tenantId);
  if (f.severities) base = base.where('severity', 'in', f.severities as FindingRow['severity'][]);
  if (f.statuses) base = base.where('status', 'in', f.statuses as FindingRow['status'][]);
  if (f.ruleIds) base = base.where('rule_id', 'in', f.ruleIds);
  if (f.nodeIds) base = base.where('node_id', 'in', f.nodeIds);
  if (f.types) base = base.where('node_type', 'in', f.types);
  return base;
}

export async function listFindingRows(
  db: Executor,
  tenantId: string,
  f: FindingFilter,
  sort: SortField<FindingSortField>[],
  limit: number,
  offset: number,
): Promise<{ rows: FindingRow[]; total: number }> {
  const base = filteredFindings(db, tenantId, f);
  const direction = (desc: boolean) => sql.raw(desc ? 'desc' : 'asc');
  const order = [
    ...sort.map((s) =>
      s.field === 'severity'
        ? sql`${severityRank} ${direction(s.desc)}`
        : s.field === 'status'
          ? sql`${STATUS_RANK} ${direction(s.desc)}`
          : sortTerm(db, s.field, s.desc, !s.field.endsWith('_at')),
    ),
    sortTerm(db, 'id', false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}

/** The findings matching the filter after `afterId` (keyset on id; null: from the start), `limit` of them. */
export async function listFindingsAfter(
  db: Executor,
  tenantId: string,
  f: FindingFilter,
  afterId: string | null,
  limit: number,
): Promise<FindingRow[]> {
  let q = filteredFindings(db, tenantId, f).selectAll();
  if (afterId !== null) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

/** How many findings match the filter (a report's progress is measured against it). */
export async function countFindings(db: Executor, tenantId: string, f: FindingFilter): Promise<number> {
  const row = await filteredFindings(db, tenantId, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** OPEN and ACCEPTED findings per rule and severity (compliance). */
export async function activeCounts(
  db: Executor,
  tenantId: string,
): Promise<{ rule_id: string; severity: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('findings')
    .select(['rule_id', 'severity', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['OPEN', 'ACCEPTED'])
    .groupBy(['rule_id', 'severity', 'status'])
    .execute();
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}
