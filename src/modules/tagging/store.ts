/**
 * SQL for tagging policies, compliance snapshots, and the slice of the
 * inventory that compliance reads. Every function takes the database or an
 * open transaction first and the tenant id second; nothing here knows HTTP.
 */
import { type RawBuilder, sql } from 'kysely';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { TaggingComplianceSnapshotRow, TaggingPolicyRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';

// ---- policies ----

/**
 * `lock` (PostgreSQL only: SQLite has no FOR UPDATE, and its one connection already serialises
 * transactions) reads the row FOR UPDATE: a concurrent change or delete waits for this transaction.
 */
export async function findPolicy(
  db: Executor,
  tenantId: string,
  id: string,
  lock = false,
): Promise<TaggingPolicyRow | undefined> {
  return db
    .selectFrom('tagging_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
}

export async function insertPolicy(db: Executor, row: TaggingPolicyRow): Promise<void> {
  await db.insertInto('tagging_policies').values(row).execute();
}

export async function updatePolicyRow(
  db: Executor,
  tenantId: string,
  id: string,
  patch: Omit<TaggingPolicyRow, 'id' | 'tenant_id' | 'created_at'>,
): Promise<void> {
  await db.updateTable('tagging_policies').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deletePolicyRow(db: Executor, tenantId: string, id: string): Promise<number> {
  const res = await db
    .deleteFrom('tagging_policies')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function listPolicyRows(
  db: Executor,
  tenantId: string,
  filter: { enabled?: boolean; enforcements?: readonly ('warn' | 'block')[] },
  sort: SortField<'created_at' | 'updated_at' | 'name'>[],
  limit: number,
  offset: number,
): Promise<{ rows: TaggingPolicyRow[]; total: number }> {
  let base = db.selectFrom('tagging_policies').where('tenant_id', '=', tenantId);
  if (filter.enabled !== undefined) base = base.where('enabled', '=', filter.enabled ? 1 : 0);
  if (filter.enforcements) base = base.where('enforcement', 'in', [...filter.enforcements]);
  const order = [
    ...sort.map((s) => sortTerm(db, s.field, s.desc, !s.field.endsWith('_at'))),
    sortTerm(db, 'id', false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}

/** Ids and versions only: what a cache compares to know whether its compiled policies are current. */
export async function policyHeads(db: Executor, tenantId: string): Promise<{ id: string; version: number }[]> {
  const rows = await db
    .selectFrom('tagging_policies')
    .select(['id', 'version'])
    .where('tenant_id', '=', tenantId)
    .execute();
  return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
}

/** In creation order: violations and results list policies in the order people made them. */
export async function allPolicyRows(db: Executor, tenantId: string): Promise<TaggingPolicyRow[]> {
  return db
    .selectFrom('tagging_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Tenants with at least one enabled policy (the daily snapshot visits these). */
export async function tenantsWithEnabledPolicies(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('tagging_policies')
    .select('tenant_id')
    .where('enabled', '=', 1)
    .distinct()
    .execute();
  return rows.map((r) => r.tenant_id);
}

// ---- inventory, as compliance reads it ----

export interface ComplianceNodeRow {
  id: string;
  provider: string;
  type: string;
  account: string | null;
  tags: string;
  terraform_type: string | null;
  /** Read only with `names` (exemption matching, violation lists). */
  region?: string;
  name?: string;
  native_id?: string | null;
  terraform_address?: string | null;
  address?: string | null;
}

/**
 * One attribute compliance reads (the Terraform type or address an ingest
 * recorded, `address`), extracted by the database: attributes can be
 * kilobytes per node (a full describe output) and are never sent to Node.
 * The cheap substring test skips the JSON parse for nodes that lack the key.
 */
function attribute(dialect: DatabaseDialect, key: string): RawBuilder<string | null> {
  const needle = `"${key}"`;
  return dialect === 'postgres'
    ? sql<string | null>`case when strpos(attributes, ${needle}) > 0 then (attributes::jsonb ->> ${key}) end`
    : sql<string | null>`case when instr(attributes, ${needle}) > 0 then json_extract(attributes, ${`$.${key}`}) end`;
}

/**
 * The tenant's nodes with only the columns compliance needs: over 100k nodes
 * every column costs tens of ms. `names` adds what exemptions match on and
 * violation lists show. One statement (a consistent read) and no ORDER BY:
 * walking the id index fetches rows in random order and takes twice as long
 * as reading them as stored; callers sort what they show.
 */
export async function complianceNodes(
  db: Executor,
  dialect: DatabaseDialect,
  tenantId: string,
  names: boolean,
): Promise<ComplianceNodeRow[]> {
  const base = db
    .selectFrom('nodes')
    .select(['id', 'provider', 'type', 'account', 'tags', attribute(dialect, 'terraform_type').as('terraform_type')])
    .where('tenant_id', '=', tenantId);
  if (!names) return base.execute();
  return base
    .select([
      'region',
      'name',
      'native_id',
      attribute(dialect, 'terraform_address').as('terraform_address'),
      attribute(dialect, 'address').as('address'),
    ])
    .execute();
}

// ---- compliance snapshots ----

export async function insertSnapshot(db: Executor, row: TaggingComplianceSnapshotRow): Promise<boolean> {
  // A daily snapshot that another instance already took for this day is skipped, not an error.
  const res = await db
    .insertInto('tagging_compliance_snapshots')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'day']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function hasDailySnapshot(db: Executor, tenantId: string, day: string): Promise<boolean> {
  const row = await db
    .selectFrom('tagging_compliance_snapshots')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('day', '=', day)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listSnapshotRows(
  db: Executor,
  tenantId: string,
  filter: { from?: string; to?: string; triggers?: readonly ('job' | 'daily')[] },
  limit: number,
  offset: number,
): Promise<{ rows: TaggingComplianceSnapshotRow[]; total: number }> {
  let base = db.selectFrom('tagging_compliance_snapshots').where('tenant_id', '=', tenantId);
  if (filter.from) base = base.where('taken_at', '>=', filter.from);
  if (filter.to) base = base.where('taken_at', '<=', filter.to);
  if (filter.triggers) base = base.where('trigger', 'in', [...filter.triggers]);
  return offsetPage(base, base.selectAll(), [sql.ref('taken_at'), sql.ref('id')], { limit, offset });
}
