import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.ts';

describe('API conventions', () => {
  it('healthz answers without auth or database', async () => {
    const t = await createTestApp();
    const res = await t.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { status: 'ok' }, meta: null, error: null });
    expect(res.headers['x-request-id']).toMatch(/^req_/);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const t = await createTestApp();
    const ok = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123.def' } });
    expect(ok.headers['x-request-id']).toBe('abc-123.def');
    const bad = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'has spaces and <script>' } });
    expect(bad.headers['x-request-id']).toMatch(/^req_/);
  });

  it('every response carries X-Request-Id: success, 401, 404, 405, 400, 415, documents', async () => {
    const t = await createTestApp();
    const cases = [
      { url: '/api/v1/tenants', headers: t.admin.headers },
      { url: '/api/v1/tenants' },
      { url: '/api/v1/nowhere' },
      { method: 'DELETE' as const, url: '/healthz' },
      { url: '/api/v1/tenants?per_page=0', headers: t.admin.headers },
      {
        method: 'POST' as const,
        url: '/api/v1/tenants',
        headers: { ...t.admin.headers, 'content-type': 'text/plain' },
        payload: 'x',
      },
      { url: '/api/v1/openapi.json' },
      { url: '/api/v1/status' },
    ];
    for (const c of cases) {
      const res = await t.app.inject(c);
      expect(res.headers['x-request-id'], `${c.method ?? 'GET'} ${c.url} → ${res.statusCode}`).toMatch(/^req_/);
    }
  });

  it('status reports version, dialect and a live database check', async () => {
    const t = await createTestApp();
    const res = await t.app.inject('/api/v1/status');
    expect(res.statusCode).toBe(200);
    const d = res.json().data;
    expect(d.status).toBe('ok');
    expect(d.version).toBe('test');
    expect(d.database.dialect).toBe('sqlite');
    expect(d.database.status).toBe('ok');
    expect(typeof d.database.latency_ms).toBe('number');
    expect(d.redis).toBeNull();
  });

  it('status is 503 with the same shape when the database is down', async () => {
    const t = await createTestApp();
    await t.db.database.close();
    const res = await t.app.inject('/api/v1/status');
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.data.database.status).toBe('down');
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('unknown route: 404 envelope', async () => {
    const t = await createTestApp();
    const res = await t.app.inject('/api/v1/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ data: null, error: { code: 'NOT_FOUND', details: null } });
    expect(res.json().error.message).toMatch(/GET \/api\/v1\/nope/);
  });

  it('wrong method: 405 envelope with Allow', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants', headers: t.admin.headers });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    const head = await t.app.inject({ method: 'HEAD', url: '/api/v1/tenants', headers: t.admin.headers });
    expect(head.statusCode).toBe(200);
    const noGet = await t.app.inject({ method: 'GET', url: '/api/v1/auth/token' });
    expect(noGet.statusCode).toBe(405);
    expect(noGet.headers.allow).toBe('POST');
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it("a path the router refuses (bad percent-encoding, a parameter over 500 characters) is a 400 in the API's envelope", async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    for (const [url, message] of [
      ['/api/v1/tenants/acme/nodes/%FF', 'is not valid'],
      ['/api/v1/tenants/acme/jobs/%E0%A4%A', 'is not valid'],
      [`/api/v1/tenants/acme/nodes/${'n'.repeat(501)}`, 'must be at most 500 characters'],
    ] as const) {
      const res = await t.app.inject({ url, headers: t.admin.headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['x-request-id'], url).toMatch(/^req_/);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json(), url).toMatchObject({
        data: null,
        error: { code: 'BAD_REQUEST', message: expect.any(String), details: [{ path: 'params', message }] },
      });
      expect(res.body).not.toContain('nnnnnnnnnn');
    }
    const fine = await t.app.inject({ url: `/api/v1/tenants/acme/nodes/${'n'.repeat(500)}`, headers: t.admin.headers });
    expect(fine.statusCode).toBe(404);
  });

  it('malformed JSON: 400 BAD_REQUEST, not 500', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: { ...t.admin.headers, 'content-type': 'application/json' },
      payload: '{"slug": "x",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      data: null,
      error: { code: 'BAD_REQUEST', message: 'Request body is not valid JSON' },
    });
  });

  it('a "__proto__" member is refused by name, not as "not valid JSON"', async () => {
    const t = await createTestApp();
    for (const payload of [
      '{"slug": "x", "name": "X", "__proto__": {"admin": true}}',
      '{"a": [{"__proto__": null}]}',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: { ...t.admin.headers, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error.message).toBe('Request body may not contain a member named "__proto__"');
    }
  });

  it('wrong content type: 415 envelope', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: { ...t.admin.headers, 'content-type': 'text/plain' },
      payload: 'slug=acme',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a compressed body (Content-Encoding) is a 415 naming the encoding, not "not valid JSON"; identity is fine', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    const body = JSON.stringify({ name: 'a', source: 'terraform_state', input: { version: 4, resources: [] } });
    for (const [url, encoding] of [
      ['/api/v1/tenants/acme/jobs', 'gzip'],
      ['/api/v1/tenants', 'gzip'],
      ['/api/v1/tenants', 'br'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { ...t.admin.headers, 'content-type': 'application/json', 'content-encoding': encoding },
        payload: encoding === 'gzip' ? gzipSync(body) : body,
      });
      expect(res.statusCode, `${url} ${encoding}`).toBe(415);
      expect(res.headers['accept-encoding']).toBe('identity');
      expect(res.json().error).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `Content-Encoding ${encoding} is not supported; send the body uncompressed`,
      });
    }
    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/jobs',
      headers: { ...t.admin.headers, 'content-type': 'application/json', 'content-encoding': 'identity' },
      payload: body,
    });
    expect(plain.statusCode).toBe(201);
  });

  it('body over the limit: 413 envelope naming the limit', async () => {
    const t = await createTestApp({ env: { INFRACAST_BODY_LIMIT_MB: '1' } });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: { ...t.admin.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ slug: 'big', name: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body is larger than the limit of 1 MB',
    });
  });

  it('unknown body field: 400 naming the field', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: t.admin.headers,
      payload: { slug: 'acme', name: 'Acme', colour: 'blue' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: 'body.colour', message: 'unknown field "colour"' }]);
  });

  it('every failing field is listed with its path', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: t.admin.headers,
      payload: { slug: 'A!', plan: 'gold' },
    });
    expect(res.statusCode).toBe(400);
    const paths = res
      .json()
      .error.details.map((d: { path: string }) => d.path)
      .sort();
    expect(paths).toEqual(['body.name', 'body.plan', 'body.slug']);
  });

  it('unknown query parameter and out-of-range pagination are 400s', async () => {
    const t = await createTestApp();
    for (const qs of ['per_page=0', 'per_page=501', 'page=0', 'page=abc', 'bogus=1']) {
      const res = await t.app.inject({ url: `/api/v1/tenants?${qs}`, headers: t.admin.headers });
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().error.code).toBe('BAD_REQUEST');
      expect(res.json().error.details[0].path).toMatch(/^querystring\./);
    }
    // Number() would read these as 16, 50, 10, 2 and 10: a number in a URL is decimal digits.
    for (const value of ['0x10', '5e1', '%2010', '1.5', '+2', '10%20', '']) {
      const res = await t.app.inject({ url: `/api/v1/tenants?per_page=${value}`, headers: t.admin.headers });
      expect(res.statusCode, value).toBe(400);
      expect(res.json().error.details, value).toEqual([{ path: 'querystring.per_page', message: 'must be integer' }]);
    }
    const depth = await t.app.inject({
      url: '/api/v1/tenants?per_page=0x10&page=2&bogus=1',
      headers: t.admin.headers,
    });
    expect(depth.json().error.details).toEqual([
      { path: 'querystring.per_page', message: 'must be integer' },
      { path: 'querystring.bogus', message: 'unknown field "bogus"' },
    ]);
    for (const value of ['7', '007', '500']) {
      const res = await t.app.inject({ url: `/api/v1/tenants?per_page=${value}`, headers: t.admin.headers });
      expect(res.statusCode, value).toBe(200);
      expect(res.json().meta.per_page).toBe(Number(value));
    }
  });

  it('unknown sort field: 400 naming the allowed fields', async () => {
    const t = await createTestApp();
    const res = await t.app.inject({ url: '/api/v1/tenants?sort=-created_at,colour', headers: t.admin.headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(
      'Cannot sort by "colour"; allowed fields: created_at, updated_at, name, slug',
    );
    // Named like every other query-string error.
    expect(res.json().error.details[0].path).toBe('querystring.sort');
    for (const twice of ['name,name', 'name,-name']) {
      const dup = await t.app.inject({ url: `/api/v1/tenants?sort=${twice}`, headers: t.admin.headers });
      expect(dup.statusCode).toBe(400);
      expect(dup.json().error.message).toBe('Sort field "name" is given more than once');
    }
  });

  it('missing credentials: 401 envelope', async () => {
    const t = await createTestApp();
    const res = await t.app.inject('/api/v1/tenants');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
  });

  it('every 401 carries a WWW-Authenticate challenge (RFC 9110 §15.5.2; RFC 6750 §3 for bearer tokens)', async () => {
    const t = await createTestApp();
    const none = await t.app.inject('/api/v1/tenants');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="infracast"');
    const bad = await t.app.inject({ url: '/api/v1/tenants', headers: { authorization: 'Bearer ick_not-a-key' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="infracast", error="invalid_token"');
    const basic = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: {
        authorization: `Basic ${Buffer.from('ick_nobody:wrong').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });
    expect(basic.statusCode).toBe(401);
    expect(basic.headers['www-authenticate']).toBe('Basic realm="infracast", charset="UTF-8"');
    const fine = await t.app.inject({ url: '/api/v1/tenants', headers: t.admin.headers });
    expect(fine.headers['www-authenticate']).toBeUndefined();
  });

  it('a body nested deeper than 256 levels is a 400, not a stack overflow (500)', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const node = (attributes: string) =>
      `{"provider":"aws","type":"aws.ec2.instance","region":"us-east-1","name":"deep","attributes":{"x":${attributes}}}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/nodes',
      headers: { ...t.admin.headers, 'content-type': 'application/json' },
      payload: node(deep(5000)),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Request body nests deeper than 256 levels',
    });
    // Brackets inside strings do not count; 250 levels are fine.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/nodes',
      headers: { ...t.admin.headers, 'content-type': 'application/json' },
      payload: node(`{"s":${JSON.stringify('['.repeat(1000))},"d":${deep(250)}}`),
    });
    expect(ok.statusCode, ok.body).toBe(201);
    // The createJob body, read by its own parser (inline below 1 MB, by a thread above).
    for (const pad of [0, 1_100_000]) {
      const job = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/jobs',
        headers: { ...t.admin.headers, 'content-type': 'application/json' },
        payload: `{"name":"deep","source":"terraform_state","input":{"pad":"${'x'.repeat(pad)}","v":${deep(3000)}}}`,
      });
      expect(job.statusCode, `pad ${pad}`).toBe(400);
      expect(job.json().error.message).toBe('Request body nests deeper than 256 levels');
    }
  });

  it('a lone UTF-16 surrogate or a NUL character is a 400 naming the field, on both databases; a pair is fine', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    const post = (url: string, payload: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...t.admin.headers, 'content-type': 'application/json' },
        payload,
      });
    const lone = await post('/api/v1/tenants', '{"slug":"lone","name":"a\\ud800b"}');
    expect(lone.statusCode).toBe(400);
    expect(lone.json().error.details).toEqual([
      { path: 'body.name', message: 'holds a lone surrogate (\\ud800–\\udfff without its pair)' },
    ]);
    // NUL: PostgreSQL text cannot hold it; refused on both databases alike.
    const nul = await post('/api/v1/tenants', '{"slug":"nul","name":"a\\u0000b"}');
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.details).toEqual([{ path: 'body.name', message: 'holds a NUL character (\\u0000)' }]);
    const nulTag = await post(
      '/api/v1/tenants/acme/nodes',
      '{"provider":"aws","type":"aws.ec2.instance","region":"us-east-1","name":"n","tags":{"k":"a\\u0000b"}}',
    );
    expect(nulTag.statusCode).toBe(400);
    expect(nulTag.json().error.details).toEqual([{ path: 'body.tags.k', message: 'holds a NUL character (\\u0000)' }]);
    const pair = await post('/api/v1/tenants', '{"slug":"pair","name":"a\\ud83d\\ude00b"}');
    expect(pair.statusCode, pair.body).toBe(201);
    expect(pair.json().data.name).toBe('a😀b');
    for (const pad of [0, 1_100_000]) {
      const job = await post(
        '/api/v1/tenants/acme/jobs',
        `{"name":"j\\udc00","source":"terraform_state","input":{"pad":"${'x'.repeat(pad)}"}}`,
      );
      expect(job.statusCode, `pad ${pad}`).toBe(400);
      expect(job.json().error.details).toEqual([
        { path: 'body.name', message: 'holds a lone surrogate (\\ud800–\\udfff without its pair)' },
      ]);
    }
  });

  it('application/merge-patch+json is for PATCH: on a POST it is a 415, not a 500', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    for (const url of ['/api/v1/tenants/acme/jobs', '/api/v1/tenants']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { ...t.admin.headers, 'content-type': 'application/merge-patch+json' },
        payload: '{"name":"a","source":"terraform_state","input":{}}',
      });
      expect(res.statusCode, url).toBe(415);
      expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/tenants/acme',
      headers: { ...t.admin.headers, 'content-type': 'application/merge-patch+json' },
      payload: '{"name":"Acme"}',
    });
    expect(patch.statusCode).toBe(200);
  });

  it('an action without fields (start, cancel) takes no body or {}; a field is a 400 naming it', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    const job = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/jobs',
      headers: t.admin.headers,
      payload: { name: 'j', source: 'terraform_state', input: { version: 4, resources: [] } },
    });
    const base = `/api/v1/tenants/acme/jobs/${job.json().data.id}`;
    const withField = await t.app.inject({
      method: 'POST',
      url: `${base}/cancel`,
      headers: t.admin.headers,
      payload: { reason: 'x' },
    });
    expect(withField.statusCode).toBe(400);
    expect(withField.json().error.details).toEqual([{ path: 'body.reason', message: 'unknown field "reason"' }]);
    const start = await t.app.inject({ method: 'POST', url: `${base}/start`, headers: t.admin.headers, payload: {} });
    expect(start.statusCode, start.body).toBe(202);
    const cancel = await t.app.inject({ method: 'POST', url: `${base}/cancel`, headers: t.admin.headers });
    expect(cancel.statusCode, cancel.body).toBe(200);
  });

  it('names and descriptions must not be blank; an empty filter is a 400, not "no filter"', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    const blank = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/tokens',
      headers: t.admin.headers,
      payload: { description: '   ', role: 'viewer', never_expires: true },
    });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error.details).toEqual([{ path: 'body.description', message: 'must not be blank' }]);
    const node = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tenants/acme/nodes',
      headers: t.admin.headers,
      payload: { provider: 'aws', type: 'aws.ec2.instance', region: 'us-east-1', name: ' \t ' },
    });
    expect(node.statusCode).toBe(400);
    expect(node.json().error.details).toEqual([{ path: 'body.name', message: 'must not be blank' }]);
    // Invisible characters are blank too; a visible one among them is not.
    for (const [name, status] of [
      ['\u200b', 400],
      ['\ufeff\u2060', 400],
      ['\u00a0\u3000', 400],
      ['\u200bweb', 201],
      ['😀', 201],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers: t.admin.headers,
        payload: { provider: 'aws', type: 'aws.ec2.instance', region: 'us-east-1', name },
      });
      expect(res.statusCode, JSON.stringify(name)).toBe(status);
    }
    // A list with no item (empty, commas, spaces) and a blank search are 400s, not "no filter".
    for (const [url, param, message] of [
      ['/api/v1/tenants/acme/jobs?status=', 'status', 'must list at least one value'],
      ['/api/v1/tenants/acme/jobs?status=,', 'status', 'must list at least one value'],
      ['/api/v1/tenants/acme/tokens?status=%20', 'status', 'must list at least one value'],
      ['/api/v1/tenants/acme/tokens?role=,', 'role', 'must list at least one value'],
      ['/api/v1/tenants/acme/nodes?types=', 'types', 'must list at least one value'],
      ['/api/v1/tenants/acme/nodes?tag_missing=,%20,', 'tag_missing', 'must list at least one value'],
      ['/api/v1/tenants/acme/audit-log?action=', 'action', 'must list at least one value'],
      ['/api/v1/tenants/acme/audit-log?actor=', 'actor', 'must list at least one value'],
      ['/api/v1/tenants/acme/audit-log?target_type=,', 'target_type', 'must list at least one value'],
      ['/api/v1/tenants/acme/findings?node_id=,', 'node_id', 'must list at least one value'],
      ['/api/v1/tenants?q=', 'q', 'must not be blank'],
      ['/api/v1/tenants/acme/nodes?q=%20%20', 'q', 'must not be blank'],
    ] as const) {
      const res = await t.app.inject({ url, headers: t.admin.headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details, url).toEqual([{ path: `querystring.${param}`, message }]);
    }
  });

  it('every comma-separated query list in the OpenAPI document requires an item; every text parameter a value', async () => {
    const t = await createTestApp();
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    let lists = 0;
    type Param = {
      in: string;
      name: string;
      description?: string;
      schema?: {
        type?: string;
        description?: string;
        pattern?: string;
        enum?: unknown;
        format?: string;
        minLength?: number;
      };
    };
    for (const [path, ops] of Object.entries<Record<string, { parameters?: Param[] }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) {
          if (p.in !== 'query' || p.schema?.type !== 'string') continue;
          const where = `${method.toUpperCase()} ${path} ?${p.name}`;
          const s = p.schema;
          if (/comma-separated/i.test(p.description ?? s.description ?? '')) {
            lists++;
            expect(s.pattern, where).toBe('[^,\\s]');
          } else {
            expect(
              s.enum ?? s.format ?? s.pattern ?? ((s.minLength ?? 0) >= 1 ? s.minLength : undefined),
              where,
            ).toBeDefined();
          }
        }
      }
    }
    expect(lists).toBeGreaterThan(30);
  });

  it('a route without query parameters rejects unknown ones; secrets in a query string never reach the log', async () => {
    const t = await createTestApp({ captureLogs: true });
    await t.createTenant('acme');
    for (const url of ['/api/v1/tenants/acme?bogus=1', '/api/v1/auth/me?bogus=1', '/api/v1/status?bogus=1']) {
      const res = await t.app.inject({ url, headers: t.admin.headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details).toEqual([{ path: 'querystring.bogus', message: 'unknown field "bogus"' }]);
    }
    await t.app.inject({ url: '/api/v1/tenants/acme?client_secret=icsk_SEKRIT&x=1', headers: t.admin.headers });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/token?password=QueryPwSekrit3', payload: {} });
    const urls = t.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request')
      .map((l) => l.url as string);
    expect(urls).toContain('/api/v1/tenants/acme?client_secret=[redacted]&x=1');
    expect(urls).toContain('/api/v1/auth/token?password=[redacted]');
    expect(t.logs.join('\n')).not.toMatch(/SEKRIT|QueryPwSekrit3/);
  });

  it('each request line names the client: the peer, or behind INFRACAST_TRUST_PROXY the forwarded address', async () => {
    const clients = async (env: Record<string, string>) => {
      const t = await createTestApp({ captureLogs: true, env });
      await t.app.inject({ url: '/api/v1/status', headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.2' } });
      return t.logs
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'request' && l.url === '/api/v1/status')
        .map((l) => l.client);
    };
    expect(await clients({})).toEqual(['127.0.0.1']);
    // One trusted load balancer: the entry it appended.
    expect(await clients({ INFRACAST_TRUST_PROXY: 'true' })).toEqual(['198.51.100.2']);
    expect(await clients({ INFRACAST_TRUST_PROXY: '2' })).toEqual(['203.0.113.7']);
  });

  it('an unexpected error is a 500 that leaks nothing and logs the cause with the request id', async () => {
    const t = await createTestApp({
      captureLogs: true,
      extend: (app) =>
        app.get('/api/v1/boom', { config: { public: true } }, async () => {
          throw new Error('secret internal detail');
        }),
    });
    const res = await t.app.inject('/api/v1/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      data: null,
      error: {
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        details: null,
        request_id: res.headers['x-request-id'],
      },
    });
    expect(res.body).not.toMatch(/secret internal detail|at .*\.ts/);
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
    expect(line.err.message).toBe('secret internal detail');
    expect(line.request_id).toBe(res.headers['x-request-id']);
  });
});
