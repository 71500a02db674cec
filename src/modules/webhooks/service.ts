/**
 * Webhooks: a URL subscribed to events, with a secret that signs each delivery. Events recorded in the
 * outbox (platform/outbox.ts) fan out, in the transaction that takes them from it, into one pending
 * delivery per subscribed, enabled webhook of the tenant; the delivery worker
 * (./delivery.ts) posts them. The secret is shown once, at creation, and never written to the audit log.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { WebhookDeliveryRow, WebhookRow } from '../../platform/db/schema.ts';
import { badRequest, conflict, type FieldError, notFound } from '../../platform/errors.ts';
import type { EventMap } from '../../platform/events.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { webhookUrlProblems } from './network.ts';
import {
  ALL_EVENTS,
  type CreateWebhookBodyT,
  DELIVERY_EVENTS,
  DELIVERY_SORT_FIELDS,
  DELIVERY_STATUSES,
  type DeliveryEvent,
  type ListDeliveriesQueryT,
  type ListWebhooksQueryT,
  type UpdateWebhookBodyT,
  WEBHOOK_EVENTS,
  WEBHOOK_SORT_FIELDS,
  type WebhookDeliveryT,
  type WebhookEvent,
  type WebhookT,
} from './schemas.ts';
import * as store from './store.ts';

export function toWebhook(row: WebhookRow): WebhookT {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toDelivery(row: WebhookDeliveryRow): WebhookDeliveryT {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_attempt_at: row.last_attempt_at,
    duration_ms: row.duration_ms,
    created_at: row.created_at,
    delivered_at: row.delivered_at,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

/** `whsec_` and 32 random bytes in base64url. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** The event list as given, checked: known events or `*`, which then stands alone. */
function checkEvents(events: string[], path = 'body.events'): string[] {
  const supported = [...WEBHOOK_EVENTS, ALL_EVENTS];
  const unknown = events.filter((e) => !(supported as string[]).includes(e));
  if (unknown.length > 0) {
    const list = supported.join(', ');
    throw badRequest(
      `Unknown webhook event "${unknown[0]}"; supported events: ${list}`,
      unknown.map((e) => ({
        path: `${path}[${events.indexOf(e)}]`,
        message: `"${e}" is not a supported event; one of ${list}`,
      })),
    );
  }
  return events.includes(ALL_EVENTS) ? [ALL_EVENTS] : events;
}

/** The `data` of an event's payload, in the API's snake_case. */
export function eventData<E extends WebhookEvent>(event: E, p: EventMap[E]): Record<string, unknown> {
  switch (event) {
    case 'job.completed': {
      const e = p as EventMap['job.completed'];
      return { job_id: e.jobId, kind: e.kind, source: e.source, counts: e.counts, result: e.result };
    }
    case 'job.failed': {
      const e = p as EventMap['job.failed'];
      return { job_id: e.jobId, kind: e.kind, source: e.source, error: e.error };
    }
    case 'job.cancelled': {
      const e = p as EventMap['job.cancelled'];
      return { job_id: e.jobId, kind: e.kind, source: e.source };
    }
    case 'inventory.changed':
      return { version: (p as EventMap['inventory.changed']).version };
    case 'finding.created': {
      const e = p as EventMap['finding.created'];
      return {
        finding_id: e.findingId,
        rule_id: e.ruleId,
        severity: e.severity,
        node_id: e.nodeId,
        node_type: e.nodeType,
        message: e.message,
        reopened: e.reopened,
        inventory_version: e.inventoryVersion,
      };
    }
    case 'finding.resolved': {
      const e = p as EventMap['finding.resolved'];
      return {
        finding_id: e.findingId,
        rule_id: e.ruleId,
        severity: e.severity,
        node_id: e.nodeId,
        resolution: e.resolution,
        inventory_version: e.inventoryVersion,
      };
    }
    case 'report.succeeded': {
      const e = p as EventMap['report.succeeded'];
      return {
        report_id: e.reportId,
        type: e.type,
        format: e.format,
        name: e.name,
        row_count: e.rowCount,
        size_bytes: e.sizeBytes,
        sha256: e.sha256,
      };
    }
    case 'report.failed': {
      const e = p as EventMap['report.failed'];
      return { report_id: e.reportId, type: e.type, format: e.format, name: e.name, error: e.error };
    }
    default:
      return {};
  }
}

export interface WebhookServiceDeps {
  db: Db;
  clock: Clock;
  /** INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: creation accepts literal non-public addresses too. */
  allowPrivateNetworks: boolean;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const { db, clock } = deps;
  const queued = new EventEmitter();
  queued.setMaxListeners(0);

  const checkUrl = (url: string, path = 'body.url') => {
    const problems: FieldError[] = webhookUrlProblems(url, deps.allowPrivateNetworks, path);
    if (problems.length > 0) throw badRequest(`Invalid webhook URL: ${problems[0]?.message}`, problems);
  };

  const audit = (
    ctx: TenantContext,
    action: `webhook.${string}`,
    target: string,
    at: string,
    summary: Record<string, unknown>,
  ) => auditEntry(ctx, ctx.tenant.id, { type: 'webhook', id: target }, action, summary, at);

  const mustFind = async (tx: Executor, ctx: TenantContext, id: string) => {
    const row = await store.findWebhook(tx, ctx.tenant.id, id);
    if (!row) throw notFound('Webhook', id);
    return row;
  };

  const newDelivery = (
    webhook: WebhookRow,
    event: DeliveryEvent,
    tenant: string,
    at: string,
    data: Record<string, unknown>,
  ): WebhookDeliveryRow => {
    const id = newId('delivery');
    return {
      id,
      tenant_id: webhook.tenant_id,
      webhook_id: webhook.id,
      event,
      payload: JSON.stringify({ id, type: event, created_at: at, tenant, data }),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      lease_owner: null,
      lease_expires_at: null,
      last_status_code: null,
      last_error: null,
      last_attempt_at: null,
      duration_ms: null,
      created_at: at,
      delivered_at: null,
    };
  };

  /** An event to deliver: what happened and when (the delivery's `created_at`). */
  interface EventToDeliver {
    event: WebhookEvent;
    payload: { tenantId: string };
    at: string;
  }

  /**
   * The deliveries of events, in order, queued in the caller's transaction: per tenant one read of its
   * webhooks, and one insert for all. Resolves with each event's deliveries.
   */
  async function queueDeliveries(tx: Executor, items: readonly EventToDeliver[]): Promise<WebhookDeliveryRow[][]> {
    const tenants = new Map<string, { hooks: { hook: WebhookRow; events: string[] }[]; slug: string | undefined }>();
    const perItem: WebhookDeliveryRow[][] = [];
    for (const it of items) {
      const tenantId = it.payload.tenantId;
      let tenant = tenants.get(tenantId);
      if (!tenant) {
        const hooks = (await store.enabledWebhooks(tx, tenantId)).map((w) => ({
          hook: w,
          events: JSON.parse(w.events) as string[],
        }));
        // No slug: the tenant was deleted meanwhile.
        tenant = { hooks, slug: hooks.length > 0 ? await store.tenantSlug(tx, tenantId) : undefined };
        tenants.set(tenantId, tenant);
      }
      const targets = tenant.hooks.filter((s) => s.events.includes(it.event) || s.events.includes(ALL_EVENTS));
      if (targets.length === 0 || tenant.slug === undefined) {
        perItem.push([]);
        continue;
      }
      const data = eventData(it.event, it.payload as EventMap[typeof it.event]);
      const slug = tenant.slug;
      perItem.push(targets.map((s) => newDelivery(s.hook, it.event, slug, it.at, data)));
    }
    await store.insertDeliveries(tx, perItem.flat());
    return perItem;
  }

  return {
    /** Called (in-process) after deliveries were queued, so a worker here can post them at once. */
    onQueued(fn: () => void): () => void {
      queued.on('queued', fn);
      return () => {
        queued.off('queued', fn);
      };
    },

    async create(ctx: TenantContext, body: CreateWebhookBodyT) {
      checkUrl(body.url);
      const events = checkEvents(body.events);
      const at = iso(clock());
      const secret = body.secret ?? generateWebhookSecret();
      const row: WebhookRow = {
        id: newId('webhook'),
        tenant_id: ctx.tenant.id,
        url: body.url,
        description: body.description ?? null,
        events: JSON.stringify(events),
        secret,
        enabled: body.enabled === false ? 0 : 1,
        created_by: ctx.principal?.id ?? null,
        created_at: at,
        updated_at: at,
      };
      await db.transaction().execute(async (tx) => {
        await store.insertWebhook(tx, row);
        await insertAuditEntry(
          tx,
          audit(ctx, 'webhook.created', row.id, at, {
            url: row.url,
            events,
            enabled: row.enabled === 1,
            secret_generated: body.secret === undefined,
          }),
        );
      });
      return { ...toWebhook(row), secret };
    },

    async list(ctx: TenantContext, query: ListWebhooksQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, WEBHOOK_SORT_FIELDS, 'created_at');
      const { rows, total } = await store.listWebhookRows(
        db,
        ctx.tenant.id,
        { enabled: query.enabled },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toWebhook), total };
    },

    async get(ctx: TenantContext, id: string) {
      return toWebhook(await mustFind(db, ctx, id));
    },

    async update(ctx: TenantContext, id: string, body: UpdateWebhookBodyT) {
      if (body.url !== undefined) checkUrl(body.url);
      const events = body.events !== undefined ? checkEvents(body.events) : undefined;
      const at = iso(clock());
      return db.transaction().execute(async (tx) => {
        const row = await mustFind(tx, ctx, id);
        const set: Parameters<typeof store.updateWebhookRow>[2] = { updated_at: at };
        const changes: Record<string, unknown> = {};
        if (body.url !== undefined && body.url !== row.url) {
          set.url = body.url;
          changes.url = { from: row.url, to: body.url };
        }
        if (events !== undefined && JSON.stringify(events) !== row.events) {
          set.events = JSON.stringify(events);
          changes.events = { from: JSON.parse(row.events), to: events };
        }
        if (body.description !== undefined && body.description !== row.description) {
          set.description = body.description;
          changes.description = { from: row.description, to: body.description };
        }
        if (body.enabled !== undefined && (body.enabled ? 1 : 0) !== row.enabled) {
          set.enabled = body.enabled ? 1 : 0;
          changes.enabled = { from: row.enabled === 1, to: body.enabled };
        }
        if (body.secret !== undefined && body.secret !== row.secret) {
          set.secret = body.secret;
          changes.secret_rotated = true; // never the secret itself
        }
        if (Object.keys(changes).length === 0) return toWebhook(row);
        await store.updateWebhookRow(tx, row.id, set);
        await insertAuditEntry(tx, audit(ctx, 'webhook.updated', row.id, at, changes));
        return toWebhook({ ...row, ...set });
      });
    },

    /**
     * Replaces the signing secret with a new generated one, shown once in the answer. Attempts from now
     * on (pending deliveries included) are signed with it.
     */
    async rotateSecret(ctx: TenantContext, id: string) {
      const at = iso(clock());
      const secret = generateWebhookSecret();
      return db.transaction().execute(async (tx) => {
        const row = await mustFind(tx, ctx, id);
        await store.updateWebhookRow(tx, row.id, { secret, updated_at: at });
        await insertAuditEntry(tx, audit(ctx, 'webhook.secret_rotated', row.id, at, {}));
        return { ...toWebhook({ ...row, updated_at: at }), secret };
      });
    },

    async remove(ctx: TenantContext, id: string) {
      const at = iso(clock());
      await db.transaction().execute(async (tx) => {
        const row = await mustFind(tx, ctx, id);
        await store.deleteWebhookRow(tx, ctx.tenant.id, row.id);
        await insertAuditEntry(tx, audit(ctx, 'webhook.deleted', row.id, at, { url: row.url }));
      });
    },

    async listDeliveries(ctx: TenantContext, webhookId: string, query: ListDeliveriesQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, DELIVERY_SORT_FIELDS, '-created_at');
      const statuses = enumList(query.status, DELIVERY_STATUSES, 'status', 'delivery status');
      const events = enumList(query.event, DELIVERY_EVENTS, 'event', 'delivery event');
      const webhook = await mustFind(db, ctx, webhookId);
      const { rows, total } = await store.listDeliveryRows(
        db,
        ctx.tenant.id,
        webhook.id,
        { statuses, events },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toDelivery), total };
    },

    async getDelivery(ctx: TenantContext, webhookId: string, deliveryId: string) {
      const webhook = await mustFind(db, ctx, webhookId);
      const row = await store.findDelivery(db, ctx.tenant.id, webhook.id, deliveryId);
      if (!row) throw notFound('Delivery', deliveryId);
      return toDelivery(row);
    },

    /** Sends a finished delivery again (same body, new signature): a new round of attempts, due now. */
    async redeliver(ctx: TenantContext, webhookId: string, deliveryId: string) {
      const at = iso(clock());
      const row = await db.transaction().execute(async (tx) => {
        const webhook = await mustFind(tx, ctx, webhookId);
        if (webhook.enabled !== 1) throw conflict(`Webhook ${webhook.id} is disabled; enable it to redeliver`);
        const found = await store.findDelivery(tx, ctx.tenant.id, webhook.id, deliveryId);
        if (!found) throw notFound('Delivery', deliveryId);
        const updated = await store.rescheduleDelivery(tx, found.id, at);
        if (!updated) throw conflict(`Delivery ${found.id} is still pending; it can be redelivered once it ends`);
        await insertAuditEntry(
          tx,
          audit(ctx, 'webhook.redelivered', webhook.id, at, { delivery_id: found.id, event: found.event }),
        );
        return updated;
      });
      queued.emit('queued');
      return toDelivery(row);
    },

    /** Queues a `ping` delivery, to check the receiver end to end. */
    async ping(ctx: TenantContext, webhookId: string) {
      const at = iso(clock());
      const row = await db.transaction().execute(async (tx) => {
        const webhook = await mustFind(tx, ctx, webhookId);
        if (webhook.enabled !== 1) throw conflict(`Webhook ${webhook.id} is disabled; enable it to ping it`);
        const delivery = newDelivery(webhook, 'ping', ctx.tenant.slug, at, {
          webhook_id: webhook.id,
          url: webhook.url,
          events: JSON.parse(webhook.events),
        });
        await store.insertDeliveries(tx, [delivery]);
        await insertAuditEntry(tx, audit(ctx, 'webhook.pinged', webhook.id, at, { delivery_id: delivery.id }));
        return delivery;
      });
      queued.emit('queued');
      return toDelivery(row);
    },

    /**
     * Queues, in the caller's transaction, one pending delivery of each event for each enabled webhook of
     * its tenant subscribed to it (the outbox's consumer). Call `notifyQueued` once it has committed.
     */
    queueDeliveries,

    /** Tells this process's delivery worker that deliveries were queued, so it posts them at once. */
    notifyQueued() {
      queued.emit('queued');
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
