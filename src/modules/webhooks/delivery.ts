/**
 * The webhook delivery worker: drains `webhook_deliveries`, a durable queue in the same database.
 *
 * - Claim: due deliveries are claimed in one statement with a lease (PostgreSQL `FOR UPDATE SKIP LOCKED`),
 *   so any number of workers (servers with INFRACAST_WORKER=true, `infracast worker`) share the queue and
 *   each delivery is attempted by one of them at a time. A worker that dies mid-attempt leaves its lease to
 *   expire; the delivery is then claimed again (the attempt counts: the request may have gone out).
 * - Attempt: one POST of the stored body with `Infracast-Signature` (signed now, with the webhook's current
 *   secret), to the webhook's current URL, through the SSRF guard (./network.ts); 10 s timeout, no redirects.
 *   2xx is success; anything else is retried with exponential backoff (30 s × 2^(attempt−1), capped at
 *   1 h) until `maxAttempts`, then the delivery is `failed`. Each attempt records status code, error, duration.
 * - Stop: no more claims; attempts in flight get a few seconds to end, then are aborted and handed back
 *   (the attempt not counted).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { signatureHeader } from '../../core/webhooks/signature.ts';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { Db } from '../../platform/db/index.ts';
import type { WebhookDeliveryRow, WebhookRow } from '../../platform/db/schema.ts';
import { wakeableSleep } from '../../platform/jobs/wakeable-sleep.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { postOnce, type Resolver } from './network.ts';
import * as store from './store.ts';

export const USER_AGENT = 'Infracast-Webhooks/1';
export const DEFAULT_MAX_ATTEMPTS = 8;

export interface DelivererOptions {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  log: FastifyBaseLogger;
  /** INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
  allowPrivateNetworks: boolean;
  /** Wakes the worker when deliveries are queued in this process (WebhookService.onQueued). */
  onQueued?: (fn: () => void) => () => void;
  workerId?: string;
  /** How often an idle worker looks for due deliveries (default 1000 ms). */
  pollMs?: number;
  /** First retry delay; doubles each attempt (default 30 000 ms). */
  backoffBaseMs?: number;
  /** Longest retry delay (default 1 h). */
  backoffMaxMs?: number;
  /** Attempts before a delivery is failed (default 8). */
  maxAttempts?: number;
  /** Per-attempt timeout (default 10 000 ms). */
  timeoutMs?: number;
  /** Attempts in flight at once (default 4). */
  concurrency?: number;
  /** How long stop() lets attempts in flight finish before aborting them (default 5000 ms). */
  stopTimeoutMs?: number;
  /** DNS resolution (tests); default dns.lookup with `all`. */
  resolver?: Resolver;
  /** How long finished deliveries are kept (INFRACAST_WEBHOOK_DELIVERY_RETENTION_DAYS); 0 or unset keeps them. */
  retentionMs?: number;
  /** How often old finished deliveries are looked for (default 1 h). */
  pruneEveryMs?: number;
}

export interface Deliverer {
  readonly workerId: string;
  start(): void;
  stop(): Promise<void>;
  wake(): void;
  /** Resolves when nothing is due now and nothing is in flight (tests). */
  drain(): Promise<void>;
}

/** Delay before the attempt after `attempt` (1-based): base × 2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export function createWebhookDeliverer(o: DelivererOptions): Deliverer {
  const workerId = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}:webhooks`;
  const pollMs = o.pollMs ?? 1000;
  const baseMs = o.backoffBaseMs ?? 30_000;
  const maxMs = o.backoffMaxMs ?? 3_600_000;
  const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const concurrency = o.concurrency ?? 4;
  const stopTimeoutMs = o.stopTimeoutMs ?? 5000;
  // The lease outlives an attempt (timeout plus the time to record it) by a wide margin.
  const leaseMs = timeoutMs + 30_000;
  const log = o.log.child({ worker: workerId });

  const inflight = new Set<Promise<void>>();
  const abort = new AbortController();
  let started = false;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();
  let unsubscribe: (() => void) | null = null;

  const { sleep, wake } = wakeableSleep();

  async function claim(limit: number): Promise<{ delivery: WebhookDeliveryRow; webhook: WebhookRow }[]> {
    const now = o.clock();
    if (!(await store.hasDueDelivery(o.db, iso(now)))) return [];
    const rows = await store.claimDueDeliveries(o.db, o.dialect, {
      owner: workerId,
      now: iso(now),
      leaseExpiresAt: iso(new Date(now.getTime() + leaseMs)),
      limit,
    });
    if (rows.length === 0) return [];
    const hooks = new Map(
      (await store.webhooksByIds(o.db, [...new Set(rows.map((r) => r.webhook_id))])).map((w) => [w.id, w]),
    );
    const out: { delivery: WebhookDeliveryRow; webhook: WebhookRow }[] = [];
    for (const delivery of rows) {
      const webhook = hooks.get(delivery.webhook_id);
      if (webhook) out.push({ delivery, webhook }); // else deleted meanwhile, its deliveries with it
    }
    return out;
  }

  async function attempt(delivery: WebhookDeliveryRow, webhook: WebhookRow): Promise<void> {
    const result = await postOnce({
      url: webhook.url,
      body: delivery.payload,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'infracast-event': delivery.event,
        'infracast-delivery': delivery.id,
        'infracast-signature': signatureHeader(webhook.secret, delivery.payload, o.clock()),
      },
      timeoutMs,
      allowPrivateNetworks: o.allowPrivateNetworks,
      resolver: o.resolver,
      signal: abort.signal,
    });
    if (result.aborted) {
      await store.releaseDelivery(o.db, delivery.id, workerId);
      return;
    }
    const now = o.clock();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const error = ok ? null : (result.error ?? `HTTP ${result.statusCode} (expected 2xx)`);
    const exhausted = delivery.attempts >= maxAttempts;
    const status = ok ? 'succeeded' : exhausted ? 'failed' : 'pending';
    const recorded = await store.recordAttempt(o.db, delivery.id, workerId, {
      status,
      nextAttemptAt:
        status === 'pending' ? iso(new Date(now.getTime() + backoffMs(delivery.attempts, baseMs, maxMs))) : null,
      statusCode: result.statusCode,
      error,
      durationMs: result.durationMs,
      deliveredAt: ok ? iso(now) : null,
    });
    if (!recorded) {
      log.warn({ delivery: delivery.id }, 'webhook delivery lease lost before its attempt was recorded');
    } else if (!ok) {
      log[status === 'failed' ? 'warn' : 'info'](
        {
          delivery: delivery.id,
          webhook: webhook.id,
          attempt: delivery.attempts,
          status_code: result.statusCode,
          error,
        },
        status === 'failed' ? 'webhook delivery failed for good' : 'webhook delivery attempt failed; will retry',
      );
    }
  }

  const PRUNE_BATCH = 1000;
  let lastPrune = 0;
  /** Deletes finished deliveries past the retention period, a batch per statement, between polls. */
  async function prune() {
    const retentionMs = o.retentionMs ?? 0;
    if (retentionMs <= 0 || Date.now() - lastPrune < (o.pruneEveryMs ?? 3_600_000)) return;
    lastPrune = Date.now();
    const before = iso(new Date(o.clock().getTime() - retentionMs));
    let deleted = 0;
    try {
      for (;;) {
        const n = await store.pruneFinishedDeliveries(o.db, before, PRUNE_BATCH);
        deleted += n;
        if (n < PRUNE_BATCH || stopping) break;
        await yieldToEventLoop();
      }
    } catch (err) {
      if (!stopping) log.error({ err }, 'deleting old webhook deliveries failed');
    }
    if (deleted > 0) log.info({ deleted, before }, 'deleted finished webhook deliveries past their retention');
  }

  async function loop() {
    while (!stopping) {
      await prune();
      const free = concurrency - inflight.size;
      let claimed: Awaited<ReturnType<typeof claim>> = [];
      if (free > 0) {
        try {
          claimed = await claim(free);
        } catch (err) {
          if (!stopping) log.error({ err }, 'claiming webhook deliveries failed');
        }
      }
      for (const { delivery, webhook } of claimed) {
        const p: Promise<void> = attempt(delivery, webhook)
          .catch((err) => log.error({ err, delivery: delivery.id }, 'webhook delivery attempt crashed'))
          .finally(() => {
            inflight.delete(p);
            wake();
          });
        inflight.add(p);
      }
      // A full batch: more may be due at once. Otherwise wait for the poll, a wake-up or a free slot.
      if (claimed.length > 0 && claimed.length === free) continue;
      await sleep(pollMs);
    }
  }

  return {
    workerId,
    start() {
      if (started) return;
      started = true;
      unsubscribe = o.onQueued?.(wake) ?? null;
      loopDone = loop();
    },
    async stop() {
      if (!started || stopping) return loopDone;
      stopping = true;
      unsubscribe?.();
      wake();
      await loopDone;
      if (inflight.size > 0) {
        const timer = setTimeout(() => abort.abort(), stopTimeoutMs);
        await Promise.allSettled([...inflight]);
        clearTimeout(timer);
      }
    },
    wake,
    async drain() {
      while (!stopping) {
        if (inflight.size > 0) {
          await Promise.allSettled([...inflight]);
          continue;
        }
        if (!(await store.hasDueDelivery(o.db, iso(o.clock())))) {
          if (inflight.size === 0) return;
          continue;
        }
        wake();
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.allSettled([...inflight]);
    },
  };
}
