/**
 * Starts Infracast: opens the database, applies migrations, creates the first
 * admin on an empty database, builds the app, starts the in-process worker and
 * listens. Shuts down gracefully on SIGTERM/SIGINT.
 */
import type { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { startReportRetention } from './modules/reports/retention.ts';
import { startDailySnapshots } from './modules/tagging/daily.ts';
import { createWebhookDeliverer, type Deliverer } from './modules/webhooks/delivery.ts';
import type { Config } from './platform/config.ts';
import { type Database, openDatabase } from './platform/db/index.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import type { App } from './platform/http/types.ts';
import { createJobRunner, type JobRunner } from './platform/jobs/runner.ts';
import { createMemoryLimiter, createRedisLimiter, type RateLimiter } from './platform/ratelimit/limiter.ts';
import { connectRedis } from './platform/redis.ts';
import { createServices, type Services } from './services.ts';

export class StartupError extends Error {}

export interface Runtime {
  app: App;
  database: Database;
  services: Services;
  redis: Redis | null;
  /** The in-process job runner (null when INFRACAST_WORKER=false). */
  runner: JobRunner | null;
  /** The in-process webhook delivery worker (null when INFRACAST_WORKER=false). */
  webhookDeliverer: Deliverer | null;
  url: string;
  close(): Promise<void>;
}

export async function openAndMigrate(config: Config): Promise<Database> {
  let database: Database;
  try {
    database = await openDatabase(config.database);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
  const { error } = await migrateToLatest(database.db, database.schema);
  if (error) {
    await database.close();
    throw new StartupError(error.message);
  }
  return database;
}

export async function startServer(
  config: Config,
  opts: { version: string; print?: (line: string) => void },
): Promise<Runtime> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const database = await openAndMigrate(config);
  const services = await createServices({ config, database });

  const admin = await services.auth.bootstrapAdmin(config.admin);
  if (admin) {
    print(`Created platform admin ${admin.email}.`);
    if (admin.generated) {
      print(
        `Generated password (shown once; change it at first sign-in, POST /api/v1/auth/password): ${admin.password}`,
      );
    }
  } else {
    const notice = await services.auth.adminSettingsNotice(config.admin);
    if (notice) print(`warning: ${notice}`);
  }

  let redis: Redis | null = null;
  let limiter: RateLimiter = createMemoryLimiter();
  let app: App | null = null;
  if (config.redisUrl) {
    redis = connectRedis(config.redisUrl, { keyPrefix: 'infracast:' });
    redis.on('error', () => {}); // surfaced through the limiter and /api/v1/status
    limiter = createRedisLimiter({
      redis,
      prefix: '',
      onDegraded: (err) =>
        app?.log.warn(
          { err },
          'Redis unreachable: rate limits and concurrency caps are kept in memory until it returns',
        ),
      onRecovered: () => app?.log.info('Redis reachable again: shared rate limits restored'),
    });
  }

  app = await buildApp({ config, database, services, version: opts.version, limiter, redis });
  let listenerDown = false;
  database.invalidations.onListenerChange((err) => {
    if (err && !listenerDown) {
      app?.log.warn({ err }, 'cache invalidation listener lost: API keys are read from the database until it is back');
    } else if (!err) {
      app?.log.info('cache invalidation listener back: verified API keys are cached again');
    }
    listenerDown = err !== null;
  });
  const address = await app.listen({ host: config.host, port: config.port });
  print(`Infracast ${opts.version} listening on ${address} (${database.dialect})`);
  if (!config.workerEnabled)
    print('Background jobs are left to `infracast worker` processes (INFRACAST_WORKER=false).');

  const runner = config.workerEnabled
    ? createJobRunner({
        db: database.db,
        inputs: services.jobInputs,
        dialect: database.dialect,
        kinds: services.jobKinds,
        signals: services.jobSignals,
        events: services.events,
        clock: services.clock,
        log: app.log,
      })
    : null;
  runner?.start();
  const webhookDeliverer = config.workerEnabled
    ? createWebhookDeliverer({
        db: database.db,
        dialect: database.dialect,
        clock: services.clock,
        log: app.log,
        allowPrivateNetworks: config.webhookAllowPrivateNetworks,
        onQueued: (fn) => services.webhooks.onQueued(fn),
        retentionMs: config.webhookDeliveryRetentionDays * 86_400_000,
      })
    : null;
  webhookDeliverer?.start();
  // Events recorded by processes that died before handing them on, or by API-only servers' requests.
  if (config.workerEnabled) services.outbox.start();
  const dailySnapshots = startDailySnapshots(services.tagging, {
    onError: (err) => app?.log.error({ err }, 'daily tagging compliance snapshot failed'),
  });

  const reportRetention = config.workerEnabled ? startReportRetention(services.reports, app.log) : null;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Stop accepting and let in-flight requests finish while running jobs reach a batch
      // boundary and hand their job back; then release the database and Redis.
      await Promise.all([
        app?.close(),
        runner?.stop(),
        webhookDeliverer?.stop(),
        dailySnapshots.stop(),
        reportRetention?.stop(),
      ]);
      await services.events.idle();
      await services.outbox.stop();
      await database.close();
      redis?.disconnect();
    })();
    return closing;
  };
  return { app, database, services, redis, runner, webhookDeliverer, url: address, close };
}
