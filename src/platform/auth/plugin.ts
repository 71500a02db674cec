/**
 * Per-request access control, in this order, before the body is read:
 * 1. who is calling (401 when nobody or a bad credential; 403 for a user who
 *    must first change a password someone else was shown);
 * 2. for `/tenants/{t}/…`: the tenant and the caller's role (404 when not theirs);
 * 3. the route's required role from ROUTE_ACCESS (403 when too low);
 * 4. the tenant's rate limit and the API key's concurrency cap (429); a platform
 *    admin's requests are neither counted nor refused by a tenant's limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PLAN_RATE_LIMITS } from '../../modules/tenants/schemas.ts';
import { AppError, forbidden, rateLimited } from '../errors.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import type { Principal, TenantScope } from './principal.ts';
import { type Access, ROUTE_ACCESS, roleAtLeast } from './roles.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    tenant: TenantScope;
  }
  interface FastifyContextConfig {
    /** Set from ROUTE_ACCESS at registration; routes never set it themselves. */
    access?: Access;
    /** Marks infrastructure routes (OpenAPI document, /docs) that carry no operationId. */
    public?: boolean;
    /** Path parameter that names the tenant (default `t`). */
    tenantParam?: string;
  }
}

export interface AccessControlOptions {
  authenticate: (headers: FastifyRequest['headers']) => Promise<Principal>;
  scopeFor: (principal: Principal, idOrSlug: string) => Promise<TenantScope>;
  limiter: RateLimiter;
  maxConcurrentPerKey: number;
}

export class RouteAccessError extends Error {}

/** What a user who must change their password may still do: change it, and ask who they are. */
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(['changePassword', 'getMe']);

const asArray = <H>(h: H | H[] | undefined): H[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);

export const accessControl = fp<AccessControlOptions>(
  async (app: FastifyInstance, opts) => {
    app.decorateRequest('principal', null);
    app.decorateRequest('tenant', null as unknown as TenantScope);

    app.addHook('onRoute', (route) => {
      const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
      const config = (route.config ?? {}) as { public?: boolean; access?: Access };
      if (route.url.startsWith('/docs') || config.public) {
        route.config = { ...config, access: 'public' };
        return;
      }
      const access = operationId ? ROUTE_ACCESS[operationId] : undefined;
      if (!access) {
        // Fail at start-up: a route missing from the permission map would be unprotected.
        throw new RouteAccessError(
          `route ${String(route.method)} ${route.url} (operationId ${operationId ?? 'none'}) is missing from ROUTE_ACCESS`,
        );
      }
      route.config = { ...config, access };
      // Attached per route, not globally: public routes such as /healthz pay nothing for access control.
      // (Sign-in attempts are throttled by the token route itself: only failed password checks count.)
      if (access !== 'public') route.onRequest = [checkAccess, ...asArray(route.onRequest)];
    });

    async function checkAccess(req: FastifyRequest, reply: FastifyReply) {
      const access = req.routeOptions.config?.access;
      if (access === undefined || access === 'public') return;

      const principal = await opts.authenticate(req.headers);
      req.principal = principal;
      if (
        principal.kind === 'user' &&
        principal.passwordChangeRequired &&
        !ALLOWED_BEFORE_PASSWORD_CHANGE.has(req.routeOptions.schema?.operationId ?? '')
      ) {
        // The password was generated and shown to whoever created the account: until the user has
        // replaced it, it proves nothing about who is signing in.
        throw forbidden(
          'Your password was generated when your account was created; change it (POST /api/v1/auth/password) before doing anything else',
        );
      }
      if (access === 'authenticated') return;
      if (access === 'platform_admin') {
        if (principal.kind !== 'user' || !principal.isPlatformAdmin) throw forbidden('Platform admins only');
        return;
      }

      const param = req.routeOptions.config.tenantParam ?? 't';
      const idOrSlug = (req.params as Record<string, string | undefined>)[param];
      if (!idOrSlug) throw new AppError('INTERNAL_ERROR', `route has no :${param} parameter`);
      const tenant = await opts.scopeFor(principal, idOrSlug);
      req.tenant = tenant;

      const allowedByRole = roleAtLeast(tenant.role, access);
      if (principal.kind === 'user' && principal.isPlatformAdmin) {
        // The operator: a tenant's limit is for its members and keys, and must never lock out whoever
        // fixes it. No bucket is consumed, so no rate-limit headers either (they would describe nothing).
        if (!allowedByRole) {
          throw forbidden(`This needs the ${access} role or higher in tenant ${tenant.slug}; you have ${tenant.role}`);
        }
        return;
      }

      const limit = tenant.rateLimit ?? PLAN_RATE_LIMITS[tenant.plan];
      // The rate limit and the key's concurrency slot in one step (one Redis round trip); no slot for a 403.
      const { decision: d, slot } = await opts.limiter.admit(
        // The bucket's state only means something for the limit it was built with; a new limit starts a new bucket.
        `tenant:${tenant.id}:${limit.perMinute}:${limit.burst}`,
        limit,
        principal.kind === 'api_key' && allowedByRole
          ? { key: `key:${principal.id}`, slotId: req.id, max: opts.maxConcurrentPerKey }
          : null,
      );
      reply.header('x-ratelimit-limit', d.limit);
      reply.header('x-ratelimit-remaining', d.remaining);
      reply.header('x-ratelimit-reset', d.resetAt);
      // IETF draft-ietf-httpapi-ratelimit-headers: policy and current state.
      reply.header('ratelimit-policy', `"tenant";q=${limit.perMinute};w=60;burst=${limit.burst}`);
      reply.header(
        'ratelimit',
        `"tenant";r=${d.remaining};t=${Math.max(0, d.resetAt - Math.floor(Date.now() / 1000))}`,
      );
      if (!d.allowed) throw rateLimited(`Rate limit exceeded. Retry after ${d.retryAfter} seconds.`, d.retryAfter);

      if (!allowedByRole) {
        throw forbidden(`This needs the ${access} role or higher in tenant ${tenant.slug}; you have ${tenant.role}`);
      }

      if (slot === null) {
        throw rateLimited(
          `Concurrency cap reached: at most ${opts.maxConcurrentPerKey} requests in flight per API key. Retry after 1 seconds.`,
          1,
        );
      }
      // 'close' comes once the response is sent or the client went away: the slot is free either way.
      // One listener, instead of onResponse + onRequestAbort hooks and the listeners Fastify adds for them.
      if (slot) reply.raw.once('close', () => void slot());
    }
  },
  { name: 'access-control' },
);
