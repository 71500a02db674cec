/**
 * The per-tenant network model cache: unit tests of the LRU itself, then the
 * service over a real database: repeated traces don't reload, writes do.
 */
import { describe, expect, it } from 'vitest';
import { createModelCache } from '../../../src/modules/pathtracer/cache.ts';
import { createPathTracerService } from '../../../src/modules/pathtracer/service.ts';
import { startThread } from '../../../src/platform/jobs/threads.ts';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { findExposure, ingestSnapshot, TWO_TIER as N, traceOk } from './helpers.ts';

const SEED = { source_node_id: N.webByName, destination_cidr: '0.0.0.0/0', port: 443, protocol: 'tcp' };
const INBOUND = { source: 'internet', destination_node_id: N.web, port: 443 };

/** A cache over fake loads: each tenant's "database version" is set by the test. */
function fakeCache(maxTenants = 2) {
  const versions = new Map<string, number>();
  const loads: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const cache = createModelCache<{ version: number; tenant: string }>({
    maxTenants,
    load: async (tenant) => {
      const version = versions.get(tenant) ?? 0;
      loads.push(`${tenant}@${version}`);
      await gate;
      return { version, tenant };
    },
  });
  return {
    cache,
    versions,
    loads,
    hold() {
      let release = () => {};
      gate = new Promise<void>((r) => {
        release = r;
      });
      return () => {
        release();
        gate = Promise.resolve();
      };
    },
  };
}

describe('model cache', () => {
  it('loads once per version and serves hits until a newer version is asked for', async () => {
    const f = fakeCache();
    expect(await f.cache.get('a', 0)).toEqual({ version: 0, tenant: 'a' });
    expect(await f.cache.get('a', 0)).toEqual({ version: 0, tenant: 'a' });
    expect(f.loads).toEqual(['a@0']);
    f.versions.set('a', 3);
    expect((await f.cache.get('a', 3)).version).toBe(3);
    // A request that saw an older version accepts the newer model.
    expect((await f.cache.get('a', 1)).version).toBe(3);
    expect(f.loads).toEqual(['a@0', 'a@3']);
    expect(f.cache.stats()).toMatchObject({ loads: 2, hits: 2, tenants: 1 });
  });

  it('shares one load between concurrent requests', async () => {
    const f = fakeCache();
    const release = f.hold();
    const all = Promise.all([1, 2, 3, 4, 5].map(() => f.cache.get('a', 0)));
    release();
    expect((await all).every((v) => v.version === 0)).toBe(true);
    expect(f.loads).toEqual(['a@0']);
  });

  it('evicts the least recently used tenant beyond its bound', async () => {
    const f = fakeCache(2);
    await f.cache.get('a', 0);
    await f.cache.get('b', 0);
    await f.cache.get('a', 0); // a is now the most recently used
    await f.cache.get('c', 0); // evicts b
    expect(f.cache.stats()).toMatchObject({ tenants: 2, evictions: 1 });
    await f.cache.get('a', 0);
    expect(f.loads).toEqual(['a@0', 'b@0', 'c@0']);
    await f.cache.get('b', 0);
    expect(f.loads).toEqual(['a@0', 'b@0', 'c@0', 'b@0']);
  });

  it('invalidate drops an older model, keeps a newer one, and spoils a load under way', async () => {
    const f = fakeCache();
    await f.cache.get('a', 0);
    f.cache.invalidate('a', 0); // not newer: kept
    expect(f.cache.peek('a', 0)).toBeDefined();
    f.cache.invalidate('a', 1);
    expect(f.cache.peek('a', 0)).toBeUndefined();
    expect(f.cache.stats().invalidations).toBe(1);

    // A load that read version 1 while version 2 was being committed: answered, not kept.
    f.versions.set('a', 1);
    const release = f.hold();
    const pending = f.cache.get('a', 1);
    f.cache.invalidate('a', 2);
    release();
    expect((await pending).version).toBe(1);
    expect(f.cache.peek('a', 0)).toBeUndefined();
  });

  it('a request newer than the load it joined loads once more, never in a loop', async () => {
    const f = fakeCache();
    f.versions.set('a', 1);
    const release = f.hold();
    const first = f.cache.get('a', 1);
    const second = f.cache.get('a', 2); // joins the load of version 1
    f.versions.set('a', 2);
    release();
    expect((await first).version).toBe(1);
    expect((await second).version).toBe(2);
    expect(f.loads).toEqual(['a@1', 'a@2']);
    // The database lags behind what the request saw: the second answer stands.
    expect((await f.cache.get('a', 5)).version).toBe(2);
  });

  it('a failed load is not cached and the next request tries again', async () => {
    let fail = true;
    const cache = createModelCache<{ version: number }>({
      maxTenants: 2,
      load: async () => {
        if (fail) throw new Error('database down');
        return { version: 0 };
      },
    });
    await expect(cache.get('a', 0)).rejects.toThrow('database down');
    fail = false;
    expect(await cache.get('a', 0)).toEqual({ version: 0 });
    expect(cache.stats().loads).toBe(2);
  });
});

for (const dialect of testDialects()) {
  describe(`${dialect}: path tracer model cache`, () => {
    it('a second trace does not reload the inventory; ten concurrent cold traces load it once', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const h = t.admin.headers;
      const stats = () => t.services.pathtracer.stats();
      const cold = await Promise.all(Array.from({ length: 10 }, () => traceOk(t, 'acme', h, SEED)));
      expect(cold.every((r) => r.reachable)).toBe(true);
      expect(stats()).toMatchObject({ loads: 1, tenants: 1 });
      expect(stats().lastLoad?.nodes).toBe(19);
      await traceOk(t, 'acme', h, SEED);
      await traceOk(t, 'acme', h, INBOUND);
      await findExposure(t, 'acme', h);
      expect(stats().loads).toBe(1);
      expect(stats().hits).toBeGreaterThanOrEqual(3);
    });

    it('a node write drops the model (inventory.changed) and the next trace sees the change', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await t.createTenant('other');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const h = t.admin.headers;
      const stats = () => t.services.pathtracer.stats();
      expect((await traceOk(t, 'acme', h, INBOUND)).reachable).toBe(true);
      await traceOk(t, 'other', h, { source: 'internet', destination_cidr: '0.0.0.0/0' });
      expect(stats()).toMatchObject({ loads: 2, tenants: 2 });

      // Close HTTPS on the web tier's security group.
      const patch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(N.webSg)}`,
        headers: h,
        payload: { attributes: { ingress: [] } },
      });
      expect(patch.statusCode, patch.body).toBe(200);
      await t.services.events.idle();
      expect(stats()).toMatchObject({ invalidations: 1, tenants: 1 }); // other's model stays

      const after = await traceOk(t, 'acme', h, INBOUND);
      expect(after.reachable).toBe(false);
      expect(after.blocked_by.rule).toMatchObject({ type: 'security_group_no_match' });
      expect(stats().loads).toBe(3);
      const exposed = (await findExposure(t, 'acme', h)).json().data.exposed;
      expect(exposed.map((e: { node_id: string }) => e.node_id)).not.toContain(N.web);

      // Re-ingesting the snapshot restores the rule: a new version, a new model.
      await ingestSnapshot(t, 'acme', t.admin.headers);
      expect((await traceOk(t, 'acme', h, INBOUND)).reachable).toBe(true);
      expect(stats().loads).toBe(4);
      // An identical re-ingest changes nothing: no new version, no reload.
      await ingestSnapshot(t, 'acme', t.admin.headers);
      await traceOk(t, 'acme', h, INBOUND);
      expect(stats().loads).toBe(4);
    });

    it('a version bumped elsewhere (another instance, no event here) is noticed on the next request', async () => {
      const t = await createTestApp({ dialect });
      const tenant = await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const h = t.admin.headers;
      await traceOk(t, 'acme', h, SEED);
      await t.services.db
        .updateTable('tenants')
        .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
        .where('id', '=', tenant.id)
        .execute();
      await traceOk(t, 'acme', h, SEED);
      expect(t.services.pathtracer.stats().loads).toBe(2);
    });

    it('large networks: exposure runs on a worker thread and answers as inline does', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const threaded = createPathTracerService({
        db: t.services.db,
        events: t.services.events,
        inventory: t.services.inventory,
        exposureThreadMinNodes: 0,
      });
      const scope = await t.services.tenants.operatorScope('acme');
      const ctx = { principal: null, requestId: null, ip: null, tenant: scope };
      const inline = (await findExposure(t, 'acme', t.admin.headers)).json().data;
      const [first, same] = await Promise.all([threaded.exposure(ctx, {}), threaded.exposure(ctx, {})]);
      expect(first).toEqual(inline);
      expect(same).toBe(first); // concurrent identical requests share one computation
      expect(threaded.stats().threadedExposures).toBe(1);
      const ssh = await threaded.exposure(ctx, { ports: [443], protocols: ['tcp'], include_paths: false });
      expect(ssh.exposed.map((e) => e.node_id)).toEqual([N.web]);
      expect(threaded.stats().threadedExposures).toBe(2);
      expect(t.services.pathtracer.stats().threadedExposures).toBe(0); // small networks stay inline

      // A new inventory version: the thread is sent the new rows and answers from them.
      const patch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(N.webSg)}`,
        headers: t.admin.headers,
        payload: { attributes: { ingress: [] } },
      });
      expect(patch.statusCode).toBe(200);
      const fresh = { ...ctx, tenant: await t.services.tenants.operatorScope('acme') };
      expect((await threaded.exposure(fresh, {})).exposed).toEqual([]);
      expect(threaded.stats().exposureThreadFailures).toBe(0);

      // A refused query is a 400 naming the field, on the thread's side as well.
      await expect(threaded.exposure(fresh, { ports: [22], protocols: ['icmp'] })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        details: [{ path: 'body.ports', message: 'applies only to tcp and udp, and protocols names neither' }],
      });
      const thread = startThread(new URL('../../../src/modules/pathtracer/exposure-thread.ts', import.meta.url));
      try {
        const reply = await thread.call('exposure', {
          tenantId: 'x',
          version: 1,
          opts: { ports: [22], protocols: ['icmp'] },
          rows: [],
          edges: [],
        });
        expect(reply).toEqual({
          refused: {
            code: 'INVALID_QUERY',
            message: 'ports applies only to tcp and udp, and protocols names neither',
            problems: [{ field: 'ports', message: 'applies only to tcp and udp, and protocols names neither' }],
          },
        });
      } finally {
        await thread.close();
      }
    });

    it('loads a page at a time and lets the event loop run between pages', async () => {
      const t = await createTestApp({ dialect });
      await t.createTenant('acme');
      await ingestSnapshot(t, 'acme', t.admin.headers);
      const service = createPathTracerService({
        db: t.services.db,
        events: t.services.events,
        inventory: t.services.inventory,
        loadPageSize: 2,
      });
      const ctx = {
        principal: null,
        requestId: null,
        ip: null,
        tenant: await t.services.tenants.operatorScope('acme'),
      };
      let ticks = 0;
      let loading = true;
      const tick = () => {
        ticks++;
        if (loading) setImmediate(tick);
      };
      setImmediate(tick);
      const paged = await service.trace(ctx, { ...SEED, protocol: 'tcp' });
      loading = false;
      expect(ticks).toBeGreaterThanOrEqual(9); // 19 nodes, 2 per page
      expect(service.stats().lastLoad?.nodes).toBe(19);
      expect(paged).toEqual(await traceOk(t, 'acme', t.admin.headers, SEED));
    });
  });
}
