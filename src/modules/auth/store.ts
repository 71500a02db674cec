/** SQL for users, memberships seen from a user, sessions and refresh tokens. */
import type { Kysely } from 'kysely';
import type { Executor } from '../../platform/db/index.ts';
import type { DB, MembershipRow, TenantRow, UserRow } from '../../platform/db/schema.ts';
import { precompiled } from '../../platform/db/sql.ts';

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

/**
 * Sets a new password. One the user chose clears `password_change_required`; one someone else was shown
 * (`changeRequired`: an operator's reset) sets it.
 */
export async function updatePassword(
  db: Executor,
  userId: string,
  passwordHash: string,
  at: string,
  changeRequired = false,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, password_change_required: changeRequired ? 1 : 0, updated_at: at })
    .where('id', '=', userId)
    .execute();
}

const userInSessionQuery = precompiled(
  (db: Kysely<DB>, userId: string, sessionId: string) =>
    db
      .selectFrom('users')
      .innerJoin('sessions', 'sessions.user_id', 'users.id')
      .selectAll('users')
      .select('sessions.revoked_at as session_revoked_at')
      .where('users.id', '=', userId)
      .where('sessions.id', '=', sessionId),
  ['', ''],
);

/**
 * The user and the state of their session, in one query: the hot path of every request made with
 * an access token. Undefined when either is gone or the session is not the user's.
 */
export async function findUserInSession(
  db: Kysely<DB>,
  userId: string,
  sessionId: string,
): Promise<(UserRow & { session_revoked_at: string | null }) | undefined> {
  return (await userInSessionQuery(db, userId, sessionId))[0];
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

export async function insertSession(db: Executor, row: { id: string; user_id: string; created_at: string }) {
  await db
    .insertInto('sessions')
    .values({ ...row, revoked_at: null })
    .execute();
}

/** Revokes a session: its refresh tokens, and (checked on every request) its access tokens. */
export async function revokeSession(db: Executor, sessionId: string, at: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: at })
    .where('family_id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes every session of the user but `keep` (the one asking; null: none); returns how many were live. */
export async function revokeOtherSessions(
  db: Executor,
  userId: string,
  keep: string | null,
  at: string,
): Promise<number> {
  const r = await db
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .$if(keep !== null, (q) => q.where('id', '<>', keep as string))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .$if(keep !== null, (q) => q.where('family_id', '<>', keep as string))
    .where('revoked_at', 'is', null)
    .execute();
  return Number(r.numUpdatedRows);
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

/** A refresh token by its hash, with its session's revocation (a token inserted after it still counts as revoked). */
export async function findRefreshToken(db: Executor, hash: string) {
  return db
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.family_id')
    .selectAll('refresh_tokens')
    .select('sessions.revoked_at as session_revoked_at')
    .where('refresh_tokens.token_hash', '=', hash)
    .executeTakeFirst();
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
