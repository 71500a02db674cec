// The SHA-256 of each job's input, so that re-submitting an input the inventory already reflects
// can be recognised without parsing it again.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('input_sha256', 'text').execute();
  await db.schema.createIndex('jobs_input_idx').on('jobs').columns(['tenant_id', 'input_sha256']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_input_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('input_sha256').execute();
}
