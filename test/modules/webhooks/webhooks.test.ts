/**
 * Webhooks end to end, on SQLite and PostgreSQL: the API (validation, secrets shown once, roles, tenants,
 * audit), fan-out of bus events into deliveries, and the delivery worker posting signed requests to a real
 * local receiver (retries, failure after the last attempt, redelivery, ping, SSRF refusals).
 */
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/core/webhooks/signature.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { ingest, readJson, startRunner } from '../jobs/helpers.ts';
import { startDeliverer, startReceiver, waitForDelivery } from './helpers.ts';

const ALLOW_PRIVATE = { INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

async function setup(dialect: 'sqlite' | 'postgres', env: Record<string, string> = ALLOW_PRIVATE) {
  const t = await createTestApp({ dialect, env });
  await t.createTenant('acme');
  const admin = await t.userWithRole('acme', 'admin');
  return { t, h: admin.headers };
}

const create = (t: TestApp, h: Record<string, string>, payload: Record<string, unknown>, tenant = 'acme') =>
  t.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant}/webhooks`, headers: h, payload });

async function created(t: TestApp, h: Record<string, string>, payload: Record<string, unknown>) {
  const res = await create(t, h, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as { id: string; secret: string; url: string; events: string[] };
}

const deliveriesOf = (t: TestApp, webhookId: string) =>
  t.services.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).execute();

for (const dialect of testDialects()) {
  describe(`${dialect}: webhooks API`, () => {
    it('creates, lists, gets, updates and deletes; the secret is shown once', async () => {
      const { t, h } = await setup(dialect);
      const res = await create(t, h, {
        url: 'https://hooks.example.com/infracast',
        events: ['job.completed', 'job.failed'],
        description: 'CI notifier',
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const hook = res.json().data;
      expect(res.headers.location).toBe(`/api/v1/tenants/acme/webhooks/${hook.id}`);
      expect(hook).toMatchObject({
        url: 'https://hooks.example.com/infracast',
        events: ['job.completed', 'job.failed'],
        description: 'CI notifier',
        enabled: true,
      });
      expect(hook.id).toMatch(/^whk_[0-9A-Z]{26}$/);
      expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

      const list = await t.app.inject({ url: '/api/v1/tenants/acme/webhooks', headers: h });
      expect(list.statusCode).toBe(200);
      expect(list.json().meta).toMatchObject({ total: 1, page: 1 });
      expect(list.json().data[0].id).toBe(hook.id);
      expect(list.body).not.toContain(hook.secret);
      expect(list.json().data[0]).not.toHaveProperty('secret');

      const got = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(got.statusCode).toBe(200);
      expect(got.json().data).not.toHaveProperty('secret');
      expect(got.body).not.toContain(hook.secret);

      // A given secret is kept as given; `*` stands alone.
      const other = await created(t, h, { url: 'http://hooks.example.com/b', events: ['*'], secret: 's'.repeat(16) });
      expect(other.secret).toBe('s'.repeat(16));
      expect(other.events).toEqual(['*']);

      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}`,
        headers: h,
        payload: { enabled: false, events: ['inventory.changed'], description: null, secret: 'rotated-secret-0123' },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json().data).toMatchObject({ enabled: false, events: ['inventory.changed'], description: null });
      expect(patched.body).not.toContain('rotated-secret-0123');
      const stored = await t.services.db
        .selectFrom('webhooks')
        .select('secret')
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow();
      expect(stored.secret).toBe('rotated-secret-0123');

      // A generated secret on request, shown once; the new one is what is stored and signs from now on.
      const rotated = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/rotate-secret`,
        headers: h,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      expect(rotated.headers['cache-control']).toBe('no-store');
      const fresh = rotated.json().data as { id: string; secret: string };
      expect(fresh.id).toBe(hook.id);
      expect(fresh.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(fresh.secret).not.toBe(hook.secret);
      const storedAfter = await t.services.db
        .selectFrom('webhooks')
        .select('secret')
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow();
      expect(storedAfter.secret).toBe(fresh.secret);
      const again = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(again.body).not.toContain(fresh.secret);
      const foreign = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tenants/acme/webhooks/whk_01JD3Y7J9Q8Z5T6W2X4C8V0B1N/rotate-secret',
        headers: h,
      });
      expect(foreign.statusCode).toBe(404);
      const withBody = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/rotate-secret`,
        headers: h,
        payload: { secret: 'chosen-secret-0123' },
      });
      expect(withBody.statusCode).toBe(400);

      const enabledOnly = await t.app.inject({ url: '/api/v1/tenants/acme/webhooks?enabled=true', headers: h });
      expect(enabledOnly.json().data.map((w: { id: string }) => w.id)).toEqual([other.id]);
      const sorted = await t.app.inject({ url: '/api/v1/tenants/acme/webhooks?sort=-url', headers: h });
      expect(sorted.json().data.map((w: { url: string }) => w.url)).toEqual([
        'https://hooks.example.com/infracast',
        'http://hooks.example.com/b',
      ]);

      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(del.statusCode).toBe(204);
      const gone = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(gone.statusCode).toBe(404);
      expect(gone.json().error.code).toBe('NOT_FOUND');

      // Every write is audited, and no secret ever reaches the audit log.
      const audit = await t.services.db
        .selectFrom('audit_log')
        .selectAll()
        .where('target_type', '=', 'webhook')
        .execute();
      expect(audit.map((a) => a.action).sort()).toEqual([
        'webhook.created',
        'webhook.created',
        'webhook.deleted',
        'webhook.secret_rotated',
        'webhook.updated',
      ]);
      const auditText = JSON.stringify(audit);
      expect(auditText).not.toContain(hook.secret);
      expect(auditText).not.toContain('s'.repeat(16));
      expect(auditText).not.toContain('rotated-secret-0123');
      expect(auditText).not.toContain(fresh.secret);
      expect(audit.find((a) => a.action === 'webhook.updated')?.summary).toContain('"secret_rotated":true');
    });

    it('rejects unknown fields, bad URLs, unknown events, short secrets and empty patches', async () => {
      const { t, h } = await setup(dialect);
      const bad = async (payload: Record<string, unknown>, pathMatch: RegExp | string, message?: RegExp) => {
        const res = await create(t, h, payload);
        expect(res.statusCode, `${JSON.stringify(payload)} → ${res.body}`).toBe(400);
        const body = res.json();
        expect(body.error.code).toBe('BAD_REQUEST');
        expect(JSON.stringify(body.error.details)).toMatch(pathMatch);
        if (message) expect(body.error.message).toMatch(message);
        return body;
      };
      const ok = { url: 'https://hooks.example.com/x', events: ['job.completed'] };
      await bad({ ...ok, colour: 'red' }, /colour/);
      await bad({ ...ok, url: 'not a url' }, /body.url/);
      await bad({ ...ok, url: 'ftp://hooks.example.com/x' }, /http/);
      await bad({ ...ok, url: '/relative/path' }, /body.url/);
      await bad({ ...ok, url: 'https://user:pass@hooks.example.com/x' }, /credentials/);
      await bad({ ...ok, url: `https://hooks.example.com/${'a'.repeat(2100)}` }, /url/);
      const unknown = await bad({ ...ok, events: ['job.completed', 'node.deleted'] }, /body.events\[1\]/);
      // The OpenAPI document lists the events too (an enum), so the 400 names the item and what is allowed.
      for (const e of ['job.completed', 'job.failed', 'job.cancelled', 'inventory.changed', 'finding.created', '*']) {
        expect(unknown.error.message).toContain(e);
      }
      await bad({ ...ok, events: [] }, /events/);
      await bad({ ...ok, events: ['job.failed', 'job.failed'] }, /events/);
      await bad({ url: ok.url }, /events/);
      await bad({ ...ok, secret: 'short-secret' }, /secret/);
      await bad({ ...ok, description: '   ' }, /description/);

      const hook = await created(t, h, ok);
      const patch = (payload: Record<string, unknown>) =>
        t.app.inject({ method: 'PATCH', url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h, payload });
      expect((await patch({})).statusCode).toBe(400);
      expect((await patch({ url: 'javascript:alert(1)' })).statusCode).toBe(400);
      expect((await patch({ events: ['nope'] })).statusCode).toBe(400);
      expect((await patch({ secret: 'too-short' })).statusCode).toBe(400);
      expect((await patch({ created_at: '2020-01-01T00:00:00.000Z' })).statusCode).toBe(400);
      // Nothing changed.
      const got = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(got.json().data).toMatchObject({ url: ok.url, events: ok.events });
      const unknownQuery = await t.app.inject({
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/deliveries?status=lost`,
        headers: h,
      });
      expect(unknownQuery.statusCode).toBe(400);
    });

    it("another tenant's webhooks and deliveries are 404s; editors get 403", async () => {
      const { t, h } = await setup(dialect);
      await t.createTenant('globex');
      const globexAdmin = await t.userWithRole('globex', 'admin');
      const hook = await created(t, h, { url: 'https://hooks.example.com/x', events: ['*'] });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      expect(ping.statusCode, ping.body).toBe(202);
      const deliveryId = ping.json().data.id;

      const g = globexAdmin.headers;
      for (const [method, url] of [
        ['GET', `/api/v1/tenants/globex/webhooks/${hook.id}`],
        ['PATCH', `/api/v1/tenants/globex/webhooks/${hook.id}`],
        ['DELETE', `/api/v1/tenants/globex/webhooks/${hook.id}`],
        ['POST', `/api/v1/tenants/globex/webhooks/${hook.id}/ping`],
        ['GET', `/api/v1/tenants/globex/webhooks/${hook.id}/deliveries`],
        ['GET', `/api/v1/tenants/globex/webhooks/${hook.id}/deliveries/${deliveryId}`],
        ['POST', `/api/v1/tenants/globex/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`],
        ['GET', `/api/v1/tenants/acme/webhooks/${hook.id}`], // not a member of acme
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: g,
          ...(method === 'PATCH' ? { payload: { enabled: false } } : {}),
        });
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      }
      // A delivery id under another webhook of the same tenant is not found either.
      const second = await created(t, h, { url: 'https://hooks.example.com/y', events: ['*'] });
      const wrong = await t.app.inject({
        url: `/api/v1/tenants/acme/webhooks/${second.id}/deliveries/${deliveryId}`,
        headers: h,
      });
      expect(wrong.statusCode).toBe(404);
      expect((await deliveriesOf(t, hook.id)).length).toBe(1);

      const editor = await t.userWithRole('acme', 'editor');
      const key = await t.apiKey('acme', 'editor');
      for (const headers of [editor.headers, key.headers]) {
        expect((await t.app.inject({ url: '/api/v1/tenants/acme/webhooks', headers })).statusCode).toBe(403);
        const c = await create(t, headers, { url: 'https://hooks.example.com/z', events: ['*'] });
        expect(c.statusCode).toBe(403);
        expect(c.json().error.code).toBe('FORBIDDEN');
      }
      const adminKey = await t.apiKey('acme', 'admin');
      expect((await t.app.inject({ url: '/api/v1/tenants/acme/webhooks', headers: adminKey.headers })).statusCode).toBe(
        200,
      );
    });
  });

  describe(`${dialect}: webhook deliveries`, () => {
    it('a completed discovery job is delivered, signed, to each subscribed enabled webhook', async () => {
      const { t, h } = await setup(dialect);
      const receiver = await startReceiver();
      const hook = await created(t, h, { url: receiver.url, events: ['job.completed'] });
      const all = await created(t, h, { url: `${receiver.url}?all`, events: ['*'] });
      const disabled = await created(t, h, { url: receiver.url, events: ['*'], enabled: false });
      const failedOnly = await created(t, h, { url: receiver.url, events: ['job.failed'] });

      const runner = startRunner(t);
      const job = await ingest(t, runner, 'acme', h, {
        name: 'two-tier',
        source: 'terraform_state',
        input: readJson('terraform/two-tier.tfstate'),
      });
      expect(job.status).toBe('succeeded');
      await t.services.events.idle();

      expect(await deliveriesOf(t, disabled.id)).toEqual([]);
      expect(await deliveriesOf(t, failedOnly.id)).toEqual([]);
      const toAll = await deliveriesOf(t, all.id);
      expect(toAll.map((d) => d.event).sort()).toEqual(['inventory.changed', 'job.completed']);
      const [queued] = await deliveriesOf(t, hook.id);
      expect(queued).toMatchObject({ event: 'job.completed', status: 'pending', attempts: 0 });

      const deliverer = startDeliverer(t);
      await deliverer.drain();
      const row = await waitForDelivery(t, queued!.id, (d) => d.status !== 'pending');
      expect(row).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_error: null });
      expect(row.delivered_at).not.toBeNull();
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);

      const req = receiver.requests.find((r) => r.headers['infracast-delivery'] === queued!.id);
      expect(req, 'the receiver got the delivery').toBeDefined();
      expect(req!.method).toBe('POST');
      expect(req!.url).toBe('/hook');
      expect(req!.headers['content-type']).toBe('application/json');
      expect(req!.headers['user-agent']).toBe('Infracast-Webhooks/1');
      expect(req!.headers['infracast-event']).toBe('job.completed');
      const signature = req!.headers['infracast-signature'] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifySignature(signature, req!.body, hook.secret)).toBe(true);
      expect(verifySignature(signature, req!.body, all.secret)).toBe(false);
      expect(verifySignature(signature, `${req!.body} `, hook.secret)).toBe(false);
      expect(req!.body).toBe(row.payload); // the exact stored body

      const body = JSON.parse(req!.body);
      expect(Object.keys(body).sort()).toEqual(['created_at', 'data', 'id', 'tenant', 'type']);
      expect(body).toMatchObject({ id: queued!.id, type: 'job.completed', tenant: 'acme' });
      expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
      expect(body.data).toMatchObject({ job_id: job.id, kind: 'discovery', source: 'terraform_state' });
      expect(body.data.counts).toEqual(job.counts);
      expect(body.data).toHaveProperty('result');

      const inv = receiver.requests.find((r) => r.headers['infracast-event'] === 'inventory.changed');
      expect(inv).toBeDefined();
      expect(verifySignature(inv!.headers['infracast-signature'] as string, inv!.body, all.secret)).toBe(true);
      expect(JSON.parse(inv!.body).data).toEqual({ version: expect.any(Number) });
      expect(receiver.requests.length).toBe(3);

      // Through the API: listed newest first, filtered, fetched one by one.
      const list = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${all.id}/deliveries`, headers: h });
      expect(list.statusCode, list.body).toBe(200);
      expect(list.json().meta.total).toBe(2);
      // Newest first: created_at descending, ties by id descending (two events can queue in one millisecond).
      const listed = list.json().data as { id: string; created_at: string }[];
      const newestFirst = [...listed].sort((a, b) =>
        a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1,
      );
      expect(listed.map((d) => d.id)).toEqual(newestFirst.map((d) => d.id));
      const filtered = await t.app.inject({
        url: `/api/v1/tenants/acme/webhooks/${all.id}/deliveries?event=inventory.changed&status=succeeded`,
        headers: h,
      });
      expect(filtered.json().data.map((d: { event: string }) => d.event)).toEqual(['inventory.changed']);
      const none = await t.app.inject({
        url: `/api/v1/tenants/acme/webhooks/${all.id}/deliveries?status=failed`,
        headers: h,
      });
      expect(none.json().meta.total).toBe(0);
      const one = await t.app.inject({
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/deliveries/${queued!.id}`,
        headers: h,
      });
      expect(one.statusCode).toBe(200);
      expect(one.json().data).toMatchObject({
        id: queued!.id,
        webhook_id: hook.id,
        status: 'succeeded',
        attempts: 1,
        last_status_code: 200,
        next_attempt_at: null,
        payload: body,
      });
    });

    it('a 500 is retried with backoff, then succeeds (attempts = 2)', async () => {
      const { t, h } = await setup(dialect);
      const receiver = await startReceiver([500]);
      const hook = await created(t, h, { url: receiver.url, events: ['*'] });
      startDeliverer(t, { backoffBaseMs: 200 });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      expect(ping.statusCode, ping.body).toBe(202);
      expect(ping.json().data).toMatchObject({ event: 'ping', status: 'pending', attempts: 0 });
      const id = ping.json().data.id;

      const afterFirst = await waitForDelivery(t, id, (d) => d.attempts === 1 && d.lease_owner === null);
      expect(afterFirst).toMatchObject({ status: 'pending', last_status_code: 500 });
      expect(afterFirst.last_error).toMatch(/500/);
      // Due again base × 2^0 after the first attempt.
      expect(Date.parse(afterFirst.next_attempt_at!) - Date.parse(afterFirst.last_attempt_at!)).toBeGreaterThanOrEqual(
        200,
      );

      const done = await waitForDelivery(t, id, (d) => d.status !== 'pending');
      expect(done).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200, last_error: null });
      expect(receiver.requests.length).toBe(2);
      // The same body and delivery id both times, each signed.
      expect(receiver.requests[0]!.body).toBe(receiver.requests[1]!.body);
      for (const r of receiver.requests) {
        expect(r.headers['infracast-delivery']).toBe(id);
        expect(r.headers['infracast-event']).toBe('ping');
        expect(verifySignature(r.headers['infracast-signature'] as string, r.body, hook.secret)).toBe(true);
      }
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
        id,
        type: 'ping',
        tenant: 'acme',
        data: { webhook_id: hook.id },
      });
    });

    it('fails after the last attempt; redeliver starts again (409 while pending)', async () => {
      const { t, h } = await setup(dialect);
      const receiver = await startReceiver([], 503);
      const hook = await created(t, h, { url: receiver.url, events: ['*'] });
      startDeliverer(t, { backoffBaseMs: 10, maxAttempts: 3 });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      const id = ping.json().data.id;
      const failed = await waitForDelivery(t, id, (d) => d.status !== 'pending');
      expect(failed).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 503, next_attempt_at: null });
      expect(failed.last_error).toMatch(/503/);
      expect(failed.delivered_at).toBeNull();
      expect(receiver.requests.length).toBe(3);

      receiver.fallback = 200;
      const url = `/api/v1/tenants/acme/webhooks/${hook.id}/deliveries/${id}/redeliver`;
      // A disabled webhook's deliveries are not redelivered (409) until it is enabled again.
      await t.services.db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', hook.id).execute();
      const whileDisabled = await t.app.inject({ method: 'POST', url, headers: h });
      expect(whileDisabled.statusCode).toBe(409);
      await t.services.db.updateTable('webhooks').set({ enabled: 1 }).where('id', '=', hook.id).execute();

      const again = await t.app.inject({ method: 'POST', url, headers: h });
      expect(again.statusCode, again.body).toBe(202);
      expect(again.json().data).toMatchObject({ id, status: 'pending', attempts: 0 });
      const done = await waitForDelivery(t, id, (d) => d.status !== 'pending');
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200 });
      expect(receiver.requests.length).toBe(4);
      expect(receiver.requests[3]!.body).toBe(receiver.requests[0]!.body);

      // Pending → 409: a delivery queued with no worker to take it stays pending.
      const idle = await setup(dialect);
      const hook2 = await created(idle.t, idle.h, { url: receiver.url, events: ['*'] });
      const p2 = await idle.t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook2.id}/ping`,
        headers: idle.h,
      });
      const pending = await idle.t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook2.id}/deliveries/${p2.json().data.id}/redeliver`,
        headers: idle.h,
      });
      expect(pending.statusCode).toBe(409);
      expect(pending.json().error.code).toBe('CONFLICT');

      const audit = await t.services.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', hook.id)
        .execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['webhook.created', 'webhook.pinged', 'webhook.redelivered']);
    });

    it('deleting a webhook removes its deliveries, pending ones included', async () => {
      const { t, h } = await setup(dialect);
      const hook = await created(t, h, { url: 'https://hooks.example.com/x', events: ['*'] });
      const keep = await created(t, h, { url: 'https://hooks.example.com/y', events: ['*'] });
      for (const w of [hook, keep, hook]) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/webhooks/${w.id}/ping`,
          headers: h,
        });
        expect(res.statusCode).toBe(202);
      }
      expect((await deliveriesOf(t, hook.id)).length).toBe(2);
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/tenants/acme/webhooks/${hook.id}`, headers: h });
      expect(del.statusCode).toBe(204);
      expect(await deliveriesOf(t, hook.id)).toEqual([]);
      expect((await deliveriesOf(t, keep.id)).length).toBe(1);
      const list = await t.app.inject({ url: `/api/v1/tenants/acme/webhooks/${hook.id}/deliveries`, headers: h });
      expect(list.statusCode).toBe(404);
    });
    it('deleting the tenant deletes its webhooks and deliveries', async () => {
      const { t, h } = await setup(dialect);
      const hook = await created(t, h, { url: 'https://hooks.example.com/x', events: ['*'] });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      expect(ping.statusCode).toBe(202);
      const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: t.admin.headers });
      expect(del.statusCode, del.body).toBe(204);
      expect(await t.services.db.selectFrom('webhooks').selectAll().execute()).toEqual([]);
      expect(await t.services.db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    });
  });

  describe(`${dialect}: webhook destinations (SSRF)`, () => {
    it('refuses literal private, loopback and metadata addresses and localhost at creation', async () => {
      const { t, h } = await setup(dialect, {});
      const receiver = await startReceiver();
      for (const url of [
        receiver.url,
        'http://127.0.0.1/',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/',
        'http://192.168.0.10:8080/x',
        'http://172.20.0.1/',
        'http://0.0.0.0/',
        'http://[::1]/',
        'http://[fd00::1]/',
        'http://[fe80::1]/',
        'http://[::ffff:127.0.0.1]/',
        'http://224.0.0.1/',
        'http://localhost/',
        `http://localhost:${receiver.port}/hook`,
        'http://api.localhost/',
      ]) {
        const res = await create(t, h, { url, events: ['*'] });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
        expect(res.json().error.details[0].path).toBe('body.url');
        expect(res.json().error.message).toMatch(/non-public|loopback|private|link-local|unspecified|multicast/);
      }
      expect((await create(t, h, { url: 'https://93.184.216.34/x', events: ['*'] })).statusCode).toBe(201);
      const hook = await created(t, h, { url: 'https://hooks.example.com/x', events: ['*'] });
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}`,
        headers: h,
        payload: { url: 'http://169.254.169.254/' },
      });
      expect(patched.statusCode).toBe(400);
      expect(receiver.requests).toEqual([]);
    });

    it('refuses, at delivery time, a host name that resolves to a loopback address', async () => {
      // Created while the installation allowed private networks; the worker now refuses them.
      const { t, h } = await setup(dialect);
      const receiver = await startReceiver();
      const hook = await created(t, h, { url: `http://localhost:${receiver.port}/hook`, events: ['*'] });
      startDeliverer(t, { allowPrivateNetworks: false, maxAttempts: 1 });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      const row = await waitForDelivery(t, ping.json().data.id, (d) => d.status !== 'pending');
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
      expect(row.last_error).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/);
      expect(receiver.requests).toEqual([]);
    });

    it('checks the addresses the socket connects to (DNS rebinding), and allows them when configured', async () => {
      const { t, h } = await setup(dialect, {});
      const receiver = await startReceiver();
      // A public-looking name that resolves to loopback at delivery time: accepted at creation (no DNS
      // there), refused when connecting.
      const url = `http://rebind.example.test:${receiver.port}/hook`;
      const hook = await created(t, h, { url, events: ['*'] });
      const resolver = async (name: string) => {
        expect(name).toBe('rebind.example.test');
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const refusing = startDeliverer(t, { resolver, maxAttempts: 1 });
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/ping`,
        headers: h,
      });
      const refused = await waitForDelivery(t, ping.json().data.id, (d) => d.status !== 'pending');
      expect(refused.last_error).toMatch(/rebind\.example\.test resolves to 127\.0\.0\.1, which is a loopback address/);
      expect(receiver.requests).toEqual([]);
      await refusing.stop();

      // With private networks allowed the same name reaches the receiver, through that resolver.
      startDeliverer(t, { resolver, allowPrivateNetworks: true });
      const again = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/webhooks/${hook.id}/deliveries/${ping.json().data.id}/redeliver`,
        headers: h,
      });
      expect(again.statusCode, again.body).toBe(202);
      const ok = await waitForDelivery(t, ping.json().data.id, (d) => d.status !== 'pending');
      expect(ok).toMatchObject({ status: 'succeeded', last_status_code: 200 });
      expect(receiver.requests.length).toBe(1);
      expect(receiver.requests[0]!.headers.host).toBe(`rebind.example.test:${receiver.port}`);
    });
  });
}
