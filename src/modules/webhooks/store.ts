/**
 * SQL for webhooks and their deliveries. `webhook_deliveries` is also a durable queue: a pending row is due
 * at `next_attempt_at`; a worker claims it with a lease (`lease_owner`, `lease_expires_at`) and every
 * update it makes afterwards is fenced by still holding that lease, so a worker that lost it (another took
 * the row over after the lease expired) changes nothing.
 */
import { sql } from 'kysely';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { WebhookDeliveryRow, WebhookRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';

// ---------------------------------------------------------------------------
// Webhooks

export async function insertWebhook(db: Executor, row: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export async function findWebhook(db: Executor, tenantId: string, id: string): Promise<WebhookRow | undefined> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listWebhookRows(
  db: Executor,
  tenantId: string,
  filter: { enabled?: boolean },
  sort: SortField<'created_at' | 'updated_at' | 'url'>[],
  limit: number,
  offset: number,
): Promise<{ rows: WebhookRow[]; total: number }> {
  let base = db.selectFrom('webhooks').where('tenant_id', '=', tenantId);
  if (filter.enabled !== undefined) base = base.where('enabled', '=', filter.enabled ? 1 : 0);
  const order = [...sort.map((s) => sortTerm(db, s.field, s.desc, s.field === 'url')), sortTerm(db, 'id', false, true)];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}

export async function updateWebhookRow(
  db: Executor,
  id: string,
  set: Partial<Pick<WebhookRow, 'url' | 'events' | 'description' | 'enabled' | 'secret' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
}

/** Deletes a webhook and its deliveries (the foreign key cascades too; this says it outright). */
export async function deleteWebhookRow(db: Executor, tenantId: string, id: string): Promise<boolean> {
  await db.deleteFrom('webhook_deliveries').where('tenant_id', '=', tenantId).where('webhook_id', '=', id).execute();
  const res = await db.deleteFrom('webhooks').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The tenant's enabled webhooks, for fanning an event out. */
export async function enabledWebhooks(db: Executor, tenantId: string): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('enabled', '=', 1)
    .orderBy('id')
    .execute();
}

/**
 * Whether any enabled webhook of the tenant subscribes to one of `events` (or to all): a change that makes
 * thousands of events (a first findings evaluation) records them only when someone will receive them.
 */
export async function subscribesToAny(db: Executor, tenantId: string, events: readonly string[]): Promise<boolean> {
  const rows = await db
    .selectFrom('webhooks')
    .select('events')
    .where('tenant_id', '=', tenantId)
    .where('enabled', '=', 1)
    .execute();
  return rows.some((r) => {
    const subscribed = JSON.parse(r.events) as string[];
    return subscribed.includes('*') || events.some((e) => subscribed.includes(e));
  });
}

export async function webhooksByIds(db: Executor, ids: string[]): Promise<WebhookRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
}

export async function tenantSlug(db: Executor, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
  return row?.slug;
}

// ---------------------------------------------------------------------------
// Deliveries: the API's side

export async function insertDeliveries(db: Executor, rows: WebhookDeliveryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('webhook_deliveries')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}

export async function findDelivery(
  db: Executor,
  tenantId: string,
  webhookId: string,
  id: string,
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('webhook_id', '=', webhookId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listDeliveryRows(
  db: Executor,
  tenantId: string,
  webhookId: string,
  filter: { statuses?: readonly string[]; events?: readonly string[] },
  sort: SortField<'created_at'>[],
  limit: number,
  offset: number,
): Promise<{ rows: WebhookDeliveryRow[]; total: number }> {
  let base = db.selectFrom('webhook_deliveries').where('tenant_id', '=', tenantId).where('webhook_id', '=', webhookId);
  if (filter.statuses) base = base.where('status', 'in', filter.statuses as WebhookDeliveryRow['status'][]);
  if (filter.events) base = base.where('event', 'in', [...filter.events]);
  // Ids are time-ordered: the same direction as the first sort breaks ties newest-first too.
  const order = [...sort.map((s) => sortTerm(db, s.field, s.desc)), sortTerm(db, 'id', sort[0]?.desc ?? true, true)];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}

/**
 * A finished (succeeded or failed) delivery becomes pending again, due now, with a fresh round of attempts.
 * Undefined when it is pending (or gone): the caller answers 409/404.
 */
export async function rescheduleDelivery(
  db: Executor,
  id: string,
  now: string,
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      delivered_at: null,
    })
    .where('id', '=', id)
    .where('status', '<>', 'pending')
    .returningAll()
    .executeTakeFirst();
}

// ---------------------------------------------------------------------------
// Deliveries: the worker's side

/** Due: pending, its time has come, not leased (or the lease expired), and its webhook is enabled. */
const due = (now: string) => sql<boolean>`
  d.status = 'pending' and d.next_attempt_at <= ${now}
  and (d.lease_expires_at is null or d.lease_expires_at < ${now})
  and w.enabled = 1`;

/** Cheap read-only check, so an idle worker polls without taking SQLite's writer lock. */
/**
 * Deletes up to `limit` finished (succeeded or failed) deliveries whose last attempt was before `before`;
 * returns how many. Retention counts from when a delivery finished, so one sent again (redeliver) long after
 * it was made is kept as long as a new one. Pending ones are never deleted, whatever their age.
 */
export async function pruneFinishedDeliveries(db: Executor, before: string, limit: number): Promise<number> {
  const res = await db
    .deleteFrom('webhook_deliveries')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', 'in', ['succeeded', 'failed'])
        .where((eb) => eb.fn.coalesce('last_attempt_at', 'created_at'), '<', before)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function hasDueDelivery(db: Executor, now: string): Promise<boolean> {
  const r = await sql<{ id: string }>`
    select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
    where ${due(now)} limit 1`.execute(db);
  return r.rows.length > 0;
}

/**
 * Claims up to `limit` due deliveries for `owner` and counts the attempt. PostgreSQL: `FOR UPDATE SKIP
 * LOCKED` in the subquery, so concurrent workers never claim the same row. SQLite: one statement, and
 * SQLite runs one writer at a time, so the re-checked condition holds for what it returns.
 */
export async function claimDueDeliveries(
  db: Executor,
  dialect: DatabaseDialect,
  o: { owner: string; now: string; leaseExpiresAt: string; limit: number },
): Promise<WebhookDeliveryRow[]> {
  if (o.limit <= 0) return [];
  const lock = dialect === 'postgres' ? sql`for update of d skip locked` : sql``;
  const result = await sql<WebhookDeliveryRow>`
    update webhook_deliveries set
      lease_owner = ${o.owner},
      lease_expires_at = ${o.leaseExpiresAt},
      attempts = attempts + 1,
      last_attempt_at = ${o.now}
    where id in (
      select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
      where ${due(o.now)}
      order by d.next_attempt_at, d.id
      limit ${o.limit}
      ${lock}
    ) and status = 'pending' and (lease_expires_at is null or lease_expires_at < ${o.now})
    returning *`.execute(db);
  return result.rows;
}

export interface AttemptOutcome {
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: string | null;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  deliveredAt: string | null;
}

/** Records an attempt and releases the lease (fenced). False when the lease was lost or the row is gone. */
export async function recordAttempt(db: Executor, id: string, owner: string, o: AttemptOutcome): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({
      status: o.status,
      next_attempt_at: o.nextAttemptAt,
      last_status_code: o.statusCode,
      last_error: o.error,
      duration_ms: o.durationMs,
      delivered_at: o.deliveredAt,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Hands a claimed delivery back without counting the attempt (the worker stopped before it ended). */
export async function releaseDelivery(db: Executor, id: string, owner: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ lease_owner: null, lease_expires_at: null, attempts: eb('attempts', '-', 1) }))
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .execute();
}
