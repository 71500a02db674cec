/**
 * The API contract: real responses held to the OpenAPI document. Each response a route gives (success and
 * the errors a client can provoke) must be documented for that route, its body must validate against the
 * documented schema, and the headers clients rely on (Link, rate limits, Retry-After, Location, ETag,
 * Content-Disposition, WWW-Authenticate) must be documented on it. Plus what the document says of itself:
 * tags declared, parameters described, codes that can never happen left out.
 */

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { runQueuedJobs } from '../modules/jobs/helpers.ts';

type Doc = {
  tags: { name: string }[];
  components: { headers?: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};
type Operation = {
  operationId: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; description?: string }[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> }>;
};

/** The headers a client acts on: each one a response carries must be documented on it. */
const CLIENT_HEADERS = [
  'link',
  'location',
  'etag',
  'content-disposition',
  'retry-after',
  'www-authenticate',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'ratelimit',
  'ratelimit-policy',
  'x-request-id',
];

async function documentOf(t: TestApp): Promise<Doc> {
  return (await t.app.inject('/api/v1/openapi.json')).json();
}

/** Checks responses against the document; `problems` lists each mismatch, `seen` each (operation, status). */
function contractChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: 'doc' });
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      path,
      method,
      op,
      re: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      params: path.split('{').length,
    })),
  );
  const problems: string[] = [];
  const seen = new Set<string>();
  const check = (method: string, url: string, res: LightMyRequestResponse) => {
    const pathname = url.split('?')[0] ?? url;
    // The most literal match: /tagging-policies/compliance before /tagging-policies/{id}.
    const found = ops
      .filter((o) => o.method === method.toLowerCase() && o.re.test(pathname))
      .sort((a, b) => a.params - b.params)[0];
    const where = `${method} ${url} → ${res.statusCode}`;
    if (!found) return problems.push(`${where}: no operation`);
    const status = String(res.statusCode);
    seen.add(`${found.op.operationId} ${status}`);
    const response = found.op.responses[status];
    if (!response) return problems.push(`${where}: ${found.op.operationId} does not document ${status} (${res.body})`);
    const type = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (response.content && status !== '304') {
      if (!response.content[type]) problems.push(`${where}: content type ${type} not documented`);
      else if (type === 'application/json') {
        const pointer = `doc#/paths/${found.path.replaceAll('~', '~0').replaceAll('/', '~1')}/${found.method}/responses/${status}/content/application~1json/schema`;
        const validate = ajv.compile({ $ref: pointer });
        if (!validate(res.json())) {
          problems.push(
            `${where}: body does not match: ${ajv.errorsText(validate.errors)} in ${res.body.slice(0, 300)}`,
          );
        }
      }
    }
    const documented = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
    for (const h of CLIENT_HEADERS) {
      if (res.headers[h] !== undefined && !documented.includes(h)) {
        problems.push(`${where}: header ${h} not documented on ${found.op.operationId} ${status}`);
      }
    }
  };
  return { check, problems, seen };
}

describe('API contract', () => {
  it('real responses are documented for their route, with bodies that validate and the headers they carry', async () => {
    const t = await createTestApp({ env: { INFRACAST_BODY_LIMIT_MB: '1' } });
    const doc = await documentOf(t);
    const { check, problems, seen } = contractChecker(doc);
    const call = async (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      headers: Record<string, string> = {},
      payload?: unknown,
      contentType?: string,
    ) => {
      const res = await t.app.inject({
        method,
        url,
        headers: contentType ? { ...headers, 'content-type': contentType } : headers,
        ...(payload === undefined ? {} : { payload: payload as string }),
      });
      check(method, url, res);
      return res;
    };

    await t.createTenant('acme', 'enterprise');
    const owner = (await t.apiKey('acme', 'owner')).headers;
    const viewer = (await t.apiKey('acme', 'viewer')).headers;
    const T = '/api/v1/tenants/acme';

    // Outside the tenants: health, auth, tenants.
    await call('GET', '/healthz');
    await call('GET', '/healthz?verbose=1');
    await call('GET', '/api/v1/status');
    await call('GET', '/api/v1/status?x=1');
    await call('GET', '/api/v1/auth/me', t.admin.headers);
    await call('GET', '/api/v1/auth/me');
    await call(
      'POST',
      '/api/v1/auth/token',
      {},
      { grant_type: 'password', email: 'nobody@example.com', password: 'x' },
    );
    await call('POST', '/api/v1/auth/refresh', {}, { refresh_token: 'not-a-token' });
    await call('GET', '/api/v1/tenants', t.admin.headers);
    await call('POST', '/api/v1/tenants', t.admin.headers, { slug: 'acme', name: 'Again' });
    await call('POST', '/api/v1/tenants', t.admin.headers, 'x', 'text/plain');

    // In a tenant: successes with Location and Link, then the errors.
    const a = await call('POST', `${T}/nodes`, owner, { provider: 'aws', type: 'aws.ec2.vpc', name: 'vpc-a' });
    const b = await call('POST', `${T}/nodes`, owner, { provider: 'aws', type: 'aws.ec2.subnet', name: 'subnet-b' });
    await call('POST', `${T}/nodes`, owner, { provider: 'aws', type: 'aws.ec2.vpc', name: 'vpc-a' });
    await call('GET', `${T}/nodes?per_page=1`, owner);
    await call('GET', `${T}/nodes?per_page=1&page=2`, owner);
    await call('GET', `${T}/nodes/${encodeURIComponent(a.json().data.id)}`, owner);
    await call('GET', `${T}/nodes/aws%3Aus-east-1%3Aaws.ec2.vpc%3Anone`, owner);
    await call('POST', `${T}/nodes`, viewer, { provider: 'aws', type: 'aws.ec2.vpc', name: 'vpc-c' });
    await call('POST', `${T}/nodes`, owner, { provider: 'aws', type: 'aws.ec2.vpc' });
    await call('POST', `${T}/nodes`, owner, 'x', 'text/plain');
    await call('POST', `${T}/nodes`, owner, JSON.stringify({ provider: 'x'.repeat(1_100_000) }), 'application/json');
    await call('DELETE', `${T}/nodes/${encodeURIComponent(b.json().data.id)}`, owner, 'x', 'text/plain');
    await call(
      'DELETE',
      `${T}/nodes/${encodeURIComponent(b.json().data.id)}`,
      owner,
      'x'.repeat(1_100_000),
      'application/json',
    );
    await call('GET', `${T}/nodes`, { authorization: 'Bearer nope' });
    await call('GET', '/api/v1/tenants/other/nodes', owner);
    await call('POST', `${T}/edges`, owner, {
      source_id: a.json().data.id,
      target_id: b.json().data.id,
      type: 'contains',
    });
    await call('POST', `${T}/pathtracer/trace`, owner, {
      source_node_id: a.json().data.id,
      destination_cidr: '0.0.0.0/0',
      port: 443,
    });
    await call('POST', `${T}/tagging-policies`, owner, {
      name: 'apps',
      tags: [{ key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['app1'] }],
    });
    await call('GET', `${T}/tagging-policies?enabled=true`, owner);
    await call('GET', `${T}/tagging-policies/compliance`, owner);
    const report = await call('POST', `${T}/reports/generate`, owner, { type: 'inventory', format: 'csv' });
    const download = `${T}/reports/${report.json().data.id}/download`;
    await call('GET', download, owner);
    await runQueuedJobs(t);
    const dl = await call('GET', download, owner);
    await call('GET', download, { ...owner, 'if-none-match': String(dl.headers.etag) });
    const json = await call('POST', `${T}/reports/generate`, owner, { type: 'inventory', format: 'json' });
    await runQueuedJobs(t);
    const jsonDoc = await call('GET', `${T}/reports/${json.json().data.id}/download`, owner);
    expect(jsonDoc.json()).toMatchObject({ row_count: 2, report: { type: 'inventory' } });
    const hook = await call('POST', `${T}/webhooks`, owner, { url: 'https://example.com/hook', events: ['*'] });
    await call('POST', `${T}/webhooks/${hook.json().data.id}/ping`, owner);
    await call('GET', `${T}/webhooks?enabled=false`, owner);
    await call('POST', `${T}/tokens`, owner, { description: 'ci', role: 'viewer', expires_in_days: 1 });

    // Rate limited: a tenant allowed one request at once.
    await t.createTenant('tiny', 'free');
    await call('PATCH', '/api/v1/tenants/tiny', t.admin.headers, { rate_limit: { per_minute: 1, burst: 1 } });
    const tiny = (await t.apiKey('tiny', 'owner')).headers;
    for (let i = 0; i < 3; i++) await call('GET', '/api/v1/tenants/tiny/nodes', tiny);

    expect(problems).toEqual([]);
    // The walk above did reach what it is meant to check.
    for (const s of [
      'getHealth 400',
      'createNode 201',
      'createNode 409',
      'createNode 403',
      'createNode 413',
      'createNode 415',
      'deleteNode 413',
      'deleteNode 415',
      'listNodes 200',
      'listNodes 401',
      'listNodes 404',
      'listNodes 429',
      'tracePath 422',
      'downloadReport 409',
      'downloadReport 200',
      'downloadReport 304',
      'pingWebhook 202',
    ]) {
      expect(seen, s).toContain(s);
    }
  });

  it('declares every tag it uses, describes every parameter, and documents the response headers', async () => {
    const t = await createTestApp();
    const doc = await documentOf(t);
    const declared = new Set(doc.tags.map((x) => x.name));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods)) {
        for (const tag of op.tags ?? []) expect(declared, `${op.operationId}: tag ${tag}`).toContain(tag);
        for (const p of op.parameters ?? []) {
          expect(p.description, `${op.operationId}: ${p.in} parameter ${p.name} has no description`).toBeTruthy();
        }
        for (const [status, r] of Object.entries(op.responses)) {
          for (const h of Object.values(r.headers ?? {})) {
            const ref = (h as { $ref?: string }).$ref;
            if (ref) expect(doc.components.headers?.[ref.split('/').pop() ?? ''], `${ref}`).toBeDefined();
          }
          if (status === '201') expect(r.headers, `${op.operationId} 201`).toHaveProperty('Location');
          if (status === '429') expect(r.headers, `${op.operationId} 429`).toHaveProperty('Retry-After');
          if (status === '401') expect(r.headers, `${op.operationId} 401`).toHaveProperty('WWW-Authenticate');
        }
        // The server reads an RFC 7396 merge patch on every PATCH.
        const patch = (methods as Record<string, Operation & { requestBody?: { content: object } }>).patch;
        if (patch)
          expect(Object.keys(patch.requestBody?.content ?? {}), patch.operationId).toContain(
            'application/merge-patch+json',
          );
        // Tenant-scoped routes are rate-limited: their answers carry the limit.
        if (path.includes('{t}'))
          expect(
            op.responses['200'] ?? op.responses['201'] ?? op.responses['202'] ?? op.responses['204'],
            op.operationId,
          ).toMatchObject({ headers: { 'X-RateLimit-Remaining': expect.anything() } });
      }
    }
  });

  it('a body that may be left out is not a required request body', async () => {
    const t = await createTestApp();
    const doc = await documentOf(t);
    const optional: string[] = [];
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods) as (Operation & { requestBody?: { required?: boolean } })[]) {
        if (op.requestBody?.required === false) optional.push(op.operationId);
        else if (op.requestBody) expect(op.requestBody.required, op.operationId).toBe(true);
      }
    }
    expect(optional.sort()).toEqual([
      'cancelJob',
      'pingWebhook',
      'redeliverWebhookDelivery',
      'resolveFinding',
      'rotateWebhookSecret',
      'startJob',
    ]);
    // And the server takes them without one; a required body without one is a 400.
    await t.createTenant('acme');
    const key = (await t.apiKey('acme', 'editor')).headers;
    const noBody = (url: string) => t.app.inject({ method: 'POST', url: `/api/v1/tenants/acme${url}`, headers: key });
    expect((await noBody('/findings/fnd_nope/resolve')).statusCode).toBe(404);
    expect((await noBody('/jobs/job_nope/start')).statusCode).toBe(404);
    expect((await noBody('/pathtracer/exposure')).statusCode).toBe(400);
  });

  it('documents a 503 (a request that lost to a concurrent change) wherever the database is used, and no code that cannot happen', async () => {
    const t = await createTestApp();
    const doc = await documentOf(t);
    const byId = new Map(
      Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => [op.operationId, op] as const)),
    );
    for (const [id, op] of byId) {
      if (id !== 'getHealth') expect(Object.keys(op.responses), id).toContain('503');
    }
    const codes = (id: string) => Object.keys(byId.get(id)?.responses ?? {});
    // Public: no credential to refuse, no tenant, no limit.
    expect(codes('getStatus')).not.toEqual(expect.arrayContaining(['401']));
    for (const c of ['401', '403', '404', '429']) expect(codes('getStatus'), c).not.toContain(c);
    for (const c of ['403', '404']) expect(codes('createToken'), c).not.toContain(c);
    for (const c of ['403', '404', '429']) expect(codes('refreshToken'), c).not.toContain(c);
    for (const c of ['403', '404', '429']) expect(codes('getMe'), c).not.toContain(c);
    for (const c of ['404', '429']) expect(codes('listTenants'), c).not.toContain(c);
    for (const c of ['404', '429']) expect(codes('createTenant'), c).not.toContain(c);
    expect(codes('createToken')).toContain('429'); // failed sign-ins are limited
    expect(codes('changePassword')).toContain('429');
    // The token endpoint takes HTTP Basic client credentials, and says so.
    expect(doc.components.securitySchemes.clientBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(byId.get('createToken')?.security).toEqual([{}, { clientBasic: [] }]);
    // A conditional download names the request header it reads.
    expect(byId.get('downloadReport')?.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'if-none-match', required: false }),
    );
  });
});
