import { Type } from 'typebox';
import { contextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import {
  commonErrors,
  commonErrorsExcept,
  conflictError,
  Envelope,
  NoContent,
  PageEnvelope,
} from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { CreateTenantBody, ListTenantsQuery, ReplaceTenantBody, TenantIdParams, UpdateTenantBody } from './schemas.ts';
import type { TenantService } from './service.ts';

export async function tenantRoutes(app: App, { tenants }: { tenants: TenantService }) {
  const TenantRef = Type.Ref('Tenant');
  const byId = { tenantParam: 'id' };

  app.get(
    '/tenants',
    {
      schema: {
        operationId: 'listTenants',
        tags: ['tenants'],
        summary: 'List tenants',
        description: "The caller's tenants (every tenant for a platform admin).",
        querystring: ListTenantsQuery,
        response: { 200: PageEnvelope(TenantRef), ...commonErrorsExcept(404, 429) },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await tenants.list(contextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.post(
    '/tenants',
    {
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary: 'Create a tenant',
        description:
          'Platform admins (or anyone when INFRACAST_OPEN_SIGNUP=true). The creator becomes its owner. A duplicate slug is a 409.',
        body: CreateTenantBody,
        response: { 201: Envelope(TenantRef), ...commonErrorsExcept(404, 429), ...conflictError },
      },
    },
    async (req, reply) => {
      const tenant = await tenants.create(contextOf(req), req.body);
      reply.code(201).header('location', `/api/v1/tenants/${tenant.slug}`);
      return one(tenant);
    },
  );

  app.get(
    '/tenants/:id',
    {
      config: byId,
      schema: {
        operationId: 'getTenant',
        tags: ['tenants'],
        summary: 'Get a tenant',
        params: TenantIdParams,
        response: { 200: Envelope(TenantRef), ...commonErrors },
      },
    },
    async (req) => one(await tenants.get(req.tenant)),
  );

  app.put(
    '/tenants/:id',
    {
      config: byId,
      schema: {
        operationId: 'replaceTenant',
        tags: ['tenants'],
        summary: 'Update a tenant',
        description:
          'Updates the fields given (`slug`, `name`, `plan`); the others keep their values. Changing the plan needs a ' +
          'platform admin. PATCH does the same and also sets `rate_limit`.',
        params: TenantIdParams,
        body: ReplaceTenantBody,
        response: { 200: Envelope(TenantRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await tenants.update(contextOf(req), req.tenant, req.body)),
  );

  app.patch(
    '/tenants/:id',
    {
      config: byId,
      schema: {
        operationId: 'updateTenant',
        tags: ['tenants'],
        summary: 'Update some fields of a tenant',
        description:
          "Changing `plan` or `rate_limit` needs a platform admin; `rate_limit: null` restores the plan's limit.",
        params: TenantIdParams,
        body: UpdateTenantBody,
        consumes: ['application/json', 'application/merge-patch+json'],
        response: { 200: Envelope(TenantRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await tenants.update(contextOf(req), req.tenant, req.body)),
  );

  app.delete(
    '/tenants/:id',
    {
      config: byId,
      schema: {
        operationId: 'deleteTenant',
        tags: ['tenants'],
        summary: 'Delete a tenant and everything it owns',
        params: TenantIdParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await tenants.remove(contextOf(req), req.tenant);
      return reply.code(204).send(null);
    },
  );
}
