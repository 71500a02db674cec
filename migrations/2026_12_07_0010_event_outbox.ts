// The event outbox: events that webhooks (and other durable consumers) must see, written in the same
// transaction as the change they tell of, and removed once handled. A crash between a commit and its
// fan-out no longer loses the event.
// Frozen in time: migrations use Kysely<any> and never import application code.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('event_outbox')
    // Ordered by id: time, then a per-process sequence.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_outbox_tenant_idx').on('event_outbox').column('tenant_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('event_outbox').execute();
}
