// Tagging policies and the history of tagging compliance.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tagging_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('enforcement', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('exemptions', 'text', (c) => c.notNull())
    .addColumn('trim_values', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tagging_policies_tenant_idx')
    .on('tagging_policies')
    .columns(['tenant_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('tagging_compliance_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('taggable', 'integer', (c) => c.notNull())
    .addColumn('compliant', 'integer', (c) => c.notNull())
    .addColumn('percent', 'double precision', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tagging_snapshots_tenant_idx')
    .on('tagging_compliance_snapshots')
    .columns(['tenant_id', 'taken_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tagging_compliance_snapshots').execute();
  await db.schema.dropTable('tagging_policies').execute();
}
