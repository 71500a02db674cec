// The inventory graph (nodes, edges) and durable background jobs.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('nodes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('account', 'text')
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('native_id', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('nodes_pk', ['tenant_id', 'id'])
    .execute();
  // (type, name) also serves the name fallback of GET /nodes/{provider:region:type:name}.
  await db.schema.createIndex('nodes_type_idx').on('nodes').columns(['tenant_id', 'type', 'name']).execute();
  // A re-ingest reads (id, content_hash) of whole scopes, in id order (keyset pagination), from the index alone.
  await db.schema
    .createIndex('nodes_scope_idx')
    .on('nodes')
    .columns(['tenant_id', 'scope_key', 'id', 'content_hash'])
    .execute();
  await db.schema.createIndex('nodes_updated_idx').on('nodes').columns(['tenant_id', 'updated_at']).execute();

  await db.schema
    .createTable('edges')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('edges_pk', ['tenant_id', 'id'])
    .addForeignKeyConstraint('edges_source_fk', ['tenant_id', 'source_id'], 'nodes', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('edges_target_fk', ['tenant_id', 'target_id'], 'nodes', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('edges_source_idx').on('edges').columns(['tenant_id', 'source_id']).execute();
  await db.schema.createIndex('edges_target_idx').on('edges').columns(['tenant_id', 'target_id']).execute();
  await db.schema
    .createIndex('edges_scope_idx')
    .on('edges')
    .columns(['tenant_id', 'scope_key', 'id', 'content_hash'])
    .execute();

  // When each ingest scope (source + account/region, or state lineage) was last ingested: every node
  // still in a scope was seen by its latest ingest, so unchanged nodes need no write to stay "seen".
  await db.schema
    .createTable('inventory_scopes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('last_job_id', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_scopes_pk', ['tenant_id', 'scope_key'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('step', 'text')
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('input_bytes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_tenant_idx').on('jobs').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['status', 'queued_at']).execute();

  // A job's input in parts of a few MB, so neither storing nor reading a 100 MB input is one
  // statement that holds the event loop (better-sqlite3 is synchronous).
  await db.schema
    .createTable('job_inputs')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_inputs_pk', ['job_id', 'part'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['job_inputs', 'jobs', 'inventory_scopes', 'edges', 'nodes']) await db.schema.dropTable(t).execute();
}
