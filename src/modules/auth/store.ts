/** SQL for users, memberships seen from a user, and refresh tokens. */
import type { Executor } from '../../platform/db/index.ts';
import type { MembershipRow, TenantRow, UserRow } from '../../platform/db/schema.ts';

/** Emails are stored, compared and signed in with trimmed and lower-cased: one rule everywhere. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function countUsers(db: Executor): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function membershipsOfUser(
  db: Executor,
  userId: string,
): Promise<(Pick<MembershipRow, 'tenant_id' | 'role'> & { slug: string })[]> {
  return db
    .selectFrom('memberships')
    .innerJoin('tenants', 'tenants.id', 'memberships.tenant_id')
    .select(['memberships.tenant_id', 'memberships.role', 'tenants.slug'])
    .where('memberships.user_id', '=', userId)
    .orderBy('tenants.slug')
    .execute();
}

/** A tenant by id or slug together with the user's role in it (null when not a member). */
export async function tenantWithRole(
  db: Executor,
  idOrSlug: string,
  userId: string | null,
): Promise<(TenantRow & { member_role: MembershipRow['role'] | null }) | undefined> {
  const column = idOrSlug.startsWith('ten_') ? 'tenants.id' : 'tenants.slug';
  return db
    .selectFrom('tenants')
    .leftJoin('memberships', (j) =>
      j.onRef('memberships.tenant_id', '=', 'tenants.id').on('memberships.user_id', '=', userId ?? ''),
    )
    .selectAll('tenants')
    .select('memberships.role as member_role')
    .where(column, '=', idOrSlug)
    .executeTakeFirst();
}

export async function insertRefreshToken(
  db: Executor,
  row: { id: string; family_id: string; user_id: string; token_hash: string; created_at: string; expires_at: string },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({ ...row, used_at: null, revoked_at: null })
    .execute();
}

export async function findRefreshToken(db: Executor, hash: string) {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** Marks a refresh token used only if nobody used it first; false means it was already used (reuse). */
export async function claimRefreshToken(db: Executor, id: string, at: string): Promise<boolean> {
  const r = await db
    .updateTable('refresh_tokens')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function revokeRefreshFamily(db: Executor, familyId: string, at: string): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: at })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}
