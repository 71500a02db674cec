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
    // Bumped on every write: caches of compiled policies compare (id, version) lists, so a
    // write on another instance is seen on the next request without reading the 2 MB of values.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
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
    // 'job' (after a discovery job) or 'daily'.
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    // UTC date of a daily snapshot, null for the others: the unique index below makes "at most
    // one daily snapshot per tenant per day" hold across instances (NULLs never collide).
    .addColumn('day', 'text')
    .addColumn('inventory_version', 'integer', (c) => c.notNull())
    .addColumn('resources', 'integer', (c) => c.notNull())
    .addColumn('taggable', 'integer', (c) => c.notNull())
    .addColumn('compliant', 'integer', (c) => c.notNull())
    // null when nothing is taggable.
    .addColumn('percent', 'double precision')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tagging_snapshots_tenant_idx')
    .on('tagging_compliance_snapshots')
    .columns(['tenant_id', 'taken_at'])
    .execute();
  await db.schema
    .createIndex('tagging_snapshots_daily_idx')
    .on('tagging_compliance_snapshots')
    .columns(['tenant_id', 'day'])
    .unique()
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tagging_compliance_snapshots').execute();
  await db.schema.dropTable('tagging_policies').execute();
}
