/**
 * What a service needs to know about the request it serves: who is calling,
 * the request id and client IP (for the audit log). Built from the Fastify
 * request by `contextOf`, so services never see HTTP objects.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal, TenantScope } from './auth/principal.ts';

export interface RequestContext {
  principal: Principal | null;
  requestId: string | null;
  ip: string | null;
}

export interface TenantContext extends RequestContext {
  tenant: TenantScope;
}

export const systemContext: RequestContext = { principal: null, requestId: null, ip: null };

export function contextOf(req: FastifyRequest): RequestContext {
  return { principal: req.principal, requestId: req.id, ip: req.ip };
}

export function tenantContextOf(req: FastifyRequest): TenantContext {
  return { principal: req.principal, requestId: req.id, ip: req.ip, tenant: req.tenant };
}
