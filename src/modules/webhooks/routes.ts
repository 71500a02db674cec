import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import {
  commonErrors,
  conflictError,
  Envelope,
  NoBody,
  NoContent,
  NoQuery,
  PageEnvelope,
} from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import {
  CreatedWebhook,
  CreateWebhookBody,
  DeliveryParams,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  UpdateWebhookBody,
  WebhookParams,
} from './schemas.ts';
import type { WebhookService } from './service.ts';

export async function webhookRoutes(app: App, { webhooks }: { webhooks: WebhookService }) {
  const WebhookRef = Type.Ref('Webhook');
  const DeliveryRef = Type.Ref('WebhookDelivery');
  const tags = ['webhooks'];

  app.post(
    '/tenants/:t/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Create a webhook',
        description:
          'Subscribes a URL to events. Each delivery is a POST signed with the secret: ' +
          '`Infracast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. ' +
          'Give a secret (16+ characters) or let one be generated; the answer shows it once.',
        params: TenantParams,
        body: CreateWebhookBody,
        response: { 201: Envelope(CreatedWebhook), ...commonErrors },
      },
    },
    async (req, reply) => {
      const webhook = await webhooks.create(tenantContextOf(req), req.body);
      // The secret is shown once: no cache may keep it.
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/api/v1/tenants/${req.tenant.slug}/webhooks/${webhook.id}`);
      return one(webhook);
    },
  );

  app.get(
    '/tenants/:t/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'List webhooks',
        description: 'Never shows secrets.',
        params: TenantParams,
        querystring: ListWebhooksQuery,
        response: { 200: PageEnvelope(WebhookRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await webhooks.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/webhooks/:id',
    {
      schema: {
        operationId: 'getWebhook',
        tags,
        summary: 'Get a webhook',
        params: WebhookParams,
        querystring: NoQuery,
        response: { 200: Envelope(WebhookRef), ...commonErrors },
      },
    },
    async (req) => one(await webhooks.get(tenantContextOf(req), req.params.id)),
  );

  app.patch(
    '/tenants/:t/webhooks/:id',
    {
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Update a webhook',
        description:
          'Change the URL, events, description or enabled flag, or rotate the secret (`secret`: the new one; ' +
          'attempts from now on are signed with it). A disabled webhook gets no new deliveries and its pending ' +
          'ones wait until it is enabled again.',
        params: WebhookParams,
        body: UpdateWebhookBody,
        consumes: ['application/json', 'application/merge-patch+json'],
        response: { 200: Envelope(WebhookRef), ...commonErrors },
      },
    },
    async (req) => one(await webhooks.update(tenantContextOf(req), req.params.id, req.body)),
  );

  app.delete(
    '/tenants/:t/webhooks/:id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a webhook',
        description: 'Its deliveries, pending ones included, go with it.',
        params: WebhookParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await webhooks.remove(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/tenants/:t/webhooks/:id/ping',
    {
      schema: {
        operationId: 'pingWebhook',
        tags,
        summary: 'Ping a webhook',
        description: 'Queues a `ping` delivery to check the receiver and its signature check end to end.',
        params: WebhookParams,
        body: NoBody,
        response: { 202: Envelope(DeliveryRef), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const delivery = await webhooks.ping(tenantContextOf(req), req.params.id);
      reply
        .code(202)
        .header('location', `/api/v1/tenants/${req.tenant.slug}/webhooks/${req.params.id}/deliveries/${delivery.id}`);
      return one(delivery);
    },
  );

  app.post(
    '/tenants/:t/webhooks/:id/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        summary: 'Rotate a webhook’s secret',
        description:
          'Replaces the signing secret with a new generated one (`whsec_…`), shown once in the answer. Every ' +
          'attempt from now on, pending deliveries included, is signed with it; to choose the secret yourself, ' +
          'PATCH `secret`.',
        params: WebhookParams,
        body: NoBody,
        response: { 200: Envelope(CreatedWebhook), ...commonErrors },
      },
    },
    async (req, reply) => {
      const webhook = await webhooks.rotateSecret(tenantContextOf(req), req.params.id);
      // The new secret is shown once: no cache may keep it.
      reply.header('cache-control', 'no-store');
      return one(webhook);
    },
  );

  app.get(
    '/tenants/:t/webhooks/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'List deliveries of a webhook',
        description: 'Newest first by default; filter by status and event.',
        params: WebhookParams,
        querystring: ListDeliveriesQuery,
        response: { 200: PageEnvelope(DeliveryRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await webhooks.listDeliveries(tenantContextOf(req), req.params.id, req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/webhooks/:id/deliveries/:deliveryId',
    {
      schema: {
        operationId: 'getWebhookDelivery',
        tags,
        summary: 'Get a delivery',
        params: DeliveryParams,
        querystring: NoQuery,
        response: { 200: Envelope(DeliveryRef), ...commonErrors },
      },
    },
    async (req) => one(await webhooks.getDelivery(tenantContextOf(req), req.params.id, req.params.deliveryId)),
  );

  app.post(
    '/tenants/:t/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhookDelivery',
        tags,
        summary: 'Redeliver a delivery',
        description:
          'Sends a delivery that ended (succeeded or failed) again: the same body with a new signature, due now, ' +
          'with a new round of attempts. 409 while it is still pending.',
        params: DeliveryParams,
        body: NoBody,
        response: { 202: Envelope(DeliveryRef), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const delivery = await webhooks.redeliver(tenantContextOf(req), req.params.id, req.params.deliveryId);
      reply.code(202);
      return one(delivery);
    },
  );
}
