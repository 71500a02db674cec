/** Helpers for webhook tests: a real local receiver, an in-process delivery worker, polling the queue. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import {
  createWebhookDeliverer,
  type Deliverer,
  type DelivererOptions,
} from '../../../src/modules/webhooks/delivery.ts';
import type { WebhookDeliveryRow } from '../../../src/platform/db/schema.ts';
import type { TestApp } from '../../helpers/app.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  method: string;
  url: string;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  port: number;
  requests: Received[];
  /** Status codes for the next requests, in order; afterwards `fallback`. */
  answers: number[];
  fallback: number;
}

/** A node:http server on 127.0.0.1 (port 0) recording every request; closed when the test ends. */
export async function startReceiver(answers: number[] = [], fallback = 200): Promise<Receiver> {
  const r: Receiver = { url: '', port: 0, requests: [], answers: [...answers], fallback };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        method: req.method ?? '',
        url: req.url ?? '',
      });
      const status = r.answers.shift() ?? r.fallback;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return r;
}

/** A delivery worker over the test app's database, polling fast; stopped when the test ends. */
export function startDeliverer(t: TestApp, opts: Partial<DelivererOptions> = {}): Deliverer {
  const d = createWebhookDeliverer({
    db: t.services.db,
    dialect: t.services.dialect,
    clock: t.services.clock,
    log: t.app.log,
    allowPrivateNetworks: t.config.webhookAllowPrivateNetworks,
    onQueued: (fn) => t.services.webhooks.onQueued(fn),
    pollMs: 20,
    backoffBaseMs: 50,
    timeoutMs: 5000,
    ...opts,
  });
  d.start();
  onTestFinished(() => d.stop());
  return d;
}

/** Polls the database until the delivery satisfies `done`. */
export async function waitForDelivery(
  t: TestApp,
  id: string,
  done: (row: WebhookDeliveryRow) => boolean,
  timeoutMs = 15_000,
): Promise<WebhookDeliveryRow> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await t.services.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row && done(row)) return row;
    if (Date.now() > until) throw new Error(`delivery ${id} did not get there in time: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
