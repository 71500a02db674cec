/**
 * The event outbox (src/platform/outbox.ts) on SQLite and PostgreSQL: an event exists exactly when the change
 * it tells of committed; one recorded by a process that died before handing it on is posted by a worker's
 * poll; two processes draining at once hand each event on once; an event that cannot be handled holds back
 * only itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config.ts';
import { type DurableEvent, outboxId, recordEvents } from '../../../src/platform/outbox.ts';
import { startWorker } from '../../../src/worker.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { NODES, WEB } from '../findings/fixture.ts';
import { startReceiver } from './helpers.ts';

const ALLOW_PRIVATE = { INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

async function withHook(t: TestApp, url = 'http://127.0.0.1:9/hook') {
  const tenant = await t.createTenant('acme');
  const headers = (await t.userWithRole('acme', 'admin')).headers;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/tenants/acme/webhooks',
    headers,
    payload: { url, events: ['*'] },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { tenantId: tenant.id, headers };
}

const changes = (tenantId: string, n: number, from = 1): DurableEvent[] =>
  Array.from({ length: n }, (_, i) => ({ event: 'inventory.changed', payload: { tenantId, version: from + i } }));

const deliveredVersions = async (t: TestApp) =>
  (await t.services.db.selectFrom('webhook_deliveries').select('payload').execute())
    .map((r) => (JSON.parse(r.payload) as { data: { version: number } }).data.version)
    .sort((a, b) => a - b);

describe('outbox ids', () => {
  it('sort in the order they were made, within one millisecond too', () => {
    const ids = Array.from({ length: 1000 }, () => outboxId(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(outboxId(1_800_000_000_001) > (ids.at(-1) as string)).toBe(true);
  });
});

for (const dialect of testDialects()) {
  describe(`${dialect}: event outbox`, () => {
    it('an event is recorded with its change or not at all', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const { tenantId, headers } = await withHook(t);
      await expect(
        t.services.db.transaction().execute(async (tx) => {
          await recordEvents(tx, changes(tenantId, 1), new Date().toISOString());
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await t.services.db.selectFrom('event_outbox').select('id').execute()).toEqual([]);
      // A write through the API: its event was recorded, handed on (a delivery) and taken out.
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers,
        payload: { provider: 'aws', type: 'aws.s3.bucket', name: 'logs', region: 'global' },
      });
      expect(created.statusCode, created.body).toBe(201);
      await t.services.events.idle();
      expect(await deliveredVersions(t)).toEqual([1]);
      expect(await t.services.db.selectFrom('event_outbox').select('id').execute()).toEqual([]);
      // A write the validation refuses records nothing.
      const refused = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/nodes',
        headers,
        payload: { provider: 'aws', type: 'aws.s3.bucket', name: 'logs', region: 'global' },
      });
      expect(refused.statusCode).toBe(409);
      await t.services.events.idle();
      expect(await deliveredVersions(t)).toEqual([1]);
    });

    it('events of a process that died after its commit are posted by a worker', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const receiver = await startReceiver();
      const { tenantId } = await withHook(t, receiver.url);
      // Committed, never published (the process died there).
      await t.services.db
        .transaction()
        .execute((tx) => recordEvents(tx, changes(tenantId, 3), new Date().toISOString()));
      const config = loadConfig({ ...t.db.env, ...ALLOW_PRIVATE, INFRACAST_LOG_LEVEL: 'silent' });
      const worker = await startWorker(config, {
        pollMs: 50,
        outboxPollMs: 50,
        webhooks: { pollMs: 50 },
        write: () => {},
      });
      try {
        for (let i = 0; i < 200 && receiver.requests.length < 3; i++) await sleep(25);
        const versions = receiver.requests.map(
          (r) => (JSON.parse(r.body) as { data: { version: number } }).data.version,
        );
        expect(versions.sort()).toEqual([1, 2, 3]);
        expect(await t.services.db.selectFrom('event_outbox').select('id').execute()).toEqual([]);
      } finally {
        await worker.close();
      }
    });

    it('two processes draining at once hand each event on exactly once', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const { tenantId } = await withHook(t);
      const config = loadConfig({ ...t.db.env, ...ALLOW_PRIVATE, INFRACAST_LOG_LEVEL: 'silent' });
      const worker = await startWorker(config, { pollMs: 60_000, outboxPollMs: 60_000, write: () => {} });
      try {
        await t.services.db
          .transaction()
          .execute((tx) => recordEvents(tx, changes(tenantId, 1200), new Date().toISOString()));
        const [here, there] = await Promise.all([t.services.outbox.drain(), worker.services.outbox.drain()]);
        expect(here + there).toBe(1200);
        expect(await deliveredVersions(t)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
      } finally {
        await worker.close();
      }
    });

    it('finding events are recorded only when a webhook of the tenant subscribes to them', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const tenant = await t.createTenant('acme');
      const headers = (await t.userWithRole('acme', 'admin')).headers;
      // Left in the outbox to be looked at: nothing hands them on.
      t.services.outbox.drain = async () => 0;
      const recorded = async () =>
        (await t.services.db.selectFrom('event_outbox').select('event').orderBy('id').execute()).map((r) => r.event);
      const addNode = async (n: (typeof NODES)[number]) => {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/tenants/acme/nodes', headers, payload: n });
        expect(res.statusCode, res.body).toBe(201);
      };
      await addNode(NODES[0] as (typeof NODES)[number]);
      expect((await t.services.findings.evaluate(tenant.id))?.created).toBeGreaterThan(0);
      expect(await recorded()).toEqual(['inventory.changed']);

      const hook = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/webhooks',
        headers,
        payload: { url: 'http://127.0.0.1:9/hook', events: ['finding.created'] },
      });
      expect(hook.statusCode, hook.body).toBe(201);
      await addNode(NODES.find((n) => n.id === WEB) as (typeof NODES)[number]);
      expect((await t.services.findings.evaluate(tenant.id))?.created).toBeGreaterThan(0);
      expect(await recorded()).toEqual([
        'inventory.changed',
        'inventory.changed',
        'finding.created',
        'finding.created',
      ]);
    });

    it('an event that cannot be read is reported and dropped; it holds back nothing', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const errors: string[] = [];
      t.services.attachLogger({
        error: (obj) => errors.push(String((obj as { err: Error }).err.message)),
        warn: () => {},
      });
      const { tenantId } = await withHook(t);
      const at = new Date().toISOString();
      await t.services.db.transaction().execute(async (tx) => {
        await recordEvents(tx, changes(tenantId, 2), at);
        await tx
          .insertInto('event_outbox')
          .values({
            id: outboxId(),
            tenant_id: tenantId,
            event: 'inventory.changed',
            payload: '{not json',
            created_at: at,
          })
          .execute();
        await recordEvents(tx, changes(tenantId, 2, 3), at);
      });
      expect(await t.services.outbox.drain()).toBe(5);
      expect(await deliveredVersions(t)).toEqual([1, 2, 3, 4]);
      expect(await t.services.db.selectFrom('event_outbox').select('id').execute()).toEqual([]);
      expect(errors).toEqual(['unreadable inventory.changed event dropped: {not json']);
    });
  });
}
