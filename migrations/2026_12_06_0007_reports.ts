// Downloadable reports: one row per report (what to generate, and what was generated once its job
// succeeded), its state read from the `report` job that generates it. The content itself lives in
// files beside a SQLite database, or in `report_contents` (text parts) on PostgreSQL.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    // Set when the content is stored, in the transaction that completes the job.
    .addColumn('content_key', 'text')
    .addColumn('row_count', 'integer')
    .addColumn('size_bytes', 'integer')
    .addColumn('sha256', 'text')
    .addColumn('generated_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reports_tenant_idx').on('reports').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('reports_job_idx').on('reports').column('job_id').unique().execute();

  await db.schema
    .createTable('report_contents')
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('report_contents_pk', ['report_id', 'part'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_contents').execute();
  await db.schema.dropTable('reports').execute();
}
