/** SQL for API keys (service accounts). */
import type { Kysely } from 'kysely';
import type { Executor } from '../../platform/db/index.ts';
import type { ApiKeyRow, DB, TenantRow } from '../../platform/db/schema.ts';
import { offsetPage, precompiled, sortTerm } from '../../platform/db/sql.ts';
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

const keyWithTenantQuery = (by: 'api_keys.id' | 'api_keys.client_id') =>
  precompiled(
    (db: Kysely<DB>, value: string) =>
      db
        .selectFrom('api_keys')
        .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
        .selectAll('api_keys')
        .select([
          'tenants.slug as t_slug',
          'tenants.name as t_name',
          'tenants.plan as t_plan',
          'tenants.rate_limit_per_minute as t_rate_limit_per_minute',
          'tenants.rate_limit_burst as t_rate_limit_burst',
          'tenants.inventory_version as t_inventory_version',
          'tenants.created_at as t_created_at',
          'tenants.updated_at as t_updated_at',
        ])
        .where(by, '=', value),
    [''],
  );
const keyByClientId = keyWithTenantQuery('api_keys.client_id');
const keyById = keyWithTenantQuery('api_keys.id');

/** A key and its tenant in one query: the hot path of every API-key request. */
export async function findApiKeyWithTenant(
  db: Kysely<DB>,
  by: 'client_id' | 'id',
  value: string,
): Promise<(ApiKeyRow & { tenant: TenantRow }) | undefined> {
  const [row] = await (by === 'id' ? keyById : keyByClientId)(db, value);
  if (!row) return undefined;
  const {
    t_slug,
    t_name,
    t_plan,
    t_rate_limit_per_minute,
    t_rate_limit_burst,
    t_inventory_version,
    t_created_at,
    t_updated_at,
    ...key
  } = row;
  return {
    ...key,
    tenant: {
      id: key.tenant_id,
      slug: t_slug,
      name: t_name,
      plan: t_plan,
      rate_limit_per_minute: t_rate_limit_per_minute,
      rate_limit_burst: t_rate_limit_burst,
      inventory_version: t_inventory_version,
      created_at: t_created_at,
      updated_at: t_updated_at,
    },
  };
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

/**
 * Revokes a live key; false when it was already revoked (a concurrent revoke got there first: on
 * PostgreSQL this waits for it to commit, then matches nothing), so its `revoked_at` is kept.
 */
export async function revokeApiKeyRow(db: Executor, id: string, at: string): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function setApiKeyRole(db: Executor, id: string, role: ApiKeyRow['role']): Promise<void> {
  await db.updateTable('api_keys').set({ role }).where('id', '=', id).execute();
}

/**
 * Every key of the tenant made by `creatorId` or, in turn, by one of those keys (a key may create keys):
 * all of them act with the creator's authority. Revoked keys are listed too (one may have made live ones).
 */
export async function apiKeysDescendingFrom(db: Executor, tenantId: string, creatorId: string): Promise<ApiKeyRow[]> {
  const found: ApiKeyRow[] = [];
  const seen = new Set<string>([creatorId]);
  let creators = [creatorId];
  while (creators.length > 0) {
    const rows: ApiKeyRow[] = [];
    for (let i = 0; i < creators.length; i += 500) {
      const chunk = creators.slice(i, i + 500);
      rows.push(
        ...(await db
          .selectFrom('api_keys')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('created_by', 'in', chunk)
          .orderBy('id')
          .execute()),
      );
    }
    creators = [];
    for (const row of rows) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      found.push(row);
      creators.push(row.id);
    }
  }
  return found;
}

export async function listApiKeyRows(
  db: Executor,
  tenantId: string,
  filter: { roles?: string[]; states?: readonly ('active' | 'revoked' | 'expired')[]; now: string },
  sort: SortField<'created_at' | 'last_used_at' | 'expires_at' | 'description'>[],
  limit: number,
  offset: number,
): Promise<{ rows: ApiKeyRow[]; total: number }> {
  let base = db.selectFrom('api_keys').where('tenant_id', '=', tenantId);
  if (filter.roles) base = base.where('role', 'in', filter.roles as ApiKeyRow['role'][]);
  const states = filter.states;
  if (states && states.length > 0) {
    // Any of the states: a key is in exactly one (revoked wins over expired, as `status` says).
    base = base.where((eb) =>
      eb.or(
        states.map((state) =>
          state === 'revoked'
            ? eb('revoked_at', 'is not', null)
            : state === 'expired'
              ? eb.and([eb('revoked_at', 'is', null), eb('expires_at', '<=', filter.now)])
              : eb.and([
                  eb('revoked_at', 'is', null),
                  eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', filter.now)]),
                ]),
        ),
      ),
    );
  }
  const order = [
    ...sort.map((s) => sortTerm(db, s.field, s.desc, !s.field.endsWith('_at'))),
    sortTerm(db, 'id', false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}
