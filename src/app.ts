/**
 * Builds the HTTP application without starting it: tests drive it with
 * `inject`, `src/server.ts` listens. Nothing here reads process.env.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { type DestinationStream, type Logger, pino } from 'pino';
import { auditRoutes } from './modules/audit/routes.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { findingRoutes } from './modules/findings/routes.ts';
import { ControlStatusSchema, Finding, FrameworkScoreSchema, RuleSchema } from './modules/findings/schemas.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { edgeRoutes, nodeRoutes } from './modules/inventory/routes.ts';
import { Edge, Node } from './modules/inventory/schemas.ts';
import { jobRoutes } from './modules/jobs/routes.ts';
import { Job } from './modules/jobs/schemas.ts';
import { memberRoutes } from './modules/members/routes.ts';
import { Member } from './modules/members/schemas.ts';
import { pathTracerRoutes } from './modules/pathtracer/routes.ts';
import { Hop as TraceHop } from './modules/pathtracer/schemas.ts';
import { reportRoutes } from './modules/reports/routes.ts';
import { Report } from './modules/reports/schemas.ts';
import { taggingCompatRoutes, taggingRoutes } from './modules/tagging/routes/index.ts';
import { TaggingPolicy } from './modules/tagging/schemas.ts';
import { tenantRoutes } from './modules/tenants/routes.ts';
import { Tenant } from './modules/tenants/schemas.ts';
import { apiKeyRoutes } from './modules/tokens/routes.ts';
import { ApiKey } from './modules/tokens/schemas.ts';
import { webhookRoutes } from './modules/webhooks/routes.ts';
import { Webhook, WebhookDelivery } from './modules/webhooks/schemas.ts';
import { accessControl } from './platform/auth/plugin.ts';
import type { Config } from './platform/config.ts';
import type { Database } from './platform/db/index.ts';
import { badRequest } from './platform/errors.ts';
import { conventions, requestIdFor, sendError } from './platform/http/conventions.ts';
import { openapi } from './platform/http/openapi.ts';
import { cachedSerializerFactory } from './platform/http/serializers.ts';
import type { App } from './platform/http/types.ts';
import { createValidatorCompiler } from './platform/http/validation.ts';
import { createMemoryLimiter, type RateLimiter } from './platform/ratelimit/limiter.ts';
import type { Services } from './services.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  version: string;
  limiter?: RateLimiter;
  redis?: Redis | null;
  /**
   * Benchmarks only: skip authentication and rate limiting and resolve the
   * tenant from the path alone, to measure what access control costs.
   */
  accessControlDisabledForBenchmark?: boolean;
  /** Override the logger: `false` for none, or a level and a stream (tests capture output). */
  logger?: false | { level: string; stream: DestinationStream };
}

/** The longest path parameter (a node id) the router accepts. */
const MAX_PARAM_LENGTH = 500;

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, services } = deps;
  const log = createLogger(config, deps.logger);
  const logEachRequest = log.isLevelEnabled('info');
  const app = Fastify({
    // Fastify gets no logger of its own: with one it adds two listeners to
    // every response, a sixth of what a small request costs. The app's logger
    // is set below; error and request lines carry request_id themselves.
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    // Only the entries the trusted proxies appended: the first `hops` addresses counted from the socket. Trusting
    // every hop would take the leftmost X-Forwarded-For entry, which the client writes (any address it likes).
    trustProxy: config.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.trustProxyHops : false,
    genReqId: (req) => requestIdFor(req),
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // The router's own errors (a path that is not valid percent-encoding, a parameter over the limit) come in
    // the API's envelope like every other error; the path is not echoed back (it may be huge).
    frameworkErrors: (error, req, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendError(
        reply,
        req,
        badRequest(
          tooLong
            ? `A path parameter is longer than ${MAX_PARAM_LENGTH} characters`
            : 'The path is not valid: a percent sign must start a UTF-8 escape such as %2F',
          [{ path: 'params', message: tooLong ? `must be at most ${MAX_PARAM_LENGTH} characters` : 'is not valid' }],
        ),
      );
    },
    schemaController: { compilersFactory: { buildSerializer: cachedSerializerFactory() } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  (app as { log: FastifyBaseLogger }).log = log;
  services.attachLogger(log);
  app.setValidatorCompiler(createValidatorCompiler());
  // Entity schemas are shared at the root so responses reference them and the
  // OpenAPI document lists each once under components.schemas.
  for (const schema of [Tenant, Member, ApiKey, Node, Edge, Job, TaggingPolicy, TraceHop, Webhook, WebhookDelivery])
    app.addSchema(schema);
  for (const schema of [Finding, RuleSchema, FrameworkScoreSchema, ControlStatusSchema]) app.addSchema(schema);
  app.addSchema(Report);
  const limiter = deps.limiter ?? createMemoryLimiter();

  await app.register(conventions, { bodyLimitBytes: config.bodyLimitBytes });
  await app.register(openapi, { version: deps.version });
  if (deps.accessControlDisabledForBenchmark) {
    app.decorateRequest('principal', null);
    app.decorateRequest('tenant', null as never);
    app.addHook('onRequest', async (req) => {
      const params = req.params as { t?: string; id?: string };
      const ref = params.t ?? (req.routeOptions.url?.startsWith('/api/v1/tenants/:id') ? params.id : undefined);
      if (ref) req.tenant = await services.tenants.operatorScope(ref);
    });
  } else {
    await app.register(accessControl, {
      authenticate: (headers) => services.auth.authenticate(headers),
      scopeFor: (principal, idOrSlug) => services.auth.scopeFor(principal, idOrSlug),
      limiter,
      maxConcurrentPerKey: config.maxConcurrentPerKey,
    });
  }

  // One line per finished request (instead of Fastify's two), with what operators look for.
  if (logEachRequest)
    app.addHook('onResponse', async (req, reply) => {
      log.info(
        {
          request_id: req.id,
          method: req.method,
          url: redactQuery(req.url),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          tenant: req.tenant?.slug,
          actor: req.principal?.id,
          // The peer, or behind INFRACAST_TRUST_PROXY the address the trusted proxies saw.
          client: req.ip,
        },
        'request',
      );
    });

  const redisStatus = async () => {
    if (!deps.redis) return null;
    const start = performance.now();
    try {
      await deps.redis.ping();
      const degraded = limiter.status().degraded;
      return {
        status: degraded ? ('degraded' as const) : ('ok' as const),
        latency_ms: Math.round((performance.now() - start) * 100) / 100,
        ...(degraded ? { message: 'rate limits are kept in memory until Redis answers again' } : {}),
      };
    } catch {
      // /status is public: no address or driver text (the limiter logs the outage once).
      return { status: 'down' as const, latency_ms: null, message: 'Redis unreachable; rate limits kept in memory' };
    }
  };

  await app.register(healthRoutes, {
    version: deps.version,
    startedAt: Date.now(),
    dialect: deps.database.dialect,
    pingDatabase: () => deps.database.ping(),
    redis: redisStatus,
    rateLimiter: () => limiter.status(),
  });

  await app.register(
    async (api) => {
      const a = api as unknown as App;
      await a.register(authRoutes, { auth: services.auth, limiter });
      await a.register(tenantRoutes, { tenants: services.tenants });
      await a.register(memberRoutes, { members: services.members });
      await a.register(apiKeyRoutes, { apiKeys: services.apiKeys });
      await a.register(auditRoutes, { db: services.db });
      await a.register(nodeRoutes, { inventory: services.inventory });
      await a.register(edgeRoutes, { inventory: services.inventory });
      await a.register(jobRoutes, { jobs: services.jobs });
      await a.register(pathTracerRoutes, { pathtracer: services.pathtracer });
      await a.register(taggingRoutes, { tagging: services.tagging });
      await a.register(webhookRoutes, { webhooks: services.webhooks });
      await a.register(reportRoutes, { reports: services.reports });
      await a.register(findingRoutes, { findings: services.findings });
    },
    { prefix: '/api/v1' },
  );
  // Background finding evaluations end before the database they write to is closed.
  app.addHook('onClose', () => services.findings.stop());
  // The seed's `PATCH /v1/orgs/{org}/tagging-policies/{id}`, outside /api/v1 so its scripts only change host.
  await app.register(taggingCompatRoutes, { tagging: services.tagging });

  return app;
}

/** Query parameters whose values never reach the log, whoever sent them there (`?client_secret=…`). */
const SECRET_PARAM = /secret|password|token|key|credential|signature/i;

function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {}
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function createLogger(config: Config, override: AppDeps['logger']): Logger {
  if (override === false) return pino({ enabled: false });
  const options = {
    level: override?.level ?? config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-secret-key"]'], censor: '[redacted]' },
  };
  return override ? pino(options, override.stream) : pino(options);
}
