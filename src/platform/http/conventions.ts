/**
 * The API's conventions, implemented once for every route: request ids, the
 * `{data, meta, error}` envelope on every error (unknown routes, 405, 413,
 * 415, malformed JSON included), JSON parsing that accepts an empty body on
 * body-less actions, and the single error handler.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay from 'find-my-way';
import { isTransientConflict } from '../db/sql.ts';
import { AppError, type ErrorCode, isAppError } from '../errors.ts';
import { newRequestId } from '../ids.ts';
import { jsonNestsDeeperThan, tooDeepMessage, unstorableStringAt, unstorableStringMessage } from './json-depth.ts';
import { isMergePatch } from './merge-patch.ts';
import { bodyErrors, NoQuery } from './schemas.ts';
import { toFieldErrors } from './validation.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a well-formed incoming X-Request-Id (so traces join up across services), else makes one. */
export function requestIdFor(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newRequestId();
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps anything thrown to an AppError; unknown errors become a 500 that leaks nothing. */
function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function toAppError(err: unknown, bodyLimitBytes: number): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyError & { validationContext?: string };
  if (e?.validation) {
    const details = toFieldErrors(e.validation as never, e.validationContext ?? 'request');
    const first = details[0];
    return new AppError(
      'BAD_REQUEST',
      first ? `Invalid request: ${first.path} ${first.message}` : 'Invalid request',
      details,
    );
  }
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped === 'PAYLOAD_TOO_LARGE') {
    return new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${formatBytes(bodyLimitBytes)}`);
  }
  if (mapped === 'UNSUPPORTED_MEDIA_TYPE') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type; send application/json');
  }
  if (e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError) {
    return new AppError('BAD_REQUEST', 'Request body is not valid JSON');
  }
  if (mapped) return new AppError(mapped, e.message);
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  const code = STATUS_CODES[status];
  if (code && status < 500) return new AppError(code, e.message);
  if (isTransientConflict(err)) {
    return new AppError(
      'SERVICE_UNAVAILABLE',
      'The database was busy with a conflicting change; nothing of this request was written. Retry it.',
      null,
      { cause: err, extra: { retry_after: 1 }, headers: { 'retry-after': '1' } },
    );
  }
  return new AppError('INTERNAL_ERROR', 'Internal server error', null, { cause: err });
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MB` : `${n} bytes`;
}

/**
 * The `preParsing` hook of every route that reads a body: a body compressed with any coding (Content-Encoding)
 * would be read as if it were not, and a gzipped JSON document answered "not valid JSON". RFC 9110 §15.5.16:
 * 415, saying the codings that are accepted.
 */
function refuseContentEncoding(
  req: FastifyRequest,
  _reply: FastifyReply,
  payload: unknown,
  done: (err: Error | null, payload?: unknown) => void,
): void {
  const encoding = req.headers['content-encoding'];
  if (encoding === undefined || /^\s*(identity)?\s*$/i.test(encoding)) {
    done(null, payload);
    return;
  }
  done(
    new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${encoding} is not supported; send the body uncompressed`,
      null,
      {
        headers: { 'accept-encoding': 'identity' },
      },
    ),
  );
}

/** The `onRequest` hook every route gets (see the conventions plugin). */
function setRequestIdHeader(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('x-request-id', req.id);
  done();
}

export function sendError(reply: FastifyReply, req: FastifyRequest, error: AppError): FastifyReply {
  // Unknown routes (404, 405) run no route hooks: the id is set here for them.
  reply.header('x-request-id', req.id);
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  if (error.status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challengeFor(req));
  return reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send({
      data: null,
      error: {
        code: error.code,
        message: error.message,
        details: error.details ?? null,
        ...error.extra,
        request_id: req.id,
      },
    });
}

/**
 * The challenge a 401 must carry (RFC 9110 §11.6.1): Basic when the client sent Basic credentials
 * (RFC 6749 §5.2), else Bearer, with `invalid_token` when a credential was sent (RFC 6750 §3).
 */
function challengeFor(req: FastifyRequest): string {
  const sent = req.headers.authorization;
  if (typeof sent === 'string' && /^basic\s/i.test(sent)) return 'Basic realm="infracast", charset="UTF-8"';
  const presented = typeof sent === 'string' || req.headers['x-secret-key'] !== undefined;
  return presented ? 'Bearer realm="infracast", error="invalid_token"' : 'Bearer realm="infracast"';
}

export interface RegisteredRoute {
  method: string;
  url: string;
  operationId: string | null;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler sets X-Request-Id itself: the route gets no hook for it (see the conventions plugin). */
    setsRequestIdHeader?: boolean;
  }
  interface FastifyInstance {
    /** Every route registered, for the OpenAPI completeness check and the permission matrix. */
    routeTable: RegisteredRoute[];
  }
}

export interface ConventionsOptions {
  bodyLimitBytes: number;
}

export const conventions = fp<ConventionsOptions>(
  async (app: FastifyInstance, opts) => {
    // Methods per path, to answer 405 (with Allow) instead of 404 when only the method is wrong.
    const router = FindMyWay();
    const table: RegisteredRoute[] = [];
    app.decorate('routeTable', table);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = route.schema as
        | { hide?: boolean; operationId?: string; response?: Record<string | number, unknown> }
        | undefined;
      // Every route that reads a body can answer 413 and 415 (Fastify decides both before the handler):
      // the OpenAPI document says so for each, without every module repeating it. Fastify reads a DELETE's
      // body too (a DELETE sent with `Content-Type: text/plain` is a 415).
      if (schema?.response && methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE')) {
        schema.response = { ...bodyErrors, ...schema.response };
      }
      if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE')) {
        const own =
          route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
        route.preParsing = [refuseContentEncoding, ...own] as typeof route.preParsing;
      }
      // X-Request-Id on every response: a hook per route rather than a global one, so that a route that sets
      // it itself (the liveness probe, where a hook is a measurable share of the cost) can go without.
      if (!route.config?.setsRequestIdHeader) {
        const own =
          route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
        route.onRequest = [setRequestIdHeader, ...own] as typeof route.onRequest;
      }
      // An API route that takes no query parameters still rejects unknown ones, as every other does.
      if (schema?.operationId && (schema as { querystring?: unknown }).querystring === undefined) {
        (schema as { querystring?: unknown }).querystring = NoQuery;
      }
      for (const m of methods) {
        if (m !== 'HEAD')
          table.push({
            method: m,
            url: route.url,
            operationId: schema?.operationId ?? null,
            hidden: schema?.hide === true,
          });
      }
      for (const m of methods) {
        if (m === 'HEAD') continue;
        try {
          router.on(m as 'GET', route.url, () => {});
        } catch {
          // Duplicate registrations (e.g. prefix variants) are harmless here.
        }
      }
    });

    // An empty JSON body on a body-less action (POST …/start) is not an error.
    app.removeContentTypeParser(['application/json', 'text/plain']);
    const jsonParser = app.getDefaultJsonParser('error', 'ignore');
    // application/merge-patch+json (RFC 7396) is JSON too: PATCH bodies that say so are read alike; what a
    // patch means is up to the route (see merge-patch.ts).
    app.addContentTypeParser(
      ['application/json', 'application/merge-patch+json'],
      { parseAs: 'string' },
      (req, body, done) => {
        // A merge patch is a PATCH body; elsewhere it would be read as something it is not.
        if (req.method !== 'PATCH' && isMergePatch(req.headers['content-type'])) {
          return done(
            new AppError(
              'UNSUPPORTED_MEDIA_TYPE',
              `application/merge-patch+json is for PATCH requests; send ${req.method} bodies as application/json`,
            ),
          );
        }
        if ((body as string).length === 0) return done(null, undefined);
        if (jsonNestsDeeperThan(body as string)) return done(new AppError('BAD_REQUEST', tooDeepMessage));
        jsonParser(req, body as string, (err, value) => {
          if (err && isValidJson(body as string)) {
            // Valid JSON that the parser refused: a `__proto__` member (it could pollute prototypes).
            return done(new AppError('BAD_REQUEST', 'Request body may not contain a member named "__proto__"'));
          }
          const found = err ? null : unstorableStringAt(body as string, value);
          if (found) {
            return done(
              new AppError('BAD_REQUEST', unstorableStringMessage(found), [
                { path: found.path, message: found.problem },
              ]),
            );
          }
          done(err, value);
        });
      },
    );

    app.setErrorHandler((err, req, reply) => {
      const error = toAppError(err, opts.bodyLimitBytes);
      if (error.status >= 500) {
        req.server.log.error({ err: error.cause ?? err, request_id: req.id }, 'request failed');
      }
      return sendError(reply, req, error);
    });

    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0] ?? '/';
      const allowed: string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
        (m) => m !== req.method && router.find(m as 'GET', path) !== null,
      );
      // Every GET route answers HEAD too (Fastify's exposeHeadRoutes).
      if (allowed[0] === 'GET') allowed.splice(1, 0, 'HEAD');
      if (allowed.length > 0) {
        const error = new AppError('METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed on ${path}`, null, {
          headers: { allow: allowed.join(', ') },
        });
        return sendError(reply, req, error);
      }
      return sendError(reply, req, new AppError('NOT_FOUND', `Route ${req.method} ${path} not found`));
    });
  },
  { name: 'conventions' },
);
