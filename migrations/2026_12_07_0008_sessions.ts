// Sign-in sessions and forced password changes.
// - `sessions`: one row per sign-in (a refresh token family's id is its session's id). Access tokens
//   name their session, so revoking it (refresh token reuse, a password change) stops them at once.
//   Existing families become sessions, so refresh tokens issued before this migration keep working.
// - `users.password_change_required`: set when the account's password was generated and shown to
//   someone (the admin who added the member, the operator); until it is changed the account can do
//   nothing but change it.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  // A family is revoked as a whole, so any revoked token means a revoked session.
  await db
    .insertInto('sessions')
    .columns(['id', 'user_id', 'created_at', 'revoked_at'])
    .expression(
      db
        .selectFrom('refresh_tokens')
        .select((eb) => [
          'family_id',
          'user_id',
          eb.fn.min('created_at').as('created_at'),
          eb.fn.max('revoked_at').as('revoked_at'),
        ])
        .groupBy(['family_id', 'user_id']),
    )
    .execute();

  await db.schema
    .alterTable('users')
    .addColumn('password_change_required', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('password_change_required').execute();
  await db.schema.dropTable('sessions').execute();
}
