/** SQL for tenants. Every function takes the database or an open transaction first. */
import type { Executor } from '../../platform/db/index.ts';
import type { NewTenantRow, TenantRow, TenantUpdate } from '../../platform/db/schema.ts';
import { containsInsensitive, offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';

export async function findTenantByIdOrSlug(db: Executor, idOrSlug: string): Promise<TenantRow | undefined> {
  const column = idOrSlug.startsWith('ten_') ? 'id' : 'slug';
  return db.selectFrom('tenants').selectAll().where(column, '=', idOrSlug).executeTakeFirst();
}

/**
 * Locks the tenant row until the transaction ends (a no-op UPDATE: the portable SELECT … FOR UPDATE; on
 * SQLite transactions are serialised anyway). A read-modify-write of the row after it waits for a
 * concurrent one to commit and reads its result. False when the tenant does not exist.
 */
export async function lockTenantRow(db: Executor, id: string): Promise<boolean> {
  const res = await db
    .updateTable('tenants')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function slugTaken(db: Executor, slug: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('tenants').select('id').where('slug', '=', slug);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function insertTenant(db: Executor, row: NewTenantRow): Promise<void> {
  await db.insertInto('tenants').values(row).execute();
}

export async function updateTenantRow(db: Executor, id: string, patch: TenantUpdate): Promise<void> {
  await db.updateTable('tenants').set(patch).where('id', '=', id).execute();
}

export async function deleteTenantRow(db: Executor, id: string): Promise<number> {
  const res = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Jobs of the tenant that have not ended (they may still hold their input). */
export async function liveJobIds(db: Executor, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['pending', 'queued', 'running'])
    .execute();
  return rows.map((r) => r.id);
}

export interface TenantListFilter {
  /** Only these tenant ids (the caller's memberships); undefined means all (platform admin). */
  ids?: string[];
  plans?: string[];
  q?: string;
}

export async function listTenantRows(
  db: Executor,
  filter: TenantListFilter,
  sort: SortField<'created_at' | 'updated_at' | 'name' | 'slug'>[],
  limit: number,
  offset: number,
): Promise<{ rows: TenantRow[]; total: number }> {
  let base = db.selectFrom('tenants');
  if (filter.ids !== undefined) {
    if (filter.ids.length === 0) return { rows: [], total: 0 };
    base = base.where('id', 'in', filter.ids);
  }
  if (filter.plans) base = base.where('plan', 'in', filter.plans as TenantRow['plan'][]);
  if (filter.q) {
    const text = filter.q;
    base = base.where((eb) =>
      eb.or([containsInsensitive(eb.ref('slug'), text), containsInsensitive(eb.ref('name'), text)]),
    );
  }
  const order = [
    ...sort.map((s) => sortTerm(db, s.field, s.desc, !s.field.endsWith('_at'))),
    sortTerm(db, 'id', false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}
