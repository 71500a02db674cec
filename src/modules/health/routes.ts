import { Type } from 'typebox';
import type { DatabaseDialect } from '../../platform/config.ts';
import { AppError } from '../../platform/errors.ts';
import { commonErrors, commonErrorsExcept, Envelope } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';

export interface StatusSources {
  version: string;
  startedAt: number;
  dialect: DatabaseDialect;
  pingDatabase: () => Promise<number>;
  redis: () => Promise<{ status: 'ok' | 'down' | 'degraded'; latency_ms: number | null; message?: string } | null>;
  rateLimiter: () => { backend: 'memory' | 'redis'; healthy: boolean; degraded: boolean };
}

const Status = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
    version: Type.String(),
    uptime_seconds: Type.Number(),
    database: Type.Object({
      dialect: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
      status: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
      latency_ms: Type.Union([Type.Number(), Type.Null()]),
      error: Type.Optional(Type.String()),
    }),
    redis: Type.Union([
      Type.Null(),
      Type.Object({
        status: Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('degraded')]),
        latency_ms: Type.Union([Type.Number(), Type.Null()]),
        message: Type.Optional(Type.String()),
      }),
    ]),
    rate_limiter: Type.Object({
      backend: Type.Union([Type.Literal('memory'), Type.Literal('redis')]),
      degraded: Type.Boolean({ description: 'True while Redis is unreachable and limits are kept in memory.' }),
    }),
  },
  { additionalProperties: false },
);

const StatusDown = Type.Object({ data: Status, meta: Type.Null(), error: Type.Unknown() });

export async function healthRoutes(app: App, src: StatusSources) {
  const healthz = JSON.stringify({ data: { status: 'ok' }, meta: null, error: null });
  app.get(
    '/healthz',
    {
      config: { setsRequestIdHeader: true },
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Liveness check',
        description: 'No authentication; never touches the database.',
        security: [],
        // An unknown query parameter is a 400 here too, as on every route.
        response: { 200: Envelope(Type.Object({ status: Type.Literal('ok') })), 400: commonErrors[400] },
      },
    },
    // Synchronous: a liveness probe should cost what the framework costs, nothing more.
    (req, reply) => {
      reply
        .header('x-request-id', req.id)
        .type('application/json; charset=utf-8')
        .send(healthz as never);
    },
  );

  app.get(
    '/api/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        tags: ['health'],
        summary: 'API status with a live database check',
        description:
          'No authentication. Version, uptime, database dialect and latency, Redis status. 503 (same shape) when the database is down.',
        security: [],
        response: { 200: Envelope(Status), ...commonErrorsExcept(401, 403, 404, 429), 503: StatusDown },
      },
    },
    async (req, reply) => {
      let database: { dialect: DatabaseDialect; status: 'ok' | 'down'; latency_ms: number | null; error?: string };
      try {
        const ms = await src.pingDatabase();
        database = { dialect: src.dialect, status: 'ok', latency_ms: round(ms) };
      } catch (e) {
        req.server.log.warn({ err: e }, 'database ping failed');
        database = { dialect: src.dialect, status: 'down', latency_ms: null, error: 'database unreachable' };
      }
      const redis = await src.redis();
      const limiter = src.rateLimiter();
      const data = {
        status:
          database.status === 'down'
            ? ('down' as const)
            : redis && redis.status !== 'ok'
              ? ('degraded' as const)
              : ('ok' as const),
        version: src.version,
        uptime_seconds: round((Date.now() - src.startedAt) / 1000),
        database,
        redis,
        // Redis down means limits are kept in memory from the next limited request on: say so already.
        rate_limiter: { backend: limiter.backend, degraded: limiter.degraded || redis?.status === 'down' },
      };
      if (database.status === 'down') {
        const err = new AppError('SERVICE_UNAVAILABLE', 'Database unreachable');
        return reply.code(503).send({
          data,
          meta: null,
          error: { code: err.code, message: err.message, details: null, request_id: req.id },
        });
      }
      return one(data);
    },
  );
}

const round = (n: number) => Math.round(n * 100) / 100;
