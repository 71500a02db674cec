/**
 * Walks every route in the OpenAPI document × every role and checks that the
 * answer is exactly what ROUTE_ACCESS says: below the required role → 403;
 * at or above → anything but 401/403. Foreign tenants → 404 on every route.
 */
import { describe, expect, it } from 'vitest';
import { ROLES, ROUTE_ACCESS, roleAtLeast } from '../../../src/platform/auth/roles.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

interface Op {
  method: string;
  path: string;
  operationId: string;
}

async function operations(t: TestApp): Promise<Op[]> {
  const doc = (await t.app.inject('/api/v1/openapi.json')).json();
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>)) {
    for (const [method, op] of Object.entries(item))
      ops.push({ method: method.toUpperCase(), path, operationId: op.operationId });
  }
  return ops;
}

const fill = (path: string, tenant: string) =>
  path
    .replace('{t}', tenant)
    .replace('{org}', tenant)
    .replace(/\{(\w+)\}/g, (_m, name) =>
      name === 'id' && path === '/api/v1/tenants/{id}' ? tenant : `does-not-exist-${name}`,
    );

async function call(t: TestApp, op: Op, tenant: string, headers: Record<string, string>) {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
  return t.app.inject({
    method: op.method as 'GET',
    url: fill(op.path, tenant),
    headers,
    ...(hasBody ? { payload: {} } : {}),
  });
}

describe('permission map', () => {
  it('every tenant route answers each role exactly as ROUTE_ACCESS says', async () => {
    const t = await createTestApp();
    await t.createTenant('acme');
    // Lift the rate limit out of the way: this test makes hundreds of requests.
    await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/tenants/acme',
      headers: t.admin.headers,
      payload: { rate_limit: { per_minute: 100000, burst: 100000 } },
    });
    const callers = Object.fromEntries(
      await Promise.all(ROLES.map(async (r) => [r, await t.userWithRole('acme', r)] as const)),
    );
    const keys = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await t.apiKey('acme', r)] as const)));

    const ops = (await operations(t)).filter(
      (op) => !['public', 'authenticated', 'platform_admin'].includes(ROUTE_ACCESS[op.operationId] as string),
    );
    expect(ops.length).toBeGreaterThan(8);
    const mismatches: string[] = [];
    for (const op of ops) {
      const required = ROUTE_ACCESS[op.operationId];
      expect(required, `${op.operationId} missing from ROUTE_ACCESS`).toBeDefined();
      for (const role of ROLES) {
        for (const [who, headers] of [
          ['user', callers[role]!.headers],
          ['key', keys[role]!.headers],
        ] as const) {
          if (op.operationId === 'deleteTenant' && roleAtLeast(role, 'owner')) continue; // checked below, destructive
          const res = await call(t, op, 'acme', headers);
          const allowed = roleAtLeast(role, required as (typeof ROLES)[number]);
          const ok = allowed ? res.statusCode !== 403 && res.statusCode !== 401 : res.statusCode === 403;
          if (!ok) mismatches.push(`${op.operationId} as ${role} ${who}: ${res.statusCode} ${res.body.slice(0, 120)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);

    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: callers.owner!.headers });
    expect(del.statusCode).toBe(204);
  });

  it("another tenant's routes are 404 for its non-members and foreign keys, never 403", async () => {
    const t = await createTestApp();
    await t.createTenant('mine');
    await t.createTenant('theirs');
    const owner = await t.userWithRole('mine', 'owner');
    const key = await t.apiKey('mine', 'owner');
    const ops = (await operations(t)).filter(
      (op) => !['public', 'authenticated', 'platform_admin'].includes(ROUTE_ACCESS[op.operationId] as string),
    );
    for (const op of ops) {
      for (const headers of [owner.headers, key.headers]) {
        const res = await call(t, op, 'theirs', headers);
        expect(res.statusCode, `${op.method} ${op.path}: ${res.body}`).toBe(404);
        expect(res.json().error.message).toBe('tenant theirs not found');
      }
    }
  });

  it('non-tenant routes: public ones need no credentials, the others a valid caller', async () => {
    const t = await createTestApp();
    for (const op of await operations(t)) {
      const access = ROUTE_ACCESS[op.operationId];
      if (access !== 'public' && access !== 'authenticated') continue;
      const res = await call(t, op, 'acme', {});
      if (access === 'public') expect(res.statusCode, op.operationId).not.toBe(401);
      else expect(res.statusCode, op.operationId).toBe(401);
    }
  });
});
