/** SQL for API keys (service accounts). */
import type { Executor } from '../../platform/db/index.ts';
import type { ApiKeyRow } from '../../platform/db/schema.ts';
import type { SortField } from '../../platform/http/pagination.ts';

export async function findApiKeyByClientId(db: Executor, clientId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function findApiKey(db: Executor, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('id', '=', id), eb('client_id', '=', id)]))
    .executeTakeFirst();
}

export async function findApiKeyById(db: Executor, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertApiKey(db: Executor, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function markApiKeyUsed(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function revokeApiKeyRow(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).execute();
}

export async function listApiKeyRows(
  db: Executor,
  tenantId: string,
  filter: { roles?: string[]; state?: 'active' | 'revoked' | 'expired'; now: string },
  sort: SortField<'created_at' | 'last_used_at' | 'expires_at' | 'description'>[],
  limit: number,
  offset: number,
): Promise<{ rows: ApiKeyRow[]; total: number }> {
  let base = db.selectFrom('api_keys').where('tenant_id', '=', tenantId);
  if (filter.roles) base = base.where('role', 'in', filter.roles as ApiKeyRow['role'][]);
  if (filter.state === 'revoked') base = base.where('revoked_at', 'is not', null);
  if (filter.state === 'expired') base = base.where('revoked_at', 'is', null).where('expires_at', '<=', filter.now);
  if (filter.state === 'active') {
    base = base
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', filter.now)]));
  }
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  let q = base.selectAll();
  for (const s of sort) q = q.orderBy(s.field, s.desc ? 'desc' : 'asc');
  const rows = await q.orderBy('id', 'asc').limit(limit).offset(offset).execute();
  return { rows, total: Number(total) };
}
