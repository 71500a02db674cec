import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import { commonErrors, Envelope, NoContent, PageEnvelope } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import { ApiKeyParams, CreateApiKeyBody, CreatedApiKey, ListApiKeysQuery } from './schemas.ts';
import type { ApiKeyService } from './service.ts';

export async function apiKeyRoutes(app: App, { apiKeys }: { apiKeys: ApiKeyService }) {
  const ApiKeyRef = Type.Ref('ApiKey');

  app.post(
    '/tenants/:t/tokens',
    {
      schema: {
        operationId: 'createApiKey',
        tags: ['tokens'],
        summary: 'Create an API key',
        description:
          'Give a description, a role (not above your own) and exactly one of `expires_at`, `expires_in_days` or `never_expires: true`. ' +
          'The answer shows the client ID, the secret key and a bearer token once; only a hash of the secret is kept.',
        params: TenantParams,
        body: CreateApiKeyBody,
        response: { 201: Envelope(CreatedApiKey), ...commonErrors },
      },
    },
    async (req, reply) => {
      const key = await apiKeys.create(tenantContextOf(req), req.body);
      // The secret is shown once: no cache may keep it.
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/api/v1/tenants/${req.tenant.slug}/tokens/${key.id}`);
      return one(key);
    },
  );

  app.get(
    '/tenants/:t/tokens',
    {
      schema: {
        operationId: 'listApiKeys',
        tags: ['tokens'],
        summary: 'List API keys',
        description: 'Never shows secrets.',
        params: TenantParams,
        querystring: ListApiKeysQuery,
        response: { 200: PageEnvelope(ApiKeyRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await apiKeys.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/tokens/:id',
    {
      schema: {
        operationId: 'getApiKey',
        tags: ['tokens'],
        summary: 'Get an API key',
        params: ApiKeyParams,
        response: { 200: Envelope(ApiKeyRef), ...commonErrors },
      },
    },
    async (req) => one(await apiKeys.get(tenantContextOf(req), req.params.id)),
  );

  app.delete(
    '/tenants/:t/tokens/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['tokens'],
        summary: 'Revoke an API key',
        description: 'Takes effect on the next request made with it.',
        params: ApiKeyParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await apiKeys.revoke(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
