/**
 * The response headers of the OpenAPI document: the ones the conventions, the access control and
 * pagination set on every route alike (X-Request-Id, rate limits, Retry-After, WWW-Authenticate, Link,
 * Location), and the few a route sets itself (a download's ETag and Content-Disposition). Added to the
 * generated document (never to the schemas that validate and serialise), as `$ref`s to
 * `components.headers`. test/platform/contract.test.ts holds real responses to them.
 */
import { ROLES, ROUTE_ACCESS } from '../auth/roles.ts';

type Header = { description: string; schema: Record<string, unknown>; required?: boolean };

export const RESPONSE_HEADERS: Record<string, Header> = {
  'X-Request-Id': {
    description: "The request's id (a well-formed incoming `X-Request-Id` is kept); quote it when asking for help.",
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': {
    description:
      "The tenant's requests per minute. The rate-limit headers are on every tenant-scoped response but a 401 " +
      "(and a 404 for an unknown tenant), and on none of a platform admin's requests (they are not counted).",
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests that may still be made at once (at most the burst).',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Reset': {
    description: 'When the bucket is full again, in epoch seconds.',
    schema: { type: 'integer' },
  },
  'RateLimit-Policy': {
    description: 'IETF draft-ietf-httpapi-ratelimit-headers: `"tenant";q=<per minute>;w=60;burst=<burst>`.',
    schema: { type: 'string' },
  },
  RateLimit: {
    description: 'IETF draft-ietf-httpapi-ratelimit-headers: `"tenant";r=<remaining>;t=<seconds to full>`.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (also in `error.retry_after`).',
    schema: { type: 'integer' },
    required: true,
  },
  'WWW-Authenticate': {
    description:
      '`Bearer realm="infracast"` (with `error="invalid_token"` when a credential was sent); ' +
      '`Basic` from the token endpoint when the client authenticated with HTTP Basic.',
    schema: { type: 'string' },
    required: true,
  },
  Link: {
    description:
      'RFC 8288 links to the `first`, `prev`, `next` and `last` pages, as GitHub sends them; absent when there is one page.',
    schema: { type: 'string' },
  },
  Location: {
    description: 'The URL of the object made (or of the work accepted).',
    schema: { type: 'string' },
    required: true,
  },
  ETag: {
    description: "The document's SHA-256, quoted; send it back in `If-None-Match` for a 304.",
    schema: { type: 'string' },
    required: true,
  },
  'Content-Disposition': {
    description: '`attachment` with the file name (RFC 6266; `filename*` for names beyond ASCII).',
    schema: { type: 'string' },
    required: true,
  },
};

const RATE_LIMIT_HEADERS = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'RateLimit-Policy',
  'RateLimit',
];

/** Headers that only some operations send, by operationId and status. */
const OPERATION_HEADERS: Record<string, Record<string, string[]>> = {
  generateReport: { '202': ['Location'] },
  pingWebhook: { '202': ['Location'] },
  redeliverWebhookDelivery: { '202': ['Location'] },
  downloadReport: { '200': ['ETag', 'Content-Disposition'], '304': ['ETag'] },
};

interface OpenApiResponse {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: { properties?: Record<string, { properties?: Record<string, unknown> }> } }>;
}
interface OpenApiDocument {
  components?: Record<string, unknown>;
  paths?: Record<string, Record<string, { operationId?: string; responses?: Record<string, OpenApiResponse> }>>;
}

/** A page envelope: `meta` is `{total, page, per_page, total_pages}`. */
const isPage = (r: OpenApiResponse) =>
  r.content?.['application/json']?.schema?.properties?.meta?.properties?.total_pages !== undefined;

const isTenantScoped = (operationId: string | undefined) =>
  (ROLES as readonly string[]).includes(ROUTE_ACCESS[operationId ?? ''] ?? '');

/** Returns the document with each response's headers (a `transformObject` for @fastify/swagger). */
export function withResponseHeaders<T extends object>(doc: T): T {
  const d = doc as OpenApiDocument;
  d.components = { ...d.components, headers: RESPONSE_HEADERS };
  for (const ops of Object.values(d.paths ?? {})) {
    for (const op of Object.values(ops)) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const names = ['X-Request-Id'];
        if (isTenantScoped(op.operationId) && status !== '401') names.push(...RATE_LIMIT_HEADERS);
        if (status === '401') names.push('WWW-Authenticate');
        // The status route's 503 is its own (the database is down), without Retry-After.
        if (status === '429' || (status === '503' && op.operationId !== 'getStatus')) names.push('Retry-After');
        if (status === '201') names.push('Location');
        if (status.startsWith('2') && isPage(response)) names.push('Link');
        names.push(...(OPERATION_HEADERS[op.operationId ?? '']?.[status] ?? []));
        response.headers = {
          ...response.headers,
          ...Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }])),
        };
      }
    }
  }
  return doc;
}
