/**
 * The delivery queue under more than one worker, on SQLite and PostgreSQL: each delivery is posted once,
 * a delivery whose worker died is taken over when its lease expires, and `infracast worker` (startWorker)
 * drains the queue too.
 */
import { describe, expect, it } from 'vitest';
import { claimDueDeliveries } from '../../../src/modules/webhooks/store.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { type DurableEvent, recordEvents } from '../../../src/platform/outbox.ts';
import { startWorker } from '../../../src/worker.ts';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { startDeliverer, startReceiver, waitForDelivery } from './helpers.ts';

const ALLOW_PRIVATE = { INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

for (const dialect of testDialects()) {
  describe(`${dialect}: webhook delivery queue`, () => {
    it('two workers share the queue: every delivery is posted exactly once', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      await t.createTenant('acme');
      const h = (await t.userWithRole('acme', 'admin')).headers;
      const receiver = await startReceiver();
      const hook = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/webhooks',
          headers: h,
          payload: { url: receiver.url, events: ['*'] },
        })
      ).json().data;
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
          headers: h,
        });
        ids.push(res.json().data.id);
      }
      const a = startDeliverer(t, { workerId: 'a', concurrency: 3 });
      const b = startDeliverer(t, { workerId: 'b', concurrency: 3 });
      for (const id of ids) await waitForDelivery(t, id, (d) => d.status === 'succeeded');
      await Promise.all([a.drain(), b.drain()]);
      const seen = receiver.requests.map((r) => r.headers['infracast-delivery']);
      expect(seen.length).toBe(24);
      expect(new Set(seen)).toEqual(new Set(ids));
      const rows = await t.services.db.selectFrom('webhook_deliveries').selectAll().execute();
      expect(rows.every((r) => r.attempts === 1 && r.lease_owner === null)).toBe(true);
    });

    it('a delivery claimed by a worker that died is taken over once its lease expires', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      await t.createTenant('acme');
      const h = (await t.userWithRole('acme', 'admin')).headers;
      const receiver = await startReceiver();
      const hook = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/webhooks',
          headers: h,
          payload: { url: receiver.url, events: ['*'] },
        })
      ).json().data;
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      const id = ping.json().data.id;
      // A worker claims it with a short lease, then dies without recording anything.
      const now = new Date();
      const claimed = await claimDueDeliveries(t.services.db, t.services.dialect, {
        owner: 'dead-worker',
        now: now.toISOString(),
        leaseExpiresAt: new Date(now.getTime() + 400).toISOString(),
        limit: 10,
      });
      expect(claimed.map((c) => c.id)).toEqual([id]);
      expect(claimed[0]).toMatchObject({ attempts: 1, lease_owner: 'dead-worker' });
      // Claimed: nobody else gets it while the lease holds.
      const again = await claimDueDeliveries(t.services.db, t.services.dialect, {
        owner: 'other',
        now: new Date().toISOString(),
        leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
        limit: 10,
      });
      expect(again).toEqual([]);

      startDeliverer(t, { workerId: 'alive' });
      const done = await waitForDelivery(t, id, (d) => d.status !== 'pending');
      // The lost attempt counts (the request may have gone out before the worker died).
      expect(done).toMatchObject({ status: 'succeeded', attempts: 2, lease_owner: null });
      expect(receiver.requests.length).toBe(1);
    });

    it('`infracast worker` posts deliveries queued by a server', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      await t.createTenant('acme');
      const h = (await t.userWithRole('acme', 'admin')).headers;
      const receiver = await startReceiver();
      const hook = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/webhooks',
          headers: h,
          payload: { url: receiver.url, events: ['*'] },
        })
      ).json().data;
      const config = loadConfig({ ...t.db.env, ...ALLOW_PRIVATE, INFRACAST_LOG_LEVEL: 'silent' });
      const worker = await startWorker(config, { pollMs: 50, webhooks: { pollMs: 50 }, write: () => {} });
      try {
        const ping = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
          headers: h,
        });
        const done = await waitForDelivery(t, ping.json().data.id, (d) => d.status !== 'pending');
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(done.lease_owner).toBeNull();
        expect(receiver.requests.length).toBe(1);
      } finally {
        await worker.close();
      }
    });

    it('recorded events fan out once, in one transaction: each webhook gets each event it subscribed to', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      const acme = await t.createTenant('acme');
      const other = await t.createTenant('other');
      const create = async (slug: string, events: string[]) => {
        const h = (await t.userWithRole(slug, 'admin')).headers;
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/${slug}/webhooks`,
          headers: h,
          payload: { url: 'http://127.0.0.1:9/hook', events },
        });
        expect(res.statusCode, res.body).toBe(201);
        return res.json().data.id as string;
      };
      const all = await create('acme', ['*']);
      const onlyChanges = await create('acme', ['inventory.changed']);
      const otherHook = await create('other', ['inventory.changed']);
      // 40 events of two tenants, as changes record them.
      const events: DurableEvent[] = [];
      for (let v = 1; v <= 20; v++) {
        events.push({ event: 'inventory.changed', payload: { tenantId: acme.id, version: v } });
        events.push({
          event: 'job.cancelled',
          payload: {
            tenantId: v % 2 ? acme.id : other.id,
            jobId: `job_${v}`,
            kind: 'discovery',
            source: 'terraform_state',
          },
        });
      }
      await t.services.db.transaction().execute((tx) => recordEvents(tx, events, new Date().toISOString()));
      expect(await t.services.outbox.drain()).toBe(40);
      const rows = await t.services.db
        .selectFrom('webhook_deliveries')
        .select(['webhook_id', 'event', 'payload'])
        .orderBy('created_at')
        .execute();
      const versions = rows
        .filter((r) => r.webhook_id === onlyChanges)
        .map((r) => (JSON.parse(r.payload) as { data: { version: number } }).data.version);
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(rows.filter((r) => r.webhook_id === all).length).toBe(30);
      expect(rows.filter((r) => r.webhook_id === otherHook).length).toBe(0);
      expect(await t.services.db.selectFrom('event_outbox').select('id').execute()).toEqual([]);
      // Nothing is left to hand on twice.
      expect(await t.services.outbox.drain()).toBe(0);
      expect((await t.services.db.selectFrom('webhook_deliveries').select('id').execute()).length).toBe(rows.length);
    });

    it('finished deliveries past the retention period are deleted; pending and recent ones are kept', async () => {
      const t = await createTestApp({ dialect, env: ALLOW_PRIVATE });
      await t.createTenant('acme');
      const h = (await t.userWithRole('acme', 'admin')).headers;
      const hook = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/webhooks',
          headers: h,
          payload: { url: 'http://127.0.0.1:9/hook', events: ['*'] },
        })
      ).json().data;
      const ids: Record<string, string> = {};
      // `redelivered-succeeded` was made long ago but sent again (and succeeded) yesterday: kept.
      for (const kind of ['old-succeeded', 'old-failed', 'old-pending', 'new-succeeded', 'redelivered-succeeded']) {
        const ping = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
          headers: h,
        });
        ids[kind] = ping.json().data.id;
        const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
        const old = kind.startsWith('old');
        await t.services.db
          .updateTable('webhook_deliveries')
          .set({
            status: kind.endsWith('pending') ? 'pending' : (kind.split('-')[1] as 'succeeded' | 'failed'),
            created_at: daysAgo(old || kind.startsWith('redelivered') ? 40 : 1),
            last_attempt_at: kind.endsWith('pending') ? null : daysAgo(old ? 40 : 1),
            // Not due during the test: a pending delivery waiting for its next attempt.
            next_attempt_at: new Date(Date.now() + 86_400_000).toISOString(),
          })
          .where('id', '=', ids[kind] as string)
          .execute();
      }
      const d = startDeliverer(t, { retentionMs: 30 * 86_400_000, pruneEveryMs: 0 });
      await d.drain();
      const left = async () =>
        (await t.services.db.selectFrom('webhook_deliveries').select('id').execute()).map((r) => r.id).sort();
      const until = Date.now() + 5000;
      while ((await left()).length > 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(await left()).toEqual([ids['old-pending'], ids['new-succeeded'], ids['redelivered-succeeded']].sort());
    });
  });
}
