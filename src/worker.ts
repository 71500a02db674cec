/**
 * Runs the background job worker on its own, without HTTP (`infracast
 * worker`): opens the database, applies migrations and claims jobs until
 * stopped. Any number of workers (and servers with INFRACAST_WORKER=true)
 * can share one PostgreSQL database; each job runs on one of them at a time.
 */
import type { FastifyBaseLogger } from 'fastify';
import { startReportRetention } from './modules/reports/retention.ts';
import { startDailySnapshots } from './modules/tagging/daily.ts';
import { createWebhookDeliverer, type Deliverer, type DelivererOptions } from './modules/webhooks/delivery.ts';
import type { Config, LogLevel } from './platform/config.ts';
import type { Database } from './platform/db/index.ts';
import { createJobRunner, type JobRunner } from './platform/jobs/runner.ts';
import { openAndMigrate } from './server.ts';
import { createServices, type ServiceDeps, type Services } from './services.ts';

export interface WorkerOptions {
  /** Lease length in seconds (heartbeats every third of it). */
  leaseSeconds?: number;
  pollMs?: number;
  concurrency?: number;
  discovery?: ServiceDeps['discovery'];
  /** Tuning of the webhook delivery worker (tests). */
  webhooks?: Pick<DelivererOptions, 'pollMs' | 'backoffBaseMs' | 'maxAttempts' | 'timeoutMs' | 'concurrency'>;
  /** How often recorded events nobody handed on are looked for (default 2 s; tests). */
  outboxPollMs?: number;
  /** Log destination (default: JSON lines on stdout). */
  write?: (line: string) => void;
}

export interface WorkerRuntime {
  runner: JobRunner;
  webhookDeliverer: Deliverer;
  database: Database;
  services: Services;
  log: FastifyBaseLogger;
  close(): Promise<void>;
}

export async function startWorker(config: Config, opts: WorkerOptions = {}): Promise<WorkerRuntime> {
  const database = await openAndMigrate(config);
  const services = await createServices({ config, database, discovery: opts.discovery });
  const log = createLineLogger(config.logLevel, opts.write ?? ((l) => process.stdout.write(`${l}\n`)));
  const runner = createJobRunner({
    db: database.db,
    inputs: services.jobInputs,
    dialect: database.dialect,
    kinds: services.jobKinds,
    signals: services.jobSignals,
    events: services.events,
    clock: services.clock,
    log,
    leaseSeconds: opts.leaseSeconds,
    pollMs: opts.pollMs,
    concurrency: opts.concurrency,
  });
  runner.start();
  const webhookDeliverer = createWebhookDeliverer({
    db: database.db,
    dialect: database.dialect,
    clock: services.clock,
    log,
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
    onQueued: (fn) => services.webhooks.onQueued(fn),
    retentionMs: config.webhookDeliveryRetentionDays * 86_400_000,
    ...opts.webhooks,
  });
  webhookDeliverer.start();
  // Events recorded by processes that died before handing them on, or by API-only servers' requests.
  services.outbox.start(opts.outboxPollMs);
  services.attachLogger(log);
  // Workers take the daily tagging snapshot too, so a deployment with API-only servers still gets one
  // (the snapshot table's unique day key keeps it to one per tenant per day).
  const dailySnapshots = startDailySnapshots(services.tagging, {
    onError: (err) => log.error({ err }, 'daily tagging compliance snapshot failed'),
  });
  const reportRetention = startReportRetention(services.reports, log);
  log.info({ worker: runner.workerId, dialect: database.dialect, kinds: services.jobKinds.kinds() }, 'worker started');
  let closing: Promise<void> | null = null;
  return {
    runner,
    webhookDeliverer,
    database,
    services,
    log,
    close() {
      closing ??= (async () => {
        await Promise.all([runner.stop(), dailySnapshots.stop(), reportRetention.stop()]);
        // Events of the last jobs may still be queueing deliveries: let them, then stop posting.
        await services.events.idle();
        await services.outbox.stop();
        await webhookDeliverer.stop();
        await database.close();
      })();
      return closing;
    },
  };
}

const LEVELS: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 100,
};

/** Pino-compatible JSON-lines logger for the headless worker (the server uses Fastify's). */
export function createLineLogger(
  level: LogLevel,
  write: (line: string) => void,
  bindings: Record<string, unknown> = {},
): FastifyBaseLogger {
  const threshold = LEVELS[level];
  const method = (name: Exclude<LogLevel, 'silent'>) => (objOrMsg?: unknown, msg?: string) => {
    if (LEVELS[name] < threshold) return;
    const fields = typeof objOrMsg === 'object' && objOrMsg !== null ? (objOrMsg as Record<string, unknown>) : {};
    const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
    const out: Record<string, unknown> = { level: LEVELS[name], time: Date.now(), ...bindings };
    for (const [k, v] of Object.entries(fields)) {
      out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
    }
    if (text) out.msg = text;
    write(JSON.stringify(out));
  };
  const logger = {
    level,
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    silent: () => {},
    child: (more: Record<string, unknown>) => createLineLogger(level, write, { ...bindings, ...more }),
  };
  return logger as unknown as FastifyBaseLogger;
}
