// Which version of the rule catalogue an evaluation ran, so that findings are evaluated again after an
// upgrade that changes the rules, not only when the inventory changes. Existing evaluations count as 0.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('finding_evaluations')
    .addColumn('rules_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('finding_evaluations').dropColumn('rules_version').execute();
}
