// Findings (a rule failing on a node) and each tenant's last rule evaluation, for compliance scoring.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    // Not a foreign key: the node may disappear, and its finding is then resolved (node_removed), not deleted.
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('node_type', 'text', (c) => c.notNull())
    .addColumn('node_name', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text')
    .addColumn('status_reason', 'text')
    .addColumn('accepted_by', 'text')
    .addColumn('accepted_until', 'text')
    .addColumn('resolved_by', 'text')
    // The inventory version a person resolved the finding at: only a newer inventory that still fails reopens it.
    .addColumn('resolved_version', 'integer')
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('findings_rule_node_key', ['tenant_id', 'rule_id', 'node_id'])
    .execute();
  await db.schema
    .createIndex('findings_status_idx')
    .on('findings')
    .columns(['tenant_id', 'status', 'severity'])
    .execute();
  // Reconciliation reads a tenant's findings in pages, in id order.
  await db.schema.createIndex('findings_tenant_id_idx').on('findings').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('findings_node_idx').on('findings').columns(['tenant_id', 'node_id']).execute();
  await db.schema.createIndex('findings_type_idx').on('findings').columns(['tenant_id', 'node_type']).execute();
  await db.schema.createIndex('findings_created_idx').on('findings').columns(['tenant_id', 'created_at']).execute();
  // Expired risk acceptances are looked for on every read.
  await db.schema.createIndex('findings_accepted_idx').on('findings').columns(['status', 'accepted_until']).execute();

  await db.schema
    .createTable('finding_evaluations')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('inventory_version', 'integer', (c) => c.notNull())
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .addColumn('resources_evaluated', 'integer', (c) => c.notNull())
    // {rule_id: {evaluated_by_type: {type: n}, skipped: n}}: what makes a control NOT_APPLICABLE.
    .addColumn('rule_stats', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('finding_evaluations').execute();
  await db.schema.dropTable('findings').execute();
}
