import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROUTE_ACCESS } from '../../src/platform/auth/roles.ts';
import { createTestApp } from '../helpers/app.ts';

/** Fastify `/tenants/:t/nodes/:id` → OpenAPI `/tenants/{t}/nodes/{id}`. */
const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3 and the same as JSON and YAML', async () => {
    const t = await createTestApp();
    const json = await t.app.inject('/api/v1/openapi.json');
    expect(json.statusCode).toBe(200);
    const doc = json.json();
    expect(doc.openapi).toMatch(/^3\./);
    await SwaggerParser.validate(structuredClone(doc));
    const yaml = await t.app.inject('/api/v1/openapi.yaml');
    expect(yaml.headers['content-type']).toMatch(/yaml/);
    expect(parseYaml(yaml.body)).toEqual(doc);
  });

  it('lists every registered route with an operationId, a tag, its schemas and error responses', async () => {
    const t = await createTestApp();
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    const visible = t.app.routeTable.filter((r) => !r.hidden && !r.url.startsWith('/docs'));
    expect(visible.length).toBeGreaterThan(10);
    const operationIds = new Set<string>();
    for (const route of visible) {
      const op = doc.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url} missing from the document`).toBeDefined();
      expect(op.operationId, `${route.method} ${route.url}`).toBe(route.operationId);
      expect(operationIds.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
      operationIds.add(op.operationId);
      expect(op.tags?.length, `${op.operationId} has no tag`).toBeGreaterThan(0);
      expect(op.summary, `${op.operationId} has no summary`).toBeTruthy();
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success.length, `${op.operationId} has no success response`).toBe(1);
      if (op.operationId !== 'getHealth') {
        expect(op.responses['400'] ?? op.responses['500'], `${op.operationId} lists no errors`).toBeDefined();
      }
      if (['post', 'put', 'patch'].includes(route.method.toLowerCase())) {
        if (!/start|cancel/i.test(op.operationId)) {
          expect(op.requestBody, `${op.operationId} has no request body schema`).toBeDefined();
        }
        // Any body can be too large or of the wrong type, before the handler runs.
        expect(op.responses['413'], `${op.operationId} does not list 413`).toBeDefined();
        expect(op.responses['415'], `${op.operationId} does not list 415`).toBeDefined();
      }
    }
    // And nothing in the document that isn't a route.
    const documented = Object.values(doc.paths).flatMap((p) =>
      Object.values(p as object).map((o) => (o as { operationId: string }).operationId),
    );
    expect(new Set(documented)).toEqual(operationIds);
  });

  it('every route is in the permission map', async () => {
    const t = await createTestApp();
    for (const r of t.app.routeTable.filter((x) => !x.hidden && !x.url.startsWith('/docs'))) {
      expect(ROUTE_ACCESS[r.operationId ?? ''], `${r.method} ${r.url}`).toBeDefined();
    }
  });

  it('serves an interactive reference at /docs', async () => {
    const t = await createTestApp();
    const res = await t.app.inject('/docs');
    expect([200, 301, 302]).toContain(res.statusCode);
    const page = res.statusCode !== 200 ? await t.app.inject(String(res.headers.location)) : res;
    expect(page.body).toMatch(/openapi\.json/);
    // Nothing fetched from elsewhere (air-gapped installs): no CDN fonts, no telemetry.
    expect(page.body).toMatch(/"withDefaultFonts": false/);
    expect(page.body).toMatch(/"telemetry": false/);
  });
});
